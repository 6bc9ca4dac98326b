"""总览 Overview: headline figures per scheme from the engine."""
import streamlit as st

import dip_model
from ui.i18n import money, t
from ui import state

st.title(t("app_title"))
st.caption(t("caption"))
try:
    with st.spinner(t("generating")):
        state.ensure_sample()
    with st.spinner(t("loading")):
        res, err = state.results()
except dip_model.DipError as err:
    res, err = None, str(err)
except Exception as exc:  # never show a traceback
    res, err = None, t("unexpected", kind=type(exc).__name__)
if err:
    st.error(f"{t('error_data')}: {err}")
    st.stop()

for scheme, s in res.summary["schemes"].items():
    st.subheader(t("headline", scheme=t(scheme)))
    c = st.columns(4)
    c[0].metric(t("budget_total"), money(s["budget_total"]))
    c[1].metric(t("dip_fund_payable"), money(s["dip_fund_payable"]))
    c[2].metric(t("settlement_point_value"), f"{s['settlement_point_value']:.3f}",
                f"{s['settlement_point_value'] - s['budget_point_value']:+.3f} vs {t('budget_point_value')}")
    c[3].metric(t("total_final_payment"), money(s["total_final_payment"]))
    c = st.columns(4)
    c[0].metric(t("cap_deduction"), money(s["cap_deduction"]))
    c[1].metric(t("fund_closing_balance"), money(s["fund_closing_balance"]))
    c[2].metric(t("months_of_payment"), t("months_unit", v=s["months_of_payment"]))

st.subheader(t("hospitals"))
cols = ["hospital_id", "name", "scheme", "cases", "total_score", "score_fund", "usage_rate", "band", "final_payment",
        "year_end_settlement"]
view = res.hospitals[cols].copy()
view["scheme"] = view["scheme"].map(t)
st.dataframe(
    view.rename(columns={c: t(f"col_{c}") for c in cols}), hide_index=True, width="stretch",
    column_config={t("col_usage_rate"): st.column_config.NumberColumn(format="percent"),
                   **{t(f"col_{c}"): st.column_config.NumberColumn(format="localized")
                      for c in ("total_score", "score_fund", "final_payment", "year_end_settlement")}},
)
if res.summary["warnings"]:
    with st.expander(t("warnings")):
        for w in res.summary["warnings"]:
            st.write("• " + w)
