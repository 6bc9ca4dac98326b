"""年终预估 Year-end outlook of one hospital: for each scheme the A-37 year-end settlement (to be paid to the
hospital or returned, to the yuan) at the central settlement point value, with the range at a low and a high
point value (typed by the user, by default central ∓ 5 % or the published budget and last year's values),
the monthly and cumulative fund-use rate against the A-36 band edges with the A-32 pre-payments, the
settlement table and the downloads. Every figure comes from dip_model.analysis.hospital_outlook (each point
value settled again by the engine); the workbook is dip_model.report.outlook_workbook."""
from __future__ import annotations

import dataclasses

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

import dip_model
from dip_model.access import visible_outlook
from dip_model.analysis.bands import bands_of, edges, regions
from dip_model.analysis.hospital_outlook import (DEFAULT_SPREAD, POINTS, Outlook, outlook, point_values,
                                                 published_range)
from dip_model.report.outlook_workbook import (build_outlook_xlsx, presented_monthly, presented_settlement,
                                              source_labels)
from dip_model.data.store.audit import EXPORT
from ui import hospital as hv
from ui.access import audited, user
from ui import state
from ui.export import download_csv, download_png
from ui.figures import font
from ui.i18n import current_lang, t, tr
from ui.texts import band_text, labeller
from ui.widgets import digest

K_INPUTS = "hpo_inputs"     # the range's basis, spread, last year's values and typed point values (no widget owns it)
BASES = ("spread", "published")
REGION_FILL = {"retained": "rgba(72,187,120,0.13)", "full": "rgba(160,174,192,0.16)",
               "overspend": "rgba(237,137,54,0.15)", "beyond": "rgba(229,62,62,0.13)"}
COLOURS = {"month": "#90cdf4", "cum": "#2b6cb0", "prepaid": "#a0aec0", "prepaid_cum": "#4a5568"}
SCREEN = ("scheme", "point", "point_value", "year_end_settlement", "vs_central", "final_payment", "monthly_prepaid",
          "usage_rate", "band", "sharing", "retained", "cap_deduction", "violation_deduction", "point_value_source")


@st.cache_resource(show_spinner=False, max_entries=16)
def _outlook(_res: dip_model.Results, data_version: str, params_digest: str, hospital_id: str, low: tuple,
             central: tuple, high: tuple, spread: float) -> Outlook:
    """One Outlook per run (dataset version and parameter digest), hospital and point values; the point
    values as sorted (scheme, value) pairs."""
    return outlook(_res, hospital_id, low=dict(low) or None, central=dict(central) or None, high=dict(high) or None,
                   spread=spread)


def _inputs() -> dict:
    return st.session_state.setdefault(K_INPUTS, {"basis": None, "spread": DEFAULT_SPREAD, "last": {}, "typed": {}})


def _pv_format(res: dip_model.Results) -> str:
    return f"%.{max(3, int(res.params.get('point_value.decimals')))}f"


