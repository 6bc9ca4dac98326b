"""系数与考核 Coefficients and assessment: level coefficients (A-22, A-25), bonus rules (A-23), the
hospital coefficient (I-5) and the assessment coefficient (A-29, K-6 … K-10). Every figure comes from
dip_model; this page gathers parameters (tables edited like a spreadsheet) and draws the results."""
import copy

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dip_model.analysis import groups as ag
from dip_model.rules.coefficients import level_coefficients
from ui import state, widgets
from ui.cards import scale, unit, unit_text
from ui.export import download_excel, download_png
from ui.figures import titled
from ui.i18n import money, t, tr
from ui.texts import fixed

RULES = "coefficients.bonus_rules"
PRESET = "illustrative-bonus"
CAT_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d"]


# --- small helpers -------------------------------------------------------------------------------

def _baseline_summary() -> dict | None:
    """The baseline scenario's per-scheme summary; None when it is the working scenario (nothing to
    compare) or cannot be computed (then a warning says why)."""
    base = state.compared_baseline("gc_baseline_invalid")
    return None if base is None else base.summary["schemes"]


def _changed(new: list, old: list) -> bool:
    """Whether two lists of tiers differ beyond float noise."""
    if len(new) != len(old):
        return True
    return any(not (np.isclose(a["min"], b["min"], rtol=0, atol=1e-12) and np.isclose(a["add"], b["add"], rtol=0,
                                                                                        atol=1e-12))
               for a, b in zip(new, old))


# --- inputs (drawn before the results are computed) ----------------------------------------------

def _tier_editor(path: str, sub: str | None, min_label: str, scale: float) -> None:
    """A table of tiers {min, add} (highest tier reached applies, A-23); rows can be added or deleted.
    `scale` shows shares as percentages while storing fractions."""
    whole = state.get_value(path)
    tiers = list((whole or {}).get(sub, []) if sub else (whole or []))
    df = pd.DataFrame({"min": [float(x["min"]) * scale for x in tiers], "add": [float(x["add"]) for x in tiers]},
                      dtype=float)
    heads = {"min": min_label, "add": t("gc_tier_add")}
    edited = st.data_editor(
        df.rename(columns=heads), num_rows="dynamic", hide_index=True, width="stretch", placeholder="—",
        key=state.widget_key("gc_tiers", path, sub, widgets.digest(tiers)),
        column_config={heads["min"]: st.column_config.NumberColumn(format="%.4g", required=True),
                       heads["add"]: st.column_config.NumberColumn(format="%.4f", step=0.001, required=True)})
    rows = edited.dropna()
    new = sorted(({"min": round(float(a) / scale, 10), "add": round(float(b), 10)}
                  for a, b in zip(rows[heads["min"]], rows[heads["add"]])), key=lambda x: x["min"])
    if _changed(new, tiers):
        if sub:
            whole = dict(whole or {})
            whole[sub] = new
            state.set_value(path, whole)
        else:
            state.set_value(path, new)
    widgets.show_error_for(path)


