"""The city's published figures a hospital folder is settled with (docs/data-contract.md, Hospital folders):
the settlement point value per scheme (A-34), the budget point value or its monthly values (A-17, A-32), M
(A-16) and the hospital's level coefficient (A-22). They are parameters of the working scenario, entered
here: in the sidebar once they are complete, and in the page itself, under the engine's own message, while
one is missing (the engine refuses the folder until then)."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

import dip_model
from dip_model.data.dataset import SCHEMES
from dip_model.rules.coefficients import year_categories
from dip_model.rules.pipeline import check_hospital_folder, prepared

from . import state, widgets
from .i18n import current_lang, t, tr
from .texts import level_text


def schemes(data: dip_model.DataSet) -> list[str]:
    """The schemes the folder has cases in (those whose point value must be given)."""
    present = set(data.cases["scheme"].unique())
    return [s for s in SCHEMES if s in present]


def categories(data: dip_model.DataSet, p: dip_model.Params) -> list[str]:
    """The categories (I-10) the folder's hospitals are settled under this year: the keys of their level
    coefficients."""
    year = prepared(data)[0].year
    return sorted(set(year_categories(data.hospitals, year, p).astype(str)))


def missing() -> dip_model.DipError | None:
    """The engine's refusal of the working scenario on this hospital folder (a published figure it needs
    is not given), or None: a city dataset, or nothing missing."""
    if state.mode() != "hospital":
        return None
    p, _ = state.params_or_error()
    if p is None:
        return None                    # another parameter is at fault: the page says which
    try:
        check_hospital_folder(p, schemes(state.dataset()))
    except dip_model.DipError as err:
        return err
    return None


def _number(path: str, where: str, *, fmt: str, step: float, min_value: float, scheme: str | None = None,
            label: str | None = None) -> None:
    """One published figure (a rule-set parameter, or one scheme's entry of a per-scheme one)."""
    cur = state.get_value(path)
    if scheme is not None:
        cur = cur.get(scheme) if isinstance(cur, dict) else cur
    new = st.number_input(label or widgets.param_label(path), value=None if cur is None else float(cur),
                          min_value=min_value, step=step, format=fmt, help=widgets.param_help(path),
                          placeholder=t("pub_placeholder"), key=state.widget_key("pub", where, path, scheme))
    if new == cur or (new is not None and cur is not None and math.isclose(new, cur, rel_tol=0, abs_tol=1e-12)):
        return
    if scheme is None:
        state.set_value(path, new)
        return
    whole = state.get_value(path)
    whole = dict(whole) if isinstance(whole, dict) else ({} if whole is None else {s: whole for s in SCHEMES})
    whole[scheme] = new
    if all(v is None for v in whole.values()):
        state.set_value(path, None)
    else:
        state.set_value(path, whole)


def _level(category: str, where: str) -> None:
    """The level coefficient of one category (coefficients.level.<category>, A-22)."""
    table = dict(state.get_value("coefficients.level") or {})
    cur = table.get(category)
    words = level_text(category)                 # 三级甲等 for 3A; a level_reimb key (3A/r2) as it is
    name = category if category in words else t("pub_level_name", words=words, code=category)
    new = st.number_input(t("pub_level", cat=name), value=None if cur is None else float(cur), min_value=0.0,
                          step=0.01, format="%.4f", help=widgets.param_help("coefficients.level"),
                          placeholder=t("pub_level_placeholder"), key=state.widget_key("pub", where, "level", category))
    if new != cur:
        if new is None:
            table.pop(category, None)
        else:
            table[category] = new
        state.set_value("coefficients.level", table)


def _monthly(scheme: str, where: str) -> None:
    """The twelve monthly budget point values of a scheme (A-32), optional: empty = the budget point value
    every month."""
    path = f"point_value.budget_monthly.{scheme}"
    cur = state.get_value(path)
    months = [t("hb_month", m=m) for m in range(1, 13)]
    df = pd.DataFrame({t("pub_month"): months,
                       t("pub_month_value"): [float(v) for v in cur] if cur else [None] * 12})
    edited = st.data_editor(df, hide_index=True, width="stretch", disabled=[t("pub_month")],
                            key=state.widget_key("pub", where, path, widgets.digest(cur)),
                            column_config={t("pub_month_value"): st.column_config.NumberColumn(
                                format="%.4f", min_value=0.0, step=0.001)})
    col = edited[t("pub_month_value")]
    if col.isna().all():
        new = None
    elif col.isna().any():
        st.caption(t("pub_month_incomplete"))
        return
    else:
        new = [float(v) for v in col]
    if new != cur:
        state.set_value(path, new)
    widgets.show_error_for(path)


def inputs(where: str) -> None:
    """Every published figure, as inputs; `where` ("main" or "sidebar") keeps the two places' keys apart."""
    data = state.dataset()
    p = state.params_or_error()[0] or state.builtin_params()
    present = schemes(data)
    st.markdown(f"**{t('pub_required')}**")
    for s in present:
        path = f"point_value.given.{s}"
        _number(path, where, fmt="%.4f", step=0.001, min_value=0.0001, label=widgets.param_label(path) + t("pub_unit_pv"))
        widgets.show_error_for(path)
    _number("mean_cost_all", where, fmt="%.2f", step=100.0, min_value=0.01,
            label=widgets.param_label("mean_cost_all") + t("pub_unit_yuan"))
    widgets.show_error_for("mean_cost_all")
    st.markdown(f"**{t('pub_optional')}**")
    for cat in categories(data, p):
        _level(cat, where)
    for s in present:
        _number("budget_point_value", where, fmt="%.4f", step=0.001, min_value=0.0001, scheme=s,
                label=t("pub_budget_pv", scheme=t(s)))
    widgets.show_error_for("budget_point_value")
    with st.expander(t("pub_monthly")):
        st.caption(t("pub_monthly_note"))
        for s in present:
            st.markdown(t(s))
            _monthly(s, where)


def prompt() -> bool:
    """In a hospital folder with a published figure missing: the engine's message (in the page's
    language) and the inputs right under it; True when it drew them (the page shows nothing else)."""
    err = missing()
    if err is None:
        return False
    with st.container(border=True):
        st.error(tr(err), icon=":material/info:")
        st.markdown(t("pub_prompt"))
        inputs("main")
    if missing() is None:              # the last one just entered: show the page
        st.rerun()
    return True


def sidebar() -> None:
    """The published figures in the sidebar (hospital folder, none missing): what the hospital's figures
    are computed with, to correct when the bureau publishes new ones."""
    with st.sidebar.expander(t("pub_sidebar"), expanded=False):
        line = summary_line()
        if line:
            st.caption(line)
        inputs("sidebar")


def summary_line() -> str:
    """The published point values in one line (for the sidebar and the page headers)."""
    sep = "；" if current_lang() == "zh" else "; "
    parts = []
    for s in schemes(state.dataset()):
        v = state.get_value(f"point_value.given.{s}")
        if v is not None:
            parts.append(t("pub_line_pv", scheme=t(s), v=v))
    m = state.get_value("mean_cost_all")
    if m is not None:
        parts.append(t("pub_line_m", v=m))
    return sep.join(parts)
