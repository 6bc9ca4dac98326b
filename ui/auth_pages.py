"""The pages of the sign-in gate (ui.auth): sign in, sign in again, refused, roles file unusable; and the
account line with the sign-out button in the sidebar. Each page but the last stops the script."""
from __future__ import annotations

from typing import NoReturn

import streamlit as st

from dip_model.access import User
from dip_model.messages import Message

from .i18n import LANGS, t, tr


def _header() -> None:
    """Title and a language switch: nothing of the app is shown before the gate."""
    ss = st.session_state
    left, right = st.columns([5, 1])
    left.title(t("auth_title"))
    other = next(x for x in LANGS if x != ss.get("lang", "zh"))
    if right.button({"zh": "中文", "en": "English"}[other], key="auth_lang"):
        ss["lang"] = other
        st.rerun()


def _sign_in_button(provider: str | None, key: str, label: str) -> None:
    if st.button(label, key=key, type="primary", icon=":material/login:"):
        if provider is None:
            st.login()
        else:
            st.login(provider)


def sign_in(provider: str | None, header: bool = True) -> NoReturn:
    if header:
        _header()
    st.write(t("auth_intro"))
    _sign_in_button(provider, "auth_sign_in", t("auth_sign_in"))
    st.caption(t("auth_sign_in_note"))
    st.stop()


def expired(provider: str | None, email: str) -> NoReturn:
    """Nothing of the app until a fresh sign-in; or sign out here (e.g. to sign in as someone else)."""
    from .auth import NO_ROLE, sign_out
    _header()
    st.warning(t("auth_expired", email=email), icon=":material/schedule:")
    _sign_in_button(provider, "auth_sign_in_again", t("auth_sign_in_again"))
    if st.button(t("auth_sign_out"), key="auth_expired_out", icon=":material/logout:"):
        sign_out(email or "?", NO_ROLE, header_drawn=True)
    st.stop()


def refused(email: str, name: str, why: Message | None) -> NoReturn:
    from .auth import NO_ROLE, sign_out
    _header()
    st.error(t("auth_refused_title"), icon=":material/block:")
    st.write(t("auth_refused_body", name=name, email=email or "—"))
    if why is not None:
        st.caption(tr(why))
    if st.button(t("auth_sign_out"), key="auth_refused_out", icon=":material/logout:"):
        sign_out(email or "?", NO_ROLE, header_drawn=True)
    st.stop()


def roles_problem(detail: str) -> NoReturn:
    _header()
    st.error(t("auth_roles_title"), icon=":material/admin_panel_settings:")
    st.write(detail)
    st.caption(t("auth_roles_admin"))
    st.stop()


def account(user: User) -> None:
    """Who is signed in, as what, and the sign-out button, at the top of the sidebar."""
    from .auth import sign_out
    with st.sidebar:
        st.markdown(t("auth_signed_in_as", name=tr(user.name), role=tr(user.role.label())))
        st.caption(user.email)
        if st.button(t("auth_sign_out"), key="auth_sign_out", icon=":material/logout:", width="stretch"):
            sign_out(user.email, str(user.role))
