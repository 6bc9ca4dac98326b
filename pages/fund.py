"""基金运行 Fund balance (A-3 以收定支、收支平衡、略有结余; docs/rules.md, A-3): revenue, expenditure (DIP final
payments and the other budget lines), closing balance and months of payment per scheme, against the
baseline, with the 6–9-month guidance band. Every figure is read from dip_model's summary."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dip_model.report import charts
from ui import state, widgets
from ui.cards import card_label, card_money, compared_metric, unit
from ui.export import download_excel, download_png
from ui.hospital import city_only
from ui.i18n import current_lang, money, t
from ui.widgets import scheme_list

# expenditure parts, in the order of docs/rules.md, A-3: DIP final payments, then the lines
SPEND = charts.SPEND
ROWS = (("fund_opening_balance", "money", "A-3"), ("fund_revenue", "money", "A-10"),
        *((k, "money", "A-36" if k == "total_final_payment" else "A-11, A-12") for k in SPEND),
        ("fund_expenditure", "money", "A-3"), ("fund_closing_balance", "money", "A-3"),
        ("months_of_payment", "months", "A-3"))


def show(kind: str, v) -> str:
    if v is None or v != v:
        return "—"
    return money(v, unit=unit()) if kind == "money" else t("months_unit", v=v)


def change(kind: str, v, b) -> str:
    if v is None or b is None or v != v or b != b:
        return ""
    d = v - b
    if abs(d) < (0.005 if kind == "money" else 5e-4):
        return ""
    if kind == "money":
        return ("+" if d > 0 else "-") + money(abs(d), unit=unit())
    return t("fnd_months_delta", v=d)


def months_input(path: str) -> None:
    """A guidance-band edge in months (the rule set stores whole numbers; halves are allowed here)."""
    cur = float(state.get_value(path))
    new = st.number_input(widgets.param_label(path), value=cur, step=0.5, format="%.1f", min_value=0.0,
                          help=widgets.param_help(path), key=state.widget_key(path))
    if new != cur:
        state.set_value(path, new)
    widgets.show_error_for(path)


def metrics(s: dict, b: dict | None) -> None:
    """Revenue, expenditure, closing balance and months of payment, each against the baseline."""
    cols = st.columns(4)
    for col, (key, kind) in zip(cols, (("fund_revenue", "money"), ("fund_expenditure", "money"),
                                       ("fund_closing_balance", "money"), ("months_of_payment", "months"))):
        d = None
        if b:
            d = change(kind, s[key], b[key])
            if kind == "money" and d:
                d = card_money(s[key] - b[key], sign=True)
        value = card_money(s[key]) if kind == "money" else show(kind, s[key])
        if key == "months_of_payment" and s["months_status"] in ("low", "high"):
            value = f":{'red' if s['months_status'] == 'low' else 'orange'}[{value}]"
        label = card_label(t(f"fnd_l_{key}")) if kind == "money" else t(f"fnd_l_{key}")
        compared_metric(col, label, value, d, bool(b), "fnd", help=t(f"fnd_help_{key}"))


def band_message(scheme: str, s: dict, low: float, high: float) -> None:
    status = s["months_status"]
    msg = t(f"fnd_band_{status}", scheme=t(scheme), v=s["months_of_payment"], low=low, high=high)
    {"ok": st.success, "low": st.error, "high": st.warning}.get(status, st.info)(msg)


def flow_chart(res, schemes) -> go.Figure:
    """Opening balance, revenue, expenditure (stacked by part) and closing balance per scheme."""
    return charts.fund_flow(res, schemes, current_lang(), unit())


def months_chart(res, base, schemes, low: float, high: float) -> go.Figure:
    """Months of payment per scheme against the baseline, over the shaded guidance band."""
    return charts.fund_months(res, base, schemes, low, high, current_lang())


def fund_tables(res, base, schemes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, export): each fund figure per scheme, current, baseline and change."""
    shown, export = [], []
    for key, kind, article in ROWS:
        head = {t("fnd_col_item"): t(f"fnd_l_{key}"), t("article"): article, t("fnd_col_formula"): t(f"fnd_f_{key}")}
        row_s: dict[str, str] = dict(head)
        row_e: dict[str, object] = {**head, t("unit"): t(f"fnd_unit_{kind}")}
        for s in schemes:
            v = res.summary["schemes"][s][key]
            b = base.summary["schemes"][s][key] if base is not None and s in base.summary["schemes"] else None
            row_s[t("fnd_col_current", scheme=t(s))] = show(kind, v)
            row_e[t("fnd_col_current", scheme=t(s))] = v
            if base is not None:
                row_s[t("fnd_col_baseline", scheme=t(s))] = show(kind, b)
                row_s[t("fnd_col_change", scheme=t(s))] = change(kind, v, b)
                row_e[t("fnd_col_baseline", scheme=t(s))] = b
        shown.append(row_s)
        export.append(row_e)
    return pd.DataFrame(shown), pd.DataFrame(export)


# --- page ---------------------------------------------------------------------------------------

def page() -> None:
    st.title(t("nav_fund"))
    st.caption(t("fnd_intro"))
    if city_only("hp_what_fund"):
        return
    with st.expander(t("fnd_band_inputs")):
        c = st.columns(2)
        with c[0]:
            months_input("fund_balance.guidance_months_low")
        with c[1]:
            months_input("fund_balance.guidance_months_high")
    with st.spinner(t("loading")):
        res, err = state.results()
        base, berr = state.baseline_to_compare() if res is not None else (None, None)
    if res is None:
        st.error(t("fnd_invalid", err=err), icon="⚠️")
        return
    if berr:
        st.warning(t("fnd_baseline_invalid", err=berr))
    schemes = [s for s in scheme_list() if s in res.summary["schemes"]]
    low = float(res.params.get("fund_balance.guidance_months_low"))
    high = float(res.params.get("fund_balance.guidance_months_high"))

    for scheme in schemes:
        s = res.summary["schemes"][scheme]
        st.subheader(t(scheme))
        metrics(s, base.summary["schemes"].get(scheme) if base else None)
        band_message(scheme, s, low, high)

    fig = months_chart(res, base, schemes, low, high)
    st.plotly_chart(fig, width="stretch", key="fnd_months")
    download_png(fig, t("fnd_months_file"), "fnd_months")
    fig = flow_chart(res, schemes)
    st.plotly_chart(fig, width="stretch", key="fnd_flow")
    download_png(fig, t("fnd_flow_file"), "fnd_flow")

    st.subheader(t("fnd_table_header"))
    table, export = fund_tables(res, base, schemes)
    st.dataframe(table, hide_index=True, width="stretch", height=(len(table) + 1) * 35 + 3,
                 column_config={t("fnd_col_item"): st.column_config.TextColumn(width=125),
                                t("article"): st.column_config.TextColumn(width=80),
                                t("fnd_col_formula"): st.column_config.TextColumn(width=210)})
    download_excel(export, t("fnd_table_file"), "fnd_table")
    st.caption(t("fnd_note"))


state.run_page(page)
