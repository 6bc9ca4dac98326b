"""医院结算 Hospital settlement (A-32 … A-37): every hospital × scheme with its settlement, filters,
winners and losers against the baseline, use rate against score fund with the bands shaded, and the
explanation trace (with the legal text) of the hospital picked in the table."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dip_model.analysis.bands import bands_of, regions
from dip_model.rules.articles import quote
from dip_model.report import charts
from ui import state
from ui.cards import metric_money, scale, unit, unit_name, wan_label
from ui.export import download_excel, download_png
from ui.i18n import catalog, current_lang, money, t, tr
from ui.texts import band_text, level_text
from ui.widgets import scheme_list

MONEY = ["score_fund", "retained", "sharing", "cap_deduction", "violation_deduction", "final_payment",
         "monthly_prepaid", "year_end_settlement"]
COLUMNS = ["hospital_id", "name", "scheme", "district", "level", "type", "flags", "cases", "total_score",
           "point_value", "score_fund", "usage_rate", "band", "retained", "sharing", "cap_deduction",
           "violation_deduction", "final_payment", "monthly_prepaid", "year_end_settlement"]
FLAGS = ("is_new", "suspended", "fraud_penalized")
# trace inputs by kind, for formatting (names as dip_model.rules.explain gives them)
MONEY_IN = {"score_fund", "ffs_fund", "total_cost", "FFS", "SF", "retained", "sharing", "budget_total",
            "adjustment_fund", "dip_fund_payable", "dip_cost_payable", "city_total", "retained_plus_sharing",
            "violation_amount", "pay_before_cap", "cap_deduction", "violation_deduction", "final_payment",
            "monthly_prepaid", "self_pay", "other_insurance"}
POINTS_IN = {"score_core_raw", "score_core_weighted", "score_grassroots", "score_tcm", "score_special",
             "total_score", "S"}
PV_IN = {"PV", "budget_point_value"}
RATIO_IN = {"payment_rate", "r"}
REGION_FILL = {"none": "rgba(189,189,189,0.30)", "retained": "rgba(166,219,160,0.35)",
               "full": "rgba(90,174,97,0.35)", "beyond": "rgba(215,48,39,0.30)"}


# --- formatting --------------------------------------------------------------------------------

def exact(v: float) -> str:
    """Money to the fen in yuan, or in 万元 when the unit toggle says so."""
    if v is None or v != v:
        return "—"
    if unit() == "wan":
        return money(v, unit="wan")
    return f"{v:,.2f} 元" if current_lang() == "zh" else f"¥{v:,.2f}"


def m_label(key: str) -> str:
    """A metric label, with the unit when money is shown in 万元 (the value then carries none)."""
    return wan_label(t(key))


def known(key: str, fallback: str) -> str:
    return t(key) if key in catalog(current_lang()) else fallback


def type_text(v) -> str:
    return known(f"hb_type_{v}", str(v))


def flags_text(row) -> str:
    sep = "、" if current_lang() == "zh" else ", "
    return sep.join(t(f"hsp_flag_{f}") for f in FLAGS if bool(row[f]))


def hosp_label(hid: str, name: str, scheme: str, many: bool) -> str:
    return f"{hid} {name}" + (f" · {t(scheme)}" if many else "")


# --- data --------------------------------------------------------------------------------------

def filters(hosp: pd.DataFrame) -> pd.DataFrame:
    """District, level and type filters (empty = all), on top of the sidebar's scheme filter."""
    hosp = hosp[hosp["scheme"].isin(scheme_list())]
    c = st.columns(3)
    picks = {}
    shown_as: tuple[tuple[str, Callable[[Any], str]], ...] = (("district", str), ("level", level_text),
                                                              ("type", type_text))
    for col, (field, fmt) in zip(c, shown_as):
        opts = sorted(hosp[field].astype(str).unique())
        picks[field] = col.multiselect(t(f"hsp_filter_{field}"), opts, format_func=fmt, placeholder=t("hsp_all"),
                                       key=f"hsp_f_{field}")
    for field, chosen in picks.items():
        if chosen:
            hosp = hosp[hosp[field].astype(str).isin(chosen)]
    return hosp.reset_index(drop=True)


def header(c: str) -> str:
    return t(f"hsp_col_{c}", unit=unit_name())


