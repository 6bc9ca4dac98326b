"""医院预测 Hospital forecast: a hospital's expected final payment and year-end settlement from its cases of
months 1…m (picked from the dataset or uploaded), with P10–P90 from a city point-value range (the Monte Carlo's
P10–P90 or entered by hand), where it sits in the risk-sharing bands, and what would move it to the next band.
Every figure comes from dip_model.analysis.hospital_forecast."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import dip_model
from dip_model.access import check_hospital, visible_forecast
from dip_model.analysis.bands import bands_of, curve, regions
from dip_model.analysis.hospital_forecast import forecast, pv_range_from_montecarlo, read_ytd
from dip_model.analysis.montecarlo import run_montecarlo
from ui import state
from ui.access import user
from ui.cards import card_label, card_money
from ui.export import download_excel, download_png
from ui.figures import font
from ui.hospital import city_only
from ui.i18n import t
from ui.texts import band_text, fixed, labeller
from ui.widgets import scheme_list

U_MAX = 1.6
COLORS = {"employee": "#1f77b4", "resident": "#ff7f0e"}
PV_DRAWS = 200


@st.cache_resource(show_spinner=False, max_entries=4)
def _mc_range(_data, data_key: str, _params, params_key: str) -> dict:
    """P10 / P50 / P90 of each scheme's point value from a light Monte Carlo (default assumptions)."""
    return pv_range_from_montecarlo(run_montecarlo(_data, _params, draws=PV_DRAWS, seed=0, scheduler="threads"))


@st.cache_resource(show_spinner=False, max_entries=8)
def _forecast(_data, data_key: str, _params, params_key: str, hospital: str, months: int, _ytd, ytd_key: str,
              pv_key: str, _pv: dict):
    return forecast(_data, _params, hospital, months=months, ytd=_ytd, pv_range=_pv)


def hospital_options(data) -> list[str]:
    return data.hospitals["hospital_id"].tolist()


def inputs(data: dip_model.DataSet,
           res: dip_model.Results) -> tuple[str, int | None, pd.DataFrame | None, str, str | None]:
    """(hospital, months, ytd frame or None, ytd key, error message)."""
    h = data.hospitals.set_index("hospital_id")
    mode = st.radio(t("hf_source"), ["pick", "upload"], horizontal=True, key="hf_source",
                    format_func=labeller("hf_source_"))
    ids = hospital_options(data)
    sizes = res.hospitals.groupby("hospital_id")["cases"].sum()
    default = ids.index(sizes.idxmax()) if len(sizes) else 0
    c = st.columns([2, 1])
    hid = c[0].selectbox(t("hf_hospital"), ids, index=default, key="hf_hospital",
                         format_func=fixed({k: f"{k} {n}" for k, n in h["name"].items()}))
    ytd, ytd_key, err = None, "", None
    if mode == "upload":
        up = st.file_uploader(t("hf_upload"), type=["csv", "xlsx"], key="hf_upload", help=t("hf_upload_help"))
        if up is None:
            st.info(t("hf_upload_wait"))
            return hid, None, None, "", "wait"
        raw = up.getvalue()
        ytd_key = hashlib.sha256(raw).hexdigest()
        try:
            ytd = read_ytd(raw, data, up.name)
        except dip_model.DipError as e:
            return hid, None, None, ytd_key, e.message
        last = int(ytd["discharge_date"].dt.month.max()) if len(ytd) else 6
        months = c[1].number_input(t("hf_months"), min_value=max(1, last), max_value=11, value=min(max(1, last), 11),
                                   help=t("hf_months_help"), key=f"hf_months_up:{ytd_key[:8]}")
    else:
        months = c[1].number_input(t("hf_months"), min_value=1, max_value=11, value=6, help=t("hf_months_help"),
                                   key="hf_months")
    return hid, int(months), ytd, ytd_key, err


