"""分担机制 Risk-sharing bands (A-36): edit the retained and overspend bands of each scheme in tables; the
curve payment ÷ score fund against the fund-use rate, current against baseline, with every hospital marked."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dip_model.report import charts
from ui import state
from ui.cards import metric_money, not_applicable, scale, unit_name, wan_label
from ui.export import download_excel, download_png
from ui.i18n import current_lang, t
from ui.texts import band_text
from ui.widgets import param_help, param_label, scheme_list, show_error_for

U_MAX = charts.U_MAX
RET_COLS = ("from", "to", "ratio", "slope", "intercept")
OVER_COLS = ("to", "rate")
MONEY = ["pay_before_cap", "base_pay_before_cap", "diff_pay", "final_payment", "base_final_payment", "diff_final"]


# --- formatting --------------------------------------------------------------------------------

# --- band tables <-> parameter values ------------------------------------------------------------

def _num(v):
    """A table cell as a number, or None when empty (the engine then names the cell)."""
    if v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def _pct(v):
    v = _num(v)
    return None if v is None else round(v / 100.0, 10)


def _x100(v):
    v = _num(v)
    return None if v is None else round(v * 100.0, 8)


def retained_table(bands: list) -> pd.DataFrame:
    rows = []
    for b in bands:
        r = b.get("ratio")
        lin = isinstance(r, dict)
        rows.append({"from": _x100(b.get("from")), "to": _x100(b.get("to")), "ratio": None if lin else _x100(r),
                     "slope": r.get("slope") if lin else None, "intercept": r.get("intercept") if lin else None})
    return pd.DataFrame(rows, columns=list(RET_COLS)).astype(float)


def overspend_table(bands: list) -> pd.DataFrame:
    rows = [{"to": _x100(b.get("to")), "rate": _x100(b.get("rate"))} for b in bands]
    return pd.DataFrame(rows, columns=list(OVER_COLS)).astype(float)


def retained_value(df: pd.DataFrame) -> list:
    """Rows of the retained table as bands; a slope or intercept makes the ratio linear in u (A-36 (二))."""
    out = []
    for _, r in df.iterrows():
        if all(_num(r[c]) is None for c in RET_COLS):
            continue                       # a blank row just added
        slope, icpt = _num(r["slope"]), _num(r["intercept"])
        ratio = {"slope": slope, "intercept": icpt} if slope is not None or icpt is not None else _pct(r["ratio"])
        out.append({"from": _pct(r["from"]), "to": _pct(r["to"]), "ratio": ratio})
    return out


def overspend_value(df: pd.DataFrame) -> list:
    return [{"to": _pct(r["to"]), "rate": _pct(r["rate"])} for _, r in df.iterrows()
            if not (_num(r["to"]) is None and _num(r["rate"]) is None)]


def editor_key(scheme: str, kind: str) -> str:
    ss = st.session_state
    return f"bnd_ed:{ss.get(state.K_REV, 0)}:{scheme}:{kind}:{ss.get(f'bnd_ver:{scheme}', 0)}"


def band_editor(scheme: str, kind: str) -> None:
    """One band table bound to sharing.<scheme>.<kind>; the engine's message appears under it if invalid.
    The table starts from the scenario whenever its editor state is new (first show, page change, reset)."""
    path = f"sharing.{scheme}.{kind}"
    key = editor_key(scheme, kind)
    seed_key = "bnd_seed:" + key
    ss = st.session_state
    if key not in ss or seed_key not in ss:
        cur = state.get_value(path) or []
        ss[seed_key] = retained_table(cur) if kind == "retained" else overspend_table(cur)
    pct = st.column_config.NumberColumn
    if kind == "retained":
        cfg = {"from": pct(t("bnd_c_from"), format="%g", help=t("bnd_h_from")),
               "to": pct(t("bnd_c_to"), format="%g", help=t("bnd_h_to")),
               "ratio": pct(t("bnd_c_ratio"), format="%g", help=t("bnd_h_ratio")),
               "slope": pct(t("bnd_c_slope"), format="%g", help=t("bnd_h_linear")),
               "intercept": pct(t("bnd_c_intercept"), format="%g", help=t("bnd_h_linear"))}
    else:
        cfg = {"to": pct(t("bnd_c_over_to"), format="%g", help=t("bnd_h_over_to")),
               "rate": pct(t("bnd_c_rate"), format="%g", help=t("bnd_h_rate"))}
    st.markdown(f"**{param_label(path)}**", help=param_help(path))
    edited = st.data_editor(ss[seed_key], key=key, num_rows="dynamic", hide_index=True, width="stretch",
                            column_config=cfg, placeholder="")
    new = retained_value(edited) if kind == "retained" else overspend_value(edited)
    if new != state.get_value(path):
        state.set_value(path, new)
    show_error_for(path)
    st.caption(t(f"bnd_note_{kind}"))


def reset_scheme(scheme: str) -> None:
    """Back to the rule set's bands for one scheme; the tables start afresh."""
    for kind in ("retained", "overspend"):
        state.set_value(f"sharing.{scheme}.{kind}", state.builtin_params().get(f"sharing.{scheme}.{kind}"))
    st.session_state[f"bnd_ver:{scheme}"] = st.session_state.get(f"bnd_ver:{scheme}", 0) + 1