def _bonus_inputs() -> None:
    c = st.columns(3)
    with c[0]:
        widgets.choice("coefficients.combine",
                       labels={v: t(f"gc_opt_combine_{v}") for v in widgets.param_meta("coefficients.combine")["choices"]})
    with c[1]:
        widgets.number("coefficients.bonus_cap", step=0.01, fmt="%.3f", min_value=0.0)
    with c[2]:
        st.markdown(f"**{t('gc_preset_title')}**")
        preset = ag.load_preset(PRESET)
        label = preset["label"][st.session_state.get("lang", "zh")]
        if st.button(t("gc_preset_load", label=label), key=state.widget_key("gc_preset"), width="stretch"):
            vals = copy.deepcopy(state.values())
            vals.setdefault("coefficients", {})["bonus_rules"] = copy.deepcopy(
                preset["values"]["coefficients"]["bonus_rules"])
            state.set_values(vals)          # widgets re-seed from the preset
            st.rerun()
        if st.button(t("gc_rules_clear"), key=state.widget_key("gc_rules_clear"), width="stretch",
                     disabled="bonus_rules" not in state.values().get("coefficients", {})):
            vals = copy.deepcopy(state.values())
            vals.get("coefficients", {}).pop("bonus_rules", None)
            state.set_values(vals)
            st.rerun()
    rules = state.get_value(RULES) or {}
    if widgets.digest(rules) == widgets.digest(ag.load_preset(PRESET)["values"]["coefficients"]["bonus_rules"]):
        st.warning(t("gc_preset_active", label=label), icon="⚠️")
    st.caption(t("gc_bonus_note") + " " + t("gc_tier_hint"))
    c = st.columns(3)
    for col, name, shown_as in zip(c, ("cmi", "elderly_share", "child_share"), (1.0, 100.0, 100.0)):
        with col:
            st.markdown(f"**{widgets.param_label(f'{RULES}.{name}')}** · {widgets.param_meta(f'{RULES}.{name}')['article']}")
            _tier_editor(f"{RULES}.{name}", None, t(f"gc_tier_min_{name}"), shown_as)
    c = st.columns(3)
    with c[0]:
        path = f"{RULES}.key_specialty"
        st.markdown(f"**{widgets.param_label(path)}** · {widgets.param_meta(path)['article']}")
        cur = dict(state.get_value(path) or {})
        new = dict(cur)
        for lvl in ("national", "provincial", "city"):
            new[lvl] = st.number_input(t(f"gc_ks_{lvl}"), value=float(cur.get(lvl, 0.0)), step=0.001, format="%.4f",
                                       key=state.widget_key("gc_ks", lvl))
        if any(not np.isclose(new[k], float(cur.get(k, 0.0)), rtol=0, atol=1e-12) for k in new):
            state.set_value(path, new)
        widgets.show_error_for(path)
    for col, sub in zip(c[1:], ("decoction_pieces_rate", "non_drug_therapy_rate")):
        with col:
            path = f"{RULES}.tcm_hospital"
            st.markdown(f"**{t(f'gc_tcm_{sub}')}** · {widgets.param_meta(path)['article']}")
            _tier_editor(path, sub, t("gc_tier_min_rate"), 100.0)


# --- results -------------------------------------------------------------------------------------

def _metrics(res, base) -> None:
    """Per scheme: settlement point value, annual score and final payments, with the change against
    the baseline scenario."""
    for s in [s for s in widgets.scheme_list() if s in res.summary["schemes"]]:
        cur, b = res.summary["schemes"][s], (base or {}).get(s)
        pv, tot, pay = cur["settlement_point_value"], cur["total_score"], cur["total_final_payment"]
        d_pv = d_s = d_p = None
        if b is not None:
            if b["settlement_point_value"] != pv:
                d_pv = f"{pv - b['settlement_point_value']:+.3f} {t('gc_vs_baseline')}"
            if abs(b["total_score"] - tot) >= 0.05:
                d_s = f"{tot - b['total_score']:+,.1f} {t('gc_vs_baseline')}"
            diff = pay - b["total_final_payment"]
            if abs(diff) >= 0.005:
                d_p = f"{'+' if diff > 0 else '−'}{_fmt_money(abs(diff))} {t('gc_vs_baseline')}"
        cols = st.columns(3)
        cols[0].metric(t("gc_metric_scheme", label=t("settlement_point_value"), scheme=t(s)), f"{pv:.3f}", d_pv,
                       delta_color="off")
        cols[1].metric(t("gc_metric_scheme", label=t("gc_m_total_score"), scheme=t(s)), f"{tot:,.1f}", d_s,
                       delta_color="off")
        cols[2].metric(t("gc_metric_scheme", label=t("total_final_payment"), scheme=t(s)), _fmt_money(pay), d_p,
                       delta_color="off")


def _fmt_money(v: float) -> str:
    return money(v, unit=unit())


