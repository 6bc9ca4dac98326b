"""Who is using the app.

No sign-in configured (no [auth] section in secrets.toml): the one local user with bureau powers, and the
app is exactly the single-user tool. Sign-in configured: the user signs in at the bureau's identity
provider (st.login, OpenID Connect); the roles file (secrets [dip] roles_file, else env DIP_ROLES) gives
the role. Nobody gets past gate() without a role: not signed in, an expired sign-in, a roles file that
cannot be read, or a user the file does not name each get a page of their own and the script stops.
Sign-in, refusal and sign-out go to the audit trail in the store."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import streamlit as st
import yaml

import dip_model
from dip_model.access import RoleMap, User, load_roles

from .i18n import t, tr

ROOT = Path(__file__).resolve().parent.parent
K_USER = "auth_user"                       # the signed-in User, for the pages
ENV_ROLES = "DIP_ROLES"
NO_ROLE = "none"                           # the role recorded for a refused user
AUTH_KEYS = ("redirect_uri", "cookie_secret")                         # [auth] itself
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")  # [auth] or one [auth.<name>]
ROLES_KEY = ("dip", "roles_file")                                     # [dip] roles_file
ROLE_PROBLEMS = (dip_model.DipError, OSError, ValueError, TypeError, KeyError, yaml.YAMLError)

log = logging.getLogger("dip.ui")


class RolesUnavailable(Exception):
    """The roles file is not configured, missing or malformed: nobody can be let in."""


# --- configuration (pure: the launcher checks the same) ----------------------------------------

def provider_name(auth: Mapping[str, Any]) -> str | None:
    """The provider st.login() is called with: None when [auth] holds the client itself, else the first
    [auth.<name>] subsection (docs/deploy.md configures one)."""
    if "client_id" in auth:
        return None
    return next((k for k, v in auth.items() if isinstance(v, Mapping)), None)


def auth_problems(secrets: Mapping[str, Any]) -> list[str]:
    """The [auth] entries that are missing (names as written in secrets.toml); empty when complete."""
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping):
        return ["[auth]"]
    missing = [f"[auth] {k}" for k in AUTH_KEYS if not auth.get(k)]
    name = provider_name(auth)
    section = auth if name is None else auth[name]
    where = "[auth]" if name is None else f"[auth.{name}]"
    return missing + [f"{where} {k}" for k in PROVIDER_KEYS if not section.get(k)]


def roles_path(secrets: Mapping[str, Any], env: Mapping[str, str] = os.environ) -> Path | None:
    """The roles file: secrets [dip] roles_file, else env DIP_ROLES; relative to the project folder."""
    dip = secrets.get(ROLES_KEY[0])
    raw = (dip.get(ROLES_KEY[1]) if isinstance(dip, Mapping) else None) or env.get(ENV_ROLES)
    if not raw:
        return None
    path = Path(str(raw)).expanduser()
    return path if path.is_absolute() else ROOT / path


# --- the session -------------------------------------------------------------------------------

def configured() -> bool:
    """True when secrets.toml has an [auth] section (sign-in on)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:             # no secrets file at all: the single-user app
        return False


@st.cache_resource(show_spinner=False, max_entries=4)
def _roles(path: str, signature: tuple[int, int]) -> RoleMap:
    return load_roles(path)


def roles() -> RoleMap:
    """The roles file, read again whenever it changes (an administrator's edit applies at the next click)."""
    path = roles_path(st.secrets)
    if path is None:
        raise RolesUnavailable(t("auth_roles_unset", entry="[dip] roles_file", env=ENV_ROLES))
    try:
        stat = path.stat()
        return _roles(str(path), (stat.st_mtime_ns, stat.st_size))
    except FileNotFoundError:
        raise RolesUnavailable(t("auth_roles_missing", path=str(path))) from None
    except ROLE_PROBLEMS as err:
        log.warning("roles file %s unusable: %s", path, err)
        raise RolesUnavailable(t("auth_roles_bad", path=str(path), err=tr(err))) from None


def _claims() -> dict[str, Any]:
    return {k: v for k, v in st.user.to_dict().items() if k != "tokens"}


def expired(claims: Mapping[str, Any], now: float | None = None) -> bool:
    """The ID token's expiry (exp, seconds since 1970) has passed. No exp: not expired."""
    exp = claims.get("exp")
    return isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp <= (now or time.time())


def audit(email: str, role: str, action: str, **kw: str) -> None:
    """One line in the audit trail; a store that cannot be written is logged, never shown as a traceback."""
    from dip_model.data.store import Store
    try:
        Store.default().audit(email, role, action, **kw)
    except dip_model.DipError as err:
        log.error("audit %s for %s not recorded: %s", action, email, err)


_SEEN: set[tuple[str, str, str]] = set()   # (action, e-mail, token issue time) recorded by this server


def _audit_once(email: str, role: str, action: str, claims: Mapping[str, Any], **kw: str) -> None:
    """Recorded once per ID token, i.e. per sign-in at the provider: a page reload or a second tab is not
    another sign-in."""
    key = (action, email, str(claims.get("iat", "")))
    if key not in _SEEN:
        if len(_SEEN) > 100_000:
            _SEEN.clear()
        _SEEN.add(key)
        audit(email, role, action, **kw)


def current_user() -> User:
    """The user of this session; when sign-in is on and nobody may be let in, the page that says why is
    drawn and the script stops here."""
    ss = st.session_state
    if not configured():
        ss[K_USER] = User.local()
        return ss[K_USER]
    from . import auth_pages as pages
    auth = st.secrets["auth"]
    provider = provider_name(auth)
    if not st.user.get("is_logged_in"):
        ss.pop(K_USER, None)
        pages.sign_in(provider)
    claims = _claims()
    email = str(claims.get("email") or "")
    name = str(claims.get("name") or claims.get("preferred_username") or email)
    if expired(claims):
        ss.pop(K_USER, None)
        pages.expired(provider, email)
    try:
        role_map = roles()
    except RolesUnavailable as err:
        ss.pop(K_USER, None)
        pages.roles_problem(str(err))
    role = role_map.resolve(email, claims)
    if role is None:
        ss.pop(K_USER, None)
        why = role_map.refusal(email, claims)
        _audit_once(email or "?", NO_ROLE, "refused", claims, detail=tr(why, "en") if why is not None else "")
        pages.refused(email, name, why)
    user = User(email, name, role)
    _audit_once(email, str(role), "sign_in", claims)
    ss[K_USER] = user
    return user


def gate() -> User:
    """app.py, before the navigation: the user, and with sign-in on who they are and a sign-out button in
    the sidebar."""
    user = current_user()
    if configured():
        from . import auth_pages
        auth_pages.account(user)
    return user


def sign_out(email: str, role: str, header_drawn: bool = False) -> NoReturn:
    """Recorded; the identity cookie cleared and the provider's session ended (st.logout, which sends the
    browser to the provider); the sign-in page is drawn and the run stops, with no rerun: a rerun could
    start before the redirect reached the browser and drop it (seen with Streamlit's post-run collection
    off, as ./dip serve runs it)."""
    from . import auth_pages
    audit(email, role, "sign_out")
    st.session_state.pop(K_USER, None)
    st.logout()
    auth_pages.sign_in(provider_name(st.secrets["auth"]), header=not header_drawn)
