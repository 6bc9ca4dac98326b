"""预算 Budget: the budget parameters (A-10, A-11, A-13, A-14) and the derivation from prior expenditure
to the DIP cost payable, step by step with articles, against the baseline. Figures come from
dip_model (budget.scheme_budget's intermediates, via dip_model.analysis.budget_derivation)."""
import pandas as pd
import streamlit as st

from dip_model.report import charts
from dip_model.rules.budget import revenue_figures
from dip_model.analysis.budget_derivation import derivation
from dip_model.params import per_scheme
from ui import state, widgets
from ui.cards import card_label, card_money, compared_metric, unit
from ui.export import download_excel, download_png
from ui.hospital import city_only
from ui.i18n import current_lang, money, t, tr
from ui.widgets import scheme_list

SCHEMES = ("employee", "resident")


def write(path: str, scheme: str | None, value) -> None:
    """Set one scheme's entry of a per-scheme parameter (or the whole value); equal entries collapse."""
    if scheme is None:
        state.set_value(path, value)
        return
    whole = state.get_value(path)
    whole = dict(whole) if isinstance(whole, dict) else {s: whole for s in SCHEMES}
    whole[scheme] = value
    state.set_value(path, whole[SCHEMES[0]] if whole[SCHEMES[0]] == whole[SCHEMES[1]] else whole)


def nullable_rate(path: str, scheme: str | None, null_label: str, default: float | None) -> None:
    """A rate whose null has a meaning in the rules (follow g_R, no ceiling, ρ from the cases):
    ticked = null; unticked = a percentage input, seeded with the figure the rule would use."""
    cur = per_scheme(state.get_value(path), scheme) if scheme else state.get_value(path)
    ticked = st.checkbox(null_label, value=cur is None, key=state.widget_key(path, scheme, "null"),
                         help=widgets.param_help(path))
    if ticked and cur is not None:
        write(path, scheme, None)
    elif not ticked and cur is None:
        write(path, scheme, default)
    if not ticked:
        widgets.number(path, percent=True, scheme=scheme, step=0.1, fmt="%.2f")
    else:
        own_error(path, scheme)


def own_error(path: str, scheme: str | None) -> None:
    """The validation message of this parameter (of this scheme's entry only), next to its input."""
    _, err = state.params_or_error()
    at = state.error_path(err)
    if at and (at == path or at == f"{path}.{scheme}" or scheme is None and at.startswith(path + ".")):
        st.error(tr(err), icon="⚠️")


def scheme_inputs(scheme: str, fund_row, base_summary: dict | None) -> None:
    """Per-scheme parameters: growth rate, in-year adjustment, payment-rate override (and ceiling if per scheme)."""
    gR = revenue_figures(fund_row)[2] if fund_row is not None else None
    g_txt = f"{gR * 100:.2f}%" if gR is not None else "—"
    nullable_rate("budget.growth_rate", scheme, t("bdg_follow_revenue", g=g_txt), gR if gR is not None else 0.05)
    if isinstance(state.get_value("budget.growth_cap"), dict):
        nullable_rate("budget.growth_cap", scheme, t("bdg_no_cap"), 0.08)
    widgets.number("budget.adjustment", scheme=scheme, step=100_000.0, fmt="%.2f")
    dB = per_scheme(state.get_value("budget.adjustment"), scheme) or 0.0
    st.caption(t("bdg_adjustment_shown", v=money(dB, unit=unit())))
    rho = base_summary["payment_rate"] if base_summary else None
    nullable_rate("payment_rate", scheme, t("bdg_rho_from_data"), rho if rho == rho and rho else 0.7)


def city_inputs() -> None:
    """Parameters common to both schemes: ceiling, adjustment-fund cap, prior-year branch, reason."""
    if not isinstance(state.get_value("budget.growth_cap"), dict):
        nullable_rate("budget.growth_cap", None, t("bdg_no_cap"), 0.08)
    widgets.number("budget.adjustment_fund_cap", percent=True, step=0.5, fmt="%.2f", min_value=0.0, max_value=100.0)
    path = "budget.prior_year_balanced"
    opts = {"auto": None, "yes": True, "no": False}
    cur = state.get_value(path)
    now = {None: "auto", True: "yes", False: "no"}.get(cur, "auto")
    pick = st.selectbox(widgets.param_label(path), list(opts), index=list(opts).index(now),
                        format_func=lambda k: t(f"bdg_balanced_{k}"), help=widgets.param_help(path),
                        key=state.widget_key(path))
    if pick != now:
        state.set_value(path, opts[pick])
    widgets.show_error_for(path)
    path = "budget.adjustment_reason"
    cur = state.get_value(path) or ""
    new = st.text_area(widgets.param_label(path), value=cur, help=widgets.param_help(path),
                       key=state.widget_key(path), height=80)
    if new != cur:
        state.set_value(path, new)