def _level_table(res) -> pd.DataFrame:
    """Per category: hospitals, computed k_L (A-22), override, and the coefficient in use."""
    computed = res.stage.ref.level_coef_computed
    overrides = {str(k): float(v) for k, v in (res.params.get("coefficients.level") or {}).items()}
    cats = ag.category_order(list(computed) + list(res.stage.categories) + list(overrides))
    in_use = level_coefficients(pd.Series(cats, dtype=object), pd.Series(False, index=range(len(cats))),
                                computed, res.params, [])
    n = pd.Series(res.stage.categories).value_counts()
    return pd.DataFrame({"category": cats, "hospitals": [int(n.get(c, 0)) for c in cats],
                         "computed": [computed.get(c, np.nan) for c in cats],
                         "override": [overrides.get(c, np.nan) for c in cats], "in_use": in_use})


def _coef_text(v) -> str:
    return "" if v is None or np.isnan(v) else f"{v:.4f}"


def _level(res) -> None:
    table = _level_table(res)
    ref = f"{res.params.get('coefficients.reference_level')}/{res.params.get('coefficients.reference_reimb_level')}"
    st.caption(t("gc_level_note", ref=ref))
    heads = {c: t(f"gc_lv_{c}") for c in table.columns}
    shown = table.rename(columns=heads)
    overrides = {c: v for c, v in zip(table["category"], table["override"]) if not np.isnan(v)}
    edited = st.data_editor(
        shown, hide_index=True, width="stretch", placeholder="—", key=state.widget_key("gc_level", widgets.digest(overrides),
                                                                        widgets.digest(list(table["category"]))),
        disabled=[heads[c] for c in ("category", "hospitals", "computed", "in_use")],
        column_config={heads["computed"]: st.column_config.NumberColumn(format="%.4f"),
                       heads["override"]: st.column_config.NumberColumn(format="%.4f", min_value=0.0, step=0.0001),
                       heads["in_use"]: st.column_config.NumberColumn(format="%.4f"),
                       heads["hospitals"]: st.column_config.NumberColumn(format="localized")})
    new = {c: float(v) for c, v in zip(table["category"], edited[heads["override"]].to_numpy(float)) if not np.isnan(v)}
    if set(new) != set(overrides) or any(not np.isclose(new[c], overrides[c], rtol=0, atol=1e-12) for c in new):
        state.set_value("coefficients.level", new)
        st.rerun()
    widgets.show_error_for("coefficients.level")
    c = st.columns(3)
    with c[0]:
        download_excel(shown, t("gc_file_level"), "gc_level")
    if c[1].button(t("gc_lv_freeze"), key=state.widget_key("gc_lv_freeze"), width="stretch",
                   help=t("gc_lv_freeze_help")):
        state.set_value("coefficients.level", {k: float(v) for k, v in zip(table["category"], table["in_use"])})
        st.rerun()
    if c[2].button(t("gc_lv_clear"), key=state.widget_key("gc_lv_clear"), width="stretch", disabled=not overrides):
        state.set_value("coefficients.level", {})
        st.rerun()
    missing = table["category"][table["computed"].isna() & table["override"].isna() & (table["hospitals"] > 0)]
    if len(missing):
        st.warning(t("gc_lv_missing", cats=t("gc_sep").join(missing)), icon="⚠️")

    fig = go.Figure()
    fig.add_bar(x=table["category"], y=table["computed"], name=t("gc_lv_computed"), marker_color="#9ecae1",
                hovertemplate="%{x}: %{y:.4f}<extra>" + t("gc_lv_computed") + "</extra>",
                text=[_coef_text(v) for v in table["computed"]], textposition="outside")
    fig.add_bar(x=table["category"], y=table["in_use"], name=t("gc_lv_in_use"), marker_color="#08519c",
                hovertemplate="%{x}: %{y:.4f}<extra>" + t("gc_lv_in_use") + "</extra>",
                text=[_coef_text(v) for v in table["in_use"]], textposition="outside")
    fig.update_layout(barmode="group")
    titled(fig, t("gc_col_hosp_category"), t("gc_lv_axis"), t("gc_lv_chart_title"), height=380)
    fig.update_xaxes(type="category")
    st.plotly_chart(fig, key="gc_level_chart")
    download_png(fig, t("gc_file_level_chart"), "gc_level_png")


