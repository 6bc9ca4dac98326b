"""敏感性 Sensitivity: how one output of the working scenario — a scheme's point value, the payouts, the
fund's closing balance, or one hospital's final payment or year-end settlement — moves when each parameter
is moved over a range (tornado), and against one parameter over its range (one-way sweep). The runs are
dip_model.analysis.sensitivity's; this page only picks the output and the parameters and draws."""
from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import dip_model
from dip_model.analysis.sensitivity import DEFAULT_SLOTS, Metric, one_way, slot_label, tornado
from ui import state
from ui.cards import scale, unit
from ui.export import download_csv, download_excel, download_png
from ui.figures import font
from ui.i18n import current_lang, money, t, tr
from ui.texts import fixed, labeller, scheme_labeller
from ui.widgets import scheme_list

OUTPUTS = ("point_value", "total_payouts", "closing_balance", "final_payment", "year_end_settlement")
# a hospital folder: its point value is given and the fund balance needs the city's data
HOSPITAL_OUTPUTS = ("year_end_settlement", "final_payment", "total_payouts")


# --- computation (keyed by the dataset version, the scenario and the question) -------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def run_tornado(_data, data_version: str, params_json: str, metric: tuple, slots: tuple, rel: float):
    p = dip_model.load_params(json.loads(params_json))
    return tornado(_data, p, Metric(*metric), list(slots), rel=rel)


@st.cache_data(show_spinner=False, max_entries=16)
def run_sweep(_data, data_version: str, params_json: str, metric: tuple, slot: str, points: int, rel: float):
    p = dip_model.load_params(json.loads(params_json))
    return one_way(_data, p, Metric(*metric), slot, points=points, rel=rel)


# --- the question ---------------------------------------------------------------------------------

def pick_output(res) -> Metric:
    c = st.columns([2, 1, 2])
    with c[0]:
        kind = st.selectbox(t("sen_output"), OUTPUTS if res.mode != "hospital" else HOSPITAL_OUTPUTS,
                            format_func=labeller("sen_out_"), key=state.widget_key("sen", "output", *hospital_key(res)))
    schemes = [s for s in scheme_list() if s in res.summary["schemes"]]
    with c[1]:
        if kind in ("total_payouts", "closing_balance") and len(schemes) > 1:
            opts = ["all", *schemes]
        else:
            opts = schemes
        scheme = st.selectbox(t("sen_scheme"), opts, key=state.widget_key("sen", "scheme", kind),
                              format_func=scheme_labeller())
    hospital = None
    if kind in ("final_payment", "year_end_settlement"):
        h = res.hospitals[res.hospitals["scheme"] == scheme]
        names = dict(zip(h["hospital_id"], h["name"]))
        with c[2]:
            hospital = st.selectbox(t("sen_hospital"), list(names),
                                    format_func=fixed({k: f"{k} {v}" for k, v in names.items()}),
                                    key=state.widget_key("sen", "hospital", scheme))
    return Metric(kind, None if scheme == "all" else scheme, hospital)


def is_money(metric: Metric) -> bool:
    return metric.name != "point_value"


def out_text(metric: Metric, v: float, sign: bool = False) -> str:
    if v is None or v != v:
        return "—"
    if sign and v == 0:
        return "0"
    if is_money(metric):
        txt = money(abs(v) if sign else v, unit=unit())
        return (("+" if v > 0 else "-" if v < 0 else "") + txt) if sign else txt
    return f"{v:+.3f}" if sign else f"{v:.3f}"


def metric_title(metric: Metric, res) -> str:
    parts = [t(f"sen_out_{metric.name}")]
    if metric.hospital:
        name = res.hospitals.loc[res.hospitals["hospital_id"] == metric.hospital, "name"].iloc[0]
        parts.append(f"{metric.hospital} {name}")
    parts.append(t(metric.scheme) if metric.scheme else t("all_schemes"))
    return " · ".join(parts)


def axis_title(metric: Metric) -> str:
    return t("fnd_axis_money_" + unit()) if is_money(metric) else t("prj_axis_pv")


def hospital_key(res) -> tuple[str, ...]:
    """A widget key's part for a hospital folder, whose choices differ (a city's keys are as before)."""
    return ("hospital",) if res.mode == "hospital" else ()


