"""预测 Projection: the working scenario carried forward 1–5 years (dip_model.analysis.projection): point value,
payouts, closing balance and months of payment per year against the 6–9-month guidance band, the first
year out of the band, and the points race (点数竞赛) with the rule settings that damp or amplify it.
Every figure is read from dip_model; this page only gathers the assumptions and draws."""
from __future__ import annotations

import json
import time

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import dip_model
from dip_model.analysis.assumptions import LEVELS, Assumptions, load_assumptions
from dip_model.analysis.projection import points_race_comparison, project
from dip_model.analysis.projection_fan import projection_fan
from dip_model.report import charts
from ui import state
from ui.cards import scale, unit
from ui.export import download_excel, download_png
from ui.figures import font
from ui.hospital import city_only
from ui.i18n import current_lang, money, t
from ui.texts import scheme_labeller
from ui.widgets import scheme_list

K_ASM = "projection_assumptions"          # the page's assumptions (plain values), kept across pages
RACE_COLOURS = ("#2f855a", "#b7791f", "#6b46c1", "#2c7a7b", "#d53f8c", "#3182ce", "#975a16", "#4a5568")
SERIES = (("settlement_point_value", "pv"), ("total_final_payment", "money"), ("fund_closing_balance", "money"),
          ("months_of_payment", "months"))


# --- assumptions ------------------------------------------------------------------------------------

def asm_values() -> dict:
    return st.session_state.setdefault(K_ASM, {})


def asm_label(a, path: str) -> str:
    return a.info(path)["label"][current_lang()]


def asm_help(a, path: str) -> str:
    m = a.info(path)
    note = (m.get("note") or {}).get(current_lang(), "")
    return " · ".join(x for x in (m.get("article", ""), f"{t('unit')}: {m.get('unit', '')}", note) if x)


def asm_number(a, path: str, *, percent: bool = True, step: float = 0.5, allow_none: str | None = None,
               min_value: float | None = None, points: bool = False) -> None:
    """One assumption as a number input (a rate shown in %); the value lives in K_ASM."""
    vals = asm_values()
    cur = a.get(path)
    shown = None if cur is None else (cur * 100.0 if percent else float(cur))
    suffix = t("prj_unit_points") if points else "%"
    label = asm_label(a, path) + (f"（{suffix}）" if current_lang() == "zh" else f" ({suffix})") if percent else asm_label(a, path)
    new = st.number_input(label, value=shown, step=step, format="%.2f", min_value=min_value,
                          placeholder=t(allow_none) if allow_none else None,
                          help=asm_help(a, path), key=state.widget_key("prj", path))
    val = None if new is None else (round(new / 100.0, 10) if percent else float(new))
    node, parts = vals, path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = val


def assumption_inputs() -> tuple[Assumptions | None, str | None]:
    """The assumption inputs; (Assumptions, error message)."""
    a0 = load_assumptions()
    try:
        a = a0.with_values(asm_values())
    except dip_model.DipError:
        st.session_state[K_ASM] = {}
        a = a0
    with st.expander(t("prj_inputs"), expanded=True):
        c = st.columns([1, 3])
        with c[0]:
            years = st.slider(asm_label(a, "years"), 1, 5, int(a.get("years")), help=asm_help(a, "years"),
                              key=state.widget_key("prj", "years"))
            asm_values()["years"] = years
        with c[1]:
            st.markdown(f"**{t('prj_volume_header')}**")
            for col, lv in zip(st.columns(len(LEVELS) + 1), (*LEVELS, "other")):
                with col:
                    asm_number(a, f"volume_growth.{lv}")
        cols = st.columns(4)
        with cols[0]:
            asm_number(a, "cost_growth")
        with cols[1]:
            asm_number(a, "revenue_growth", allow_none="prj_placeholder_null")
        with cols[2]:
            asm_number(a, "other_lines_growth")
        with cols[3]:
            asm_number(a, "ratio_drift", step=0.1, points=True)
        st.markdown(f"**{t('prj_race_header')}**")
        race = st.columns(3)
        with race[0]:
            asm_number(a, "points_race.elasticity", percent=False, step=0.1, min_value=0.0)
        with race[1]:
            asm_number(a, "points_race.max_volume_growth", allow_none="prj_placeholder_no_cap")
        with race[2]:
            asm_number(a, "points_race.initial_point_value_change")
        st.markdown(f"**{t('prj_fan_spread_header')}**")
        for col, name in zip(st.columns(3), ("volume_growth_sd", "cost_growth_sd", "revenue_growth_sd")):
            with col:
                asm_number(a, f"spread.{name}", step=0.1, min_value=0.0)
        st.caption(t("prj_assumption_note"))
    try:
        return a0.with_values(asm_values()), None
    except dip_model.DipError as err:
        return None, err.message


