"""Load: N simultaneous signed-in sessions on the 1.1 M-case city, each changing a parameter every few seconds.

The app is served as the bureau runs it (scripts/serve.py: sign-in, secure settings) on localhost, signed in
against a local OpenID Connect provider (oidc-provider-mock, in this process). One headless Chromium holds N
browser contexts, each signed in as its own bureau user (the role that sees the whole city) and open on the
预算 page. For the measured window each session, at its own random offset, types a new budget adjustment for
the employee scheme every INTERVAL ± 1 s (asyncio: all sessions at once). The redraw time is from pressing
Enter until the page's budget figure (the first card of the derivation, B) shows the new value. Reported:
errors (redraws that never came, error boxes on a page, errors in the server log), the server's peak
resident memory (VmHWM) and the median and p90 redraw time. Bars: no errors, < 4 GB, median < 1.5 s.

    .venv/bin/python scripts/benchmark_load.py [--sessions 20] [--seconds 60] [--interval 4] [--city DIR]

The city is bench_data/city_1100000_0 when present, else written with `synth --cases 1100000 --seed 0`."""
from __future__ import annotations

import argparse
import asyncio
import logging
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
FIGURE = "[data-testid='stMetricValue']"        # the derivation's first card: the budget B of the scheme
LAUNCH = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


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


async def settle(pg) -> None:
    await pg.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=300_000)
    for _ in range(2):
        await pg.wait_for_timeout(400)
        await pg.wait_for_selector("[data-test-script-state='notRunning']", timeout=300_000)


async def open_session(browser, url: str, email: str, label: str):
    """A context signed in as email, on the budget page; returns (context, page, the adjustment input)."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    pg = await ctx.new_page()
    await pg.goto(url)
    await settle(pg)
    await pg.get_by_role("button", name="登录").click()
    await pg.wait_for_url(re.compile(r"/oauth2/authorize"), timeout=60_000)
    await pg.locator(f"button[name='sub'][value='{email}']").click()
    await pg.wait_for_url(re.compile(re.escape(url)), timeout=120_000)
    await settle(pg)
    await pg.goto(url + "/budget")
    await settle(pg)
    await pg.wait_for_selector(FIGURE, timeout=300_000)
    box = pg.locator(f"[data-testid='stNumberInput'] input[aria-label^='{label}']").first
    await box.wait_for(timeout=60_000)
    return ctx, pg, box


async def drive(pg, box, until: float, interval: float, times: list[float], errors: list[str], name: str) -> None:
    """Change the parameter every interval ± 1 s until `until`; record each redraw time."""
    await asyncio.sleep(random.uniform(0, interval))
    while time.monotonic() < until:
        before = await pg.locator(FIGURE).first.inner_text()
        value = str(random.randrange(10, 500) * 1_000_000)          # 10–500 million yuan
        await box.fill(value)
        t0 = time.perf_counter()
        await box.press("Enter")
        try:
            await pg.wait_for_function("([sel, old]) => { const e = document.querySelector(sel);"
                                       " return e && e.innerText !== old; }", arg=[FIGURE, before],
                                       polling=50, timeout=60_000)
            times.append(time.perf_counter() - t0)
        except Exception as exc:                                      # noqa: BLE001 (counted, reported)
            errors.append(f"{name}: no redraw ({type(exc).__name__})")
        if await pg.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count():
            errors.append(f"{name}: an error box on the page")
        await asyncio.sleep(max(0.0, interval + random.uniform(-1, 1) - (time.perf_counter() - t0)))


async def run(url: str, emails: list[str], seconds: float, interval: float) -> tuple[list[float], list[str], float]:
    from playwright.async_api import async_playwright
    label = load_params().info("budget.adjustment")["label"]["zh"]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=find_browser(), args=LAUNCH)
        t0 = time.perf_counter()
        sessions = [await open_session(browser, url, e, label) for e in emails]     # one after another
        signed = time.perf_counter() - t0
        print(f"{len(sessions)} sessions signed in and on the budget page in {signed:.0f} s", flush=True)
        times: list[float] = []
        errors: list[str] = []
        until = time.monotonic() + seconds
        await asyncio.gather(*(drive(pg, box, until, interval, times, errors, e)
                               for (_, pg, box), e in zip(sessions, emails)))
        for ctx, _, _ in sessions:
            await ctx.close()
        await browser.close()
    return times, errors, signed


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
            times, errors, _ = asyncio.run(run(url, emails, a.seconds, a.interval))
            rss = peak_rss(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
        server_errors = [ln for ln in log.read_text(errors="replace").splitlines()
                         if "Traceback" in ln or " ERROR " in ln]
    errors += [f"server log: {ln}" for ln in server_errors]
    times.sort()
    med = statistics.median(times) if times else float("nan")
    p90 = times[int(0.9 * (len(times) - 1))] if times else float("nan")
    print(f"{a.sessions} sessions × {a.seconds:.0f} s, a change every {a.interval:g} ± 1 s each: "
          f"{len(times)} redraws, {len(errors)} errors")
    print(f"redraw after a parameter change: median {med:.2f} s, p90 {p90:.2f} s, worst {times[-1] if times else 0:.2f} s"
          f"  (bar: median < 1.5 s)")
    print(f"server peak memory (VmHWM): {rss / 1e9:.2f} GB  (bar: < 4 GB)")
    for e in errors[:20]:
        print("  error:", e)


if __name__ == "__main__":
    main()