def slot_choices(res) -> list[str]:
    """The parameters offered: the defaults; in a hospital folder without the city budget's (A-10 … A-13,
    not applicable) and with the published point values it is settled with (A-34, A-17) first."""
    if res.mode != "hospital":
        return list(DEFAULT_SLOTS)
    given = [f"{k}.{s}" for k in ("point_value.given", "budget_point_value") for s in res.summary["schemes"]]
    return given + [s for s in DEFAULT_SLOTS if not s.startswith("budget.")]


# --- drawing -------------------------------------------------------------------------------------

def tornado_chart(df: pd.DataFrame, metric: Metric, title: str, rel_pct: float) -> go.Figure:
    """Bars of output change at the low and the high value of each parameter, widest on top."""
    lang = current_lang()
    div = scale() if is_money(metric) else 1.0
    d = df.iloc[::-1]
    labels = d[f"label_{lang}"].tolist()
    fig = go.Figure()
    for side, colour in (("low", "#2b6cb0"), ("high", "#d9822b")):
        fig.add_bar(y=labels, x=d[f"bar_{side}"] / div, orientation="h", name=t(f"sen_side_{side}", v=rel_pct),
                    marker_color=colour,
                    customdata=[[f"{x:.6g}", out_text(metric, b, sign=True)] for x, b in zip(d[side], d[f"bar_{side}"])],
                    hovertemplate="%{y}<br>" + t("sen_hover_value") + "：%{customdata[0]}<br>"
                    + t("sen_hover_change") + "：%{customdata[1]}<extra></extra>")
    fig.add_vline(x=0, line_color="#4a5568")
    fig.update_layout(barmode="group", bargap=0.3, title=title, height=max(380, 34 * len(d) + 140), font=font(),
                      xaxis={"title": t("sen_axis_change", unit=axis_title(metric)), "automargin": True,
                             "tickformat": ",.3f" if not is_money(metric) else ",.0f"},
                      yaxis={"automargin": True}, legend={"orientation": "h", "y": -0.12},
                      margin={"t": 60, "b": 40, "l": 10, "r": 10})
    return fig


def sweep_chart(sw: pd.DataFrame, metric: Metric, label: str) -> go.Figure:
    div = scale() if is_money(metric) else 1.0
    fig = go.Figure()
    fig.add_scatter(x=sw["value"], y=sw["output"] / div, mode="lines+markers", name=t("sen_sweep_series"),
                    line={"color": "#2b6cb0", "width": 3},
                    customdata=[out_text(metric, v) for v in sw["output"]],
                    hovertemplate=label + "＝%{x:.6g}<br>%{customdata}<extra></extra>")
    cur = sw[sw["is_current"]]
    if len(cur):
        x, y = float(cur["value"].iloc[0]), float(cur["output"].iloc[0])
        fig.add_vline(x=x, line_dash="dot", line_color="#c53030")
        fig.add_scatter(x=[x], y=[y / div], mode="markers+text", name=t("sen_current"),
                        marker={"symbol": "diamond", "size": 16, "color": "#c53030"},
                        text=[t("sen_current_mark", v=x)], textposition="top right", textfont={"color": "#c53030"},
                        hovertemplate=t("sen_current") + "：%{x:.6g}<extra></extra>")
    fig.update_layout(title=t("sen_sweep_title", param=label), height=420, font=font(),
                      xaxis={"title": label, "automargin": True}, yaxis={"title": axis_title(metric), "automargin": True,
                                                                        "tickformat": ",.3f" if not is_money(metric) else ",.0f"},
                      legend={"orientation": "h", "y": -0.2}, margin={"t": 60, "b": 40, "l": 10, "r": 10})
    return fig


def tornado_table(df: pd.DataFrame, metric: Metric) -> tuple[pd.DataFrame, pd.DataFrame]:
    lang = current_lang()
    shown, export = [], []
    for _, r in df.iterrows():
        base = {t("sen_col_param"): r[f"label_{lang}"], t("article"): r["article"], t("sen_col_slot"): r["slot"]}
        vals = {t("sen_col_current"): r["current"], t("sen_col_low"): r["low"], t("sen_col_high"): r["high"]}
        shown.append({**base, **{k: f"{v:.6g}" for k, v in vals.items()},
                      t("sen_col_bar_low"): out_text(metric, r["bar_low"], sign=True),
                      t("sen_col_bar_high"): out_text(metric, r["bar_high"], sign=True),
                      t("sen_col_note"): (t("sen_note_case") if r["case_stage"] else "")
                      + (f" {tr(r['error'])}" if isinstance(r["error"], str) else "")})
        export.append({**base, **vals, t("sen_col_out_low"): r["output_low"], t("sen_col_out_high"): r["output_high"],
                       t("sen_col_bar_low"): r["bar_low"], t("sen_col_bar_high"): r["bar_high"],
                       t("sen_col_error"): tr(r["error"]) if isinstance(r["error"], str) else ""})
    return pd.DataFrame(shown), pd.DataFrame(export)