def table_view(hosp: pd.DataFrame) -> pd.DataFrame:
    """The settlement table as shown: translated values, money in the chosen unit, headers in the language."""
    v = hosp.copy()
    v["flags"] = v.apply(flags_text, axis=1)
    v["scheme"] = v["scheme"].map(t)
    v["level"] = v["level"].map(level_text)
    v["type"] = v["type"].map(type_text)
    v["band"] = v["band"].map(band_text)
    for c in MONEY:
        v[c] = v[c] / scale()
    v["usage_rate"] = v["usage_rate"] * 100
    return v[COLUMNS].rename(columns={c: header(c) for c in COLUMNS})


def column_config() -> dict:
    cfg = {header(c): st.column_config.NumberColumn(format="localized", step=0.01) for c in MONEY}
    cfg[header("total_score")] = st.column_config.NumberColumn(format="localized", step=0.01)
    cfg[header("point_value")] = st.column_config.NumberColumn(format="%.3f")
    cfg[header("usage_rate")] = st.column_config.NumberColumn(format="%.2f%%")
    cfg[header("name")] = st.column_config.TextColumn(pinned=True)
    return cfg


# --- the explanation trace -------------------------------------------------------------------------

def fmt_input(name: str, v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return t("hsp_yes") if v else t("hsp_no")
    if name == "band":
        return band_text(v)
    if isinstance(v, str):
        return tr(v)                     # a Message ("not applicable: needs city data") in the page's language
    if name in MONEY_IN:
        return exact(float(v))
    if name in POINTS_IN:
        return f"{float(v):,.2f}"
    if name in PV_IN:
        return f"{float(v):.3f}" if name == "PV" else f"{float(v):.4f}"
    if name in RATIO_IN:
        return f"{float(v):.4%}"
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer() and name.startswith("n_")):
        return f"{int(v):,}"
    return f"{float(v):.6g}"


def fmt_result(step) -> str:
    v = step.result
    if isinstance(v, str):
        return tr(v)                     # a Message ("not applicable: needs city data") in the page's language
    return {"yuan": exact, "points": lambda x: t("hb_points", v=x), "yuan/point": lambda x: t("hb_pv", v=x),
            "ratio": lambda x: f"{x:.2%}"}.get(step.unit, lambda x: f"{x:.6g}")(float(v))


def legal_text(ref: str) -> None:
    """The quoted articles behind a step, in an expander."""
    arts = quote(ref)
    if not arts:
        return
    with st.expander(t("hsp_legal", refs="、".join(k for k, _ in arts))):
        for key, a in arts:
            head = f"**{key} · {a.get('number', '')}**（{a.get('doc', '')}）"
            if current_lang() == "en" and a.get("title_en"):
                head += f" — {a['title_en']}"
            st.markdown(head)
            if current_lang() == "en":
                st.caption(t("hsp_original_text"))
            st.markdown(str(a.get("text", "")).replace("\n", "\n\n"))


def trace(res, hid: str, scheme: str, row: pd.Series) -> None:
    lang = current_lang()
    steps = res.explain(hid, scheme)
    st.subheader(t("hsp_trace_title", name=f"{hid} {row['name']}", scheme=t(scheme)))
    c = st.columns(4)
    c[0].metric(m_label("hsp_m_final"), metric_money(row["final_payment"]), help=exact(row["final_payment"]))
    c[1].metric(m_label("hsp_m_prepaid"), metric_money(row["monthly_prepaid"]), help=exact(row["monthly_prepaid"]))
    c[2].metric(m_label("hsp_m_year_end"), metric_money(row["year_end_settlement"]),
                help=f"{exact(row['year_end_settlement'])} · {t('hsp_year_end_help')}")
    c[3].metric(t("hsp_m_usage"), f"{row['usage_rate']:.2%}", t("hsp_band_delta", band=band_text(row["band"])),
                delta_color="off", delta_arrow="off")
    for i, s in enumerate(steps, 1):
        if i % 2:
            cols = st.columns(2)
        with cols[(i - 1) % 2].container(border=True):
            st.markdown(f"**{i}. {s.title[lang]}** &nbsp; `{s.article}`")
            st.markdown(f"#### = {fmt_result(s)}")
            st.markdown(f"{t('hsp_formula')}: `{s.formula[lang]}`")
            st.caption(" · ".join(f"{known('hsp_in_' + k, k)} = {fmt_input(k, v)}" for k, v in s.inputs.items()))
            if s.note.get(lang):
                st.caption(s.note[lang])
            legal_text(s.article)
    with st.expander(t("hsp_steps_table")):
        tab = pd.DataFrame({t("hsp_step_no"): range(1, len(steps) + 1),
                            t("hsp_step"): [s.title[lang] for s in steps],
                            t("article"): [s.article for s in steps],
                            t("hsp_formula"): [s.formula[lang] for s in steps],
                            t("hsp_step_result"): [s.result if isinstance(s.result, str) else float(s.result)
                                                   for s in steps],
                            t("unit"): [known(f"hb_u_{s.unit}", s.unit) for s in steps]})
        st.dataframe(tab, hide_index=True, width="stretch", key="hsp_steps_df",
                     column_config={t("hsp_step_result"): st.column_config.NumberColumn(format="%.6f")})
        download_excel(tab, f"{t('hsp_steps_file')}_{hid}_{scheme}", f"hsp_steps_{hid}_{scheme}")
    monthly(res, hid, scheme)


