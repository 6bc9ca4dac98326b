"""The sign-in gate (ui.auth) in AppTest: no [auth] → the local user and nothing else drawn; with [auth], the
sign-in page, the role from the roles file (by e-mail or group), the refusal, the expired sign-in, an unusable
roles file, the sign-out; and what goes to the audit trail."""
import time

import pytest
from streamlit.testing.v1 import AppTest

from ui import auth

SCRIPT = """
import streamlit as st
from ui import auth
user = auth.gate()
st.write("INSIDE", user.email, str(user.role))
"""
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 40,
        "client_id": "dip", "client_secret": "s", "server_metadata_url": "http://idp/.well-known/openid-configuration"}
ROLES = """
group_claim: groups
users:
  chief@ybj.example.cn: bureau
  caiwu@h001.example.cn: hospital:H001
  guest@ybj.example.cn: viewer
groups:
  dip-h002: hospital:H002
"""


@pytest.fixture
def audited(monkeypatch):
    monkeypatch.setattr(auth, "_SEEN", set())
    calls = []
    monkeypatch.setattr(auth, "audit", lambda email, role, action, **kw: calls.append((email, role, action)))
    return calls


@pytest.fixture
def roles_file(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text(ROLES, encoding="utf-8")
    return path


def app(roles_path=None, user=None, lang="zh", signed_in=True):
    at = AppTest.from_string(SCRIPT, default_timeout=30)
    at.session_state["lang"] = lang
    at.secrets["auth"] = AUTH
    if roles_path is not None:
        at.secrets["dip"] = {"roles_file": str(roles_path)}
    claims = {"is_logged_in": signed_in, "iat": int(time.time()), "exp": int(time.time()) + 3600}
    at.user = {**claims, **(user or {})}
    return at


def texts(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "error", "warning", "caption", "title")
                    for e in getattr(at, kind))


def test_no_sign_in_configured_is_the_local_user_with_nothing_drawn():
    at = AppTest.from_string(SCRIPT, default_timeout=30).run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["INSIDE  bureau"]
    assert not at.button and not at.sidebar.button


def test_not_signed_in_gets_the_sign_in_page_in_chinese_then_english(roles_file, audited):
    at = app(roles_file, signed_in=False).run()
    assert not at.exception and "INSIDE" not in texts(at)
    assert at.button(key="auth_sign_in").label == "登录"
    assert "仅限经授权" in texts(at)
    at.button(key="auth_lang").click().run()
    assert at.button(key="auth_sign_in").label == "Sign in"
    assert audited == []


@pytest.mark.parametrize("email, groups, role", [
    ("chief@ybj.example.cn", [], "bureau"),
    ("CaiWu@H001.example.cn", [], "hospital:H001"),
    ("guest@ybj.example.cn", [], "viewer"),
    ("someone@h002.example.cn", ["/dip-h002"], "hospital:H002"),
])
def test_signed_in_users_get_their_role_and_one_sign_in_record(roles_file, audited, email, groups, role):
    at = app(roles_file, {"email": email, "name": "张伟", "groups": groups}).run()
    assert not at.exception
    assert at.main.markdown[-1].value == f"INSIDE {email} {role}"
    assert "张伟" in at.sidebar.markdown[0].value
    assert at.sidebar.button(key="auth_sign_out").label == "退出登录"
    at.run()                                                     # a rerun is not another sign-in
    assert audited == [(email, role, "sign_in")]
    assert at.session_state[auth.K_USER].email == email


def test_an_unlisted_user_is_refused_with_who_they_are_and_whom_to_ask(roles_file, audited):
    at = app(roles_file, {"email": "stranger@example.com", "name": "王五"}).run()
    assert not at.exception and "INSIDE" not in texts(at)
    assert "王五" in texts(at) and "stranger@example.com" in texts(at) and "系统管理员" in texts(at)
    assert auth.K_USER not in at.session_state
    at.run()
    assert audited == [("stranger@example.com", "none", "refused")]
    at.button(key="auth_refused_out").click().run()
    assert audited[-1] == ("stranger@example.com", "none", "sign_out")
    assert at.button(key="auth_sign_in")                        # signed out: the sign-in page


