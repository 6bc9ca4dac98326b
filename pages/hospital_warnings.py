"""偏差预警 Deviation warnings of one hospital: its cases near and beyond the A-19 thresholds (R = cost ÷ the
prior-year mean of the group at its level), each with the score it has and the score across its threshold
at the same cost, in points and in yuan, and the cost change that reaches the threshold; then the A-20
special-case candidates against the 3‰ quota. Every figure comes from dip_model.analysis.hospital_warnings."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dip_model.analysis.hospital_cases import case_margins
from dip_model.analysis.hospital_warnings import (HIGH_WINDOW, LOW_WINDOW, ZONES, deviation_warnings,
                                                  special_candidates, zone_summary)
from dip_model.report.hospital_workbook import value_labels
from ui import hospital as hv
from ui import state
from ui.export import download_csv, download_excel, download_png
from ui.figures import font
from ui.i18n import current_lang, t

CASE_COLUMNS = ("case_id", "scheme", "group_id", "zone", "case_type", "ratio", "total_cost", "level_cost",
                "cost_to_threshold", "score_now", "score_other", "yuan_now", "yuan_other", "yuan_diff", "payment_diff",
                "department", "doctor")
EXPORT = ("case_id", "scheme", "group_id", "zone", "case_type", "ratio", "threshold", "total_cost", "level_cost",
          "cost_to_threshold", "score_now", "score_other", "weighted_diff", "point_value", "yuan_now", "yuan_other",
          "yuan_diff", "payment_diff", "department", "doctor")
SPECIAL_COLUMNS = ("scheme", "rank", "status", "quota", "pool_cases", "case_id", "group_id", "total_cost", "ratio",
                   "difference", "score_special", "score_otherwise", "point_value", "gain_yuan")
ZONE_FILL = {"near_low": "rgba(246,173,85,0.35)", "low_edge": "rgba(221,107,32,0.30)",
             "near_high": "rgba(246,173,85,0.35)", "high_edge": "rgba(221,107,32,0.30)"}
R_MAX = 3.0


def thresholds(res) -> tuple[float, float, str]:
    p = res.params
    return float(p.get("cases.low_ratio")), float(p.get("cases.high_ratio")), p.interpretation("I-11")


def zone_meaning(zone: str, low: float, high: float) -> str:
    return t(f"hpw_zone_{zone}", low=low, high=high, low_w=low + LOW_WINDOW, low_lo=low - LOW_WINDOW,
             high_lo=high - HIGH_WINDOW, high_w=high + HIGH_WINDOW)


def cards(summary: pd.DataFrame, special: pd.DataFrame) -> None:
    z = summary.set_index("zone")
    c = st.columns(4)
    for col, zone in zip(c[:2], ("near_low", "near_high")):
        col.metric(t(f"hpw_card_{zone}"), t("hpw_n_cases", n=int(z.at[zone, "cases"])), border=True,
                   delta=t("hpw_at_stake", v=hv.yuan(z.at[zone, "yuan_diff"], sign=True)), delta_color="off",
                   delta_arrow="off", help=t(f"hpw_card_{zone}_help"))
    n_low = int(z.at["low_edge", "cases"] + z.at["low_far", "cases"])
    n_high = int(z.at["high_edge", "cases"] + z.at["high_far", "cases"])
    c[2].metric(t("hpw_card_deviation"), t("hpw_n_low_high", low=n_low, high=n_high), border=True,
                delta=t("hpw_edge", n=int(z.at["low_edge", "cases"] + z.at["high_edge", "cases"])),
                delta_color="off", delta_arrow="off", help=t("hpw_card_deviation_help"))
    inq = special[special["status"] == "in"]
    quotas = special.groupby("scheme", sort=False)["quota"].first()
    quota = " ".join(t(f"hpw_quota_{s}", n=int(k)) for s, k in quotas.items())
    c[3].metric(t("hpw_card_special"), t("hpw_n_cases", n=len(inq)), border=True,
                delta=t("hpw_quota", q=quota or "—"), delta_color="off", delta_arrow="off",
                help=t("hpw_card_special_help"))


def ratio_chart(frame: pd.DataFrame, low: float, high: float) -> go.Figure:
    """The hospital's cases by cost ratio R, the thresholds drawn and the warning windows shaded."""
    r = frame["ratio"].to_numpy(float)
    r = r[np.isfinite(r)]
    edges = np.arange(0.0, R_MAX + 0.05, 0.05)
    counts, _ = np.histogram(np.minimum(r, R_MAX - 1e-9), bins=edges)
    mids = (edges[:-1] + edges[1:]) / 2
    colour = np.where(mids < low, "#dd6b20", np.where(mids > high, "#c53030", "#4c78a8"))
    fig = go.Figure(go.Bar(x=mids, y=counts, width=0.05, marker_color=colour, marker_line_width=0,
                           name=t("hpw_chart_cases"),
                           hovertemplate="R %{x:.2f}±0.025: %{y:,} " + t("hpw_u_cases") + "<extra></extra>"))
    # the windows and thresholds as layout shapes (add_vrect / add_vline take ~7 ms each)
    windows = {"low_edge": (low - LOW_WINDOW, low), "near_low": (low, low + LOW_WINDOW),
               "near_high": (high - HIGH_WINDOW, high), "high_edge": (high, high + HIGH_WINDOW)}
    lines = ((low, "hpw_line_low"), (high, "hpw_line_high"))
    fig.update_layout(
        shapes=[*({"type": "rect", "xref": "x", "x0": x0, "x1": x1, "yref": "paper", "y0": 0, "y1": 1,
                   "fillcolor": ZONE_FILL[zone], "line": {"width": 0}, "layer": "below"}
                  for zone, (x0, x1) in windows.items()),
                *({"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1,
                   "line": {"dash": "dash", "color": "#2d3748"}} for x, _ in lines)],
        annotations=[{"xref": "x", "x": x, "yref": "paper", "y": 1, "yanchor": "bottom", "text": t(key, v=x),
                      "showarrow": False} for x, key in lines])
    fig.update_layout(title={"text": t("hpw_chart_title"), "x": 0, "xanchor": "left"}, font=font(), height=380,
                      margin={"l": 10, "r": 10, "t": 70, "b": 40}, showlegend=False, bargap=0,
                      xaxis={"title": t("hpw_chart_axis", max=R_MAX), "range": [0, R_MAX], "dtick": 0.25,
                             "automargin": True},
                      yaxis={"title": t("hpw_chart_cases"), "tickformat": ",d", "automargin": True})
    return fig