def monthly(res, hid: str, scheme: str) -> None:
    """A-32 monthly pre-settlement of the selected hospital."""
    st.markdown(f"##### {t('hsp_monthly_title')}")
    m = res.monthly[(res.monthly["hospital_id"] == hid) & (res.monthly["scheme"] == scheme)]
    if m.empty:
        return
    months = [c for c in m.columns if c not in ("hospital_id", "scheme")]
    vals = m.iloc[0][months].to_numpy(float)
    fig = go.Figure(go.Bar(x=[t("hb_month", m=int(x)) for x in months], y=vals / scale(), name=t("hsp_monthly_bar"),
                           marker_color="#4c78a8",
                           hovertemplate="%{x}: %{y:,.2f} " + unit_name() + "<extra></extra>"))
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), showlegend=True,
                      yaxis_title=t("hsp_monthly_axis", unit=unit_name()), xaxis_title=t("hsp_month_axis"),
                      yaxis_tickformat=",", legend=dict(orientation="h", y=1.12))
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    st.plotly_chart(fig, width="stretch", key="hsp_monthly_fig")
    tab = pd.DataFrame({t("hsp_month_axis"): [int(x) for x in months],
                        t("hsp_monthly_axis", unit=unit_name()): vals / scale()})
    c = st.columns(2)
    with c[0]:
        download_png(fig, f"{t('hsp_monthly_file')}_{hid}_{scheme}", f"hsp_monthly_png_{hid}_{scheme}")
    with c[1]:
        download_excel(tab, f"{t('hsp_monthly_file')}_{hid}_{scheme}", f"hsp_monthly_xlsx_{hid}_{scheme}")


def pick(hosp: pd.DataFrame, rows: list[int]) -> tuple[str, str] | None:
    """The hospital × scheme to explain: a click in the table sets it; the select box can change it."""
    ss = st.session_state
    keys = [f"{h}|{s}" for h, s in zip(hosp["hospital_id"], hosp["scheme"])]
    if not keys:
        return None
    clicked = keys[rows[0]] if rows and rows[0] < len(keys) else None
    if clicked and clicked != ss.get("hsp_last_click"):
        ss["hsp_pick"] = clicked
    ss["hsp_last_click"] = clicked
    if ss.get("hsp_pick") not in keys:
        ss["hsp_pick"] = keys[0]
    names = dict(zip(keys, hosp["name"]))
    many = hosp["scheme"].nunique() > 1
    key = st.selectbox(t("hsp_pick"), keys, key="hsp_pick",
                       format_func=lambda k: hosp_label(k.split("|")[0], names[k], k.split("|")[1], many))
    hid, scheme = key.split("|")
    return hid, scheme


# --- winners and losers ----------------------------------------------------------------------------

