"""App start-up time: from `streamlit run app.py` until the overview shows its point values in a
browser that is already open (headless Chromium through Playwright).

First start: no sample city yet (it is generated, read and stored). Later start: a new server process
on the same sample and store (read back from the embedded store, nothing parsed).

    .venv/bin/python scripts/benchmark_start.py [--runs 3]
"""
from __future__ import annotations

import argparse
import os
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
from dip_model.report.browser import find_browser  # noqa: E402

BROWSER = find_browser()
READY = "[data-testid='stMetricValue']"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_once(page, env: dict) -> dict:
    """Seconds from launching the server to: health check answering, and the point value shown."""
    port = _port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
         "--server.fileWatcherType=none"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.perf_counter() - t0 > 120:
                    raise RuntimeError("the app did not start")
                time.sleep(0.05)
        t_health = time.perf_counter() - t0
        page.goto(url)
        page.wait_for_selector(READY, timeout=120_000)
        t_figures = time.perf_counter() - t0
        return {"server_up": t_health, "figures_shown": t_figures}
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="later starts to time")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        env = dict(os.environ, DIP_SAMPLE_DIR=str(Path(tmp) / "sample"), DIP_STORE=str(Path(tmp) / "dip.duckdb"))
        env.pop("DIP_DATA", None)
        browser = pw.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        first = start_once(page, env)
        print(f"first start (sample generated and stored): server up {first['server_up']:.1f} s, "
              f"figures shown {first['figures_shown']:.1f} s")
        later = [start_once(page, env) for _ in range(a.runs)]
        med = {k: statistics.median(r[k] for r in later) for k in later[0]}
        print(f"later start, median of {a.runs}: server up {med['server_up']:.1f} s, "
              f"figures shown {med['figures_shown']:.1f} s "
              "(runs: " + ", ".join(f"{r['figures_shown']:.1f}" for r in later) + ")")
        browser.close()


if __name__ == "__main__":
    main()
