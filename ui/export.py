"""Downloads: every table as Excel (Chinese headers, money formats, frozen header, plus a sheet of the
parameters used) or CSV, every chart as PNG. The workbook itself is dip_model.report.workbook, the one the
scenario report and the command line use."""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TypeAlias

import pandas as pd
import streamlit as st

from dip_model.data.store.audit import EXPORT
from dip_model.messages import Message
from dip_model.report import workbook
from dip_model.report.browser import find_browser, install_command
from dip_model.report.render import to_png

from . import state
from .access import allowed, audited
from .i18n import current_lang, t, tr


def parameters_table(vals: dict, lang: str) -> pd.DataFrame:
    """Every parameter with its value in the scenario, unit, label and article."""
    p, err = state.params_or_error(vals)
    return workbook.parameters_table(p if p is not None else state.builtin_params(), lang)


def excel_bytes(sheets: dict[str, pd.DataFrame], vals: dict, lang: str) -> bytes:
    p, err = state.params_or_error(vals)
    return workbook.excel_bytes(sheets, p if p is not None else state.builtin_params(), lang)


Table: TypeAlias = "pd.DataFrame | Callable[[], pd.DataFrame]"   # a table, or what builds it when asked for


def _table(df: Table) -> pd.DataFrame:
    return df() if callable(df) else df


def download_excel(df: Table, name: str, key: str, sheet: str | None = None) -> None:
    """A download button for one table (headers as shown on screen). The workbook is built on click,
    outside the script run, so the scenario and language are captured now; the export is audited then."""
    vals, lang = copy.deepcopy(state.values()), current_lang()
    st.download_button(f"⬇ {t('download_excel')}",
                       data=audited(EXPORT, f"{name}.xlsx", lambda: excel_bytes({sheet or name: _table(df)}, vals, lang)),
                       file_name=f"{name}.xlsx", key=state.widget_key("xlsx", key), **no_export(),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def no_export() -> dict:
    """A download button's state for a role without the right to export (a viewer): off, saying why."""
    return {} if allowed("export") else {"disabled": True, "help": t("acc_no_export")}


FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")   # a text cell starting so is a formula to a spreadsheet


def _escape_cell(v):
    return "'" + v if isinstance(v, str) and v.startswith(FORMULA_LEAD) else v


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as CSV in UTF-8 with a byte-order mark (Excel on Chinese Windows reads it so); a text cell
    (or header) starting with = + - @ gets a leading apostrophe, so no spreadsheet runs it as a formula.
    Numbers, negative ones included, are written as they are."""
    out = df.rename(columns=lambda c: _escape_cell(str(c)))
    text = out.select_dtypes(include=["object", "string"]).columns
    if len(text):
        out = out.copy()
        for c in text:
            out[c] = out[c].map(_escape_cell)
    return out.to_csv(index=False).encode("utf-8-sig")


def download_csv(df: Table, name: str, key: str, label: str) -> None:
    """A download button for one table as CSV (csv_bytes); written and audited on click."""
    st.download_button(f"⬇ {label}", data=audited(EXPORT, f"{name}.csv", lambda: csv_bytes(_table(df))),
                       file_name=f"{name}.csv", mime="text/csv", key=state.widget_key("csv", key), **no_export())


def png_bytes(fig) -> bytes:
    return to_png([(fig, (1400, 700))], scale=2)[0]


@st.cache_resource(ttl=60, show_spinner=False)
def _no_browser() -> str | None:
    """Why a chart cannot be drawn to PNG here (no browser), as a Message; None when it can. Looked up
    at most once a minute, so a browser installed meanwhile is found."""
    return None if find_browser() else Message("browser_missing", command=install_command())


def download_png(fig, name: str, key: str) -> None:
    """A download button that renders the chart to PNG when clicked; without a browser to draw it, the
    button is off and says why (in the page's language) instead of failing on the click."""
    why = _no_browser()
    if why is None and not allowed("export"):
        why = t("acc_no_export")
    st.download_button(f"⬇ {t('download_png')}", data=audited(EXPORT, f"{name}.png", lambda: png_bytes(fig)),
                       file_name=f"{name}.png",
                       mime="image/png", key=state.widget_key("png", key), disabled=why is not None,
                       help=tr(why) if why is not None else None)