def changes(hosp: pd.DataFrame, base) -> None:
    if base is None:
        return
    d = charts.payment_changes(hosp, base.hospitals)
    if not (d["diff"].abs() >= 0.005).any():
        st.info(t("hsp_no_change"))
    else:
        n = st.slider(t("hsp_top_n"), 1, max(1, min(30, len(d))), min(10, len(d)), key="hsp_top_n")
        fig = charts.winners_losers(d, n, current_lang(), unit())
        st.plotly_chart(fig, width="stretch", key="hsp_changes_fig")
        download_png(fig, t("hsp_changes_file"), "hsp_changes_png")
    view = pd.DataFrame({t("hsp_rank"): range(1, len(d) + 1), t("col_hospital_id"): d["hospital_id"],
                         t("col_name"): d["name"], t("col_scheme"): d["scheme"].map(t),
                         t("hsp_col_base_final", unit=unit_name()): d["base"] / scale(),
                         t("hsp_col_final_payment", unit=unit_name()): d["final_payment"] / scale(),
                         t("hsp_col_diff", unit=unit_name()): d["diff"] / scale(), t("hsp_col_pct"): d["pct"] * 100})
    money_cfg = st.column_config.NumberColumn(format="localized", step=0.01)
    st.dataframe(view, hide_index=True, width="stretch", key="hsp_changes_df",
                 column_config={t("hsp_col_base_final", unit=unit_name()): money_cfg,
                                t("hsp_col_final_payment", unit=unit_name()): money_cfg,
                                t("hsp_col_diff", unit=unit_name()): money_cfg,
                                t("hsp_col_pct"): st.column_config.NumberColumn(format="%.2f%%")})
    download_excel(view, t("hsp_changes_file"), "hsp_changes_xlsx")


# --- use rate against score fund -------------------------------------------------------------------

def region_style(r: dict) -> tuple[str, str, str]:
    """(legend group, fill colour, short annotation) of a band region."""
    if r["kind"] == "retained":
        ratio = r["ratio"]
        if not isinstance(ratio, dict) and float(ratio) == 0:
            return "none", REGION_FILL["none"], t("hb_ann_retained", v="0%")
        text = (f"{ratio['slope']:g}u{ratio['intercept']:+g}" if isinstance(ratio, dict) else f"{float(ratio):.0%}")
        return "retained", REGION_FILL["retained"], t("hb_ann_retained", v=text)
    if r["kind"] == "full":
        return "full", REGION_FILL["full"], t("hb_ann_full")
    if r["kind"] == "overspend":
        return "overspend", f"rgba(253,141,60,{0.15 + 0.5 * r['rate']:.2f})", t("hb_ann_share", v=f"{r['rate']:.0%}")
    return "beyond", REGION_FILL["beyond"], t("hb_ann_share", v="0%")


