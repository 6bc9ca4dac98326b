"""Load: N simultaneous signed-in sessions on the 1.1 M-case city, each changing a parameter every few seconds.

The app is served as the bureau runs it (scripts/serve.py: sign-in, secure settings) on localhost, signed in
against a local OpenID Connect provider (oidc-provider-mock, in this process). Every session signs in through
the provider's form in headless Chromium as its own bureau user (the role that sees the whole city).

Then, on 2 cores that also run the clients, N Chromium tabs redrawing the budget page would measure Chromium
more than the server (each real user renders on their own computer). So one session stays a real browser
tab, and the other N-1 continue as light clients that speak the browser's protocol to the server: the same
websocket, sign-in cookie and XSRF token, the same rerun messages with the changed widget, reading the same
page elements back, without drawing them. For the measured window each session, at its own random offset,
types a new budget adjustment for the employee scheme every INTERVAL ± 1 s (asyncio: all at once). Redraw:
from the change until the page's budget figure (the first card of the derivation, B) holds the new value
(the light clients: until that element arrives; the tab: until it shows). Reported: errors (redraws that
never came or came without a new figure, error boxes, errors in the server log), the server's peak resident
memory (VmHWM), median and p90 redraw times, the server's CPU time per redraw over the window. Bars: no errors, < 4 GB, median < 1.5 s.

    .venv/bin/python scripts/benchmark_load.py [--sessions 20] [--seconds 60] [--interval 4] [--city DIR]

The city is bench_data/city_1100000_0 when present, else written with `synth --cases 1100000 --seed 0`."""
from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from dip_model import load_params  # noqa: E402
from dip_model.report.browser import find_browser  # noqa: E402

CITY = ROOT / "bench_data" / "city_1100000_0"
PAGE = "budget"
FIGURE = "[data-testid='stMetricValue']"        # the derivation's first card: the budget B of the scheme
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
LAUNCH = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
TIMEOUT = 60.0                                  # seconds a redraw may take before it counts as an error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def city(arg: str | None, tmp: Path) -> Path:
    if arg:
        return Path(arg)
    if (CITY / "cases.csv").exists():
        return CITY
    out = tmp / "city"
    subprocess.run([sys.executable, "-m", "dip_model", "synth", "--cases", "1100000", "--seed", "0", "--out",
                    str(out)], cwd=ROOT, check=True)
    return out


def configure(folder: Path, idp: str, port: int, emails: list[str]) -> Path:
    """secrets.toml (mode 600) and a roles file naming every session's user as bureau."""
    roles = folder / "roles.yaml"
    roles.write_text("users:\n" + "".join(f"  {e}: bureau\n" for e in emails), encoding="utf-8")
    path = folder / "secrets.toml"
    path.write_text(f'[auth]\nredirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
                    f'cookie_secret = "{secrets.token_hex(32)}"\nclient_id = "dip-bench"\n'
                    f'client_secret = "{secrets.token_hex(16)}"\n'
                    f'server_metadata_url = "{idp}/.well-known/openid-configuration"\n\n'
                    f'[dip]\nroles_file = "{roles.as_posix()}"\n', encoding="utf-8")
    path.chmod(0o600)
    return path


def peak_rss(pid: int) -> float:
    """Peak resident memory of the process in bytes (Linux VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc/PID/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def new_value(last: float | None) -> float:
    """10–500 million yuan, never the value the session has now (that would redraw nothing new)."""
    while (v := float(random.randrange(10, 500) * 1_000_000)) == last:
        pass
    return v


# ---------------------------------------------------------------- the browser tab

async def settle(pg) -> None:
    await pg.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=300_000)
    for _ in range(2):
        await pg.wait_for_timeout(400)
        await pg.wait_for_selector("[data-test-script-state='notRunning']", timeout=300_000)


async def signed_in_tab(browser, url: str, email: str):
    """A browser context signed in as email through the provider's form, on the budget page."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    pg = await ctx.new_page()
    await pg.goto(url)
    await settle(pg)
    await pg.get_by_role("button", name="登录").click()
    await pg.wait_for_url(re.compile(r"/oauth2/authorize"), timeout=60_000)
    await pg.locator(f"button[name='sub'][value='{email}']").click()
    await pg.wait_for_url(re.compile(re.escape(url)), timeout=120_000)
    await settle(pg)
    await pg.goto(f"{url}/{PAGE}")
    await settle(pg)
    await pg.wait_for_selector(FIGURE, timeout=300_000)
    return ctx, pg