# --- results -----------------------------------------------------------------------------------

def chart(res, base, schemes: list[str]) -> None:
    """The band curves with every hospital (the figure the reports and the presentation mode show)."""
    fig = charts.band_chart(res, base, schemes, current_lang(), U_MAX)
    st.plotly_chart(fig, width="stretch", key="bnd_curve_fig")
    beyond = charts.beyond_axis(res, schemes, U_MAX)
    if beyond:
        st.caption(t("bnd_beyond", n=beyond, u=f"{U_MAX:.0%}"))
    download_png(fig, t("bnd_chart_file"), "bnd_curve_png")


def totals(res, base, schemes: list[str]) -> None:
    """Per scheme: retained, shared, cap deduction and final payments, with the change against the baseline."""
    for s in schemes:
        cur = res.summary["schemes"].get(s)
        if cur is None:
            continue
        old = base.summary["schemes"].get(s) if base is not None else None
        st.markdown(f"**{t(s)}**")
        c = st.columns(4)
        for col, k in zip(c, ("total_retained", "total_sharing", "cap_deduction", "total_final_payment")):
            label = wan_label(t(f"bnd_m_{k}"))
            if cur[k] is None:                  # the cap in a hospital folder (A-36: needs the city's F)
                not_applicable(col, label, "A-36")
                continue
            delta = None if old is None else cur[k] - old[k]
            shown = None if delta is None or abs(delta) < 0.005 else ("-" if delta < 0 else "+") + metric_money(abs(delta))
            col.metric(label, metric_money(cur[k]), shown, delta_color="off", help=t("bnd_m_help"))


def hospital_table(res, base, schemes: list[str]) -> None:
    h = res.hospitals[res.hospitals["scheme"].isin(schemes)]
    cols = ["hospital_id", "scheme", "pay_before_cap", "final_payment"]
    d = h[["hospital_id", "name", "scheme", "usage_rate", "band", "score_fund", "pay_before_cap", "final_payment"]]
    if base is not None:
        b = base.hospitals[cols].rename(columns={"pay_before_cap": "base_pay_before_cap",
                                                 "final_payment": "base_final_payment"})
        d = d.merge(b, on=["hospital_id", "scheme"], how="left")
    else:
        d = d.assign(base_pay_before_cap=np.nan, base_final_payment=np.nan)
    d = d.assign(diff_pay=d["pay_before_cap"] - d["base_pay_before_cap"],
                 diff_final=d["final_payment"] - d["base_final_payment"])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d["score_fund"] > 0, d["pay_before_cap"] / d["score_fund"], np.nan)
    view = pd.DataFrame({t("col_hospital_id"): d["hospital_id"], t("col_name"): d["name"],
                         t("col_scheme"): d["scheme"].map(t), t("bnd_col_usage"): d["usage_rate"] * 100,
                         t("col_band"): d["band"].map(band_text), t("bnd_col_ratio"): ratio * 100})
    for c in MONEY:
        view[t(f"bnd_col_{c}", unit=unit_name())] = d[c].to_numpy(float) / scale()
    cfg = {t(f"bnd_col_{c}", unit=unit_name()): st.column_config.NumberColumn(format="localized", step=0.01)
           for c in MONEY}
    cfg[t("bnd_col_usage")] = st.column_config.NumberColumn(format="%.2f%%")
    cfg[t("bnd_col_ratio")] = st.column_config.NumberColumn(format="%.2f%%")
    st.dataframe(view, hide_index=True, width="stretch", column_config=cfg, key="bnd_hosp_df")
    download_excel(view, t("bnd_table_file"), "bnd_hosp_xlsx")


def page() -> None:
    st.title(t("nav_bands"))
    st.caption(t("bnd_caption"))
    schemes = scheme_list()
    for s in schemes:
        with st.container(border=True):
            head = st.columns([4, 1])
            head[0].subheader(t("bnd_scheme_head", scheme=t(s)))
            if head[1].button(t("bnd_reset"), key=f"bnd_reset:{s}", width="stretch"):
                reset_scheme(s)
            c = st.columns([3, 2])
            with c[0]:
                band_editor(s, "retained")
            with c[1]:
                band_editor(s, "overspend")
    with st.spinner(t("loading")):
        res, base, err, berr = state.results_and_baseline()
    if res is None:
        p_err = state.error_path(err) or ""
        st.error(t("bnd_invalid_bands") if p_err.startswith("sharing.") else t("bnd_invalid", err=err), icon="⚠️")
        return
    if berr:
        st.warning(t("bnd_baseline_invalid", err=berr))
    st.subheader(t("bnd_chart_head"))
    st.caption(t("bnd_chart_caption"))
    chart(res, base, schemes)
    totals(res, base, schemes)
    st.subheader(t("bnd_table_head"))
    hospital_table(res, base, schemes)


state.run_page(page)
