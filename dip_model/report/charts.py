"""The Plotly figures shared by the dashboard, the presentation mode and the reports: each builder takes
results (and the baseline), the language and the money unit, and returns a go.Figure. Numbers come
from the engine's results; nothing is computed here beyond arranging them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..analysis.bands import bands_of, curve, positions
from .labels import band_text, money, scale, t

# the bundled font first (the exported images), then what a reader's machine has (the dashboard)
FONT = "DIP Noto Sans SC, Noto Sans CJK SC, Microsoft YaHei, PingFang SC, Noto Sans CJK, sans-serif"
U_MAX = 1.6                                   # the band chart's use-rate axis ends here
SCHEME_COLORS = {"employee": "#1f77b4", "resident": "#ff7f0e"}
PROJECTION_COLORS = {"employee": "#2b6cb0", "resident": "#d9822b"}
# A-12 order of the lines taken out of the total budget B on the way to F
WATERFALL_LINES = ("out_of_area", "local_outpatient", "maternity", "critical_illness_premium", "non_dip_items",
                   "adjustment_fund", "other_rigid")
# fund expenditure parts, in the order of docs/rules.md, A-3: DIP final payments, then the lines
SPEND = ("total_final_payment", "out_of_area", "local_outpatient", "maternity", "critical_illness_premium",
         "non_dip_items", "adjustment_fund", "other_rigid")
SPEND_COLOURS = ("#2b6cb0", "#d9822b", "#e0a96d", "#b7791f", "#c05621", "#9c4221", "#805ad5", "#718096")


def _font(size: int = 13) -> dict:
    return {"family": FONT, "size": size}


# --- budget (A-10 … A-12) ------------------------------------------------------------------------

def waterfall(s: dict, scheme: str, lang: str = "zh", unit: str = "yuan") -> go.Figure:
    """B (or B₀ + ΔB) minus the A-11/A-12 lines down to F; the last bar is F itself. `s` is one scheme
    of Results.summary["schemes"]."""
    k = scale(unit)
    names, measures, ys = [], [], []
    if abs(s["budget_adjustment"]) > 0:
        names += [t("ovw_wf_base", lang), t("ovw_wf_adjustment", lang), t("ovw_wf_budget", lang)]
        measures += ["absolute", "relative", "total"]
        ys += [s["budget_base"], s["budget_adjustment"], s["budget_total"]]
    else:
        names.append(t("ovw_wf_budget", lang))
        measures.append("absolute")
        ys.append(s["budget_total"])
    for key in WATERFALL_LINES:
        names.append(t(f"ovw_wf_{key}", lang))
        measures.append("relative")
        ys.append(-s[key])
    names.append(t("ovw_wf_payable", lang))
    measures.append("total")
    ys.append(s["dip_fund_payable"])
    text = [("−" + money(-y, lang, unit)) if y < 0 else money(y, lang, unit) for y in ys]
    fig = go.Figure(go.Waterfall(
        orientation="h", y=names, x=[float(y) / k for y in ys], measure=measures, text=text,
        textposition="outside", cliponaxis=False, textfont={"size": 13},
        customdata=text, hovertemplate="%{y}<br>%{customdata}<extra></extra>", name=t(scheme, lang),
        connector={"line": {"color": "#9aa5b1", "dash": "dot"}},
        decreasing={"marker": {"color": "#d9822b"}}, increasing={"marker": {"color": "#2e9e6a"}},
        totals={"marker": {"color": "#2b6cb0"}}))
    top = max(ys) / k
    fig.update_layout(title=t("ovw_wf_title", lang, scheme=t(scheme, lang)), showlegend=False, height=440,
                      margin={"t": 60, "b": 50, "l": 10, "r": 30},
                      xaxis={"automargin": True, "title": t("ovw_axis_money_" + unit, lang), "range": [0, top * 1.3],
                             "tickformat": ",.0f"},
                      yaxis={"automargin": True, "title": t("ovw_axis_item", lang), "autorange": "reversed"},
                      font=_font())
    return fig


# --- point value (A-17, A-34.2) --------------------------------------------------------------------

def point_values(res, base, schemes, lang: str = "zh") -> go.Figure:
    """Settlement point value per scheme (A-34.2), the baseline's, and the budget point value (A-17)."""
    names = [t(s, lang) for s in schemes]
    cur = [res.summary["schemes"][s]["settlement_point_value"] for s in schemes]
    pvb = [res.summary["schemes"][s]["budget_point_value"] for s in schemes]
    fig = go.Figure()
    series = [(t("rep_pv_budget", lang), pvb, "#a0aec0")]
    if base is not None:
        bv = [base.summary["schemes"][s]["settlement_point_value"] if s in base.summary["schemes"] else None
              for s in schemes]
        series.append((t("rep_pv_baseline", lang), bv, "#90cdf4"))
    series.append((t("rep_pv_current", lang), cur, "#2b6cb0"))
    for name, ys, colour in series:
        fig.add_bar(x=names, y=ys, name=name, marker_color=colour,
                    text=[f"{v:.3f}" if v is not None and v == v else "" for v in ys], textposition="outside",
                    cliponaxis=False, hovertemplate="%{x}<br>" + name + "：%{y:.3f}<extra></extra>")
    vals = [v for _, ys, _ in series for v in ys if v is not None and v == v]
    fig.update_layout(barmode="group", title=t("rep_pv_title", lang), height=420, bargap=0.3,
                      yaxis={"automargin": True, "title": t("rep_pv_axis", lang),
                             "range": [0, max(vals + [1.0]) * 1.18]},
                      xaxis={"automargin": True, "type": "category"},
                      legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
                      margin={"t": 80, "b": 40, "l": 10, "r": 10}, font=_font())
    return fig


