"""审计日志 Audit trail: who did what and when (sign-in, import, scenario save / rename / delete / publish,
every export), newest first, filtered by user, action and date; exported as CSV or Excel, which is itself
recorded. The bureau's only (right read_audit, checked here, not only by the navigation)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dip_model.data.store import AUDIT_ACTIONS, Store
from ui import access, state
from ui.export import download_csv, download_excel
from ui.i18n import t
from ui.texts import fixed

ALL = "__all__"
SHOWN_ROWS = 5000                 # entries on screen; every entry of the filter in the downloads


def action_label(a: str) -> str:
    return t(f"aud_action_{a}")


def frame(log: pd.DataFrame) -> pd.DataFrame:
    """The entries as shown: local time is not known on the server, so the time is written as UTC."""
    out = log.copy()
    out["action"] = out["action"].map(action_label)
    return out.rename(columns={c: t(f"aud_col_{c}") for c in out.columns})


def filtered(log: pd.DataFrame, who: str, action: str, days: tuple) -> pd.DataFrame:
    keep = pd.Series(True, index=log.index)
    if who != ALL:
        keep &= log["user"] == who
    if action != ALL:
        keep &= log["action"] == action
    if len(days) == 2:
        day = pd.to_datetime(log["time_utc"]).dt.date
        keep &= (day >= days[0]) & (day <= days[1])
    return log[keep].reset_index(drop=True)


def page() -> None:
    st.title(t("nav_audit"))
    access.check("read_audit")
    st.caption(t("aud_intro"))
    log = Store.default().audit_log()
    if log.empty:
        st.info(t("aud_empty"))
        return
    users = [ALL, *sorted(log["user"].unique())]
    actions = [ALL, *[a for a in AUDIT_ACTIONS if a in set(log["action"])]]
    first = pd.to_datetime(log["time_utc"]).min().date()
    c = st.columns([2, 2, 3])
    who = c[0].selectbox(t("aud_user"), users, key="aud_user", format_func=fixed({ALL: t("aud_all")}))
    action = c[1].selectbox(t("aud_action"), actions, key="aud_action",
                            format_func=fixed({ALL: t("aud_all"), **{a: action_label(a) for a in actions[1:]}}))
    days = c[2].date_input(t("aud_days"), value=(first, dt.datetime.now(dt.timezone.utc).date()), key="aud_days")
    rows = filtered(log, who, action, tuple(days) if isinstance(days, (tuple, list)) else ())
    st.caption(t("aud_count", n=len(rows), total=len(log)))
    shown = frame(rows)
    st.dataframe(shown.head(SHOWN_ROWS), hide_index=True, width="stretch", key="aud_table")
    name = t("aud_file")
    d = st.columns(2)
    with d[0]:
        download_excel(shown, name, "aud_xlsx")
    with d[1]:
        download_csv(shown, name, "aud_csv", t("aud_dl_csv"))


state.run_page(page)
