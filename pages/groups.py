"""病种与分值 Groups and scores: the catalogue (A-15, A-16), case types and buckets by hospital category,
deviation ratios (A-19), special cases (A-20), the auxiliary catalogue (A-18) and the case-scoring
parameters. Every figure comes from dip_model; this page only gathers parameters and draws."""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dip_model.analysis import groups as ag
from dip_model.rules.case_scores import BUCKETS, CASE_TYPES
from ui.access import allowed
from ui import state, widgets
from ui.cards import scale, unit_text
from ui.export import download_excel, download_png
from ui.figures import titled
from ui.i18n import t, tr
from ui.texts import labeller

TYPE_COLOURS = {"normal": "#8da0cb", "grassroots": "#66c2a5", "low": "#fc8d62", "high": "#e41a1c",
                "special": "#984ea3", "unmatched": "#b3b3b3", "tcm": "#a6d854"}


# --- small helpers -------------------------------------------------------------------------------

def _n(v) -> str:
    """An exact count with thousands separators."""
    return f"{int(v):,}"


def _search(cat: pd.DataFrame, q: str) -> np.ndarray:
    """The catalogue rows whose code or name contains the search text (all rows for none)."""
    s = q.strip().lower()
    if not s:
        return np.ones(len(cat), bool)
    return (cat["group_id"].str.lower().str.contains(s, regex=False)
            | cat["name"].fillna("").str.lower().str.contains(s, regex=False)).to_numpy()


def _log_ticks(lo: float, hi: float) -> tuple[list, list]:
    """Tick positions (log10) and labels 1-2-5 per decade between lo and hi."""
    vals = [m * 10.0 ** e for e in range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
            for m in (1, 2, 5)]
    vals = [v for v in vals if lo * 0.999 <= v <= hi * 1.001]
    return [np.log10(v) for v in vals], [f"{v:,.10g}" for v in vals]


def _log_bars(fig: go.Figure, hist: pd.DataFrame, names: dict, colours: dict, hover: str) -> None:
    """Stacked bars of a binned log histogram on a log10 x axis (bin centres, exact widths)."""
    for g in [g for g in names if g in set(hist["group"])]:
        part = hist[hist["group"] == g]
        lo, hi = np.log10(part["lo"].to_numpy()), np.log10(part["hi"].to_numpy())
        fig.add_bar(x=(lo + hi) / 2, width=hi - lo, y=part["count"], name=names[g], marker_color=colours.get(g),
                    customdata=np.c_[part["lo"], part["hi"]], hovertemplate=hover + "<extra>" + names[g] + "</extra>")
    fig.update_layout(barmode="stack", bargap=0)


def _baseline_counts() -> dict | None:
    """Case-type counts per scheme of the baseline scenario; None when it is the working scenario (nothing
    to compare) or cannot be computed (then a warning says why)."""
    base = state.compared_baseline("gc_baseline_invalid")
    return None if base is None else {s: ag.type_counts(base.stage, [s]) for s in base.summary["schemes"]}


# --- inputs --------------------------------------------------------------------------------------

def _case_inputs() -> None:
    """The case-scoring parameters (A-15, A-19 … A-21) and interpretation switches."""
    c = st.columns(4)
    with c[0]:
        widgets.number("cases.low_ratio", step=0.05, fmt="%.2f", min_value=0.0)
    with c[1]:
        widgets.number("cases.high_ratio", step=0.1, fmt="%.2f", min_value=0.0)
    with c[2]:
        widgets.number("cases.low_factor", step=0.05, fmt="%.2f", min_value=0.0)
    with c[3]:
        widgets.number("cases.unmatched_factor", step=0.05, fmt="%.2f", min_value=0.0)
    c = st.columns(4)
    with c[0]:
        widgets.number("cases.special_rate", step=0.05, fmt="%.2f", min_value=0.0, max_value=100.0, percent=True)
    with c[1]:
        widgets.number("cases.special_min", step=1, fmt="%d", min_value=0)
    with c[2]:
        widgets.number("cases.readmit_days", step=1, fmt="%d", min_value=0)
    st.markdown(f"**{t('gc_interpretations')}**")
    idents = ("I-11", "I-1", "I-2", "I-3", "I-12")
    cols = st.columns(3) + st.columns(3)
    for col, ident in zip(cols, idents):
        path = f"interpretations.{ident}"
        with col:
            widgets.choice(path, labels={v: t(f"gc_opt_{ident}_{v}") for v in widgets.param_meta(path)["choices"]})