# --- derivation table ---------------------------------------------------------------------------

def show(unit_kind: str, v, key: str = "") -> str:
    if unit_kind == "branch":
        return t("bdg_balanced") if v else t("bdg_deficit")
    if v is None or v != v:
        return t("bdg_no_cap") if key == "growth_cap" else "—"
    if unit_kind == "yuan":
        return money(v, unit=unit())
    if unit_kind == "rate":
        return f"{v * 100:.2f}%"
    if unit_kind == "points":
        return f"{v:,.1f}"
    return f"{v:.3f}"


def change(unit_kind: str, v, b) -> str:
    """The change against the baseline, '' when there is none."""
    if unit_kind == "branch":
        return "" if bool(v) == bool(b) else t("bdg_changed")
    if v is None or b is None or v != v or b != b:
        return "" if v == b or (v is None and b is None) else t("bdg_changed")
    d = v - b
    if abs(d) < (5e-4 if unit_kind == "yuan/point" else 1e-9 if unit_kind == "rate" else 0.005):
        return ""
    if unit_kind == "yuan":
        return ("+" if d > 0 else "-") + money(abs(d), unit=unit())
    if unit_kind == "rate":
        return t("bdg_pp", v=d * 100)
    if unit_kind == "points":
        return f"{d:+,.1f}"
    return f"{d:+.3f}"


def raw(unit_kind: str, v):
    """A figure for the export: the number itself, a branch in words."""
    if unit_kind == "branch":
        return t("bdg_balanced") if v else t("bdg_deficit")
    return v


def formula(row: dict, s: dict, vals: dict, cap_rate: float) -> str:
    """How a row's figure is obtained, in words and symbols (the branch actually taken)."""
    key, src = row["key"], row["source"]
    if key in ("revenue", "revenue_growth") and src == "derived":
        return t(f"bdg_f_{key}_derived")
    if src in ("data", "missing"):
        return t("bdg_f_data")
    if key in ("growth_rate", "payment_rate", "prior_year_balanced") and src == "param":
        return t("bdg_f_param")
    if key == "budget_base":
        return t("bdg_f_budget_base_" + ("balanced" if s["prior_year_balanced"] else "deficit"))
    if key in ("adjustment_fund_capped", "adjustment_fund"):
        took = "grown" if vals["adjustment_fund_grown"] <= vals["adjustment_fund_capped"] else "capped"
        extra = t(f"bdg_took_{took}") if key == "adjustment_fund" else ""
        return t(f"bdg_f_{key}", a=cap_rate * 100) + extra
    if key == "budget_adjustment" and vals.get("_reason"):
        return t("bdg_f_budget_adjustment_reason", reason=vals["_reason"])
    return t(f"bdg_f_{key}")