def _hospital_frame(res) -> pd.DataFrame:
    """One row per hospital: coefficients from the results (sums over the schemes chosen in the sidebar),
    flags, A-23 metrics and assessment scores from the data."""
    h = res.hospital_data.reset_index(drop=True)          # with the scenario's assessment scores
    m = res.stage.agg.metrics.reset_index(drop=True)
    per = res.hospitals.drop_duplicates("hospital_id").set_index("hospital_id")
    chosen = res.hospitals[res.hospitals["scheme"].isin(widgets.scheme_list())]
    sums = chosen.groupby("hospital_id")[["score_fund", "total_score"]].sum()
    ids = h["hospital_id"]
    out = pd.DataFrame({
        "hospital_id": ids, "name": h["name"], "district": h["district"], "type": h["type"],
        "level": h["level"], "category": res.stage.categories,
        "level_coef": ids.map(per["level_coef"]), "bonus": ids.map(per["bonus"]),
        "hospital_coef": ids.map(per["hospital_coef"]),
        "assessment_score": h["assessment_score"], "assessment_max": h["assessment_max"],
        "assessment_coef": ids.map(per["assessment_coef"]),
        "total_score": ids.map(sums["total_score"]).round(1), "score_fund": ids.map(sums["score_fund"]),
        "cmi": m["cmi"], "elderly_share": m["elderly_share"], "child_share": m["child_share"],
        "ks_national": h["key_specialty_national"], "ks_provincial": h["key_specialty_provincial"],
        "ks_city": h["key_specialty_city"], "bonus_given": h["bonus"],
    })
    flags = []
    for _, r in h.iterrows():
        f = [t(f"gc_flag_{k}") for k in ("is_new", "suspended", "fraud_penalized") if bool(r[k])]
        if pd.notna(r["level_change_date"]) and r["prev_level"]:
            f.append(t("gc_flag_level_change", old=r["prev_level"], new=r["level"],
                       date=r["level_change_date"].strftime("%Y-%m-%d")))
        flags.append(t("gc_sep").join(f))
    out["flags"] = flags
    return out


def _strip(frame: pd.DataFrame, col: str, y_title: str, title: str, ref: float | None) -> go.Figure:
    """Each hospital as a point, grouped by hospital level (scales to hundreds of hospitals)."""
    fig = go.Figure()
    v = frame.dropna(subset=[col])
    for i, c in enumerate(ag.category_order(v["category"])):
        part = v[v["category"] == c]
        fig.add_box(x=part["category"], y=part[col], name=c, boxpoints="all", jitter=0.5, pointpos=0,
                    marker=dict(color=CAT_COLOURS[i % len(CAT_COLOURS)], size=8), line=dict(width=1),
                    fillcolor="rgba(0,0,0,0)", text=part["name"],
                    hovertemplate="%{text}<br>" + y_title + " %{y:.4f}<extra>" + c + "</extra>")
    if ref is not None:
        fig.add_hline(y=ref, line_dash="dot", line_color="#555")
    titled(fig, t("gc_col_hosp_category"), y_title, title, height=400)
    fig.update_xaxes(type="category")
    fig.update_layout(showlegend=False)
    return fig


