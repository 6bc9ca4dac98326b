"""Sign-in in a real browser against a real OpenID Connect provider (oidc-provider-mock, started by the
tests): each role lands in the app under its name, the unlisted user is refused, sign-out returns to the
sign-in page, an expired ID token asks to sign in again, the app without sign-in opens as before, and the
served mode has XSRF protection on and no error details in the browser."""
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta

import pytest

from e2e_support import ROOT, settle, shot
from signin_support import USERS, free_port, provider, served, sign_in, wait_healthy, write_config

SIGNED_IN = "[data-testid='stSidebar']"


def sidebar_text(pg) -> str:
    return pg.locator(SIGNED_IN).inner_text()


@pytest.mark.parametrize("who, role", [("bureau", "医保局"), ("H001", "H001"), ("viewer", "只读"),
                                       ("group_h002", "H002")])
def test_each_role_signs_in_and_lands_in_the_app_under_its_name(signed_in_page, who, role):
    pg = signed_in_page(who)
    side = sidebar_text(pg)
    assert USERS[who].name in side and role in side and USERS[who].email in side
    assert pg.get_by_role("button", name="退出登录").is_visible()
    assert not pg.get_by_text("仅限经授权").is_visible()          # the sign-in page is gone
    assert pg.locator("[data-testid='stSidebarNav']").count() == 1
    shot(pg, f"signin_{who}")


def test_the_unlisted_user_gets_the_refusal_page_and_no_navigation(signed_in_page):
    pg = signed_in_page("unlisted")
    body = pg.locator("[data-testid='stMain']").inner_text()
    assert "没有本系统的使用权限" in body and USERS["unlisted"].email in body and "系统管理员" in body
    assert pg.locator("[data-testid='stSidebarNav']").count() == 0
    assert pg.locator("[data-testid='stMetricValue']").count() == 0
    shot(pg, "signin_refused")


def test_sign_out_returns_to_the_sign_in_page(signed_in_page, served_url):
    pg = signed_in_page("viewer")
    pg.get_by_role("button", name="退出登录").click()
    pg.wait_for_url(re.compile(r"localhost:\d+/oauth2/end_session"), timeout=30_000)
    pg.locator("form button[type='submit']").first.click()           # the provider's "end the session"
    pg.wait_for_url(re.compile(re.escape(served_url)), timeout=30_000)
    settle(pg)
    assert pg.get_by_role("button", name="登录").is_visible()
    assert pg.locator("[data-testid='stSidebarNav']").count() == 0
    pg.reload()
    settle(pg)
    assert pg.get_by_role("button", name="登录").is_visible()            # the cookie is gone too


def test_an_expired_sign_in_asks_to_sign_in_again(browser, city, tmp_path):
    """A provider whose ID tokens live 8 s: in the app at first, asked to sign in again after expiry."""
    with provider(max_age=timedelta(seconds=8)) as idp, served(tmp_path, city, idp) as url:
        ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        try:
            pg = ctx.new_page()
            sign_in(pg, url, "bureau")
            signed_at = time.time()
            assert USERS["bureau"].name in sidebar_text(pg)
            pg.wait_for_timeout(max(0.0, 9.5 - (time.time() - signed_at)) * 1000)
            pg.reload()
            settle(pg)
            body = pg.locator("[data-testid='stMain']").inner_text()
            assert "登录已过期" in body and USERS["bureau"].email in body
            assert pg.locator("[data-testid='stSidebarNav']").count() == 0
            shot(pg, "signin_expired")
            pg.get_by_role("button", name="重新登录").click()
            pg.wait_for_url(re.compile(r"localhost:\d+/oauth2/authorize"), timeout=30_000)
            pg.locator(f"button[name='sub'][value='{USERS['bureau'].email}']").click()
            pg.wait_for_url(re.compile(re.escape(url)), timeout=30_000)
            settle(pg)
            assert USERS["bureau"].name in sidebar_text(pg)              # a fresh token: back in
        finally:
            ctx.close()
        from dip_model.data.store import Store
        log = Store(tmp_path / "dip.duckdb").audit_log()
        assert list(log["action"]).count("sign_in") == 2               # two tokens, two sign-ins


def test_without_sign_in_configured_the_app_opens_directly(page, app_url):
    page.goto(app_url)
    settle(page)
    assert page.locator("[data-testid='stMetricValue']").count() > 0
    assert page.get_by_role("button", name="登录").count() == 0
    assert page.get_by_role("button", name="退出登录").count() == 0


def test_served_mode_requires_the_xsrf_token(signed_in_page, served_url):
    pg = signed_in_page("bureau")
    cookies = {c["name"] for c in pg.context.cookies()}
    assert "_streamlit_xsrf" in cookies
    done = pg.context.request.put(f"{served_url}/_stcore/upload_file/some-session/some-file",
                                  multipart={"file": {"name": "x.csv", "mimeType": "text/csv", "buffer": b"a,b\n"}})
    assert done.status == 403                                          # no X-Xsrftoken header


def test_served_mode_shows_no_error_details(browser, tmp_path):
    """The launcher's Streamlit settings on a script that fails: the browser gets a generic notice only."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import serve
    crash = tmp_path / "crash.py"
    crash.write_text("import streamlit as st\nst.write('before')\nraise ValueError('geheim-detail-42')\n",
                     encoding="utf-8")
    port = free_port()
    secrets = write_config(tmp_path / "conf", "http://localhost:1", port)
    cmd, env = serve.prepare(["--port", str(port), "--secrets", str(secrets), "--store", str(tmp_path / "s.duckdb")],
                             {k: v for k, v in os.environ.items() if k != "DIP_ROLES"})
    cmd[cmd.index(str(ROOT / "app.py"))] = str(crash)
    log = tmp_path / "crash.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log)
        ctx = browser.new_context()
        pg = ctx.new_page()
        pg.goto(url)
        settle(pg)
        body = pg.locator("[data-testid='stMain']").inner_text()
        assert "before" in body
        assert "geheim-detail-42" not in body and "ValueError" not in body and "Traceback" not in body
        assert pg.locator("[data-testid='stException']").count() == 1         # the generic notice
        ctx.close()
        assert urllib.request.urlopen(url + "/_stcore/health").read() == b"ok"
    finally:
        proc.terminate()
        proc.wait(10)
    assert "geheim-detail-42" in log.read_text()                               # in the server's log instead
