"""Sign-in for the browser tests: a real OpenID Connect provider (oidc-provider-mock) in a thread of the test
process, the served app (scripts/serve.py) with a secrets.toml and roles file of the test's own, and a page
signed in as one of the test users. conftest.py imports the fixtures; a later test of what a role may see is

    def test_something(signed_in_page):
        pg = signed_in_page("H001")          # bureau | H001 | viewer | group_h002 | unlisted
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from e2e_support import settle

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class TestUser:
    email: str
    name: str
    groups: tuple[str, ...] = ()


USERS = {
    "bureau": TestUser("chief@ybj.example.cn", "张局长"),
    "H001": TestUser("caiwu@h001.example.cn", "李会计"),
    "viewer": TestUser("guest@ybj.example.cn", "赵访客"),
    "group_h002": TestUser("finance@h002.example.cn", "王财务", ("/dip-h002",)),   # by the groups claim
    "unlisted": TestUser("stranger@example.com", "陌生人"),
}
ROLES = """# roles of the browser tests
group_claim: groups
users:
  chief@ybj.example.cn: bureau
  caiwu@h001.example.cn: hospital:H001
  guest@ybj.example.cn: viewer
groups:
  dip-h002: hospital:H002
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def provider(max_age: timedelta = timedelta(hours=1)):
    """A provider on a free port knowing USERS (sub = e-mail; e-mail, name and groups in the ID token, which
    expires after max_age); yields its base URL."""
    from oidc_provider_mock import User, run_server_in_thread
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"          # plain http on localhost, in this test process
    users = [User(sub=u.email, claims={"email": u.email, "email_verified": True, "name": u.name,
                                       **({"groups": list(u.groups)} if u.groups else {})}) for u in USERS.values()]
    with run_server_in_thread(access_token_max_age=max_age, user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


def write_config(folder: Path, idp: str, port: int) -> Path:
    """secrets.toml (mode 600, as the launcher demands) and roles.yaml in folder; returns the secrets file."""
    folder.mkdir(parents=True, exist_ok=True)
    roles = folder / "roles.yaml"
    roles.write_text(ROLES, encoding="utf-8")
    path = folder / "secrets.toml"
    path.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "dip-whatif"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{idp}/.well-known/openid-configuration"

[dip]
roles_file = "{roles.as_posix()}"
""", encoding="utf-8")
    path.chmod(0o600)
    return path


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(240):
        if proc.poll() is not None:
            pytest.fail(f"the served app stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail("the served app did not start")


@contextmanager
def served(folder: Path, city: Path, idp: str):
    """The app through scripts/serve.py on a free port, signed in against idp; yields its URL."""
    port = free_port()
    secrets_file = write_config(folder, idp, port)
    env = dict(os.environ, DIP_DATA=str(city), DIP_IMPORTS=str(folder / "imports"))
    env.pop("DIP_ROLES", None)
    log = folder / "streamlit.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py"), "--port", str(port),
                                 "--secrets", str(secrets_file), "--store", str(folder / "dip.duckdb")],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def sign_in(pg, url: str, who: str) -> None:
    """From the app's sign-in page through the provider's form back into the app, as USERS[who]."""
    pg.goto(url)
    settle(pg)
    pg.get_by_role("button", name=re.compile("登录|Sign in")).first.click()
    pg.wait_for_url(re.compile(r"localhost:\d+/oauth2/authorize"), timeout=30_000)
    pg.locator(f"button[name='sub'][value='{USERS[who].email}']").click()
    pg.wait_for_url(re.compile(re.escape(url)), timeout=30_000)
    settle(pg)


@pytest.fixture(scope="session")
def oidc_provider():
    with provider() as base:
        yield base


@pytest.fixture(scope="session")
def served_url(tmp_path_factory, city, oidc_provider):
    with served(tmp_path_factory.mktemp("served"), city, oidc_provider) as url:
        yield url


@pytest.fixture
def signed_in_page(browser, served_url):
    """signed_in_page(who) → a page of a fresh browser context, signed in as USERS[who] and settled."""
    contexts = []

    def open_as(who: str):
        ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        contexts.append(ctx)
        pg = ctx.new_page()
        sign_in(pg, served_url, who)
        return pg

    yield open_as
    for ctx in contexts:
        ctx.close()