def downloads(df: pd.DataFrame, fig, name: str, key: str) -> None:
    """CSV, Excel and PNG of one result, side by side."""
    e = st.columns(3)
    with e[0]:
        download_csv(df, name, f"{key}_csv", t("sen_download_csv"))
    with e[1]:
        download_excel(df, name, f"{key}_xlsx")
    with e[2]:
        download_png(fig, name, f"{key}_png")


# --- page ------------------------------------------------------------------------------------------

def page() -> None:
    st.title(t("nav_sensitivity"))
    st.caption(t("sen_intro"))
    with st.spinner(t("loading")):
        res, err = state.results()
    if res is None:
        st.error(t("sen_invalid", err=err), icon="⚠️")
        return
    p = res.params
    lang = current_lang()
    metric = pick_output(res)
    choices = slot_choices(res)
    slot_names = fixed({s: slot_label(p, s, lang) for s in choices})
    c = st.columns([1, 3])
    with c[0]:
        rel_pct = st.slider(t("sen_range"), 1, 50, 10, format="±%d%%", help=t("sen_range_help"),
                            key=state.widget_key("sen", "range"))
    with c[1]:
        slots = st.multiselect(t("sen_params"), choices, default=choices, format_func=slot_names,
                               key=state.widget_key("sen", "slots", *hospital_key(res)))
    if res.mode == "hospital":
        st.caption(t("sen_hospital_note"))
    if not slots:
        st.info(t("sen_no_params"))
        return
    data = state.dataset()
    pjson = json.dumps(p.user_values(), sort_keys=True, default=str)
    mkey = (metric.name, metric.scheme, metric.hospital)
    with st.spinner(t("sen_running", n=2 * len(slots))):
        df = run_tornado(data, data.version or data.source, pjson, mkey, tuple(slots), rel_pct / 100.0)
    base = float(df["base_output"].iloc[0])
    title = metric_title(metric, res)
    st.metric(t("sen_base", out=title), out_text(metric, base), border=True, help=t("sen_base_help"))
    fig = tornado_chart(df, metric, t("sen_tornado_title", out=title, v=rel_pct), rel_pct)
    st.plotly_chart(fig, width="stretch", key="sen_tornado")
    zero = df[(df["bar_low"] == 0) & (df["bar_high"] == 0)]
    if len(zero):
        st.caption(t("sen_zero", names="、".join(zero[f"label_{lang}"]) if lang == "zh" else ", ".join(zero[f"label_{lang}"])))
    shown, export = tornado_table(df, metric)
    st.dataframe(shown, hide_index=True, width="stretch")
    downloads(export, fig, t("sen_tornado_file"), "sen_tornado")

    st.subheader(t("sen_sweep_header"))
    c = st.columns([3, 1])
    with c[0]:
        slot = st.selectbox(t("sen_sweep_param"), slots, format_func=slot_names,
                            key=state.widget_key("sen", "sweep_slot"))
    with c[1]:
        points = st.slider(t("sen_points"), 5, 21, 11, step=2, key=state.widget_key("sen", "points"))
    with st.spinner(t("sen_running", n=points)):
        sw = run_sweep(data, data.version or data.source, pjson, mkey, slot, points, rel_pct / 100.0)
    label = slot_label(p, slot, lang)
    fig2 = sweep_chart(sw, metric, label)
    st.plotly_chart(fig2, width="stretch", key="sen_sweep")
    bad = sw[sw["error"].notna()]
    if len(bad):
        st.warning(t("sen_sweep_invalid", n=len(bad), err=bad["error"].iloc[0]))
    sw_export = pd.DataFrame({t("sen_col_param"): label, t("sen_col_value"): sw["value"], t("sen_col_output"): sw["output"],
                              t("sen_current"): sw["is_current"].map(lambda x: "✔" if x else "")})
    downloads(sw_export, fig2, t("sen_sweep_file"), "sen_sweep")
    st.caption(t("sen_note"))


state.run_page(page)
