"""A running app (streamlit run app.py on a small synthetic city) and a headless Chromium driving it."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dip_model.report import fonts
from dip_model.report.browser import find_browser, install_command
from signin_support import oidc_provider, served_url, signed_in_page  # noqa: F401  (the sign-in fixtures)

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def city(tmp_path_factory):
    from dip_model.data.synth import write_city
    folder = tmp_path_factory.mktemp("city")
    write_city(folder, n_cases=4000, seed=11)
    return folder


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, city):
    port = _free_port()
    env = dict(os.environ, DIP_DATA=str(city), DIP_STORE=str(tmp_path_factory.mktemp("store") / "dip.duckdb"),
               DIP_IMPORTS=str(tmp_path_factory.mktemp("imports")))      # an import in a test stays out of data/
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
         "--server.fileWatcherType=none"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the app did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def browser():
    path = find_browser()
    if path is None:
        pytest.fail(f"no Chrome, Chromium or Edge found; install one with: {install_command()}")
    from playwright.sync_api import sync_playwright
    # the page's Chinese drawn with the bundled font, whatever fonts the machine has
    env = dict(os.environ, FONTCONFIG_FILE=str(fonts.fontconfig_file())) if fonts.uses_fontconfig() else None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, env=env,
                              args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    pg = ctx.new_page()
    yield pg
    ctx.close()