def pv_inputs(data, p, res, schemes) -> tuple[dict, str]:
    mode = st.radio(t("hf_pv_source"), ["mc", "manual"], horizontal=True, key="hf_pv_source",
                    format_func=labeller("hf_pv_source_", n=PV_DRAWS))
    if mode == "mc":
        with st.spinner(t("hf_pv_running", n=PV_DRAWS)):
            full = state.full_dataset()       # the city's point values only
            rng = _mc_range(full, f"{full.source}|{full.version}", p, p.digest())
        st.caption(t("hf_pv_mc_note", text="; ".join(f"{t(s)} {lo:.3f} / {ce:.3f} / {hi:.3f}"
                                                        for s, (lo, ce, hi) in rng.items() if s in schemes)))
        return rng, "mc"
    rng = {}
    for s in res.summary["schemes"]:
        pv = float(res.summary["schemes"][s]["settlement_point_value"])
        c = st.columns(3)
        vals = [c[i].number_input(t(f"hf_pv_{k}", scheme=t(s)), min_value=0.001, value=round(pv * f, 3), step=0.05,
                                  format="%.3f", key=f"hf_pv:{s}:{k}")
                for i, (k, f) in enumerate((("low", 0.95), ("central", 1.0), ("high", 1.05)))]
        rng[s] = tuple(vals)
    return rng, "manual:" + repr(sorted(rng.items()))


def cards(fc, schemes) -> None:
    for s in schemes:
        row = fc.summary[fc.summary["scheme"] == s]
        if row.empty:
            continue
        r = row.iloc[0]
        st.subheader(t("hf_scheme_head", scheme=t(s)))
        c = st.columns(2) + st.columns(2)
        c[0].metric(card_label(t("hf_card_final")), card_money(r["final_payment"]), border=True,
                    delta=t("hf_range", lo=card_money(r["final_payment_p10"]), hi=card_money(r["final_payment_p90"])),
                    delta_color="off", delta_arrow="off", help=t("hf_card_final_help"))
        ye = r["year_end_settlement"]
        c[1].metric(card_label(t("hf_card_year_end_pay" if ye >= 0 else "hf_card_year_end_back")),
                    card_money(abs(ye)), border=True,
                    delta=t("hf_range", lo=card_money(r["year_end_settlement_p10"]), hi=card_money(r["year_end_settlement_p90"])),
                    delta_color="off", delta_arrow="off", help=t("hf_card_year_end_help"))
        c[2].metric(card_label(t("hf_card_prepaid", m=fc.months)), card_money(r["prepaid_to_date"]), border=True,
                    delta=t("hf_prepaid_year", v=card_money(r["prepaid_year"])), delta_color="off", delta_arrow="off",
                    help=t("hf_card_prepaid_help", m=fc.months))
        c[3].metric(t("hf_card_usage"), f"{r['usage_rate']:.1%}", border=True, delta=band_text(r["band"]),
                    delta_color="off", delta_arrow="off", help=t("hf_card_usage_help"))
        st.caption(t("hf_basis", m=fc.months, share=r["ytd_share"], seas=t(f"hf_seas_{r['seasonality']}"),
                     ytd=int(r["ytd_cases"]), proj=r["projected_cases"], lo=r["pv_low"], ce=r["pv_central"],
                     hi=r["pv_high"]))