def range_inputs(v: hv.View) -> tuple[dict, dict, dict, float, str]:
    """The point values: the basis of the defaults (central ∓ spread, or the published budget and last
    year's values, analysis.hospital_outlook.published_range), then low / central / high per scheme, each
    editable. Returns (low, central, high, spread, basis); a value left at its default is not passed, so the
    analysis names its source (the run's own, or central ∓ spread)."""
    res, ss = v.res, _inputs()
    monthly = any(res.params.get(f"point_value.budget_monthly.{s}") is not None for s in v.shown)
    basis = ss["basis"] or ("published" if monthly else "spread")
    fmt = _pv_format(res)
    with st.container(border=True):
        st.markdown(f"**{t('hpo_range_head')}**")
        c = st.columns([2, 1])
        basis = c[0].radio(t("hpo_basis"), BASES, index=BASES.index(basis), horizontal=True, key="hpo_basis",
                           format_func=labeller("hpo_basis_"), help=t("hpo_basis_help"))
        ss["basis"] = basis
        spread = DEFAULT_SPREAD
        last: dict = {}
        if basis == "spread":
            pct = c[1].number_input(t("hpo_spread"), min_value=0.0, max_value=50.0, step=0.5, format="%.1f",
                                    value=float(ss["spread"]) * 100, key="hpo_spread")
            spread = ss["spread"] = round(float(pct) / 100, 6)
        else:
            cols = st.columns(len(v.shown) + 1)
            for i, s in enumerate(v.shown):
                val = cols[i].number_input(t("hpo_last", scheme=t(s)), value=ss["last"].get(s), min_value=0.0001,
                                           step=0.01, format=fmt, placeholder=t("hpo_last_placeholder"),
                                           key=f"hpo_last:{s}", help=t("hpo_last_help"))
                if val is None:
                    ss["last"].pop(s, None)
                else:
                    ss["last"][s] = last[s] = float(val)
        typed = ss["typed"]
        own = {s: float(res.summary["schemes"][s]["settlement_point_value"]) for s in v.shown}
        central = {}
        for s in v.shown:                   # the central value first: the defaults of low and high follow it
            cur = _typed(typed, s, "central", own[s])
            if cur is not None:
                central[s] = cur
        if basis == "published":        # as the outlook command: widened to a central value typed outside it
            rng = published_range(res, last_year=last or None)
            low = {s: min(rng[s][0], central.get(s, own[s])) for s in v.shown}
            high = {s: max(rng[s][1], central.get(s, own[s])) for s in v.shown}
        else:
            low, high = {}, {}
        defaults, _ = point_values(res, low=low or None, high=high or None, central=central or None, spread=spread)
        chosen = {"low": dict(low), "central": central, "high": dict(high)}
        for s in v.shown:
            row = st.columns(3)
            for i, pt in enumerate(POINTS):
                base = own[s] if pt == "central" else defaults[s][i]
                cur = _typed(typed, s, pt, base)
                val = row[i].number_input(t(f"hpo_pv_{pt}", scheme=t(s)), value=base if cur is None else cur,
                                          min_value=0.0001, step=0.01, format=fmt, key=_key(s, pt, base),
                                          help=t(f"hpo_pv_{pt}_help"))
                if abs(float(val) - base) > 1e-12:
                    typed.setdefault(s, {})[pt] = (digest(base), float(val))
                    chosen[pt][s] = float(val)
                else:
                    typed.get(s, {}).pop(pt, None)
        if any(typed.get(s) for s in v.shown) and st.button(t("hpo_reset"), key="hpo_reset"):
            ss["typed"] = {}
            for k in [k for k in st.session_state if str(k).startswith("hpo_pv:")]:
                del st.session_state[k]
            st.rerun()
    return chosen["low"], chosen["central"], chosen["high"], spread, basis


def _key(scheme: str, point: str, default: float) -> str:
    """A point value's input: a new default (another basis, spread or central) starts it afresh."""
    return f"hpo_pv:{scheme}:{point}:{digest(default)}"


def _typed(typed: dict, scheme: str, point: str, default: float) -> float | None:
    """The value typed over a default: the input's own state in this run, else the value kept from an
    earlier visit of the page (widget state goes when the page is left); None when at the default."""
    key = _key(scheme, point, default)
    if key in st.session_state:
        val = float(st.session_state[key])
    else:
        kept = typed.get(scheme, {}).get(point)
        if not kept or kept[0] != digest(default):
            return None
        val = kept[1]
    return None if abs(val - default) <= 1e-12 else val


def _shown(ol: Outlook, schemes: list[str]) -> Outlook:
    """The outlook of the schemes shown (the sidebar's scheme filter)."""
    def rows(df):
        return df[df["scheme"].isin(schemes)].reset_index(drop=True)
    return dataclasses.replace(ol, settlement=rows(ol.settlement), monthly=rows(ol.monthly),
                               pv={s: r for s, r in ol.pv.items() if s in schemes})


def source(ol: Outlook, row) -> str:
    """Where a point value comes from, in the workbook's words."""
    return source_labels(current_lang(), ol.spread)[row["point_value_source"]]


def settle_text(x: float) -> str:
    return t("hpo_pay" if x >= 0 else "hpo_back", v=hv.yuan(abs(x)))


def budget_note(ol: Outlook, s: str) -> str:
    """The budget point value(s) the pre-payments used (A-32)."""
    pvb = ol.monthly.loc[ol.monthly["scheme"] == s, "budget_point_value"]
    lo, hi = float(pvb.min()), float(pvb.max())
    return t("hpo_prepaid_pvb", v=lo) if lo == hi else t("hpo_prepaid_pvb_monthly", lo=lo, hi=hi)


def card(col, label: str, value: str, help: str, lines) -> None:
    """A bordered card: the figure, and under it its range or basis in lines of their own (a quarter-width
    card's delta would clip two figures to the yuan)."""
    with col, st.container(border=True, height="stretch"):
        st.metric(label, value, help=help)
        for line in lines:
            st.caption(line)


