"""What the hospital pages (年终预估, 病种盈亏, 偏差预警, 科室与医生, CMI与结构) share: the run they read,
cached by the dataset's version and the parameters' digest (never by hashing a frame); the hospital picked;
the header naming it with the figures it is settled with; money to the yuan; the downloads (the view as
Excel and CSV, and the whole hospital workbook of dip_model.report.hospital_workbook).

The analyses (dip_model.analysis.hospital_*) keep what they derive on the Results they are given, so the
one cached Results per dataset and scenario makes a redraw (another page, a filter, the language) cost
only the drawing."""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import dip_model
from dip_model.report.hospital_workbook import build_hospital_xlsx, presented

from dip_model.data.store.audit import EXPORT

from . import published, state
from .access import audited
from .cards import unit
from .figures import font
from .i18n import current_lang, money, t
from .texts import fixed, level_text
from .widgets import scheme_list

if TYPE_CHECKING:
    from .export import Table

K_HOSPITAL = "hv_hospital_id"       # the hospital picked, kept across pages (no widget owns this key)
K_CITY = "hv_city_averages"         # the city's published averages entered on the CMI page (a mapping)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ROWS = 1000                   # case lists on screen; every row in the downloads


def data_key(data: dip_model.DataSet) -> str:
    """The dataset's identity for caches: its source and content hash."""
    return f"{data.source}|{data.version}"


def full_results() -> tuple[dip_model.Results | None, object]:
    """The working scenario's Results on the whole dataset, shared by every session in the server's cache
    (ui.state.settled); (None, message) on a data or parameter problem. Only for what settles the city
    again (the outlook)."""
    return state.full_results()


def results() -> tuple[dip_model.Results | None, object]:
    """full_results() as this session's user may hold them (dip_model.access.visible_results)."""
    from dip_model.access import visible_results
    from .access import user
    res, err = full_results()
    return (None, err) if res is None else (visible_results(res, user()), None)


@dataclass
class View:
    """A hospital page's subject: the run, the hospital, the schemes shown (None = every settled scheme)."""

    res: dip_model.Results
    hospital_id: str
    name: str
    schemes: list[str] | None
    settled: pd.DataFrame        # the hospital's rows of res.hospitals, indexed by scheme (those shown)

    @property
    def shown(self) -> list[str]:
        return list(self.settled.index)


def hospital_label(hid: str, name: str) -> str:
    return hid if name in ("", hid) else f"{hid} {name}"


def pick(res: dip_model.Results) -> str:
    """The hospital (of those with settled cases): a select box when there are several, remembered across
    pages; the largest by cases first."""
    ss = st.session_state
    sizes = res.hospitals.groupby("hospital_id", sort=False)["cases"].sum().sort_values(ascending=False, kind="stable")
    ids = [str(h) for h in sizes.index]
    names = dict(zip(res.data.hospitals["hospital_id"].astype(str), res.data.hospitals["name"].astype(str)))
    if ss.get(K_HOSPITAL) not in ids:
        ss[K_HOSPITAL] = ids[0]
    if len(ids) == 1:
        return ids[0]
    chosen = st.selectbox(t("hp_pick"), ids, index=ids.index(ss[K_HOSPITAL]), key="hp_pick",
                          format_func=fixed({h: hospital_label(h, names.get(h, h)) for h in ids}),
                          help=t("hp_pick_help"))
    ss[K_HOSPITAL] = chosen
    return chosen


def start(title: str, intro: str) -> View | None:
    """The top of a hospital page: title, introduction, the published figures when missing (then None),
    the run, the hospital and its header; None when there is nothing to show (the reason is on screen)."""
    st.title(t(title))
    st.caption(t(intro))
    if published.prompt():
        return None
    with st.spinner(t("loading")):
        res, err = results()
    if res is None:
        st.error(t("hp_invalid", err=err), icon="⚠️")
        return None
    hid = pick(res)
    settled = res.hospitals[res.hospitals["hospital_id"].astype(str) == hid].set_index("scheme")
    wanted = [s for s in scheme_list() if s in settled.index]
    if not wanted:
        st.info(t("hp_no_scheme"))
        return None
    settled = settled.loc[wanted]
    name = str(settled["name"].iloc[0])
    view = View(res, hid, name, None if len(wanted) == len(set(res.hospitals.loc[
        res.hospitals["hospital_id"].astype(str) == hid, "scheme"])) else wanted, settled)
    header(view)
    return view


def header(v: View) -> None:
    """The hospital, its level and coefficient, and the point values it is settled with."""
    r = v.settled.iloc[0]
    sep = "；" if current_lang() == "zh" else "; "
    pvs = sep.join(t("hp_head_pv", scheme=t(s), v=float(v.settled.at[s, "point_value"]),
                     src=t("hp_pv_" + v.res.summary["schemes"][s].get("point_value_source", "computed")))
                   for s in v.shown)
    st.markdown(t("hp_head", hospital=hospital_label(v.hospital_id, v.name), level=level_text(str(r["level"])),
                  k=float(r["hospital_coef"]), pv=pvs))


# --- money -------------------------------------------------------------------------------------------

def yuan(x: float, sign: bool = False) -> str:
    """Money on a card: to the yuan ("1,234,567 元"), or in 万元 when the sidebar says so."""
    if x is None or x != x:
        return "—"
    if unit() == "wan":
        text = money(abs(x) if sign else x, unit="wan")
    else:
        a = abs(x) if sign else x
        text = f"{a:,.0f} 元" if current_lang() == "zh" else f"¥{a:,.0f}"
    return (("+" if x > 0 else "−" if x < 0 else "") + text) if sign else text