# --- risk-sharing bands (A-36) ----------------------------------------------------------------------

def band_chart(res, base, schemes, lang: str = "zh", u_max: float = U_MAX) -> go.Figure:
    """pay ÷ score fund against the fund-use rate: the current curve of each scheme, the baseline's
    dashed, and every hospital at its place."""
    fig = go.Figure()
    fig.add_scatter(x=[0, u_max], y=[0, u_max], mode="lines", name=t("bnd_ffs_line", lang),
                    line=dict(color="#999999", dash="dot", width=1), hoverinfo="skip")
    top = 1.0
    hover = t("bnd_h_u", lang) + ": %{x:.1%}<br>" + t("bnd_h_payratio", lang) + ": %{y:.2%}<extra>"
    for s in schemes:
        cur = curve(bands_of(res.params, s), u_max)
        top = max(top, float(cur["pay_ratio"].max()))
        fig.add_scatter(x=cur["usage_rate"], y=cur["pay_ratio"], mode="lines",
                        name=t("bnd_cur_line", lang, scheme=t(s, lang)), line=dict(color=SCHEME_COLORS[s], width=2.5),
                        hovertemplate=hover + t(s, lang) + "</extra>")
        if base is not None:
            bc = curve(bands_of(base.params, s), u_max)
            fig.add_scatter(x=bc["usage_rate"], y=bc["pay_ratio"], mode="lines",
                            name=t("bnd_base_line", lang, scheme=t(s, lang)),
                            line=dict(color=SCHEME_COLORS[s], width=1.5, dash="dash"), opacity=0.6,
                            hovertemplate=hover + t("bnd_base_short", lang) + "</extra>")
        pos = positions(res.hospitals, s)
        pos = pos[np.isfinite(pos["usage_rate"]) & np.isfinite(pos["pay_ratio"]) & (pos["usage_rate"] <= u_max)]
        fig.add_scatter(x=pos["usage_rate"], y=pos["pay_ratio"], mode="markers",
                        name=t("bnd_points", lang, scheme=t(s, lang)),
                        marker=dict(color=SCHEME_COLORS[s], size=8, line=dict(color="white", width=1),
                                    symbol="circle" if s == "employee" else "diamond"),
                        customdata=np.c_[pos["hospital_id"] + " " + pos["name"],
                                         pos["band"].map(lambda b: band_text(b, lang))],
                        hovertemplate="%{customdata[0]}<br>" + t("bnd_h_u", lang) + ": %{x:.2%}<br>"
                        + t("bnd_h_payratio", lang) + ": %{y:.2%}<br>" + t("bnd_h_band", lang)
                        + ": %{customdata[1]}<extra>" + t(s, lang) + "</extra>")
    fig.update_layout(height=560, margin=dict(l=10, r=10, t=50, b=10), title=t("bnd_chart_title", lang),
                      legend=dict(orientation="h", y=-0.16, x=0), hovermode="closest", font=_font())
    fig.update_xaxes(range=[0, u_max], dtick=0.1, tickformat=".0%", title_text=t("bnd_x_axis", lang), automargin=True)
    fig.update_yaxes(range=[0, top + 0.15], dtick=0.1, tickformat=".0%", title_text=t("bnd_y_axis", lang),
                     automargin=True)
    return fig