def scatter(res, hosp: pd.DataFrame) -> None:
    """Use rate across, score fund up (log scale: funds span three orders), the scheme's bands shaded."""
    schemes = [s for s in scheme_list() if s in set(hosp["scheme"])]
    if not schemes:
        return
    ok = hosp[np.isfinite(hosp["usage_rate"]) & (hosp["score_fund"] > 0)]
    lo = max(0.0, min(0.5, float(ok["usage_rate"].min()) - 0.05)) if len(ok) else 0.0
    hi = max(1.6, float(ok["usage_rate"].max()) + 0.05) if len(ok) else 1.6
    sf = ok["score_fund"] / scale()
    y_range = ([np.log10(sf.min()) - 0.2, np.log10(sf.max()) + 0.9] if len(ok) else None)   # headroom for labels
    fig = make_subplots(rows=1, cols=len(schemes), subplot_titles=[t(s) for s in schemes], horizontal_spacing=0.09)
    shown: set[str] = set()
    # the band regions as layout shapes set at once (add_vrect on a subplot took ~20 ms each)
    shapes: list[dict] = []
    notes: list[dict] = []
    for ci, s in enumerate(schemes, 1):
        axis = "" if ci == 1 else str(ci)
        for r in regions(bands_of(res.params, s), hi):
            group, fill, ann = region_style(r)
            x0, x1 = max(r["lo"], lo), min(r["hi"], hi)
            if x1 <= x0:
                continue
            shapes.append({"type": "rect", "xref": f"x{axis}", "yref": f"y{axis} domain", "x0": x0, "x1": x1,
                           "y0": 0, "y1": 1, "fillcolor": fill, "line": {"width": 0}, "layer": "below",
                           "name": t(f"hb_region_{group}"), "legendgroup": group, "showlegend": group not in shown})
            shown.add(group)
            notes.append({"x": (x0 + x1) / 2, "y": 0.99, "xref": f"x{axis}", "yref": f"y{axis} domain", "text": ann,
                          "showarrow": False, "font": {"size": 10, "color": "#444"}, "textangle": -90,
                          "yanchor": "top"})
        part = ok[ok["scheme"] == s]
        fig.add_scatter(x=part["usage_rate"], y=part["score_fund"] / scale(), mode="markers", row=1, col=ci,
                        name=t("hsp_hospital_points"), legendgroup="points", showlegend=ci == 1,
                        marker=dict(size=9, color="#1f3b73", line=dict(width=1, color="white")),
                        customdata=np.c_[part["name"], part["band"].map(band_text), part["final_payment"] / scale()],
                        hovertemplate="%{customdata[0]}<br>" + t("col_usage_rate") + ": %{x:.2%}<br>"
                        + t("hsp_h_sf") + ": %{y:,.2f} " + unit_name() + "<br>" + t("col_band")
                        + ": %{customdata[1]}<br>" + t("hsp_h_final") + ": %{customdata[2]:,.2f} " + unit_name()
                        + "<extra></extra>")
        fig.update_xaxes(range=[lo, hi], tickformat=".0%", dtick=0.1, title_text=t("hsp_usage_axis"), row=1, col=ci)
        fig.update_yaxes(type="log", range=y_range, tickformat=",", row=1, col=ci,
                         title_text=t("hsp_sf_axis", unit=unit_name()) if ci == 1 else None)
    fig.update_layout(height=560, margin=dict(l=10, r=10, t=70, b=10), shapes=shapes,
                      annotations=[*fig.layout.annotations, *notes],
                      legend=dict(orientation="h", y=-0.16, x=0), title=t("hsp_scatter_title"))
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    st.plotly_chart(fig, width="stretch", key="hsp_scatter_fig")
    off = len(hosp) - len(ok)
    if off:
        st.caption(t("hsp_no_sf", n=off))
    download_png(fig, t("hsp_scatter_file"), "hsp_scatter_png")


# --- page ------------------------------------------------------------------------------------------

def page() -> None:
    st.title(t("nav_hospitals"))
    st.caption(t("hsp_caption"))
    with st.spinner(t("loading")):
        res, base, err, berr = state.results_and_baseline()
    if res is None:
        st.error(t("hsp_invalid", err=err), icon="⚠️")
        return
    hosp = filters(res.hospitals)
    if hosp.empty:
        st.info(t("hsp_none"))
        return
    c = st.columns(4)
    c[0].metric(t("hsp_m_count"), t("hsp_count_value", n=hosp["hospital_id"].nunique(), rows=len(hosp)))
    c[1].metric(m_label("hsp_m_final_total"), metric_money(hosp["final_payment"].sum()))
    c[2].metric(m_label("hsp_m_prepaid_total"), metric_money(hosp["monthly_prepaid"].sum()))
    c[3].metric(m_label("hsp_m_year_end_total"), metric_money(hosp["year_end_settlement"].sum()))
    tabs = st.tabs([t("hsp_tab_table"), t("hsp_tab_changes"), t("hsp_tab_scatter")])
    with tabs[0]:
        st.caption(t("hsp_click_hint"))
        view = table_view(hosp)
        sig = "|".join([",".join(scheme_list())] + [",".join(map(str, st.session_state.get(f"hsp_f_{f}", [])))
                                                    for f in ("district", "level", "type")])
        ev = st.dataframe(view, hide_index=True, width="stretch", column_config=column_config(),
                          on_select="rerun", selection_mode="single-row", key=f"hsp_table:{sig}")
        download_excel(view, t("hsp_table_file"), "hsp_table_xlsx")
        rows = list(ev.selection.rows) if ev is not None and hasattr(ev, "selection") else []
        chosen = pick(hosp, rows)
        if chosen:
            row = hosp[(hosp["hospital_id"] == chosen[0]) & (hosp["scheme"] == chosen[1])].iloc[0]
            trace(res, chosen[0], chosen[1], row)
    with tabs[1]:
        st.caption(t("hsp_changes_caption"))
        if berr:
            st.warning(t("hsp_baseline_invalid", err=berr))
        changes(hosp, base)
    with tabs[2]:
        st.caption(t("hsp_scatter_caption"))
        scatter(res, hosp)


state.run_page(page)