# --- computation (keyed by the dataset version, the scenario and the assumptions) -----------------------

def _key(p, a) -> tuple[str, str]:
    return (json.dumps(p.user_values(), sort_keys=True, default=str),
            json.dumps(a.user_values(), sort_keys=True, default=str))


@st.cache_data(show_spinner=False, max_entries=16)
def run_projection(_data, data_version: str, params_json: str, asm_json: str):
    p = dip_model.load_params(json.loads(params_json))
    pr = project(_data, p, load_assumptions(json.loads(asm_json)))
    return pr.years, pr.hospitals, pr.breaches


@st.cache_data(show_spinner=False, max_entries=8)
def run_race(_data, data_version: str, params_json: str, asm_json: str):
    p = dip_model.load_params(json.loads(params_json))
    return points_race_comparison(_data, p, load_assumptions(json.loads(asm_json)))


# --- drawing ---------------------------------------------------------------------------------------

def fmt(kind: str, v) -> str:
    if v is None or v != v:
        return "—"
    if kind == "money":
        return money(v, unit=unit())
    if kind == "months":
        return t("months_unit", v=v)
    return f"{v:.3f}"


def year_chart(years: pd.DataFrame, schemes: list, key: str, kind: str, low: float, high: float) -> go.Figure:
    return charts.projection_chart(years, schemes, key, kind, low, high, current_lang(), unit())


def breach_messages(years: pd.DataFrame, breaches: pd.DataFrame, schemes: list, low: float, high: float) -> None:
    b = breaches.set_index("scheme")
    n = int(years["year"].max())
    for s in schemes:
        if s not in b.index:
            continue
        y = b.loc[s, "first_out_of_band_year"]
        neg = b.loc[s, "first_negative_year"]
        if pd.notna(neg):
            st.error(t("prj_msg_negative", scheme=t(s), n=int(neg)), icon="⚠️")
        elif pd.notna(y):
            status = b.loc[s, "first_out_of_band_status"]
            (st.error if status == "below" else st.warning)(
                t(f"prj_msg_{status}", scheme=t(s), n=int(y), low=low, high=high))
        else:
            st.success(t("prj_msg_in", scheme=t(s), years=n, low=low, high=high))


