"""CMI与结构 CMI and case mix of one hospital: its CMI as A-23 computes it, cost per case, age shares and the
shares of its cases by case type (A-19 … A-24) and score bucket, against the city's published averages when
entered here (else the run's own city figures on a city dataset) and the hospitals of its category. Every
figure comes from dip_model.analysis.hospital_mix."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import dip_model
from dip_model import yamlio
from dip_model.analysis.hospital_mix import SCALARS, SHARES, has_city_figures, load_city_averages, mix_profile
from dip_model.report.hospital_workbook import value_labels
from ui import hospital as hv
from ui import state
from ui.export import download_png
from ui.figures import font
from ui.i18n import current_lang, t, tr
from ui.texts import level_text
from ui.widgets import digest

COLOURS = {"hospital": "#2b6cb0", "category": "#a0aec0", "city": "#dd6b20"}


def measures() -> list[str]:
    return [*SCALARS, *(f"{g}.{k}" for g, kinds in SHARES.items() for k in kinds)]


def is_share(m: str) -> bool:
    return m.endswith("_share") or "." in m


def city_inputs() -> None:
    """The city's published averages: a table to fill in (shares in %), or a YAML file as the groups
    command takes; kept in the session (not a scenario parameter)."""
    ss = st.session_state
    cur = ss.get(hv.K_CITY) or {}
    names = value_labels(current_lang())["measure"]
    flat = {m: cur.get(m) for m in SCALARS}
    for g in SHARES:
        flat.update({f"{g}.{k}": v for k, v in (cur.get(g) or {}).items()})
    with st.expander(t("hpx_city_inputs"), expanded=not cur):
        st.caption(t("hpx_city_inputs_note"))
        up = st.file_uploader(t("hpx_city_upload"), type=["yaml", "yml"], key="hpx_city_upload",
                              help=t("hpx_city_upload_help"))
        if up is not None:
            try:
                raw = yamlio.safe_load(up.getvalue().decode("utf-8")) or {}
                loaded = load_city_averages(raw if isinstance(raw, dict) else {"": raw})
            except (dip_model.DipError, UnicodeDecodeError, ValueError) as err:
                st.error(tr(err) if isinstance(err, dip_model.DipError) else t("hpx_city_unreadable"))
            else:
                if loaded != cur:
                    ss[hv.K_CITY] = loaded
                    st.rerun()
        df = pd.DataFrame({t("hpx_col_measure"): [names.get(m, m) + (" (%)" if is_share(m) else "") for m in measures()],
                           t("hpx_col_value"): [None if (x := flat.get(m)) is None else float(x) * (100 if is_share(m) else 1)
                                                for m in measures()]})
        edited = st.data_editor(df, hide_index=True, width="stretch", disabled=[t("hpx_col_measure")], placeholder="",
                                key=f"hpx_city_table:{digest(flat)}",
                                column_config={t("hpx_col_value"): st.column_config.NumberColumn(format="%.4f",
                                                                                                 min_value=0.0)})
        new: dict = {}
        for m, val in zip(measures(), edited[t("hpx_col_value")]):
            if val is None or val != val:
                continue
            x = float(val) / (100 if is_share(m) else 1)
            if "." in m:
                g, k = m.split(".", 1)
                new.setdefault(g, {})[k] = x
            else:
                new[m] = x
        try:
            checked = load_city_averages(new)
        except dip_model.DipError as err:
            st.error(tr(err))
            return
        if checked != cur:
            ss[hv.K_CITY] = checked
            st.rerun()


def fmt(measure: str, kind: str, x: float) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    if kind == "share":
        return f"{x:.1%}"
    if kind == "money":
        return hv.yuan(x)
    if kind == "index":
        return f"{x:.4f}"
    return f"{x:,.0f}"


def cards(prof: pd.DataFrame) -> None:
    p = prof.set_index("measure")
    c = st.columns(4)
    for col, m in zip(c, ("cmi", "cost_per_case", "elderly_share", "buckets.grassroots")):
        r = p.loc[m]
        city = r["city"]
        delta = (t("hpx_vs_city", v=fmt(m, r["kind"], city), src=t(f"hpx_src_{r['city_source']}"))
                 if np.isfinite(city) else t("hpx_no_city"))
        col.metric(t(f"hpx_card_{m.replace('.', '_')}"), fmt(m, r["kind"], r["hospital"]), delta=delta,
                   delta_color="off", delta_arrow="off", border=True, help=t(f"hpx_card_{m.replace('.', '_')}_help"))


def share_chart(prof: pd.DataFrame, with_category: bool) -> go.Figure:
    """Shares of the hospital's cases by case type and bucket, against the city (and its category)."""
    names = value_labels(current_lang())["measure"]
    d = prof[prof["kind"] == "share"].iloc[::-1]
    labels = [names.get(m, m) for m in d["measure"]]
    fig = go.Figure()
    cols = ["hospital", "category", "city"] if with_category else ["hospital", "city"]
    for col in cols:
        vals = d[col].to_numpy(float)
        if col == "city" and not np.isfinite(vals).any():
            continue
        fig.add_bar(y=labels, x=vals, orientation="h", name=t(f"hpx_series_{col}"), marker_color=COLOURS[col],
                    text=[f"{x:.1%}" if np.isfinite(x) else "" for x in vals], textposition="outside",
                    cliponaxis=False, hovertemplate="%{y}: %{x:.2%}<extra>" + t(f"hpx_series_{col}") + "</extra>")
    fig.update_layout(title={"text": t("hpx_chart_title"), "x": 0, "xanchor": "left"}, font=font(), barmode="group",
                      height=160 + 30 * len(d) * (len(cols) - 1 or 1), margin={"l": 10, "r": 60, "t": 80, "b": 40},
                      xaxis={"tickformat": ".0%", "title": t("hpx_chart_axis"), "automargin": True},
                      yaxis={"automargin": True}, legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0,
                                                          "traceorder": "reversed"})
    return fig


