"""总览 Overview: headline cards per scheme against the baseline, the budget waterfall (A-10 … A-12)
down to the DIP payable, and the engine's warnings. Every figure is read from dip_model's summary.

In a hospital folder the cards are what the folder settles (the published point value, the payments, the
pre-payments and the year-end settlement), and the steps that need the whole city (the budget, the global
cap, the fund balance) are listed as not applicable, as the engine reports them, instead of cards."""
import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dip_model.report import charts
from ui import state
from ui.cards import card_label, card_money, unit
from ui.export import download_excel, download_png
from ui.i18n import current_lang, money, t, tr
from ui.widgets import scheme_list

# headline cards: (summary key, kind, article)
CARDS = (("budget_total", "money", "A-10"), ("dip_fund_payable", "money", "A-12"),
         ("settlement_point_value", "pv", "A-34.2"), ("total_final_payment", "money", "A-36"),
         ("cap_deduction", "money", "A-36"), ("fund_closing_balance", "money", "A-3"),
         ("months_of_payment", "months", "A-3"))
# a hospital folder: what it settles (A-34 given, A-36, A-32, A-37)
HOSPITAL_CARDS = (("settlement_point_value", "pv", "A-34.2"), ("total_final_payment", "money", "A-36"),
                  ("total_monthly_prepaid", "money", "A-32"), ("total_year_end_settlement", "money", "A-37"))


def fmt_money(v) -> str:
    return money(v, unit=unit())


def signed_money(d):
    """A signed delta for st.metric (0 = no change)."""
    if d is None or d != d:
        return None
    if abs(d) < 0.005:
        return 0
    return card_money(d, sign=True)


def card(s: dict, b: dict | None, key: str, kind: str, article: str) -> None:
    """One bordered card: the working value, its change against the baseline, the baseline value."""
    v = s[key]
    bv = b[key] if b else None
    if kind == "money":
        shown, delta = card_money(v), (signed_money(v - bv) if b else None)
        base_txt = fmt_money(bv) if b else None
    elif kind == "pv":
        shown = f"{v:.3f}"
        d = None if not b else (0 if abs(v - bv) < 5e-7 else f"{v - bv:+.3f}")
        delta, base_txt = d, (f"{bv:.3f}" if b else None)
    else:  # months of payment, coloured outside the guidance band
        colour = {"low": "red", "high": "orange"}.get(s["months_status"])
        txt = t("months_unit", v=v) if v == v else "—"
        shown = f":{colour}[{txt}]" if colour else txt
        d = None if not b or bv != bv or v != v else (0 if abs(v - bv) < 5e-4 else t("ovw_months_delta", v=v - bv))
        delta, base_txt = d, (t("months_unit", v=bv) if b and bv == bv else None)
    with st.container(border=True, height="stretch"):
        # neutral colours: whether a change is good is a policy judgement (and red means "up" in China)
        same = delta == 0
        label = card_label(t(key)) if kind == "money" else t(key)
        given = kind == "pv" and s.get("point_value_source") == "given"     # published, not A-34.2's
        st.metric(label, shown, t("ovw_no_change") if same else delta, delta_color="off",
                  delta_arrow="off" if same else "auto",
                  help=t(f"ovw_help_{key}" + ("_given" if given else ""), article=article),
                  delta_description=t("ovw_vs_baseline") if delta is not None and not same else None)
        if kind == "pv":
            ratio = v / s["budget_point_value"] if s["budget_point_value"] else math.nan
            st.caption(t("ovw_pv_vs_budget", pvb=s["budget_point_value"], ratio=ratio * 100))
            if given:
                st.caption(t("ovw_pv_given"))
        if base_txt is not None:
            st.caption(t("ovw_baseline_value", v=base_txt))


def band_note(s: dict, low: float, high: float) -> None:
    """The fourth card of the second row: where the months of payment sit against the 6–9 band."""
    with st.container(border=True, height="stretch"):
        st.markdown(f"**{t('ovw_guidance_band')}**")
        status = s["months_status"]
        msg = t(f"ovw_band_{status}", low=low, high=high)
        {"ok": st.success, "low": st.error, "high": st.warning}.get(status, st.info)(msg)


