"""病种盈亏 Margins per disease group of one hospital: the groups ranked by margin (DIP payment − cost), each
loss with its reasons and their figures, a chart of the largest losses and gains, and totals that are the
hospital's own (res.hospitals). Every figure comes from dip_model.analysis.hospital_margins."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dip_model.analysis.hospital_cases import hospital_totals
from dip_model.analysis.hospital_margins import group_margins
from ui import hospital as hv
from ui import state
from ui.export import download_png
from ui.i18n import t

COLUMNS = ("rank", "group_id", "name", "cases", "total_cost", "payment", "margin", "margin_per_case", "margin_rate",
           "fund_payment", "self_pay", "deviation_cases", "deviation_share", "reason", "reason_text")
EXPORT = ("rank", "group_id", "name", "group_type", "rw", "cases", "total_cost", "payment", "margin",
          "margin_per_case", "margin_rate", "fund_payment", "self_pay", "other_insurance", "score_fund",
          "ffs_adjustment", "retained", "sharing", "cap_deduction", "violation_deduction", "weighted_score",
          "deviation_cases", "deviation_share", "deviation_margin", "level_cost", "cost_ratio", "coef_effect",
          "excess_cost", "reason", "reason_text")


def cards(v: hv.View, tot: dict, groups: pd.DataFrame) -> None:
    c = st.columns(4)
    c[0].metric(t("hpm_card_cases"), f"{tot['cases']:,}", t("hpm_groups", n=len(groups)), delta_color="off",
                delta_arrow="off", border=True)
    c[1].metric(t("hpm_card_cost"), hv.yuan(tot["total_cost"]), border=True, help=hv.exact(tot["total_cost"]))
    c[2].metric(t("hpm_card_payment"), hv.yuan(tot["payment"]), border=True,
                help=t("hpm_card_payment_help", fund=hv.exact(tot["fund_payment"]), self=hv.exact(tot["self_pay"]),
                       other=hv.exact(tot["other_insurance"])))
    rate = tot["margin"] / tot["total_cost"] if tot["total_cost"] else float("nan")
    losses = int((groups["margin"] < 0).sum())
    c[3].metric(t("hpm_card_margin"), hv.yuan(tot["margin"], sign=True), border=True,
                delta=t("hpm_margin_rate", rate=rate, n=losses), delta_color="off", delta_arrow="off",
                help=hv.exact(tot["margin"]))


def top_chart(groups: pd.DataFrame, n: int) -> go.Figure:
    """The n largest losses and n largest gains, one bar each, labelled to the yuan."""
    return hv.margin_chart(groups, lambda d: [short(f"{g} {nm}") for g, nm in zip(d["group_id"], d["name"].map(str))],
                           n, t("hpm_chart_title", n=n))


def short(label: str, n: int = 34) -> str:
    """A chart label of at most n characters, cut with an ellipsis (the table has the whole name)."""
    return label if len(label) <= n else label[:n - 1] + "…"


def totals_check(v: hv.View, tot: dict, groups: pd.DataFrame) -> None:
    """Σ over the groups against the hospital's settlement (res.hospitals), said in words."""
    diff = max(abs(groups[c].sum() - tot[k]) for c, k in (("payment", "payment"), ("margin", "margin"),
                                                         ("total_cost", "total_cost"), ("fund_payment", "fund_payment")))
    st.caption(t("hpm_totals", fund=hv.exact(tot["fund_payment"]), pay=hv.exact(groups["payment"].sum()),
                 margin=hv.exact(groups["margin"].sum()), diff=diff))


def page() -> None:
    v = hv.start("nav_hp_margins", "hpm_intro")
    if v is None:
        return
    with st.spinner(t("loading")):
        groups = group_margins(v.res, v.hospital_id, v.schemes)
        tot = hospital_totals(v.res, v.hospital_id, v.schemes)
    cards(v, tot, groups)
    totals_check(v, tot, groups)

    st.subheader(t("hpm_chart_head"))
    n = st.slider(t("hpm_top_n"), 5, 30, 10, key="hpm_top_n")
    fig = top_chart(groups, n)
    st.plotly_chart(fig, width="stretch", key="hpm_chart")
    download_png(fig, f"{t('hpm_file')}-{v.hospital_id}", "hpm_png")

    st.subheader(t("hpm_table_head"))
    st.caption(t("hpm_table_caption"))
    c = st.columns([1, 2])
    only = c[0].radio(t("hpm_filter"), ["all", "loss", "gain"], horizontal=True, key="hpm_filter",
                      format_func=lambda x: t(f"hpm_filter_{x}"))
    query = c[1].text_input(t("hpm_search"), key="hpm_search", placeholder=t("hpm_search_hint"))
    rows = groups
    if only != "all":
        rows = rows[rows["margin"] < 0] if only == "loss" else rows[rows["margin"] > 0]
    if query.strip():
        q = query.strip().lower()
        rows = rows[rows["group_id"].str.lower().str.contains(q, regex=False)
                    | rows["name"].map(str).str.lower().str.contains(q, regex=False)]
    shown = hv.table(rows, COLUMNS)
    st.dataframe(shown, hide_index=True, width="stretch", height=min(600, 38 + 35 * max(len(shown), 1)),
                 column_config=hv.column_config(shown, COLUMNS), key="hpm_table")
    st.caption(t("hpm_articles"))
    hv.downloads(v, hv.export(groups, EXPORT), t("hpm_file"), "hvm")


state.run_page(page)