def cards(ol: Outlook, s: str) -> None:
    lo, c, hi = (ol.row(s, pt) for pt in POINTS)
    ye = float(c["year_end_settlement"])
    ends = ((lo, "ol_point_low"), (hi, "ol_point_high"))
    col = st.columns(4)
    card(col[0], t("hpo_card_pay" if ye >= 0 else "hpo_card_back"), hv.yuan(abs(ye)),
         t("hpo_card_ye_help", v=hv.exact(ye), final=hv.exact(c["final_payment"]),
           prepaid=hv.exact(c["monthly_prepaid"])),
         [t("hpo_at_point", pt=t(key), pv=r["point_value"], src=source(ol, r), v=settle_text(r["year_end_settlement"]))
          for r, key in ends])
    card(col[1], t("hpo_card_final"), hv.yuan(c["final_payment"]),
         t("hpo_card_final_help", v=hv.exact(c["final_payment"])),
         [t("hpo_at_point_short", pt=t(key), pv=r["point_value"], v=hv.yuan(r["final_payment"])) for r, key in ends])
    card(col[2], t("hpo_card_prepaid"), hv.yuan(c["monthly_prepaid"]),
         t("hpo_card_prepaid_help", v=hv.exact(c["monthly_prepaid"])), [budget_note(ol, s)])
    card(col[3], t("hpo_card_usage"), f"{c['usage_rate']:.1%}", t("hpo_card_usage_help"),
         [t("hpo_band", band=band_text(c["band"]))])


def month_chart(ol: Outlook, s: str, params) -> go.Figure:
    """The use rate of each month and to date (A-36) against the scheme's band edges, and the A-32
    pre-payments of each month and to date."""
    m = ol.monthly[ol.monthly["scheme"] == s]
    months = [t("hb_month", m=int(k)) for k in m["month"]]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.64, 0.36], vertical_spacing=0.1,
                        specs=[[{}], [{"secondary_y": True}]],
                        subplot_titles=(t("hpo_chart_usage"), t("hpo_chart_prepaid")))
    u, uc = m["usage_rate"].to_numpy(float), m["usage_rate_cum"].to_numpy(float)
    seen = np.concatenate([u[np.isfinite(u)], uc[np.isfinite(uc)]])
    b = bands_of(params, s)
    y0 = max(0.0, min(0.6, float(seen.min()) - 0.05) if len(seen) else 0.6)
    y1 = max(1.35, float(seen.max()) + 0.05) if len(seen) else 1.35
    # the bands and their edges as layout shapes (add_hrect / add_hline take ~20 ms each on a subplot)
    shapes = [{"type": "rect", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": max(r["lo"], y0),
               "y1": min(r["hi"], y1), "fillcolor": REGION_FILL[r["kind"]], "line": {"width": 0}, "layer": "below"}
              for r in regions(b, y1) if min(r["hi"], y1) > max(r["lo"], y0)]
    inside = [e for e in edges(b) if y0 < e < y1]
    shapes += [{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": e, "y1": e,
                "line": {"dash": "dot", "color": "#718096", "width": 1}} for e in inside]
    fig.update_layout(shapes=shapes)
    bands_m = [band_text(x) if isinstance(x, str) else "—" for x in m["band"]]
    bands_c = [band_text(x) if isinstance(x, str) else "—" for x in m["band_cum"]]
    fig.add_bar(x=months, y=u, name=t("hpo_series_month"), marker_color=COLOURS["month"], customdata=bands_m,
                hovertemplate="%{x}: %{y:.1%}<br>%{customdata}<extra>" + t("hpo_series_month") + "</extra>",
                row=1, col=1)
    fig.add_scatter(x=months, y=uc, name=t("hpo_series_cum"), mode="lines+markers+text",
                    line={"color": COLOURS["cum"], "width": 3}, marker={"size": 7}, customdata=bands_c,
                    text=[f"{x:.1%}" if np.isfinite(x) else "" for x in uc], textposition="top center",
                    textfont={"size": 11, "color": COLOURS["cum"]},
                    hovertemplate="%{x}: %{y:.1%}<br>%{customdata}<extra>" + t("hpo_series_cum") + "</extra>",
                    row=1, col=1)
    fig.add_bar(x=months, y=m["prepaid"], name=t("hpo_series_prepaid"), marker_color=COLOURS["prepaid"],
                hovertemplate="%{x}: %{y:,.0f}<extra>" + t("hpo_series_prepaid") + "</extra>", row=2, col=1)
    fig.add_scatter(x=months, y=m["prepaid_cum"], name=t("hpo_series_prepaid_cum"), mode="lines+markers",
                    line={"color": COLOURS["prepaid_cum"], "width": 2},
                    hovertemplate="%{x}: %{y:,.0f}<extra>" + t("hpo_series_prepaid_cum") + "</extra>",
                    row=2, col=1, secondary_y=True)
    fig.update_yaxes(range=[y0, y1], tickformat=".0%", title_text=t("hpo_axis_usage"), automargin=True, row=1, col=1,
                     tickvals=inside, showgrid=False)            # the ticks are the band edges
    fig.update_yaxes(tickformat=",.0f", title_text=t("hpo_axis_prepaid"), automargin=True, rangemode="tozero",
                     row=2, col=1)
    fig.update_yaxes(tickformat=",.0f", title_text=t("hpo_axis_prepaid_cum"), automargin=True, rangemode="tozero",
                     showgrid=False, tickmode="auto", nticks=4, row=2, col=1, secondary_y=True)
    fig.update_layout(title={"text": t("hpo_chart_title", scheme=t(s)), "x": 0, "xanchor": "left"}, font=font(),
                      height=620, margin={"l": 10, "r": 60, "t": 90, "b": 40}, bargap=0.3,
                      legend={"orientation": "h", "y": -0.08, "x": 0, "yanchor": "top"})
    return fig