def test_an_expired_sign_in_asks_to_sign_in_again(roles_file, audited):
    at = app(roles_file, {"email": "chief@ybj.example.cn", "exp": int(time.time()) - 5}).run()
    assert not at.exception and "INSIDE" not in texts(at)
    assert "已过期" in at.warning[0].value
    assert at.button(key="auth_sign_in_again").label == "重新登录"
    assert audited == [] and auth.K_USER not in at.session_state
    at.button(key="auth_expired_out").click().run()
    assert audited == [("chief@ybj.example.cn", "none", "sign_out")]
    assert at.button(key="auth_sign_in")                        # signed out: the sign-in page


@pytest.mark.parametrize("content, expected", [
    (None, "找不到角色文件"),
    ("users: [", "无法读取"),
    ("users:\n  a@b.cn: superuser\n", "无法读取"),
])
def test_an_unusable_roles_file_lets_nobody_in(tmp_path, audited, content, expected):
    path = tmp_path / "roles.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    at = app(path, {"email": "chief@ybj.example.cn"}).run()
    assert not at.exception and "INSIDE" not in texts(at)
    assert "系统暂不可用" in at.error[0].value and expected in texts(at)
    assert audited == []


def test_no_roles_file_named_lets_nobody_in(monkeypatch, audited):
    monkeypatch.delenv(auth.ENV_ROLES, raising=False)
    at = app(None, {"email": "chief@ybj.example.cn"}).run()
    assert not at.exception and "INSIDE" not in texts(at)
    assert "[dip] roles_file" in texts(at)


def test_the_env_names_the_roles_file_when_the_secrets_do_not(monkeypatch, roles_file, audited):
    monkeypatch.setenv(auth.ENV_ROLES, str(roles_file))
    at = app(None, {"email": "chief@ybj.example.cn"}).run()
    assert at.main.markdown[-1].value == "INSIDE chief@ybj.example.cn bureau"


def test_an_edited_roles_file_applies_at_the_next_run(roles_file, audited):
    at = app(roles_file, {"email": "guest@ybj.example.cn"}).run()
    assert at.main.markdown[-1].value.endswith("viewer")
    roles_file.write_text(ROLES.replace("guest@ybj.example.cn: viewer", "guest@ybj.example.cn: bureau  "),
                          encoding="utf-8")
    at.run()
    assert at.main.markdown[-1].value.endswith("bureau")


def test_sign_out_is_recorded_and_returns_to_the_sign_in_page(roles_file, audited):
    at = app(roles_file, {"email": "chief@ybj.example.cn"}).run()
    at.sidebar.button(key="auth_sign_out").click().run()
    assert audited == [("chief@ybj.example.cn", "bureau", "sign_in"), ("chief@ybj.example.cn", "bureau", "sign_out")]
    assert at.button(key="auth_sign_in") and "INSIDE" not in texts(at)


def test_configuration_helpers(tmp_path):
    assert auth.auth_problems({}) == ["[auth]"]
    assert auth.auth_problems({"auth": AUTH}) == []
    named = {"auth": {"redirect_uri": "r", "cookie_secret": "c", "keycloak": {"client_id": "dip"}}}
    assert auth.provider_name(named["auth"]) == "keycloak"
    assert auth.provider_name(AUTH) is None
    assert auth.auth_problems(named) == ["[auth.keycloak] client_secret", "[auth.keycloak] server_metadata_url"]
    assert auth.roles_path({"dip": {"roles_file": "conf/roles.yaml"}}, {}) == auth.ROOT / "conf" / "roles.yaml"
    assert auth.roles_path({}, {auth.ENV_ROLES: str(tmp_path / "r.yaml")}) == tmp_path / "r.yaml"
    assert auth.roles_path({}, {}) is None
    assert auth.expired({"exp": 100}, now=101) and not auth.expired({"exp": 200}, now=101)
    assert not auth.expired({}) and not auth.expired({"exp": True}, now=101)