def derivation_tables(res, base, scheme: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, export): the derivation rows with current, baseline and change; export keeps raw numbers."""
    s = res.summary["schemes"][scheme]
    rows = derivation(res, scheme)
    brows = {r["key"]: r for r in derivation(base, scheme)} if base and scheme in base.summary["schemes"] else {}
    vals = {r["key"]: r["value"] for r in rows}
    vals["_reason"] = res.params.get("budget.adjustment_reason")
    cap_rate = float(res.params.get("budget.adjustment_fund_cap"))
    shown, export = [], []
    for r in rows:
        b = brows.get(r["key"], {}).get("value") if brows else None
        head = {t("bdg_col_symbol"): r["symbol"], t("bdg_col_item"): t(f"bdg_l_{r['key']}"),
                t("article"): r["article"], t("bdg_col_formula"): formula(r, s, vals, cap_rate),
                t("bdg_col_source"): t(f"bdg_src_{r['source']}")}
        shown.append({**head, t("bdg_col_current"): show(r["unit"], r["value"], r["key"]),
                      t("bdg_col_baseline"): show(r["unit"], b, r["key"]) if brows else "—",
                      t("bdg_col_change"): change(r["unit"], r["value"], b) if brows else ""})
        export.append({**head, t("unit"): t(f"bdg_unit_{r['unit'].replace('/', '_')}"),
                       t("bdg_col_current"): raw(r["unit"], r["value"]),
                       t("bdg_col_baseline"): raw(r["unit"], b) if brows else None})
    return pd.DataFrame(shown), pd.DataFrame(export)


def highlight(df: pd.DataFrame):
    """Shade the rows that differ from the baseline."""
    col = t("bdg_col_change")
    return df.style.apply(lambda r: ["background-color: rgba(255, 200, 0, 0.18)" if r[col] else ""] * len(r), axis=1)


def key_metrics(s: dict, b: dict | None) -> None:
    """B, F, C and the point value, with their change against the baseline."""
    cols = st.columns(4)
    for col, (key, kind) in zip(cols, (("budget_total", "yuan"), ("dip_fund_payable", "yuan"),
                                       ("dip_cost_payable", "yuan"), ("settlement_point_value", "yuan/point"))):
        d = None
        if b:
            d = change(kind, s[key], b[key])
            if kind == "yuan" and d:
                d = card_money(s[key] - b[key], sign=True)
        label, value = (card_label(t("bdg_l_" + key)), card_money(s[key])) if kind == "yuan" else \
            (t("bdg_l_" + key), show(kind, s[key]))
        compared_metric(col, label, value, d, bool(b), "bdg")


# --- page ---------------------------------------------------------------------------------------

def page() -> None:
    st.title(t("nav_budget"))
    st.caption(t("bdg_intro"))
    if city_only("hp_what_budget"):
        return
    data = state.dataset()
    assert data.fund is not None          # a city dataset has its fund table
    fund = data.fund.set_index("scheme")
    base, berr = state.baseline_results()            # also what the payment-rate input starts from
    schemes = [s for s in scheme_list() if s in fund.index]

    st.subheader(t("bdg_inputs"))
    cols = st.columns(len(schemes) + 1)
    for col, scheme in zip(cols, schemes):
        with col, st.container(border=True):
            st.markdown(f"**{t(scheme)}**")
            scheme_inputs(scheme, fund.loc[scheme].to_dict(),
                          base.summary["schemes"].get(scheme) if base else None)
    with cols[-1], st.container(border=True):
        st.markdown(f"**{t('bdg_city_wide')}**")
        city_inputs()
    st.caption(t("bdg_data_note"))

    res, err = state.results()
    if res is None:
        st.error(t("bdg_invalid", err=err), icon="⚠️")
        return
    if berr:
        st.warning(t("bdg_baseline_invalid", err=berr))
        base = None

    st.subheader(t("bdg_derivation"))
    st.caption(t("bdg_derivation_caption"))
    # lazy tabs: only the scheme shown is drawn (picking the other one reruns the page)
    tabs = st.tabs([t(s) for s in schemes], key=f"bdg_scheme_tab:{current_lang()}", on_change="rerun")
    for tab, scheme in zip(tabs, schemes):
        if tab.open is False:
            continue
        with tab:
            key_metrics(res.summary["schemes"][scheme], base.summary["schemes"].get(scheme) if base else None)
            table, export = derivation_tables(res, base, scheme)
            st.dataframe(highlight(table), hide_index=True, width="stretch", height=(len(table) + 1) * 35 + 3,
                         column_config={t("bdg_col_symbol"): st.column_config.TextColumn(width=55),
                                        t("bdg_col_item"): st.column_config.TextColumn(width=185),
                                        t("article"): st.column_config.TextColumn(width=80),
                                        t("bdg_col_formula"): st.column_config.TextColumn(width=290),
                                        t("bdg_col_source"): st.column_config.TextColumn(width=95),
                                        t("bdg_col_change"): st.column_config.TextColumn(width=110)})
            download_excel(export, t("bdg_file", scheme=t(scheme)), f"bdg_{scheme}")
    # point value per scheme against the baseline and the budget point value
    fig = charts.point_values(res, base, [s for s in schemes if s in res.summary["schemes"]], current_lang())
    st.plotly_chart(fig, width="stretch", key="bdg_pv_fig")
    download_png(fig, t("rep_pv_title"), "bdg_pv_png")


state.run_page(page)