def _hospitals(res, frame) -> None:
    st.caption(t("gc_hosp_note"))
    f = st.columns([2, 1])
    cats = ag.category_order(frame["category"])
    pick = f[0].multiselect(t("gc_col_hosp_category"), cats, key=state.widget_key("gc_h_cats"),
                            placeholder=t("gc_all"))
    only = f[1].toggle(t("gc_h_only_flagged"), key=state.widget_key("gc_h_flagged"))
    view = frame
    if pick:
        view = view[view["category"].isin(pick)]
    if only:
        view = view[view["flags"] != ""]
    cols = ["hospital_id", "name", "flags", "district", "level", "category", "level_coef", "bonus", "hospital_coef",
            "assessment_coef", "total_score"]
    heads = {c: t(f"gc_h_{c}", unit=unit_text()) for c in cols}
    table = view[cols].rename(columns=heads)
    st.dataframe(table, hide_index=True, width="stretch", height=380, placeholder="—", column_config={
        heads[c]: st.column_config.NumberColumn(format="%.4f")
        for c in ("level_coef", "bonus", "hospital_coef", "assessment_coef")} | {
        heads["total_score"]: st.column_config.NumberColumn(format="localized"),
        heads["flags"]: st.column_config.TextColumn(width="medium")})
    download_excel(table, t("gc_file_hospitals"), "gc_hospitals")
    fig = _strip(view, "hospital_coef", t("gc_h_hospital_coef"), t("gc_h_chart_title"), 1.0)
    st.plotly_chart(fig, key="gc_hosp_chart")
    download_png(fig, t("gc_file_hosp_chart"), "gc_hosp_png")


def _bonus_table(res, frame) -> None:
    st.markdown(f"##### {t('gc_bonus_basis')}")
    cols = ["hospital_id", "name", "type", "cmi", "elderly_share", "child_share", "ks_national", "ks_provincial",
            "ks_city", "bonus", "bonus_given"]
    heads = {c: t(f"gc_h_{c}") for c in cols}
    table = frame[cols].copy()
    table["type"] = table["type"].map(lambda x: t(f"gc_htype_{x}"))
    table = table.rename(columns=heads)
    st.dataframe(table, hide_index=True, width="stretch", height=300, placeholder="—", column_config={
        heads["cmi"]: st.column_config.NumberColumn(format="%.3f"),
        heads["elderly_share"]: st.column_config.NumberColumn(format="percent"),
        heads["child_share"]: st.column_config.NumberColumn(format="percent"),
        heads["bonus_given"]: st.column_config.NumberColumn(format="%.4f"),
        heads["bonus"]: st.column_config.NumberColumn(format="%.4f")})
    download_excel(table, t("gc_file_bonus"), "gc_bonus")
    missing = [c for c in ("decoction_pieces_rate", "non_drug_therapy_rate") if c not in res.data.hospitals]
    if missing:
        st.caption(t("gc_tcm_missing", cols=t("gc_sep").join(missing)))


def _assessment(res, frame) -> None:
    st.caption(t("gc_as_note"))
    cols = ["hospital_id", "name", "level", "flags", "assessment_score", "assessment_max", "assessment_coef",
            "total_score", "score_fund"]
    table = frame[cols].copy()
    table["score_fund"] = (table["score_fund"] / scale()).round(2)
    heads = {c: t(f"gc_h_{c}", unit=unit_text()) for c in cols}
    table = table.rename(columns=heads)
    st.dataframe(table, hide_index=True, width="stretch", height=360, placeholder="—", column_config={
        heads["assessment_coef"]: st.column_config.NumberColumn(format="%.4f"),
        heads["total_score"]: st.column_config.NumberColumn(format="localized"),
        heads["score_fund"]: st.column_config.NumberColumn(format="localized")})
    download_excel(table, t("gc_file_assessment"), "gc_assessment")
    fig = _strip(frame, "assessment_coef", t("gc_h_assessment_coef"), t("gc_as_chart_title"), None)
    st.plotly_chart(fig, key="gc_as_chart")
    download_png(fig, t("gc_file_as_chart"), "gc_as_png")


# --- page ----------------------------------------------------------------------------------------

def _level_inputs() -> None:
    c = st.columns(2)
    with c[0]:
        widgets.choice("interpretations.I-4", labels={v: t(f"gc_opt_I-4_{v}") for v in ("case_mix", "simple")})
    with c[1]:
        widgets.choice("interpretations.I-10", labels={v: t(f"gc_opt_I-10_{v}") for v in ("level", "level_reimb")})


def _assessment_inputs() -> None:
    with st.columns(3)[0]:
        widgets.number("assessment_share", step=0.5, fmt="%.2f", min_value=0.0, max_value=100.0, percent=True)
    _hospital_data_inputs()