def year_table(years: pd.DataFrame, schemes: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = (("budget_total", "money"), ("prior_year_balanced", "flag"), ("dip_fund_payable", "money"),
            ("total_score", "score"), ("settlement_point_value", "pv"), ("total_final_payment", "money"),
            ("fund_expenditure", "money"), ("fund_closing_balance", "money"), ("months_of_payment", "months"),
            ("status", "status"))
    part = years[years["scheme"].isin(schemes)]
    shown, export = [], []
    for _, r in part.iterrows():
        head = {t("prj_col_year"): t("prj_year_n", n=int(r["year"])), t("prj_col_scheme"): t(r["scheme"])}
        row_s, row_e = dict(head), dict(head)
        for c, kind in cols:
            v = r[c]
            name = t(f"prj_col_{c}")
            if kind == "flag":
                row_s[name] = row_e[name] = t("prj_balanced" if v else "prj_deficit")
            elif kind == "status":
                row_s[name] = row_e[name] = t(f"prj_status_{v}")
            elif kind == "score":
                row_s[name] = f"{v:,.0f}"
                row_e[name] = v
            else:
                row_s[name] = fmt(kind, v)
                row_e[name] = v
        shown.append(row_s)
        export.append(row_e)
    return pd.DataFrame(shown), pd.DataFrame(export)


def race_section(data, p, a, schemes: list) -> None:
    st.subheader(t("prj_race_title"))
    st.caption(t("prj_race_intro"))
    if float(a.get("points_race.elasticity")) <= 0:
        st.info(t("prj_race_off"))
        return
    with st.spinner(t("loading")):
        cmp = run_race(data, data.version or data.source, *_key(p, a))
    paths, sm = cmp["paths"], cmp["summary"]
    scheme = st.radio(t("prj_col_scheme"), schemes, format_func=scheme_labeller(),
                      horizontal=True, key=state.widget_key("prj", "race_scheme")) if len(schemes) > 1 else schemes[0]
    spiral = sm[(sm["setting"] == "spiral") & (sm["scheme"] == scheme)].iloc[0]
    if spiral["pv_falls_every_year"]:
        st.warning(t("prj_race_spiral", scheme=t(scheme), v=spiral["pv_change"] * 100))
    else:
        st.info(t("prj_race_no_spiral", scheme=t(scheme), v=spiral["pv_change"] * 100))
    fig = go.Figure()
    groups = dict(tuple(paths[paths["scheme"] == scheme].groupby("setting", sort=False)))
    order = [k for k in groups if k != "spiral"] + ["spiral"]          # the spiral drawn last, on top
    palette = iter(RACE_COLOURS)
    for key in order:
        part = groups[key]
        colour = "#c53030" if key == "spiral" else "#718096" if key == "no_response" else next(palette)
        fig.add_scatter(x=part["year"], y=part["pv_index"] * 100, name=t(f"prj_cand_{key}"), mode="lines+markers",
                        line={"width": 5 if key == "spiral" else 2, "dash": "dot" if key == "no_response" else "solid",
                              "color": colour}, legendrank=1 if key == "spiral" else 2,
                        hovertemplate=t("prj_year_n", n="%{x}") + "<br>%{y:.1f}<extra>" + t(f"prj_cand_{key}") + "</extra>")
    fig.add_hline(y=100, line_color="#a0aec0", line_dash="dot")
    ticks = sorted(paths["year"].unique())
    fig.update_layout(title=t("prj_race_chart", scheme=t(scheme)), height=460, font=font(),
                      xaxis={"title": t("prj_axis_year"), "tickmode": "array", "tickvals": ticks,
                             "ticktext": [t("prj_year_n", n=y) for y in ticks]},
                      yaxis={"title": t("prj_axis_pv_index"), "automargin": True},
                      legend={"title": t("prj_race_setting")}, margin={"t": 50, "b": 40, "l": 10, "r": 10})
    st.plotly_chart(fig, width="stretch", key="prj_race_chart")
    download_png(fig, t("prj_race_file"), "prj_race")
    rows = []
    for _, r in sm[sm["scheme"] == scheme].iterrows():
        rows.append({t("prj_race_setting"): t(f"prj_cand_{r['setting']}"),
                     t("prj_race_col_change"): round(r["pv_change"] * 100, 2),
                     t("prj_race_col_vs"): round(r["vs_spiral"] * 100, 2),
                     t("prj_race_col_effect"): t(f"prj_effect_{r['effect']}"),
                     t("prj_race_col_pv"): r["final_point_value"],
                     t("prj_race_col_months"): round(r["final_months_of_payment"], 2)})
    table = pd.DataFrame(rows)
    st.dataframe(table, hide_index=True, width="stretch")
    download_excel(table, t("prj_race_file"), "prj_race_table")
    st.caption(t("prj_race_note"))


def fan_section(data, p, a, schemes: list, low: float, high: float) -> None:
    """Projection bands: P10–P90 of the months of payment over the years, and how often the balance
    leaves the guidance band (dip_model.analysis.projection_fan); run on request, shown while the inputs hold."""
    st.subheader(t("prj_fan_title"))
    st.caption(t("prj_fan_intro"))
    c = st.columns([1, 1, 2])
    draws = c[0].number_input(t("prj_fan_draws"), min_value=10, max_value=1000, value=100, step=10,
                              key=state.widget_key("prj", "fan_draws"))
    seed = c[1].number_input(t("prj_fan_seed"), min_value=0, value=0, step=1, key=state.widget_key("prj", "fan_seed"))
    key = (data.version or data.source, *_key(p, a), int(draws), int(seed))
    with c[2]:
        st.write("")
        run = st.button(t("prj_fan_run"), key="prj_fan_run", type="primary")
    if run:
        with st.spinner(t("prj_fan_running", n=int(draws))):
            t0 = time.perf_counter()
            fan = projection_fan(data, p, a, draws=int(draws), seed=int(seed))
            st.session_state["prj_fan"] = (key, fan.bands, fan.risk, time.perf_counter() - t0)
    kept = st.session_state.get("prj_fan")
    if kept is None:
        return
    if kept[0] != key:
        st.info(t("prj_fan_stale"))
        return
    _, bands, risk, secs = kept
    st.caption(t("prj_fan_done", n=int(draws), s=secs))
    fig = charts.projection_fan_chart(bands, schemes, low, high, current_lang())
    st.plotly_chart(fig, width="stretch", key="prj_fan_chart")
    download_png(fig, t("prj_fan_file"), "prj_fan_png")
    r = risk[risk["scheme"].isin(schemes)]
    table = pd.DataFrame({t("prj_col_year"): r["year"].map(lambda y: t("prj_year_n", n=y)),
                          t("prj_col_scheme"): r["scheme"].map(lambda x: t(x)),
                          t("prj_fan_col_below"): (r["share_below"] * 100).round(1),
                          t("prj_fan_col_above"): (r["share_above"] * 100).round(1),
                          t("prj_fan_col_negative"): (r["share_negative"] * 100).round(1),
                          t("prj_fan_col_out"): (r["share_out_of_band"] * 100).round(1)})
    st.dataframe(table, hide_index=True, width="stretch")
    download_excel(table, t("prj_fan_file"), "prj_fan_table")


# --- page ------------------------------------------------------------------------------------------

def page() -> None:
    st.title(t("nav_projection"))
    st.caption(t("prj_intro"))
    if city_only("hp_what_projection"):
        return
    a, aerr = assumption_inputs()
    p, err = state.params_or_error()
    if p is None:
        st.error(t("prj_invalid", err=err), icon="⚠️")
        return
    if a is None:
        st.error(t("prj_invalid_assumption", err=aerr), icon="⚠️")
        return
    data = state.dataset()
    with st.spinner(t("loading")):
        years, hospitals, breaches = run_projection(data, data.version or data.source, *_key(p, a))
    schemes = [s for s in scheme_list() if s in set(years["scheme"])]
    low = float(p.get("fund_balance.guidance_months_low"))
    high = float(p.get("fund_balance.guidance_months_high"))
    breach_messages(years, breaches, schemes, low, high)
    cols = st.columns(2)
    for i, (key, kind) in enumerate(SERIES):
        fig = year_chart(years, schemes, key, kind, low, high)
        with cols[i % 2]:
            st.plotly_chart(fig, width="stretch", key=f"prj_{key}")
            download_png(fig, t(f"prj_chart_{key}"), f"prj_{key}")
    st.subheader(t("prj_table_header"))
    shown, export = year_table(years, schemes)
    st.dataframe(shown, hide_index=True, width="stretch")
    download_excel(export, t("prj_table_file"), "prj_table")
    with st.expander(t("prj_hosp_header")):
        h = hospitals[hospitals["scheme"].isin(schemes)]
        wide = h.pivot_table(index=["hospital_id", "scheme"], columns="year", values="final_payment", sort=False)
        wide.columns = [t("prj_year_n", n=c) for c in wide.columns]
        wide = (wide / scale()).reset_index()
        wide["scheme"] = wide["scheme"].map(lambda x: t(x))
        wide = wide.rename(columns={"hospital_id": t("prj_col_hospital"), "scheme": t("prj_col_scheme")})
        st.caption(t("prj_hosp_caption", unit=t("fnd_axis_money_" + unit())))
        st.dataframe(wide, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="%.2f") for c in wide.columns[2:]})
        download_excel(wide, t("prj_hosp_file"), "prj_hosp")
    fan_section(data, p, a, schemes, low, high)
    race_section(data, p, a, schemes)


state.run_page(page)