# --- sections ------------------------------------------------------------------------------------

def _metrics(res, schemes, base_by_scheme) -> None:
    counts = ag.type_counts(res.stage, schemes)
    base = None
    if base_by_scheme and all(s in base_by_scheme for s in schemes):
        base = {k: sum(base_by_scheme[s][k] for s in schemes) for k in CASE_TYPES}
    cols = st.columns(len(CASE_TYPES) + 1)
    cols[0].metric(t("gc_m_total"), _n(sum(counts.values())))
    for col, k in zip(cols[1:], CASE_TYPES):
        d = None if base is None or base[k] == counts[k] else f"{counts[k] - base[k]:+,} {t('gc_vs_baseline')}"
        col.metric(t(f"gc_m_{k}"), _n(counts[k]), d, delta_color="off")


def _catalogue_view(res, schemes) -> pd.DataFrame:
    """The catalogue with this year's cases and raw score over the selected schemes."""
    cat = res.stage.ref.catalogue.copy()
    gc = ag.group_counts(res.stage)
    cat["n_cases"] = sum(gc[f"{s}_cases"] for s in schemes)
    cat["raw"] = sum(gc[f"{s}_raw"] for s in schemes)
    return cat


def _catalogue(res, schemes) -> None:
    cat = _catalogue_view(res, schemes)
    f = st.columns([3, 2, 2, 2])
    q = f[0].text_input(t("gc_search"), placeholder=t("gc_search_hint"), key=state.widget_key("gc_q"))
    types = f[1].multiselect(t("gc_col_group_type"), ["core", "comprehensive"], format_func=labeller("gc_gt_"),
                             key=state.widget_key("gc_types"), placeholder=t("gc_all"))
    cats = f[2].multiselect(t("gc_col_category"), ["normal", "monitored", "ambiguous"],
                            format_func=labeller("gc_gc_"), key=state.widget_key("gc_cats"),
                            placeholder=t("gc_all"))
    grass = f[3].selectbox(t("gc_col_grassroots"), ["all", "yes", "no"], format_func=labeller("gc_yn_"),
                           key=state.widget_key("gc_grass"))
    mask = _search(cat, q)
    if types:
        mask &= cat["group_type"].isin(types).to_numpy()
    if cats:
        mask &= cat["category"].isin(cats).to_numpy()
    if grass != "all":
        mask &= (cat["grassroots"].to_numpy(bool) == (grass == "yes"))
    view = cat[mask]
    st.caption(t("gc_cat_count", n=_n(len(view)), total=_n(len(cat)), source=t(f"gc_source_{res.stage.ref.source}")))

    cols = ["group_id", "name", "group_type", "rw", "policy_factor", "rw_eff", "grassroots", "category",
            "tcm_standard", "n_history", "cv", "n_cases", "raw"]
    table = view[cols].copy()
    table["group_type"] = table["group_type"].map(lambda x: t(f"gc_gt_{x}"))
    table["category"] = table["category"].map(lambda x: t(f"gc_gc_{x}"))
    table["tcm_standard"] = (table["tcm_standard"] / scale()).round(2)
    table["raw"] = table["raw"].round(1)
    heads = {c: t(f"gc_col_{c}", unit=unit_text()) for c in cols}
    table = table.rename(columns=heads)
    st.dataframe(table, hide_index=True, width="stretch", height=360, column_config={
        heads["rw"]: st.column_config.NumberColumn(format="%.2f"),
        heads["policy_factor"]: st.column_config.NumberColumn(format="%.4f"),
        heads["rw_eff"]: st.column_config.NumberColumn(format="%.2f"),
        heads["tcm_standard"]: st.column_config.NumberColumn(format="localized"),
        heads["cv"]: st.column_config.NumberColumn(format="%.3f"),
        heads["n_cases"]: st.column_config.NumberColumn(format="localized"),
        heads["raw"]: st.column_config.NumberColumn(format="localized"),
    }, placeholder="—")
    download_excel(table, t("gc_file_catalogue"), "gc_catalogue")

    hist = ag.log_histogram(view["rw_eff"].to_numpy(), per_decade=10, groups=view["group_type"].to_numpy())
    fig = go.Figure()
    if len(hist):
        _log_bars(fig, hist, {g: t(f"gc_gt_{g}") for g in ("core", "comprehensive")},
                  {"core": "#4c78a8", "comprehensive": "#f58518"},
                  t("gc_rw_hover") + " %{customdata[0]:.1f} – %{customdata[1]:.1f}<br>" + t("gc_groups_n") + " %{y}")
        tv, tt = _log_ticks(hist["lo"].min(), hist["hi"].max())
        fig.update_xaxes(tickvals=tv, ticktext=tt)
    titled(fig, t("gc_rw_axis"), t("gc_groups_axis"), t("gc_rw_title"), height=400)
    st.plotly_chart(fig, key="gc_rw_chart")
    download_png(fig, t("gc_file_rw"), "gc_rw")


