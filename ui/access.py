"""The access layer in the app: the session's user (signed in by ui.auth), the pages each role reaches, a
refusal drawn in place of a page, and the audit trail of what users do (sign-in is recorded by ui.auth).

The data itself is filtered in ui.state (dataset, results) and ui.hospital (results) with
dip_model.access's views; this module never holds data."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import NoReturn

import streamlit as st

import dip_model
from dip_model.access import AccessDenied, User, can

from .i18n import t, tr

log = logging.getLogger("dip.ui")
PAGES = Path(__file__).resolve().parent.parent / "pages"

# pages each role reaches besides the bureau's (the bureau: every page). Reasons in app.py's docstring.
HOSPITAL_PAGES = frozenset({"overview", "hospital_outlook", "hospital_margins", "hospital_warnings",
                            "hospital_breakdown", "hospital_mix", "hospital_forecast", "hospitals", "groups",
                            "bands", "rules", "scenarios", "reports", "present"})
VIEWER_PAGES = frozenset({"scenarios", "present"})
BUREAU_ONLY = frozenset({"audit"})


class Refused(Exception):
    """A refusal worded by the app (its text in the page's language), drawn like AccessDenied."""


def user() -> User:
    """The user of this session (ui.auth.gate has run: app.py calls it first)."""
    from . import auth
    found = st.session_state.get(auth.K_USER)
    return found if isinstance(found, User) else auth.current_user()


def may_open(page: str, who: User | None = None) -> bool:
    """Whether the role reaches the page (app.py's navigation key)."""
    who = who or user()
    kind = who.role.kind
    if kind == "bureau":
        return True
    if page in BUREAU_ONLY:
        return False
    return page in (HOSPITAL_PAGES if kind == "hospital" else VIEWER_PAGES)


def refuse(err: AccessDenied | Refused | str) -> NoReturn:
    """The refusal, in place of what was asked for; the script stops."""
    st.error(t("acc_refused_title"), icon=":material/block:")
    st.markdown(tr(err) if isinstance(err, AccessDenied) else str(err))
    st.caption(t("acc_refused_note"))
    st.stop()


def refuse_page() -> NoReturn:
    refuse(t("acc_page_refused", role=tr(user().role.label())))


def guard_page(path: str) -> None:
    """A page of pages/ run for a role that does not reach it: the refusal instead (ui.state.run_page calls
    this for every page, so a page reached without app.py's navigation is refused all the same)."""
    where = Path(path)
    if where.parent == PAGES and not may_open(where.stem):
        refuse_page()


def audit(action: str, target: str = "", dataset: str = "", params: str = "", detail: str = "",
          who: User | None = None) -> None:
    """One entry in the audit trail for this session's user (or `who`); a store that cannot be written is
    logged, never shown as a traceback (the action itself has happened)."""
    from dip_model.data.store import Store
    who = who or user()
    try:
        Store.default().audit(who.who(), str(who.role), action, target=str(target), dataset=str(dataset),
                              params=str(params), detail=str(detail))
    except dip_model.DipError as err:
        log.error("audit %s for %s not recorded: %s", action, who.who(), err)


def fingerprints() -> tuple[str, str]:
    """The working dataset's version and the working parameters' digest, for an audit entry."""
    from . import state
    try:
        version = state.full_dataset().version
    except dip_model.DipError:
        version = ""
    p, _ = state.params_or_error()
    return version, p.digest() if p is not None else ""


def audited(action: str, target: str, build):
    """A download's data callable that records the export when the file is built (on click: outside the
    script run, without the session, so who and what are taken now)."""
    version, digest = fingerprints()
    who = user()

    def run():
        out = build()
        audit(action, target, dataset=version, params=digest, who=who)
        return out
    return run


def check(action: str) -> None:
    """AccessDenied unless this session's user may do `action` (dip_model.access rights)."""
    from dip_model.access import require
    require(user(), action)


def allowed(action: str) -> bool:
    return can(user(), action)
