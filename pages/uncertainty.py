"""不确定性 Uncertainty: Monte Carlo draws of the year (case volume per hospital × group, cost per case,
case mix), each settled by dip_model; P10 / P50 / P90 of each scheme's point value and fund balance, of each
hospital's final payment and year-end settlement, and the fund-balance path through the year. Every figure
comes from dip_model.analysis.montecarlo; this page gathers the draw settings and draws."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import dip_model
from dip_model.analysis.montecarlo import MonteCarlo, run_montecarlo
from dip_model.analysis.uncertainty import load_uncertainty
from ui import state
from ui.cards import card_label, card_money, scale, unit, unit_name
from ui.export import download_csv, download_excel, download_png
from ui.figures import font
from ui.hospital import city_only
from ui.i18n import current_lang, money, t
from ui.texts import labeller
from ui.widgets import scheme_list

COLORS = {"employee": "#1f77b4", "resident": "#ff7f0e"}
SPREAD_INPUTS = ("volume.growth", "volume.city_sd", "volume.dispersion", "cost.growth", "cost.city_sd",
                 "cost.hospital_sd", "case_mix.tilt_sd")
K_UNC = "unc_settings"            # {draws, seed, values: {path: value}} — the page's inputs, kept across pages


@st.cache_resource(show_spinner=False, max_entries=4)
def montecarlo(_data, data_key: str, _params, params_key: str, unc_json: str, draws: int, seed: int) -> MonteCarlo:
    """One Monte Carlo run per dataset version, scenario, assumptions, draws and seed (explicit keys)."""
    return run_montecarlo(_data, _params, draws=draws, seed=seed, unc=json.loads(unc_json), scheduler="threads")


def run_for(settings: dict) -> tuple[MonteCarlo | None, str | None]:
    """(MonteCarlo, None) or (None, message) for the working scenario and these settings."""
    p, err = state.params_or_error()
    if p is None:
        return None, err
    try:
        data = state.dataset()
        unc = load_uncertainty(settings["values"])
        return montecarlo(data, f"{data.source}|{data.version}", p, p.digest(), json.dumps(unc.values, sort_keys=True),
                          int(settings["draws"]), int(settings["seed"])), None
    except dip_model.DipError as e:
        return None, e.message


def settings_form() -> dict:
    ss = st.session_state
    cur = ss.setdefault(K_UNC, {"draws": 200, "seed": 0, "values": {}})
    base = load_uncertainty()
    lang = current_lang()
    with st.form("unc_form", border=True):
        c = st.columns([1, 1, 2])
        draws = c[0].number_input(t("unc_draws"), min_value=20, max_value=5000, step=50, value=int(cur["draws"]),
                                  help=t("unc_draws_help"), key="unc_draws")
        seed = c[1].number_input(t("unc_seed"), min_value=0, max_value=2**31 - 1, step=1, value=int(cur["seed"]),
                                 help=t("unc_seed_help"), key="unc_seed")
        c[2].caption(t("unc_form_note"))
        cols = st.columns(4)
        values = {}
        for i, path in enumerate(SPREAD_INPUTS):
            info = base.info(path)
            v = float(cur["values"].get(path, info["value"]))
            lo, hi = info.get("range", (0.0, 1.0))
            k = 100.0 if info["unit"] in ("fraction", "log sd") else 1.0      # rates and SDs shown in %
            label = info["label"][lang] + (("（%）" if lang == "zh" else " (%)") if k == 100.0 else "")
            values[path] = cols[i % 4].number_input(
                label, min_value=float(lo) * k, max_value=float(hi) * k, value=v * k, step=0.5 if k > 1 else 0.01,
                format="%.1f" if k > 1 else "%.3f", help=f"{t('unit')}: {info['unit']} · {info['note']}",
                key=f"unc_in:{path}") / k
        ok = st.form_submit_button(t("unc_run"), type="primary")
    if ok:
        changed = {p: v for p, v in values.items() if abs(v - base.get(p)) > 1e-12}
        ss[K_UNC] = {"draws": int(draws), "seed": int(seed), "values": changed}
    return ss[K_UNC]


def q_row(mc, scheme: str, metric: str) -> pd.Series:
    q = mc.scheme_quantiles()
    return q[(q["scheme"] == scheme) & (q["metric"] == metric)].iloc[0]


def scheme_cards(mc, schemes) -> None:
    for s in schemes:
        st.subheader(t(s))
        c = st.columns(3)
        pv = q_row(mc, s, "settlement_point_value")
        c[0].metric(t("unc_card_pv"), f"{pv['p50']:.3f}", border=True, delta_color="off", delta_arrow="off",
                    delta=t("unc_range", lo=f"{pv['p10']:.3f}", hi=f"{pv['p90']:.3f}"),
                    help=t("unc_card_pv_help", det=f"{pv['deterministic']:.3f}"))
        bal = q_row(mc, s, "fund_closing_balance")
        c[1].metric(card_label(t("unc_card_balance")), card_money(bal["p50"]), border=True, delta_color="off",
                    delta_arrow="off", delta=t("unc_range", lo=card_money(bal["p10"]), hi=card_money(bal["p90"])),
                    help=t("unc_card_balance_help", det=money(bal["deterministic"], unit=unit())))
        mo = q_row(mc, s, "months_of_payment")
        c[2].metric(t("unc_card_months"), t("months_unit", v=mo["p50"]), border=True, delta_color="off",
                    delta_arrow="off", delta=t("unc_range", lo=f"{mo['p10']:.1f}", hi=f"{mo['p90']:.1f}"),
                    help=t("unc_card_months_help", det=f"{mo['deterministic']:.1f}"))


def pv_chart(mc, schemes) -> go.Figure:
    """A box per scheme drawn from the draws' P10 / P50 / P90 (box) and minimum / maximum (whiskers), the mean
    dashed, with the deterministic value marked."""
    fig = go.Figure()
    for s in schemes:
        si = dip_model.SCHEMES.index(s)
        x = mc.schemes[:, si, 0]
        q = np.quantile(x, (0.1, 0.5, 0.9))
        fig.add_box(x=[t(s)], q1=[q[0]], median=[q[1]], q3=[q[2]], lowerfence=[x.min()], upperfence=[x.max()],
                    mean=[x.mean()], boxmean=True, name=t(s), marker_color=COLORS[s], width=0.45,
                    hoverinfo="skip")
        fig.add_scatter(x=[t(s)] * 3, y=list(q), mode="text", text=[f"P10 {q[0]:.3f}", f"P50 {q[1]:.3f}", f"P90 {q[2]:.3f}"],
                        textposition="middle right", showlegend=False, hoverinfo="skip",
                        textfont={"color": COLORS[s]})
        det = mc.deterministic.summary["schemes"][s]["settlement_point_value"]
        fig.add_scatter(x=[t(s)], y=[det], mode="markers", marker={"symbol": "diamond", "size": 13, "color": "#222"},
                        name=t("unc_det_marker"), showlegend=s == schemes[0],
                        hovertemplate=t("unc_det_marker") + "：%{y:.3f}<extra></extra>")
    fig.update_layout(title=t("unc_pv_title"), height=440, font=font(), margin={"t": 60, "b": 40, "l": 10, "r": 10},
                      yaxis={"title": t("unc_axis_pv"), "automargin": True, "tickformat": ".2f"},
                      xaxis={"type": "category"}, legend={"orientation": "h", "y": -0.12})
    return fig


def path_chart(mc, schemes) -> go.Figure:
    """The fund balance through the year: P10–P90 band, P50 line and the deterministic path."""
    pq = mc.path_quantiles()
    labels = [t("unc_step_open")] + [t("unc_step_month", m=m) for m in range(1, 13)] + [t("unc_step_year_end")]
    fig = go.Figure()
    sc = scale()
    for s in schemes:
        d = pq[pq["scheme"] == s].sort_values("step")
        rgb = {"employee": "31,119,180", "resident": "255,127,14"}[s]
        fig.add_scatter(x=labels, y=d["p90"] / sc, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=labels, y=d["p10"] / sc, mode="lines", line={"width": 0}, fill="tonexty",
                        fillcolor=f"rgba({rgb},0.22)", name=t("unc_band_name", scheme=t(s)), hoverinfo="skip")
        fig.add_scatter(x=labels, y=d["p50"] / sc, mode="lines+markers", line={"color": COLORS[s], "width": 2.5},
                        name=t("unc_p50_name", scheme=t(s)),
                        customdata=np.c_[[money(v, unit=unit()) for v in d["p10"]], [money(v, unit=unit()) for v in d["p90"]]],
                        hovertemplate="%{x}<br>P50 %{y:,.2f}<br>P10 %{customdata[0]} · P90 %{customdata[1]}<extra></extra>")
        fig.add_scatter(x=labels, y=d["deterministic"] / sc, mode="lines", line={"color": COLORS[s], "dash": "dot", "width": 1.5},
                        name=t("unc_det_name", scheme=t(s)), hovertemplate="%{x}<br>%{y:,.2f}<extra></extra>")
    fig.update_layout(title=t("unc_path_title"), height=460, font=font(), margin={"t": 60, "b": 40, "l": 10, "r": 10},
                      yaxis={"title": t("unc_axis_money_" + unit()), "automargin": True, "tickformat": ",.0f"},
                      xaxis={"automargin": True, "tickangle": 0}, legend={"orientation": "h", "y": -0.15})
    return fig


def hospital_view(mc, schemes, metric: str) -> pd.DataFrame:
    hq = mc.hospital_quantiles()
    hq = hq[hq["scheme"].isin(schemes)].reset_index(drop=True)
    return hq


def hospital_chart(hq: pd.DataFrame, metric: str, top: int) -> go.Figure:
    """P10–P90 of each hospital's figure (bar), its P50 (dot) and the deterministic value (diamond)."""
    d = hq.sort_values(f"{metric}_p50", ascending=False).head(top).iloc[::-1]
    sc = scale()
    names = (d["hospital_id"] + " " + d["name"] + " · " + d["scheme"].map(t)).tolist()
    fig = go.Figure()
    fig.add_bar(y=names, x=(d[f"{metric}_p90"] - d[f"{metric}_p10"]) / sc, base=d[f"{metric}_p10"] / sc,
                orientation="h", marker_color="rgba(43,108,176,0.35)", name=t("unc_h_range"),
                customdata=np.c_[[money(v, unit=unit()) for v in d[f"{metric}_p10"]], [money(v, unit=unit()) for v in d[f"{metric}_p90"]]],
                hovertemplate="%{y}<br>P10 %{customdata[0]} · P90 %{customdata[1]}<extra></extra>")
    fig.add_scatter(y=names, x=d[f"{metric}_p50"] / sc, mode="markers", marker={"color": "#2b6cb0", "size": 8},
                    name="P50", hovertemplate="%{y}<br>P50 %{x:,.2f}<extra></extra>")
    fig.add_scatter(y=names, x=d[metric] / sc, mode="markers", marker={"symbol": "diamond", "color": "#222", "size": 8},
                    name=t("unc_det_marker"), hovertemplate="%{y}<br>%{x:,.2f}<extra></extra>")
    fig.update_layout(title=t("unc_h_title_" + metric, n=len(d)), height=max(380, 26 * len(d) + 120), font=font(),
                      margin={"t": 60, "b": 40, "l": 10, "r": 10}, barmode="overlay",
                      xaxis={"title": t("unc_axis_money_" + unit()), "automargin": True, "tickformat": ",.0f"},
                      yaxis={"automargin": True}, legend={"orientation": "h", "y": -0.08})
    return fig