def _reports(res) -> None:
    rep = ag.catalogue_reports(res)
    names = res.stage.ref.catalogue.set_index("group_id")["name"]
    c = st.columns(2)
    with c[0]:
        st.markdown(f"##### {t('gc_rep_exit')}")
        st.caption(t("gc_rep_exit_note", share=f"{res.params.get('catalogue.grassroots_min_share'):.0%}"))
        df = rep["grassroots_exit"].copy()
        df.insert(1, "name", df["group_id"].map(names))
        df = df.rename(columns={"group_id": t("gc_col_group_id"), "name": t("gc_col_name"),
                                "cases": t("gc_col_n_cases"), "grassroots_share": t("gc_col_grassroots_share")})
        st.dataframe(df, hide_index=True, width="stretch", height=260, column_config={
            t("gc_col_grassroots_share"): st.column_config.NumberColumn(format="percent")})
        download_excel(df, t("gc_file_exit"), "gc_rep_exit")
    with c[1]:
        st.markdown(f"##### {t('gc_rep_dominated')}")
        st.caption(t("gc_rep_dominated_note", share=f"{res.params.get('catalogue.dominance_share'):.0%}"))
        df = rep["level_dominated"].copy()
        df.insert(1, "name", df["group_id"].map(names))
        df = df.rename(columns={"group_id": t("gc_col_group_id"), "name": t("gc_col_name"),
                                "cases": t("gc_col_n_cases"), "category": t("gc_col_hosp_category"),
                                "share": t("gc_col_level_share")})
        st.dataframe(df, hide_index=True, width="stretch", height=260, column_config={
            t("gc_col_level_share"): st.column_config.NumberColumn(format="percent")})
        download_excel(df, t("gc_file_dominated"), "gc_rep_dom")
    c = st.columns(2)
    cat = res.stage.ref.catalogue.set_index("group_id")
    for col, key, ids in ((c[0], "thin", rep["thin_comprehensive"]), (c[1], "ambiguous", rep["ambiguous_leaving"])):
        with col:
            st.markdown(f"##### {t(f'gc_rep_{key}')}")
            st.caption(t(f"gc_rep_{key}_note", n=int(res.params.get("catalogue.core_min_cases"))))
            df = pd.DataFrame({t("gc_col_group_id"): ids, t("gc_col_name"): cat["name"].reindex(ids).to_numpy(),
                               t("gc_col_n_history"): cat["n_history"].reindex(ids).to_numpy()})
            st.dataframe(df, hide_index=True, width="stretch", height=220, placeholder="—")
            download_excel(df, t(f"gc_file_{key}"), f"gc_rep_{key}")
    if res.stage.ref.source == "file" and (res.stage.ref.catalogue["n_history"] == 0).all():
        st.info(t("gc_rep_no_history"))


def _base_factors(res) -> dict:
    """The policy factor each group has in the dataset's own catalogue (1 when built from history)."""
    cat = res.data.catalogue
    if res.stage.ref.source != "file" or cat is None or "policy_factor" not in cat:
        return {}
    return dict(zip(cat["group_id"], cat["policy_factor"].astype(float)))