def band_chart(fc, params, schemes) -> go.Figure:
    """The scheme's payment ÷ score-fund curve (A-36) with the hospital's forecast point and its P10–P90
    range of the fund-use rate."""
    fig = go.Figure()
    shaded: set[str] = set()
    lo_x, hi_x = U_MAX, 0.0
    curves = []
    for s in schemes:
        if s not in fc.components:
            continue
        b = bands_of(params, s)
        if not shaded:
            for reg in regions(b, U_MAX):
                colour = {"retained": "#c6f6d5", "full": "#e2e8f0", "overspend": "#feebc8", "beyond": "#fed7d7"}[reg["kind"]]
                fig.add_vrect(x0=reg["lo"], x1=reg["hi"], fillcolor=colour, opacity=0.45, line_width=0, layer="below")
            shaded.add(s)
        cv = curve(b, U_MAX)
        curves.append(cv)
        fig.add_scatter(x=cv["usage_rate"], y=cv["pay_ratio"], mode="lines", line={"color": COLORS[s], "width": 2},
                        name=t("hf_curve", scheme=t(s)), hoverinfo="skip")
        r = fc.summary[fc.summary["scheme"] == s].iloc[0]
        u = fc.draws[s]["usage_rate"]
        lo, hi = np.quantile(u, (0.1, 0.9))
        lo_x, hi_x = min(lo_x, lo, r["usage_rate"]), max(hi_x, hi, r["usage_rate"])
        y = float(np.interp(r["usage_rate"], cv["usage_rate"], cv["pay_ratio"]))
        fig.add_scatter(x=[lo, hi], y=[y, y], mode="lines", line={"color": COLORS[s], "width": 8}, opacity=0.35,
                        name=t("hf_u_range", scheme=t(s)),
                        hovertemplate=t("hf_u_range", scheme=t(s)) + "<br>%{x:.1%}<extra></extra>")
        fig.add_scatter(x=[r["usage_rate"]], y=[y], mode="markers+text", text=[f"{r['usage_rate']:.1%}"],
                        textposition="top center" if s == "employee" else "bottom center", marker={"color": COLORS[s], "size": 14, "line": {"color": "white", "width": 2},
                                                           "symbol": "circle" if s == "employee" else "diamond"},
                        name=t("hf_point", scheme=t(s)),
                        hovertemplate=t("hf_point", scheme=t(s)) + "<br>%{x:.2%}<extra></extra>")
    fig.update_layout(title=t("hf_band_title"), height=460, font=font(), margin={"t": 60, "b": 40, "l": 10, "r": 10},
                      legend={"orientation": "h", "y": -0.18})
    # zoomed on the hospital's range, with the neighbouring band edges in view
    x0, x1 = max(0.0, min(lo_x, 0.9) - 0.1), min(U_MAX, max(hi_x, 1.1) + 0.1)
    fig.update_xaxes(range=[x0, x1], dtick=0.05, tickformat=".0%", title_text=t("hf_axis_u"), automargin=True)
    seen = pd.concat(curves)
    seen = seen[(seen["usage_rate"] >= x0) & (seen["usage_rate"] <= x1)]["pay_ratio"]
    fig.update_yaxes(range=[seen.min() - 0.08, seen.max() + 0.08], tickformat=".0%", title_text=t("hf_axis_pay"),
                     automargin=True)
    return fig


def _pct(v) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:+.1%}"


def drivers_table(fc) -> pd.DataFrame:
    d = fc.drivers
    return pd.DataFrame({
        t("col_scheme"): d["scheme"].map(t), t("hf_col_usage"): d["usage_rate"].map(lambda v: f"{v:.1%}"),
        t("hf_col_direction"): d["direction"].map(lambda x: t(f"hf_dir_{x}")),
        t("hf_col_edge"): d["edge"].map(lambda v: f"{v:.0%}"), t("hf_col_beyond"): d["band_beyond"].map(band_text),
        t("hf_col_cost"): d["cost_change"].map(_pct), t("hf_col_volume"): d["volume_change"].map(_pct),
        t("hf_col_pv"): d["point_value_at_edge"].map(lambda v: f"{v:.3f}"),
        t("hf_col_pv_change"): d["point_value_change"].map(_pct)})


def driver_sentences(fc) -> None:
    for _, r in fc.drivers.iterrows():
        key = "hf_sentence_" + r["direction"]
        st.markdown("- " + t(key, scheme=t(r["scheme"]), edge=f"{r['edge']:.0%}", band=band_text(r["band_beyond"]),
                             cost=_pct(r["cost_change"]), pv=f"{r['point_value_at_edge']:.3f}",
                             volume=_pct(r["volume_change"]) if np.isfinite(r["volume_change"]) else t("hf_unreachable")))