def hospital_table(hq: pd.DataFrame) -> pd.DataFrame:
    u = unit_name()
    sc = scale()
    out = pd.DataFrame({t("col_hospital_id"): hq["hospital_id"], t("col_name"): hq["name"],
                        t("col_scheme"): hq["scheme"].map(t), t("col_cases"): hq["cases"]})
    for m in ("final_payment", "year_end_settlement"):
        for k, name in (("", "unc_col_det"), ("_p10", "unc_col_p10"), ("_p50", "unc_col_p50"), ("_p90", "unc_col_p90")):
            out[t(name, what=t(f"unc_what_{m}"), unit=u)] = hq[f"{m}{k}"].to_numpy(float) / sc
    out[t("unc_col_usage")] = hq["usage_rate_p10"].map(lambda v: f"{v:.1%}") + " – " + hq["usage_rate_p90"].map(lambda v: f"{v:.1%}")
    return out


def page() -> None:
    st.title(t("nav_uncertainty"))
    st.caption(t("unc_intro"))
    if city_only("hp_what_uncertainty"):
        return
    settings = settings_form()
    with st.spinner(t("unc_running", n=settings["draws"])):
        mc, err = run_for(settings)
    if mc is None:
        st.error(t("unc_invalid", err=err), icon="⚠️")
        return
    schemes = [s for s in scheme_list() if s in mc.deterministic.summary["schemes"]]
    tm = mc.timings
    st.caption(t("unc_done", n=mc.n_draws, seed=mc.seed, s=tm["draws_s"] + tm["cells_s"], cells=tm["cells"]))
    scheme_cards(mc, schemes)

    st.subheader(t("unc_pv_head"))
    st.caption(t("unc_pv_caption"))
    fig = pv_chart(mc, schemes)
    st.plotly_chart(fig, width="stretch", key="unc_pv_fig")
    download_png(fig, t("unc_pv_file"), "unc_pv_png")

    st.subheader(t("unc_path_head"))
    st.caption(t("unc_path_caption"))
    fig = path_chart(mc, schemes)
    st.plotly_chart(fig, width="stretch", key="unc_path_fig")
    download_png(fig, t("unc_path_file"), "unc_path_png")
    pq = mc.path_quantiles()
    pq = pq[pq["scheme"].isin(schemes)]
    download_excel(pq.assign(scheme=pq["scheme"].map(t)), t("unc_path_file"), "unc_path_xlsx")

    st.subheader(t("unc_h_head"))
    st.caption(t("unc_h_caption"))
    c = st.columns([2, 1])
    metric = c[0].radio(t("unc_h_metric"), ["final_payment", "year_end_settlement"], horizontal=True,
                        format_func=labeller("unc_what_"), key="unc_h_metric")
    hq = hospital_view(mc, schemes, metric)
    top = c[1].number_input(t("unc_h_top"), min_value=5, max_value=max(5, len(hq)), value=min(20, len(hq)), step=5,
                            key="unc_h_top")
    fig = hospital_chart(hq, metric, int(top))
    st.plotly_chart(fig, width="stretch", key="unc_h_fig")
    download_png(fig, t("unc_h_file"), "unc_h_png")
    table = hospital_table(hq)
    st.dataframe(table, hide_index=True, width="stretch", key="unc_h_table",
                 column_config={col: st.column_config.NumberColumn(format="localized", step=0.01)
                                for col in table.columns[4:-1]})
    download_excel(table, t("unc_h_file"), "unc_h_xlsx")

    with st.expander(t("unc_draws_head")):
        draws = mc.draws_table()
        draws = draws[draws["scheme"].isin(schemes)]
        download_csv(draws, "draws", "unc_draws", t("unc_draws_csv"))
        st.dataframe(draws.head(200), hide_index=True, width="stretch")
    st.caption(t("unc_note"))


state.run_page(page)