def beyond_axis(res, schemes, u_max: float = U_MAX) -> int:
    """Hospitals whose use rate lies beyond the band chart's axis (they are not drawn)."""
    n = 0
    for s in schemes:
        pos = positions(res.hospitals, s)
        u, r = pos["usage_rate"].to_numpy(float), pos["pay_ratio"].to_numpy(float)
        n += int((np.isfinite(u) & np.isfinite(r) & (u > u_max)).sum())
    return n


# --- winners and losers against the baseline --------------------------------------------------------

def payment_changes(hosp: pd.DataFrame, base_hosp: pd.DataFrame) -> pd.DataFrame:
    """Each hospital × scheme's final payment against the baseline's: base, diff and diff ÷ |base|,
    largest gain first."""
    b = base_hosp[["hospital_id", "scheme", "final_payment"]].rename(columns={"final_payment": "base"})
    d = hosp[["hospital_id", "name", "scheme", "final_payment"]].merge(b, on=["hospital_id", "scheme"], how="left")
    d["diff"] = d["final_payment"] - d["base"]
    with np.errstate(divide="ignore", invalid="ignore"):
        d["pct"] = np.where(d["base"].abs() > 0, d["diff"] / d["base"].abs(), np.nan)
    return d.sort_values("diff", ascending=False, kind="stable").reset_index(drop=True)


def hospital_label(hid: str, name: str, scheme: str, many: bool, lang: str = "zh") -> str:
    return f"{hid} {name}" + (f" · {t(scheme, lang)}" if many else "")