def page() -> None:
    v = hv.start("nav_hp_mix", "hpx_intro")
    if v is None:
        return
    city_inputs()
    city = st.session_state.get(hv.K_CITY) or None
    with st.spinner(t("loading")):
        prof = mix_profile(v.res, v.hospital_id, city)
    if not has_city_figures(prof):
        st.info(t("hpx_no_city_figures"))
    cards(prof)
    h = v.res.hospitals.drop_duplicates("hospital_id")
    cat = str(v.settled["category"].iloc[0])
    peers = int((h["category"].astype(str) == cat).sum())
    with_category = peers > 1
    st.caption(t("hpx_category", cat=level_text(cat), n=peers) if with_category else t("hpx_category_alone"))
    fig = share_chart(prof, with_category)
    st.plotly_chart(fig, width="stretch", key="hpx_chart")
    download_png(fig, f"{t('hpx_file')}-{v.hospital_id}", "hpx_png")

    st.subheader(t("hpx_table_head"))
    names = value_labels(current_lang())["measure"]
    src = value_labels(current_lang())["city_source"]
    table = pd.DataFrame({
        t("hv_col_measure"): [names.get(m, m) for m in prof["measure"]],
        t("hv_col_hospital"): [fmt(m, k, x) for m, k, x in zip(prof["measure"], prof["kind"], prof["hospital"])],
        t("hv_col_category"): [fmt(m, k, x) for m, k, x in zip(prof["measure"], prof["kind"], prof["category"])],
        t("hv_col_city"): [fmt(m, k, x) for m, k, x in zip(prof["measure"], prof["kind"], prof["city"])],
        t("hv_col_city_diff"): [("—" if not np.isfinite(x) else f"{x:+.1%}" if k == "share" else
                                 f"{x:+.4f}" if k == "index" else f"{x:+,.0f}")
                                for k, x in zip(prof["kind"], prof["difference"])],
        t("hv_col_city_source"): [src.get(s, s) for s in prof["city_source"]],
    })
    if not with_category:
        table = table.drop(columns=[t("hv_col_category")])
    st.dataframe(table, hide_index=True, width="stretch", key="hpx_table")
    st.caption(t("hpx_articles"))
    export = prof.assign(measure=[names.get(m, m) for m in prof["measure"]],
                         city_source=[src.get(s, s) for s in prof["city_source"]])
    hv.downloads(v, export.rename(columns={c: t(f"hpx_exp_{c}") for c in export.columns}), t("hpx_file"), "hpx")


state.run_page(page)