def _policy_factors(res) -> None:
    st.caption(t("gc_pf_note"))
    cat = res.stage.ref.catalogue
    current = {str(k): float(v) for k, v in (state.get_value("catalogue.policy_factors") or {}).items()}
    f = st.columns([3, 2])
    q = f[0].text_input(t("gc_search"), placeholder=t("gc_search_hint"), key=state.widget_key("gc_pf_q"))
    only = f[1].toggle(t("gc_pf_only_changed"), key=state.widget_key("gc_pf_only"))
    mask = _search(cat, q)
    if only:
        mask &= cat["group_id"].isin(list(current)).to_numpy()
    view = cat.loc[mask, ["group_id", "name", "group_type", "rw", "policy_factor", "rw_eff"]].reset_index(drop=True)
    view["group_type"] = view["group_type"].map(lambda x: t(f"gc_gt_{x}"))
    heads = {c: t(f"gc_col_{c}") for c in view.columns}
    shown = view.rename(columns=heads)
    key = state.widget_key("gc_pf_editor", widgets.digest([q, only, current]))
    edited = st.data_editor(
        shown, key=key, hide_index=True, width="stretch", height=360,
        disabled=[heads[c] for c in ("group_id", "name", "group_type", "rw", "rw_eff")],
        column_config={heads["rw"]: st.column_config.NumberColumn(format="%.2f"),
                       heads["rw_eff"]: st.column_config.NumberColumn(format="%.2f"),
                       heads["policy_factor"]: st.column_config.NumberColumn(min_value=0.0, step=0.01, format="%.4f")})
    new_vals = edited[heads["policy_factor"]].to_numpy(float)
    old_vals = shown[heads["policy_factor"]].to_numpy(float)
    changed = ~np.isclose(new_vals, old_vals, rtol=0, atol=1e-12, equal_nan=True)
    if changed.any():
        base = _base_factors(res)
        new = dict(current)
        for gid, v in zip(view["group_id"][changed], new_vals[changed]):
            if np.isnan(v) or abs(v - base.get(gid, 1.0)) < 1e-12:
                new.pop(gid, None)                       # cleared or back to the catalogue's own factor
            else:
                new[gid] = float(v)
        state.set_value("catalogue.policy_factors", new)
        st.rerun()
    c = st.columns([1, 4])
    c[1].caption(t("gc_pf_changed", n=len(current)))
    if current and c[0].button(t("gc_pf_reset"), key=state.widget_key("gc_pf_reset")):
        state.set_value("catalogue.policy_factors", {})
        st.rerun()
    download_excel(shown, t("gc_file_pf"), "gc_pf")
    widgets.show_error_for("catalogue.policy_factors")


def _breakdown(res, schemes) -> None:
    b = ag.breakdown(res.stage, "case_type")
    b = b[b["scheme"].isin(schemes)].groupby(["category", "kind"], sort=False)[["cases", "raw_score"]].sum()
    order = ag.category_order(res.stage.categories)
    cats = [c for c in order if c in b.index.get_level_values(0)]
    cases = b["cases"].unstack("kind").reindex(index=cats, columns=CASE_TYPES).fillna(0).astype(np.int64)
    raw = b["raw_score"].unstack("kind").reindex(index=cats, columns=CASE_TYPES).fillna(0.0)
    share = cases.div(cases.sum(axis=1).replace(0, np.nan), axis=0)

    fig = go.Figure()
    for k in CASE_TYPES:
        fig.add_bar(x=cats, y=share[k] * 100, name=t(f"gc_type_{k}"), marker_color=TYPE_COLOURS[k],
                    customdata=cases[k], hovertemplate="%{x}: %{y:.1f}% (%{customdata:,} " + t("gc_cases_unit")
                    + ")<extra>" + t(f"gc_type_{k}") + "</extra>")
    fig.update_layout(barmode="stack")
    titled(fig, t("gc_col_hosp_category"), t("gc_share_axis"), t("gc_bd_title"), height=420)
    fig.update_xaxes(type="category")
    st.plotly_chart(fig, key="gc_bd_chart")
    download_png(fig, t("gc_file_bd_chart"), "gc_bd_png")

    what = st.radio(t("gc_bd_show"), ["cases", "raw"], horizontal=True, format_func=labeller("gc_bd_"),
                    key=state.widget_key("gc_bd_show"))
    tab = (cases if what == "cases" else raw.round(1)).copy()
    tab[t("gc_total")] = tab.sum(axis=1)
    tab = tab.rename(columns={k: t(f"gc_type_{k}") for k in CASE_TYPES})
    tab.index.name = t("gc_col_hosp_category")
    tab = tab.reset_index()
    st.dataframe(tab, hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(format="localized") for c in tab.columns[1:]})
    long = b.reset_index()
    long = long[long["category"].isin(cats)]
    long["kind"] = long["kind"].map(lambda k: t(f"gc_type_{k}"))
    long = long.rename(columns={"category": t("gc_col_hosp_category"), "kind": t("gc_col_case_type"),
                                "cases": t("gc_col_n_cases"), "raw_score": t("gc_col_raw")})
    download_excel(long, t("gc_file_bd"), "gc_bd")

    st.markdown(f"##### {t('gc_bucket_title')}")
    st.caption(t("gc_bucket_note"))
    bk = ag.breakdown(res.stage, "bucket")
    bk = bk[bk["scheme"].isin(schemes)].groupby(["category", "kind"], sort=False)[["cases", "raw_score"]].sum()
    bc = bk["cases"].unstack("kind").reindex(index=cats, columns=BUCKETS).fillna(0).astype(np.int64)
    br = bk["raw_score"].unstack("kind").reindex(index=cats, columns=BUCKETS).fillna(0.0)
    h = res.hospitals[res.hospitals["scheme"].isin(schemes)].groupby("category")
    out = pd.DataFrame(index=cats)
    out[t("gc_col_hospitals")] = h["hospital_id"].nunique().reindex(cats).fillna(0).astype(np.int64)
    for k in BUCKETS:
        out[t("gc_bucket_cases", b=t(f"gc_bucket_{k}"))] = bc[k]
        out[t("gc_bucket_raw", b=t(f"gc_bucket_{k}"))] = br[k]
    out[t("gc_col_score_core")] = h["score_core"].sum().reindex(cats).fillna(0.0)
    out[t("gc_col_total_score")] = h["total_score"].sum().reindex(cats).fillna(0.0)
    out.index.name = t("gc_col_hosp_category")
    out = out.reset_index().round(1)
    st.dataframe(out, hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(format="localized") for c in out.columns[1:]})
    download_excel(out, t("gc_file_bucket"), "gc_bucket")