def top_changes(d: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n largest gains and n largest losses of payment_changes(), smallest change first."""
    gain = d[d["diff"] > 0].head(n)
    loss = d[d["diff"] < 0].tail(n)
    return pd.concat([loss, gain]).sort_values("diff")


def winners_losers(d: pd.DataFrame, n: int, lang: str = "zh", unit: str = "yuan") -> go.Figure:
    """Horizontal bars of the top n gains and losses of final payment (d = payment_changes())."""
    k = scale(unit)
    uname = t(f"hb_unit_{unit}", lang)
    both = top_changes(d, n)
    many = d["scheme"].nunique() > 1
    labels = np.array([hospital_label(h, nm, s, many, lang)
                       for h, nm, s in zip(both["hospital_id"], both["name"], both["scheme"])], dtype=object)
    fig = go.Figure()
    for part, name, color in ((both["diff"] < 0, t("hsp_losers", lang), "#d62728"),
                              (both["diff"] > 0, t("hsp_winners", lang), "#2ca02c")):
        fig.add_bar(y=labels[part.to_numpy()], x=both.loc[part, "diff"] / k, orientation="h",
                    name=name, marker_color=color,
                    customdata=np.c_[both.loc[part, "base"] / k, both.loc[part, "final_payment"] / k],
                    hovertemplate="%{y}<br>" + t("hsp_h_diff", lang) + ": %{x:,.2f} " + uname + "<br>"
                    + t("hsp_h_base", lang) + ": %{customdata[0]:,.2f}<br>" + t("hsp_h_cur", lang)
                    + ": %{customdata[1]:,.2f}<extra></extra>")
    fig.update_layout(height=max(320, 28 * len(both) + 120), margin=dict(l=10, r=10, t=80, b=10),
                      xaxis_title=t("hsp_diff_axis", lang, unit=uname), xaxis_tickformat=",",
                      yaxis=dict(type="category"), font=_font(),
                      legend=dict(orientation="h", y=1.0, x=1, xanchor="right", yanchor="bottom"),
                      title=dict(text=t("hsp_changes_chart", lang, n=n), y=0.98, yanchor="top"))
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


# --- fund balance (docs/rules.md, A-3) ----------------------------------------------------------------

def fund_months(res, base, schemes, low: float, high: float, lang: str = "zh") -> go.Figure:
    """Months of payment per scheme, working scenario against the baseline, over the shaded guidance band."""
    cur = [float(res.summary["schemes"][s]["months_of_payment"]) for s in schemes]
    colour = {"low": "#c53030", "high": "#dd6b20", "ok": "#2b6cb0"}
    months = lambda v: t("months_unit", lang, v=v)                         # noqa: E731
    fig = go.Figure()
    fig.add_hrect(y0=low, y1=high, fillcolor="#48bb78", opacity=0.18, line_width=0, layer="below")
    # the band in the legend (a shape has no legend entry of its own)
    fig.add_scatter(x=[t(schemes[0], lang)], y=[None], mode="markers", hoverinfo="skip",
                    name=t("fnd_band_label", lang, low=low, high=high),
                    marker={"symbol": "square", "size": 14, "color": "rgba(72, 187, 120, 0.35)"})
    bv = []
    if base is not None:
        bv = [float(base.summary["schemes"][s]["months_of_payment"]) if s in base.summary["schemes"] else None
              for s in schemes]
        fig.add_bar(x=[t(s, lang) for s in schemes], y=bv, name=t("fnd_series_baseline", lang), marker_color="#cbd5e0",
                    text=[months(v) if v is not None else "" for v in bv], textposition="outside",
                    hovertemplate="%{x}<br>" + t("fnd_series_baseline", lang) + "：%{text}<extra></extra>")
    fig.add_bar(x=[t(s, lang) for s in schemes], y=cur, name=t("fnd_series_current", lang),
                marker_color=[colour.get(res.summary["schemes"][s]["months_status"], "#2b6cb0") for s in schemes],
                text=[months(v) for v in cur], textposition="outside",
                hovertemplate="%{x}<br>" + t("fnd_series_current", lang) + "：%{text}<extra></extra>")
    top = max([high, *[v for v in cur if v == v], *[v for v in bv if v is not None and v == v]])
    fig.update_layout(barmode="group", title=t("fnd_months_title", lang), height=420, bargap=0.45,
                      yaxis={"automargin": True, "title": t("fnd_axis_months", lang), "range": [min(0, *cur), top * 1.18]},
                      xaxis={"automargin": True, "title": t("fnd_axis_scheme", lang), "type": "category"},
                      legend={"title": t("fnd_legend_series", lang)},
                      margin={"t": 60, "b": 50, "l": 10, "r": 10}, font=_font())
    return fig


def fund_flow(res, schemes, lang: str = "zh", unit: str = "yuan") -> go.Figure:
    """Opening balance, revenue, expenditure (stacked by part) and closing balance per scheme."""
    k = scale(unit)
    cats = [t("fnd_bar_opening", lang), t("fnd_bar_revenue", lang), t("fnd_bar_spend", lang), t("fnd_bar_closing", lang)]
    fig = go.Figure()

    def bar(name, cat, key, colour):
        xs = [[t(s, lang) for s in schemes], [cat] * len(schemes)]
        vals = [float(res.summary["schemes"][s][key]) for s in schemes]
        fig.add_bar(x=xs, y=[v / k for v in vals], name=name, marker_color=colour,
                    customdata=[money(v, lang, unit) for v in vals],
                    hovertemplate="%{x}<br>" + name + "：%{customdata}<extra></extra>")

    bar(cats[0], cats[0], "fund_opening_balance", "#a0aec0")
    bar(cats[1], cats[1], "fund_revenue", "#2e9e6a")
    for key, colour in zip(SPEND, SPEND_COLOURS):
        bar(t(f"fnd_l_{key}", lang), cats[2], key, colour)
    bar(cats[3], cats[3], "fund_closing_balance", "#4a5568")
    fig.update_layout(barmode="stack", title=t("fnd_flow_title", lang), height=520, bargap=0.35,
                      yaxis={"automargin": True, "title": t("fnd_axis_money_" + unit, lang), "tickformat": ",.0f"},
                      xaxis={"automargin": True, "title": t("fnd_axis_scheme", lang), "tickangle": 0},
                      legend={"title": t("fnd_legend_part", lang), "traceorder": "normal"},
                      margin={"t": 60, "b": 50, "l": 10, "r": 10}, font=_font())
    return fig


# --- multi-year projection (A-10 chained; docs/rules.md, A-3) ------------------------------------------------

def _projection_value(kind: str, v, lang: str, unit: str) -> str:
    if v is None or v != v:
        return "—"
    if kind == "money":
        return money(v, lang, unit)
    if kind == "months":
        return t("months_unit", lang, v=v)
    return f"{v:.3f}"


def projection_chart(years: pd.DataFrame, schemes, key: str, kind: str, low: float, high: float,
                     lang: str = "zh", unit: str = "yuan") -> go.Figure:
    """One output of dip_model.analysis.projection per year and scheme; months of payment over the shaded
    guidance band, the first year out of the band marked."""
    div = scale(unit) if kind == "money" else 1.0
    fig = go.Figure()
    if key == "months_of_payment":
        fig.add_hrect(y0=low, y1=high, fillcolor="#48bb78", opacity=0.18, line_width=0, layer="below")
        fig.add_scatter(x=[1], y=[None], mode="markers", hoverinfo="skip", name=t("fnd_band_label", lang, low=low, high=high),
                        marker={"symbol": "square", "size": 14, "color": "rgba(72, 187, 120, 0.35)"})
    for s in schemes:
        part = years[years["scheme"] == s]
        fig.add_scatter(x=part["year"], y=part[key] / div, name=t(s, lang), mode="lines+markers",
                        line={"color": PROJECTION_COLORS[s], "width": 3}, marker={"size": 9},
                        customdata=[_projection_value(kind, v, lang, unit) for v in part[key]],
                        hovertemplate=t("prj_year_n", lang, n="%{x}") + "<br>" + t(s, lang) + "：%{customdata}<extra></extra>")
        if key in ("months_of_payment", "fund_closing_balance"):
            hit = part[part["first_out_of_band"]]
            if len(hit):
                r = hit.iloc[0]
                fig.add_scatter(x=[r["year"]], y=[r[key] / div], mode="markers+text", showlegend=False,
                                marker={"symbol": "x", "size": 18, "color": "#c53030", "line": {"width": 2}},
                                text=[t("prj_breach_mark", lang, n=int(r["year"]))], textposition="bottom right",
                                textfont={"color": "#c53030"}, hoverinfo="skip")
    if key == "fund_closing_balance":
        fig.add_hline(y=0, line_color="#c53030", line_dash="dot")
    axis = {"pv": t("prj_axis_pv", lang), "money": t("fnd_axis_money_" + unit, lang), "months": t("fnd_axis_months", lang)}[kind]
    ticks = sorted(years["year"].unique())
    fig.update_layout(title=t(f"prj_chart_{key}", lang), height=360, margin={"t": 50, "b": 40, "l": 10, "r": 10},
                      xaxis={"title": t("prj_axis_year", lang), "tickmode": "array", "tickvals": ticks,
                             "ticktext": [t("prj_year_n", lang, n=y) for y in ticks]},
                      yaxis={"title": axis, "automargin": True,
                             "tickformat": ",.3f" if kind == "pv" else ",.1f" if kind == "months" else ",.0f"},
                      legend={"orientation": "h", "y": -0.25}, font=_font())
    return fig


def projection_fan_chart(bands: pd.DataFrame, schemes, low: float, high: float, lang: str = "zh") -> go.Figure:
    """Months of payment per year: the P10–P90 band and P50 of the drawn projections (projection_fan),
    the plain projection dotted, over the shaded 6–9-month guidance band (A-3)."""
    b = bands[bands["metric"] == "months_of_payment"]
    fig = go.Figure()
    fig.add_hrect(y0=low, y1=high, fillcolor="#48bb78", opacity=0.15, line_width=0, layer="below")
    fill = {"employee": "rgba(43, 108, 176, 0.18)", "resident": "rgba(217, 130, 43, 0.22)"}
    for s in schemes:
        part = b[b["scheme"] == s].sort_values("year")
        x = part["year"].tolist()
        fig.add_scatter(x=x + x[::-1], y=part["p90"].tolist() + part["p10"].tolist()[::-1], fill="toself",
                        mode="lines", fillcolor=fill[s], line={"width": 0}, hoverinfo="skip",
                        name=t("prj_fan_p10_p90", lang, scheme=t(s, lang)))
        fig.add_scatter(x=x, y=part["p50"], mode="lines+markers", name=t("prj_fan_p50", lang, scheme=t(s, lang)),
                        line={"color": PROJECTION_COLORS[s], "width": 3},
                        customdata=part[["p10", "p90"]].to_numpy(),
                        hovertemplate=t("prj_year_n", lang, n="%{x}") + "<br>P50 %{y:.1f}（P10 %{customdata[0]:.1f} – "
                                      "P90 %{customdata[1]:.1f}）<extra></extra>")
        fig.add_scatter(x=x, y=part["central"], mode="lines", name=t("prj_fan_central", lang, scheme=t(s, lang)),
                        line={"color": PROJECTION_COLORS[s], "width": 1.5, "dash": "dot"}, hoverinfo="skip")
    ticks = sorted(b["year"].unique())
    fig.update_layout(title=t("prj_fan_chart", lang), height=420, font=_font(),
                      xaxis={"title": t("prj_axis_year", lang), "tickmode": "array", "tickvals": ticks,
                             "ticktext": [t("prj_year_n", lang, n=y) for y in ticks]},
                      yaxis={"title": t("fnd_axis_months", lang), "automargin": True, "tickformat": ",.1f"},
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50, "b": 40, "l": 10, "r": 10})
    return fig


# --- for a screen, a slide or a page ----------------------------------------------------------------

def enlarge(fig: go.Figure, size: int = 20, height: int | None = None) -> go.Figure:
    """A copy of a figure with every text scaled for a room (presentation mode, slides)."""
    out = go.Figure(fig)
    base = (fig.layout.font.size or 13)
    f = size / base
    out.update_layout(font={"size": size}, title_font={"size": round(size * 1.3)},
                      legend_font={"size": round(size * 0.9)})
    if height:
        out.update_layout(height=height)
    for tr in out.data:
        tf = getattr(tr, "textfont", None)
        if tf is not None and tf.size:
            tr.textfont.size = round(tf.size * f)
        mk = getattr(tr, "marker", None)
        if mk is not None and getattr(mk, "size", None) is not None and not isinstance(mk.size, (list, tuple)):
            try:
                tr.marker.size = round(mk.size * min(f, 1.6))
            except (TypeError, ValueError):
                pass
    for ann in out.layout.annotations or ():
        if ann.font and ann.font.size:
            ann.font.size = round(ann.font.size * f)
    return out