def not_applicable(s: dict) -> None:
    """The steps a hospital folder does not compute (the engine's not_applicable messages)."""
    st.info(t("ovw_na_head") + "\n" + "\n".join(f"- {tr(m)}" for m in s.get("not_applicable") or []),
            icon=":material/domain:")


def headline_table(res, base, schemes, cards) -> pd.DataFrame:
    """The cards as a table (for Excel): current, baseline and change of each figure, raw units."""
    rows = []
    for s in schemes:
        cur = res.summary["schemes"][s]
        b = base.summary["schemes"].get(s) if base else None
        for key, kind, article in cards + (("budget_point_value", "pv", "A-17"),):
            bv = b[key] if b else None
            rows.append({t("ovw_col_scheme"): t(s), t("ovw_col_item"): t(key), t("article"): article,
                         t("unit"): t("ovw_unit_" + kind), t("ovw_col_current"): cur[key],
                         t("ovw_col_baseline"): bv, t("ovw_col_change"): None if bv is None else cur[key] - bv})
    return pd.DataFrame(rows)


def waterfall(s: dict, scheme: str) -> go.Figure:
    """B (or B₀ + ΔB) minus the A-11/A-12 lines down to F (the figure the reports export too)."""
    return charts.waterfall(s, scheme, current_lang(), unit())


def waterfalls(res, schemes) -> None:
    """The budget waterfall of each scheme, on request (a city dataset: the budget is the city's)."""
    st.subheader(t("ovw_wf_header"))
    st.caption(t("ovw_wf_caption"))
    # drawn on request: the cards come first on a cold start (the budget page always shows it)
    if st.toggle(t("ovw_wf_toggle"), key="ovw_wf_show"):
        for col, scheme in zip(st.columns(len(schemes)), schemes):
            with col:
                fig = waterfall(res.summary["schemes"][scheme], scheme)
                st.plotly_chart(fig, width="stretch", key=f"ovw_wf_{scheme}")
                download_png(fig, t("ovw_wf_file", scheme=t(scheme)), f"ovw_wf_{scheme}")


def page() -> None:
    st.title(t("nav_overview"))
    st.caption(t("caption"))
    with st.spinner(t("loading")):
        state.ensure_sample()
        res, err = state.results()
        base, berr = state.baseline_to_compare() if res is not None else (None, None)
    if res is None:
        st.error(t("ovw_invalid", err=err))
        return
    schemes = [s for s in scheme_list() if s in res.summary["schemes"]]
    if berr:
        st.warning(t("ovw_baseline_invalid", err=berr))
    if state.same_as_baseline():
        st.info(t("ovw_same_as_baseline"))          # nothing to compare: no deltas
    low = res.params.get("fund_balance.guidance_months_low")
    high = res.params.get("fund_balance.guidance_months_high")
    city = res.mode != "hospital"
    cards = CARDS if city else HOSPITAL_CARDS
    for scheme in schemes:
        s = res.summary["schemes"][scheme]
        b = base.summary["schemes"].get(scheme) if base else None
        st.subheader(t("headline", scheme=t(scheme)))
        for row in ((CARDS[:4], CARDS[4:]) if city else (HOSPITAL_CARDS,)):
            cols = st.columns(4)
            for col, (key, kind, article) in zip(cols, row):
                with col:
                    card(s, b, key, kind, article)
            if len(row) == 3:
                with cols[3]:
                    band_note(s, low, high)
    if not city and schemes:
        not_applicable(res.summary["schemes"][schemes[0]])

    if city:
        waterfalls(res, schemes)
    with st.expander(t("ovw_table_header")):
        table = headline_table(res, base, schemes, cards)
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="localized")
                                    for c in (t("ovw_col_current"), t("ovw_col_baseline"), t("ovw_col_change"))})
        download_excel(table, t("ovw_table_file"), "ovw_table")

    warnings = res.summary["warnings"]
    with st.expander(t("ovw_warnings", n=len(warnings)), expanded=False):
        if warnings:
            st.caption(t("ovw_warnings_note"))
            for w in warnings:
                st.markdown("- " + tr(w))
        else:
            st.write(t("ovw_no_warnings"))


state.run_page(page)