def exact(x: float) -> str:
    """Money to the fen, for a card's help."""
    if x is None or x != x:
        return "—"
    return f"{x:,.2f} 元" if current_lang() == "zh" else f"¥{x:,.2f}"


def table(df: pd.DataFrame, columns, round_money: bool = True, lang: str | None = None) -> pd.DataFrame:
    """A view's columns as shown: codes and reasons in words, headings of the hospital workbook (the same
    words on screen and in the file), money rounded to the yuan on screen."""
    from dip_model.report.hospital_workbook import MONEY
    d = df[[c for c in columns if c in df.columns]].copy()
    if round_money:
        for c in d.columns:
            if c in MONEY:
                d[c] = d[c].round(0)
    return presented(d, list(d.columns), lang or current_lang())


def export(df: pd.DataFrame, columns) -> Callable[[], pd.DataFrame]:
    """A view's table for the downloads (every row, exact figures, the headings shown), built when a file
    is asked for, not on every redraw (a deviation list has thousands of rows); its language is taken now."""
    lang = current_lang()
    return lambda: table(df, columns, round_money=False, lang=lang)


def column_config(shown: pd.DataFrame, columns) -> dict:
    """Number formats of a shown table: yuan with separators, shares as percentages, ratios to 3 places."""
    from dip_model.report.hospital_workbook import MONEY, PERCENT, SCORES, headers
    h = headers(current_lang())
    cfg: dict = {}
    for c in columns:
        if c not in h or h[c] not in shown.columns:
            continue
        if c in MONEY:
            cfg[h[c]] = st.column_config.NumberColumn(format="localized")
        elif c in PERCENT:
            cfg[h[c]] = st.column_config.NumberColumn(format="percent")
        elif c in SCORES:
            cfg[h[c]] = st.column_config.NumberColumn(format="%.2f")
        elif c in ("ratio", "threshold", "point_value", "rw"):
            cfg[h[c]] = st.column_config.NumberColumn(format="%.3f")
    return cfg


# --- charts --------------------------------------------------------------------------------------------

GAIN, LOSS = "#2b6cb0", "#dd6b20"


def margin_chart(rows: pd.DataFrame, labels, n: int, title: str) -> go.Figure:
    """The n largest losses and the n largest gains of a margins table (group_margins, margins_by), one bar
    each labelled to the yuan, the largest loss on top; the axis leaves room for the labels on both sides."""
    loss = rows[rows["margin"] < 0].head(n)
    gain = rows[rows["margin"] > 0].sort_values("margin", ascending=False, kind="stable").head(n)
    both = pd.concat([loss, gain.iloc[::-1]])
    m = both["margin"].to_numpy(float)
    fig = go.Figure(go.Bar(
        x=m, y=labels(both), orientation="h", marker_color=np.where(m < 0, LOSS, GAIN),
        text=[yuan(x, sign=True) for x in m], textposition="outside", cliponaxis=False, name=t("hpm_chart_bar"),
        customdata=np.c_[both["cases"], both["margin_per_case"]],
        hovertemplate="%{y}<br>" + t("hpm_chart_margin") + " %{x:,.0f}<br>" + t("hpm_chart_cases")
        + " %{customdata[0]:,}<br>" + t("hpm_chart_per_case") + " %{customdata[1]:,.0f}<extra></extra>"))
    lo, hi = min(float(m.min(initial=0.0)), 0.0), max(float(m.max(initial=0.0)), 0.0)
    pad = 0.28 * ((hi - lo) or 1.0)          # the labels (±12,345,678 元) outside the bars, inside the plot
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"}, font=font(), height=180 + 26 * len(both),
                      margin={"l": 10, "r": 20, "t": 60, "b": 40}, showlegend=False, bargap=0.25,
                      xaxis={"title": t("hpm_chart_axis"), "tickformat": ",", "automargin": True, "zeroline": True,
                             "range": [lo - (pad if lo < 0 else 0), hi + (pad if hi > 0 else 0)]},
                      yaxis={"automargin": True, "type": "category", "autorange": "reversed"})
    return fig


# --- downloads -----------------------------------------------------------------------------------------

def workbook_button(v: View, key: str) -> None:
    """The whole hospital workbook (every view as a sheet, with the notes) of the user's view of the run,
    built and audited on click."""
    from .export import no_export
    res, hid, lang, schemes = v.res, v.hospital_id, current_lang(), v.schemes
    city = copy.deepcopy(st.session_state.get(K_CITY) or None)
    name = f"{t('hp_workbook_file')}-{hid}.xlsx"
    st.download_button(f"⬇ {t('hp_dl_workbook')}", mime=XLSX, file_name=name,
                       data=audited(EXPORT, name, lambda: build_hospital_xlsx(res, hid, lang, schemes, city)),
                       key=state.widget_key("hv_wb", key, hid), **{"help": t("hp_dl_workbook_help"), **no_export()})


def downloads(v: View, full: Table, name: str, key: str) -> None:
    """Excel and CSV of the view (every row, exact figures, the headings shown) and the whole workbook."""
    from .export import download_csv, download_excel
    c = st.columns(3)
    with c[0]:
        download_excel(full, f"{name}-{v.hospital_id}", f"hv_{key}_xlsx", sheet=name)
    with c[1]:
        download_csv(full, f"{name}-{v.hospital_id}", f"hv_{key}_csv", t("hp_dl_csv"))
    with c[2]:
        workbook_button(v, key)


def city_only(what: str) -> bool:
    """On a city-only page with a hospital folder loaded: say which data it needs and what to use instead;
    True when it did (the page shows nothing else)."""
    if state.mode() != "hospital":
        return False
    st.info(t("hp_city_only", what=t(what)), icon=":material/domain:")
    st.markdown(t("hp_city_only_more"))
    return True