async def drive_tab(pg, label: str, until: float, interval: float, times: list, errors: list, name: str) -> None:
    box = pg.locator(f"[data-testid='stNumberInput'] input[aria-label^='{label}']").first
    await asyncio.sleep(random.uniform(0, interval))
    last = None
    while time.monotonic() < until:
        before = await pg.locator(FIGURE).first.inner_text()
        last = new_value(last)
        await box.fill(str(int(last)))
        t0 = time.perf_counter()
        await box.press("Enter")
        try:
            await pg.wait_for_function("([sel, old]) => { const e = document.querySelector(sel);"
                                       " return e && e.innerText !== old; }", arg=[FIGURE, before],
                                       polling=50, timeout=TIMEOUT * 1000)
            times.append(time.perf_counter() - t0)
        except Exception as exc:                                      # noqa: BLE001 (counted, reported)
            errors.append(f"{name}: no redraw ({type(exc).__name__})")
        if await pg.locator(ERRORS).count():
            errors.append(f"{name}: an error box on the page")
        await asyncio.sleep(max(0.0, interval + random.uniform(-1, 1) - (time.perf_counter() - t0)))


# ---------------------------------------------------------------- the light clients

class Client:
    """One session over the app's websocket, as the browser holds it: the sign-in and XSRF cookies, the
    XSRF token in the subprotocol, rerun messages with the widget states; the page's elements read back."""

    def __init__(self, url: str, cookies: list[dict]):
        self.url, self.cookies = url, {c["name"]: c["value"] for c in cookies}
        self.ws = None
        self.widget_id: str | None = None
        self.figure: str | None = None

    async def open(self, label: str) -> None:
        import websockets
        header = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await websockets.connect(self.url.replace("http", "ws", 1) + "/_stcore/stream", max_size=None,
                                           additional_headers={"Cookie": header, "Origin": self.url},
                                           subprotocols=["streamlit", self.cookies["_streamlit_xsrf"]])
        await self.rerun(label, None)

    async def rerun(self, label: str, value: float | None) -> tuple[float, float, list[str]]:
        """Send a rerun (with the adjustment set to value); seconds until the budget figure arrived changed
        and until the whole page had arrived, and any problems seen."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        msg = BackMsg()
        msg.rerun_script.page_name = PAGE
        if value is not None:
            w = msg.rerun_script.widget_states.widgets.add()
            w.id, w.double_value = self.widget_id, value
        assert self.ws is not None
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        shown, first, seen_input, problems = None, True, False, []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if fwd.HasField("delta") and fwd.delta.HasField("new_element"):
                el = fwd.delta.new_element
                kind = el.WhichOneof("type")
                if kind == "metric" and first:
                    first = False
                    if el.metric.body != self.figure:
                        shown = time.perf_counter() - t0
                    self.figure = el.metric.body
                elif kind == "number_input" and el.number_input.label.startswith(label) and not seen_input:
                    seen_input, self.widget_id = True, el.number_input.id     # the employee scheme's, first
                elif kind == "exception" or kind == "alert" and el.alert.format == el.alert.ERROR:
                    problems.append(kind)
            if fwd.HasField("script_finished"):
                if fwd.script_finished == fwd.FINISHED_SUCCESSFULLY:
                    break
            if fwd.HasField("auth_redirect") or fwd.HasField("page_not_found"):
                problems.append("signed out or page not found")
                break
        done = time.perf_counter() - t0
        if value is not None and shown is None:
            problems.append("no new figure")
        return (shown if shown is not None else done), done, problems


async def drive_client(c: Client, label: str, until: float, interval: float, times: list, pages: list,
                       errors: list, name: str) -> None:
    await asyncio.sleep(random.uniform(0, interval))
    last = None
    while time.monotonic() < until:
        t0 = time.perf_counter()
        last = new_value(last)
        try:
            took, whole, problems = await c.rerun(label, last)
            times.append(took)
            pages.append(whole)
            errors += [f"{name}: {p}" for p in problems]
        except Exception as exc:                                      # noqa: BLE001 (counted, reported)
            errors.append(f"{name}: no redraw ({type(exc).__name__})")
        await asyncio.sleep(max(0.0, interval + random.uniform(-1, 1) - (time.perf_counter() - t0)))


async def run(url: str, emails: list[str], seconds: float, interval: float, pid: int) -> dict:
    from playwright.async_api import async_playwright
    label = load_params().info("budget.adjustment")["label"]["zh"]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=find_browser(), args=LAUNCH)
        t0 = time.perf_counter()
        tab_ctx, tab = await signed_in_tab(browser, url, emails[0])
        clients = []
        for e in emails[1:]:                                          # signed in one after another
            ctx, _ = await signed_in_tab(browser, url, e)
            clients.append(Client(url, await ctx.cookies()))
            await ctx.close()
        for c in clients:
            await c.open(label)
        print(f"{len(emails)} sessions signed in and on the budget page in {time.perf_counter() - t0:.0f} s",
              flush=True)
        out: dict = {"tab": [], "clients": [], "pages": [], "errors": []}
        until = time.monotonic() + seconds
        cpu0 = cpu_seconds(pid)
        await asyncio.gather(drive_tab(tab, label, until, interval, out["tab"], out["errors"], emails[0]),
                             *(drive_client(c, label, until, interval, out["clients"], out["pages"], out["errors"], e)
                               for c, e in zip(clients, emails[1:])))
        out["cpu"] = cpu_seconds(pid) - cpu0           # the server's, over the measured window
        for c in clients:
            await c.ws.close()
        await tab_ctx.close()
        await browser.close()
    return out


def figures(times: list[float]) -> str:
    if not times:
        return "no redraws"
    times = sorted(times)
    return (f"median {statistics.median(times):.2f} s, p90 {times[math.ceil(0.9 * len(times)) - 1]:.2f} s, "
            f"worst {times[-1]:.2f} s ({len(times)} redraws)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60, help="the measured window")
    ap.add_argument("--interval", type=float, default=4, help="seconds between a session's changes (± 1)")
    ap.add_argument("--city", help="a city data folder (default: bench_data/city_1100000_0 or synth)")
    a = ap.parse_args()
    random.seed(0)
    from oidc_provider_mock import User, run_server_in_thread
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"                  # plain http on localhost only
    logging.getLogger("werkzeug").setLevel(logging.WARNING)          # the provider's request lines
    emails = [f"bench{i:02d}@ybj.example.cn" for i in range(1, a.sessions + 1)]
    users = [User(sub=e, claims={"email": e, "email_verified": True, "name": e.split("@")[0]}) for e in emails]
    with tempfile.TemporaryDirectory() as tmp, run_server_in_thread(user_claims=users) as idp:
        folder = Path(tmp)
        data = city(a.city, folder)
        port = free_port()
        secrets_file = configure(folder, f"http://localhost:{idp.server_port}", port, emails)
        log = folder / "server.log"
        env = dict(os.environ, DIP_DATA=str(data), DIP_IMPORTS=str(folder / "imports"))
        env.pop("DIP_ROLES", None)
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py"), "--port", str(port),
                                     "--secrets", str(secrets_file), "--store", str(folder / "dip.duckdb")],
                                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.5)
            result = asyncio.run(run(url, emails, a.seconds, a.interval, proc.pid))
            rss = peak_rss(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
        errors = result["errors"] + [f"server log: {ln}" for ln in log.read_text(errors="replace").splitlines()
                                     if "Traceback" in ln or " ERROR " in ln]
    every = result["tab"] + result["clients"]
    print(f"{a.sessions} sessions × {a.seconds:.0f} s, a change every {a.interval:g} ± 1 s each: "
          f"{len(every)} redraws, {len(errors)} errors")
    print(f"redraw after a parameter change, all sessions: {figures(every)}  (bar: median < 1.5 s)")
    print(f"  the {a.sessions - 1} light clients: {figures(result['clients'])}; "
          f"the whole page delivered: {figures(result['pages'])}")
    print(f"  the browser tab (drawing included): {figures(result['tab'])}")
    print(f"server CPU over the window: {result['cpu']:.1f} s, {result['cpu'] / max(1, len(every)):.3f} s per redraw")
    print(f"server peak memory (VmHWM): {rss / 1e9:.2f} GB  (bar: < 4 GB)")
    for e in errors[:20]:
        print("  error:", e)


if __name__ == "__main__":
    main()