def _deviation(res, schemes) -> None:
    low, high = float(res.params.get("cases.low_ratio")), float(res.params.get("cases.high_ratio"))
    inclusive = res.params.interpretation("I-11") == "inclusive"
    counts = ag.type_counts(res.stage, schemes)
    st.caption(t("gc_dev_note", low=f"{low:g}", high=f"{high:g}",
                 rule=t("gc_dev_inclusive") if inclusive else t("gc_dev_strict")))
    hist = ag.ratio_histogram(res.stage, tuple(schemes), marks=(low, high))
    names = {k: t(f"gc_type_{k}") for k in ("normal", "grassroots", "low", "high", "special")}
    fig = go.Figure()
    _log_bars(fig, hist, names, TYPE_COLOURS,
              "R %{customdata[0]:.2f} – %{customdata[1]:.2f}<br>" + t("gc_cases_axis") + " %{y:,}")
    tv, tt = _log_ticks(0.05, 20.0)
    fig.update_xaxes(tickvals=tv, ticktext=tt, range=[np.log10(0.05), np.log10(20.0)])
    shapes, notes = [], []
    for x, label, colour in ((low, t("gc_dev_low_line", x=f"{low:g}", n=_n(counts["low"])), TYPE_COLOURS["low"]),
                             (high, t("gc_dev_high_line", x=f"{high:g}", n=_n(counts["high"])), TYPE_COLOURS["high"])):
        if x > 0:          # threshold lines (layout shapes: much cheaper than add_vline)
            shapes.append(dict(type="line", x0=np.log10(x), x1=np.log10(x), y0=0, y1=1, yref="paper",
                               line=dict(dash="dash", color=colour, width=2)))
            notes.append(dict(x=np.log10(x), y=1, yref="paper", text=label, showarrow=False, yanchor="top",
                              xanchor="right" if x < 1 else "left", xshift=-4 if x < 1 else 4,
                              font=dict(color=colour)))
    fig.update_layout(shapes=shapes, annotations=notes)
    titled(fig, t("gc_dev_axis"), t("gc_cases_axis"), t("gc_dev_title"), height=460)
    st.plotly_chart(fig, key="gc_dev_chart")
    table = hist.assign(group=hist["group"].map(lambda k: t(f"gc_type_{k}"))).rename(columns={
        "lo": t("gc_col_bin_lo"), "hi": t("gc_col_bin_hi"), "group": t("gc_col_case_type"), "count": t("gc_col_n_cases")})
    c = st.columns(4)
    with c[0]:
        download_png(fig, t("gc_file_dev"), "gc_dev_png")
    with c[1]:
        download_excel(table, t("gc_file_dev"), "gc_dev")