def summary_table(summary: pd.DataFrame, w: pd.DataFrame, low: float, high: float) -> pd.DataFrame:
    """One row per zone: what it is, cases, cost, and the score and yuan across the threshold."""
    names = value_labels(current_lang())["zone"]
    score = w.groupby("zone")["score_diff"].sum().reindex(list(ZONES), fill_value=0.0)
    s = summary.set_index("zone")
    return pd.DataFrame({
        t("hpw_col_zone"): [names[z] for z in ZONES],
        t("hpw_col_meaning"): [zone_meaning(z, low, high) for z in ZONES],
        t("hpw_col_cases"): [int(s.at[z, "cases"]) for z in ZONES],
        t("hpw_col_cost"): [round(float(s.at[z, "total_cost"])) for z in ZONES],
        t("hpw_col_score_diff"): [round(float(score[z]), 2) for z in ZONES],
        t("hpw_col_yuan_diff"): [round(float(s.at[z, "yuan_diff"])) for z in ZONES],
        t("hpw_col_payment_diff"): [round(float(s.at[z, "payment_diff"])) for z in ZONES],
    })


def page() -> None:
    v = hv.start("nav_hp_warnings", "hpw_intro")
    if v is None:
        return
    low, high, i11 = thresholds(v.res)
    with st.spinner(t("loading")):
        w = deviation_warnings(v.res, v.hospital_id, v.schemes)
        summary = zone_summary(w)
        special = special_candidates(v.res, v.hospital_id, v.schemes)
        frame = case_margins(v.res, v.hospital_id, v.schemes)
    st.caption(t("hpw_rule", low=low, high=high, rule=t(f"hpw_i11_{i11}")))
    cards(summary, special)

    fig = ratio_chart(frame, low, high)
    st.plotly_chart(fig, width="stretch", key="hpw_chart")
    download_png(fig, f"{t('hpw_file')}-{v.hospital_id}", "hpw_png")

    st.subheader(t("hpw_zones_head"))
    st.caption(t("hpw_zones_caption"))
    zt = summary_table(summary, w, low, high)
    money = st.column_config.NumberColumn(format="localized")
    st.dataframe(zt, hide_index=True, width="stretch", key="hpw_zones",
                 column_config={t("hpw_col_meaning"): st.column_config.TextColumn(width="large"),
                                t("hpw_col_cost"): money, t("hpw_col_yuan_diff"): money,
                                t("hpw_col_payment_diff"): money,
                                t("hpw_col_score_diff"): st.column_config.NumberColumn(format="localized")})

    st.subheader(t("hpw_cases_head"))
    names = value_labels(current_lang())["zone"]
    zones = st.multiselect(t("hpw_pick_zones"), list(ZONES), default=["near_low", "near_high", "low_edge", "high_edge"],
                           format_func=lambda z: names[z], key="hpw_zones_pick")
    rows = w[w["zone"].isin(zones)]
    shown = hv.table(rows.head(hv.SHOWN_ROWS), CASE_COLUMNS)
    if len(rows) > hv.SHOWN_ROWS:
        st.caption(t("hpw_shown", shown=hv.SHOWN_ROWS, n=len(rows)))
    st.dataframe(shown, hide_index=True, width="stretch", height=min(520, 38 + 35 * max(len(shown), 1)),
                 column_config=hv.column_config(shown, CASE_COLUMNS), key="hpw_cases")
    st.caption(t("hpw_cases_caption"))
    hv.downloads(v, hv.export(rows, EXPORT), t("hpw_file"), "hpw")

    st.subheader(t("hpw_special_head"))
    st.caption(t("hpw_special_caption", rate=v.res.params.get("cases.special_rate") * 1000,
                 floor=int(v.res.params.get("cases.special_min")),
                 pool=t(f"hpw_i1_{v.res.params.interpretation('I-1')}")))
    sp = hv.table(special, SPECIAL_COLUMNS)
    st.dataframe(sp, hide_index=True, width="stretch", column_config=hv.column_config(sp, SPECIAL_COLUMNS),
                 key="hpw_special")
    c = st.columns(3)
    full = hv.export(special, SPECIAL_COLUMNS)
    with c[0]:
        download_excel(full, f"{t('hpw_special_file')}-{v.hospital_id}", "hpw_special_xlsx", sheet=t("hpw_special_file"))
    with c[1]:
        download_csv(full, f"{t('hpw_special_file')}-{v.hospital_id}", "hpw_special_csv", t("hp_dl_csv"))


state.run_page(page)