def settlement_table(ol: Outlook) -> tuple:
    """The settlement at the three point values as shown (money to the yuan; the cap not applicable in a
    hospital folder is said so, not left blank), and its column formats."""
    L = current_lang()
    full = presented_settlement(ol, L)
    heads = dict(zip(ol.settlement.columns.drop("hospital_id"), full.columns))
    cols = [heads[c] for c in SCREEN if c in heads]
    shown = full[cols].copy()
    money = [heads[c] for c in ("final_payment", "monthly_prepaid", "year_end_settlement", "vs_central", "sharing",
                                "retained", "cap_deduction", "violation_deduction")]
    for c in money:
        shown[c] = shown[c].round(0)
    cap = heads["cap_deduction"]
    if ol.mode == "hospital":
        shown[cap] = t("hpo_na")
    cfg = {c: st.column_config.NumberColumn(format="localized") for c in money
           if not (c == cap and ol.mode == "hospital")}
    cfg[heads["usage_rate"]] = st.column_config.NumberColumn(format="percent")
    cfg[heads["point_value"]] = st.column_config.NumberColumn(format="%.3f")
    return shown, cfg


def downloads(ol: Outlook) -> None:
    L, hid = current_lang(), ol.hospital_id
    name = f"{t('hpo_file')}-{hid}"
    c = st.columns(3)
    with c[0]:
        st.download_button(f"⬇ {t('hpo_dl_xlsx')}", data=audited(EXPORT, f"{name}.xlsx", lambda: build_outlook_xlsx(ol, L)),
                           file_name=f"{name}.xlsx", mime=hv.XLSX, key=state.widget_key("hpo_xlsx", hid),
                           help=t("hpo_dl_xlsx_help"))
    with c[1]:
        download_csv(lambda: presented_settlement(ol, L), name, "hpo_csv", t("hpo_dl_csv"))
    with c[2]:
        download_csv(lambda: presented_monthly(ol, L), f"{t('hpo_file_monthly')}-{hid}", "hpo_csv_m",
                     t("hpo_dl_csv_monthly"))


def page() -> None:
    v = hv.start("nav_hp_outlook", "hpo_intro")
    if v is None:
        return
    low, central, high, spread, basis = range_inputs(v)
    data = state.full_dataset()
    try:
        with st.spinner(t("loading")):
            full, err = hv.full_results()          # settled again on the whole city, then cut for the user
            if full is None:
                raise dip_model.DipError(err)
            ol = _outlook(full, hv.data_key(data), v.res.params.digest(), v.hospital_id, tuple(sorted(low.items())),
                          tuple(sorted(central.items())), tuple(sorted(high.items())), float(spread))
            ol = visible_outlook(ol, user())
    except dip_model.DipError as err:
        st.error(tr(err), icon="⚠️")
        return
    ol = _shown(ol, v.shown)
    if ol.mode == "hospital":
        st.caption(t("hpo_cap_na"))
    for s in v.shown:
        st.subheader(t("hpo_scheme_head", scheme=t(s)))
        cards(ol, s)
        fig = month_chart(ol, s, v.res.params)
        st.plotly_chart(fig, width="stretch", key=f"hpo_chart:{s}")
        download_png(fig, f"{t('hpo_file_chart', scheme=t(s))}-{v.hospital_id}", f"hpo_png:{s}")
    st.caption(t("hpo_chart_caption"))

    st.subheader(t("hpo_table_head"))
    shown, cfg = settlement_table(ol)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=cfg, key="hpo_table")
    st.caption(t("hpo_table_caption"))
    with st.expander(t("hpo_monthly_head")):
        mon = presented_monthly(ol, current_lang())
        st.dataframe(mon.round(4), hide_index=True, width="stretch", key="hpo_monthly")
    downloads(ol)


state.run_page(page)