def _special(res, schemes) -> None:
    sp = ag.special_cases(res.stage, res.data, tuple(schemes))
    rate = float(res.params.get("cases.special_rate"))
    by = t(f"gc_opt_I-1_{res.params.interpretation('I-1')}")
    st.caption(t("gc_sp_note", n=_n(len(sp)), rate=f"{rate * 1000:g}", min=int(res.params.get("cases.special_min")),
                 by=by, score=f"{sp['score'].sum():,.1f}"))
    top = st.columns(4)[0].number_input(t("gc_sp_top"), min_value=1, max_value=max(1, len(sp)), value=min(50, max(1, len(sp))),
                          step=10, key=state.widget_key("gc_sp_top"))
    view = sp.head(int(top)).copy()
    full = sp.copy()
    for df in (view, full):
        df["scheme"] = df["scheme"].map(t)
        df["cost"] = (df["cost"] / scale()).round(2)
        df[["score", "group_score"]] = df[["score", "group_score"]].round(1)
        df.insert(0, "rank", np.arange(1, len(df) + 1))
    cols = ["rank", "case_id", "hospital_name", "scheme", "group_name", "cost", "score", "group_score", "ratio",
            "hospital_id", "group_id"]
    heads = {c: t(f"gc_sp_{c}", unit=unit_text()) for c in cols}
    view, full = view[cols].rename(columns=heads), full[cols].rename(columns=heads)
    st.dataframe(view, hide_index=True, width="stretch", placeholder="—", column_config={
        heads["cost"]: st.column_config.NumberColumn(format="localized"),
        heads["group_score"]: st.column_config.NumberColumn(format="localized"),
        heads["ratio"]: st.column_config.NumberColumn(format="%.2f"),
        heads["score"]: st.column_config.NumberColumn(format="localized"),
        heads["group_name"]: st.column_config.TextColumn(width="medium")})
    download_excel(full, t("gc_file_special"), "gc_special")


def _aux(res) -> None:
    st.warning(t("gc_aux_note"), icon="ℹ️")
    aux = ag.aux_usage(res.stage, res.data)
    aux = aux.rename(columns={"aux_type": t("gc_col_aux_type"), "aux_coef": t("gc_col_aux_coef"),
                              "cases": t("gc_col_n_cases")})
    if aux.empty:
        st.info(t("gc_aux_none"))
        return
    st.dataframe(aux, hide_index=True, width="stretch", placeholder="—", column_config={
        t("gc_col_aux_coef"): st.column_config.NumberColumn(format="%.3f"),
        t("gc_col_n_cases"): st.column_config.NumberColumn(format="localized")})
    download_excel(aux, t("gc_file_aux"), "gc_aux")


# --- page ----------------------------------------------------------------------------------------

def page() -> None:
    st.title(t("nav_groups"))
    st.caption(t("gc_groups_caption"))
    metrics_box = st.container()
    with st.expander(t("gc_case_params"), expanded=True, icon=":material/tune:"):
        state.run_page(_case_inputs)
    res, err = state.results_with_spinner()
    if res is None:
        metrics_box.error(tr(err))
        return
    schemes = [s for s in widgets.scheme_list() if s in res.summary["schemes"]] or list(res.summary["schemes"])
    with metrics_box:
        state.run_page(lambda: _metrics(res, schemes, _baseline_counts()))
    # lazy tabs: only the open tab is computed and drawn (a redraw stays fast on a million cases)
    sections = {"catalogue": lambda: _catalogue(res, schemes), "reports": lambda: _reports(res),
                "pf": lambda: _policy_factors(res), "breakdown": lambda: _breakdown(res, schemes),
                "deviation": lambda: _deviation(res, schemes), "special": lambda: _special(res, schemes),
                "aux": lambda: _aux(res)}
    if not allowed("see_city_rows"):          # the A-15 catalogue reports count every hospital's cases
        sections.pop("reports")
    tabs = st.tabs([t(f"gc_tab_{k}") for k in sections], key=state.widget_key("gc_tabs"), on_change="rerun")
    for tab, draw in zip(tabs, sections.values()):
        if tab.open:
            with tab:
                state.run_page(draw)


state.run_page(page)
