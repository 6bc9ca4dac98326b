"""科室与医生 Margins per department (科室) and per attending doctor (主诊医师) of one hospital, when its cases
carry those columns: the same figures and reasons as 病种盈亏, ranked by margin, with a chart of the largest
losses and gains. Every figure comes from dip_model.analysis.hospital_margins.margins_by."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dip_model.analysis.hospital_cases import hospital_totals
from dip_model.analysis.hospital_margins import has_breakdown, margins_by
from ui import hospital as hv
from ui import state
from ui.export import download_png
from ui.i18n import t

COLUMNS = ("rank", "groups", "cases", "total_cost", "payment", "margin", "margin_per_case", "margin_rate",
           "deviation_cases", "deviation_share", "reason", "reason_text")
EXPORT = ("rank", "groups", "cases", "total_cost", "payment", "margin", "margin_per_case", "margin_rate", "fund_payment",
          "self_pay", "other_insurance", "weighted_score", "deviation_cases", "deviation_share", "deviation_margin",
          "coef_effect", "excess_cost", "reason", "reason_text")
BY = ("department", "doctor")


def chart(d: pd.DataFrame, by: str, n: int) -> go.Figure:
    """The n largest losses and gains, one bar each, by margin (largest loss on top)."""
    return hv.margin_chart(d, lambda rows: [str(x) or t("hpb_blank") for x in rows[by]], n,
                           t(f"hpb_chart_title_{by}", n=n))


def page() -> None:
    v = hv.start("nav_hp_breakdown", "hpb_intro")
    if v is None:
        return
    have = [b for b in BY if has_breakdown(v.res, b)]
    if not have:
        st.info(t("hpb_no_columns"), icon=":material/table_view:")
        st.markdown(t("hpb_no_columns_more"))
        return
    if len(have) < len(BY):
        st.caption(t(f"hpb_only_{have[0]}"))
    by = st.radio(t("hpb_by"), have, horizontal=True, key="hpb_by", format_func=lambda b: t(f"hpb_by_{b}"))
    with st.spinner(t("loading")):
        d = margins_by(v.res, v.hospital_id, by, v.schemes)
        tot = hospital_totals(v.res, v.hospital_id, v.schemes)
    c = st.columns(4)
    c[0].metric(t(f"hpb_card_n_{by}"), f"{len(d):,}", border=True)
    losses = d[d["margin"] < 0]
    c[1].metric(t(f"hpb_card_losses_{by}"), f"{len(losses):,}", border=True,
                delta=hv.yuan(losses["margin"].sum(), sign=True), delta_color="off", delta_arrow="off")
    c[2].metric(t("hpm_card_payment"), hv.yuan(tot["payment"]), border=True, help=hv.exact(tot["payment"]))
    c[3].metric(t("hpm_card_margin"), hv.yuan(tot["margin"], sign=True), border=True, help=hv.exact(tot["margin"]))
    st.caption(t("hpb_totals", pay=hv.exact(d["payment"].sum()), margin=hv.exact(d["margin"].sum()),
                 diff=max(abs(d["payment"].sum() - tot["payment"]), abs(d["margin"].sum() - tot["margin"]))))
    if "" in set(d[by].astype(str)):
        st.caption(t("hpb_blank_note", n=int(d.loc[d[by].astype(str) == "", "cases"].sum())))

    n = st.slider(t("hpm_top_n"), 3, 30, 10, key="hpb_top_n")
    fig = chart(d, by, n)
    st.plotly_chart(fig, width="stretch", key="hpb_chart")
    download_png(fig, f"{t(f'hpb_file_{by}')}-{v.hospital_id}", "hpb_png")

    st.subheader(t(f"hpb_table_head_{by}"))
    cols = (by, *COLUMNS)
    shown = hv.table(d, cols)
    st.dataframe(shown, hide_index=True, width="stretch", height=min(600, 38 + 35 * max(len(shown), 1)),
                 column_config=hv.column_config(shown, cols), key="hpb_table")
    st.caption(t("hpm_table_caption"))
    hv.downloads(v, hv.export(d, (by, *EXPORT)), t(f"hpb_file_{by}"), f"hpb_{by}")


state.run_page(page)