def monthly_chart(fc, schemes) -> go.Figure:
    m = fc.monthly[fc.monthly["scheme"].isin(schemes)]
    fig = go.Figure()
    for s in schemes:
        d = m[m["scheme"] == s]
        for actual in (True, False):
            part = d[d["actual"] == actual]
            fig.add_bar(x=[t("unc_step_month", m=k) for k in part["month"]], y=part["cases"],
                        name=t("hf_m_actual" if actual else "hf_m_projected", scheme=t(s)),
                        marker={"color": COLORS[s], "opacity": 1.0 if actual else 0.4,
                                "pattern": {"shape": "" if actual else "/"}},
                        offsetgroup=s, hovertemplate="%{x}: %{y:,.0f}<extra></extra>")
    fig.update_layout(title=t("hf_m_title"), height=380, font=font(), barmode="group",
                      margin={"t": 60, "b": 40, "l": 10, "r": 10}, yaxis={"title": t("col_cases"), "automargin": True},
                      legend={"orientation": "h", "y": -0.18})
    return fig


def page() -> None:
    st.title(t("nav_hospital_forecast"))
    st.caption(t("hf_intro"))
    if city_only("hp_what_forecast"):
        return
    p, err = state.params_or_error()
    if p is None:
        st.error(t("hf_invalid", err=err), icon="⚠️")
        return
    res, err = state.results_with_spinner()
    if res is None:
        st.error(t("hf_invalid", err=err), icon="⚠️")
        return
    data = state.dataset()
    schemes = [s for s in scheme_list() if s in res.summary["schemes"]]
    with st.container(border=True):
        hid, months, ytd, ytd_key, err = inputs(data, res)
        if err == "wait":                            # no file uploaded yet
            return
        if err or months is None:                    # months is None only with an error
            st.error(t("hf_ytd_invalid", err=err), icon="⚠️")
            return
        pv, pv_key = pv_inputs(data, p, res, schemes)
    try:
        with st.spinner(t("loading")):
            check_hospital(user(), hid)
            full = state.full_dataset()       # settled again on the whole city, then cut for the user
            fc = _forecast(full, f"{full.source}|{full.version}", p, p.digest(), hid, months, ytd, ytd_key, pv_key, pv)
            fc = visible_forecast(fc, user())
    except dip_model.DipError as e:
        st.error(t("hf_invalid", err=e), icon="⚠️")
        return
    shown = [s for s in schemes if s in fc.components]
    if not shown:
        st.info(t("hf_no_cases"))
        return
    st.header(f"{fc.hospital_id} {fc.name}")
    cards(fc, shown)

    st.subheader(t("hf_band_head"))
    st.caption(t("hf_band_caption"))
    fig = band_chart(fc, p, shown)
    st.plotly_chart(fig, width="stretch", key="hf_band_fig")
    download_png(fig, t("hf_band_file"), "hf_band_png")

    st.subheader(t("hf_drivers_head"))
    st.caption(t("hf_drivers_caption"))
    driver_sentences(fc)
    table = drivers_table(fc)
    table = table[fc.drivers["scheme"].isin(shown).to_numpy()]
    st.dataframe(table, hide_index=True, width="stretch", key="hf_drivers_table")
    download_excel(table, t("hf_drivers_file"), "hf_drivers_xlsx")

    st.subheader(t("hf_m_head"))
    fig = monthly_chart(fc, shown)
    st.plotly_chart(fig, width="stretch", key="hf_m_fig")
    download_png(fig, t("hf_m_file"), "hf_m_png")
    summary = fc.summary[fc.summary["scheme"].isin(shown)]
    download_excel(summary.assign(scheme=summary["scheme"].map(t)), t("hf_summary_file"), "hf_summary_xlsx")
    st.caption(t("hf_note", sd=fc.volume_sd, src=t(f"hf_sd_{fc.volume_sd_source}")))


state.run_page(page)