def _set_hospital_value(path: str, hid: str, new: float, data_value: float) -> None:
    """Keep a per-hospital scenario value only where it differs from hospitals.csv."""
    cur = dict(state.get_value(path) or {})
    if abs(new - data_value) < 1e-9:
        cur.pop(hid, None)
    else:
        cur[hid] = new
    if cur != (state.get_value(path) or {}):
        state.set_value(path, cur)


def _hospital_data_inputs() -> None:
    """What-if assessment scores (K-9) and violation amounts (A-35, A-36) of one hospital at a time
    (hospital_data.*): the data's figures stay as they are; the scenario carries the difference."""
    h = state.dataset().hospitals.set_index("hospital_id")
    st.markdown(f"**{t('gc_hd_title')}**")
    st.caption(t("gc_hd_note"))
    c = st.columns([3, 2, 2])
    names = h["name"].to_dict()
    hid = c[0].selectbox(t("gc_hd_hospital"), list(names), key="gc_hd_hospital",
                         format_func=fixed({k: f"{k} {n}" for k, n in names.items()}))
    row = h.loc[hid]
    scores = state.get_value("hospital_data.assessment_score") or {}
    viol = state.get_value("hospital_data.violation_amount") or {}
    top = float(row["assessment_max"])
    score = c[1].number_input(t("gc_hd_score", top=top), min_value=0.0, max_value=top, step=1.0,
                              value=float(scores.get(hid, row["assessment_score"])),
                              help=widgets.param_help("hospital_data.assessment_score"),
                              key=state.widget_key("hd_score", hid))
    amount = c[2].number_input(t("gc_hd_violation"), min_value=0.0, step=1000.0, format="%.2f",
                               value=float(viol.get(hid, row["violation_amount"])),
                               help=widgets.param_help("hospital_data.violation_amount"),
                               key=state.widget_key("hd_viol", hid))
    _set_hospital_value("hospital_data.assessment_score", hid, score, float(row["assessment_score"]))
    _set_hospital_value("hospital_data.violation_amount", hid, amount, float(row["violation_amount"]))
    scores = state.get_value("hospital_data.assessment_score") or {}
    viol = state.get_value("hospital_data.violation_amount") or {}
    if scores or viol:
        listed = [t("gc_hd_item_score", id=k, v=v, was=float(h.loc[k, "assessment_score"])) for k, v in scores.items()]
        listed += [t("gc_hd_item_viol", id=k, v=v, was=float(h.loc[k, "violation_amount"])) for k, v in viol.items()]
        st.caption(t("gc_hd_list", items=t("gc_sep").join(listed)))
        if st.button(t("gc_hd_clear"), key="gc_hd_clear"):
            state.set_value("hospital_data.assessment_score", {})
            state.set_value("hospital_data.violation_amount", {})
            state.set_values(state.values())          # input widgets start afresh from the data
            st.rerun()


def page() -> None:
    st.title(t("nav_coefficients"))
    st.caption(t("gc_coef_caption"))
    metrics_box = st.container()
    tabs = st.tabs([t(f"gc_ctab_{k}") for k in ("level", "bonus", "hospitals", "assessment")])
    with tabs[0]:                       # inputs first, so the results below use them in this same run
        state.run_page(_level_inputs)
        level_box = st.container()
    with tabs[1]:
        state.run_page(_bonus_inputs)
        bonus_box = st.container()
    with tabs[3]:
        state.run_page(_assessment_inputs)
        assess_box = st.container()
    res, err = state.results_with_spinner()
    if res is None:
        metrics_box.error(tr(err))
        return
    with metrics_box:
        state.run_page(lambda: _metrics(res, _baseline_summary()))
    with level_box:
        state.run_page(lambda: _level(res))
    frame = _hospital_frame(res)            # the three tables below share it
    with bonus_box:
        state.run_page(lambda: _bonus_table(res, frame))
    with tabs[2]:
        state.run_page(lambda: _hospitals(res, frame))
    with assess_box:
        state.run_page(lambda: _assessment(res, frame))


state.run_page(page)
