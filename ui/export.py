"""Downloads: every table as Excel (Chinese headers, plus a sheet of the parameters used), every chart as PNG."""
from __future__ import annotations

import copy
import io
import re

import pandas as pd
import streamlit as st

from . import state
from .i18n import current_lang, t

_FORMULA = re.compile(r"^[=+\-@]")


def _safe(df: pd.DataFrame) -> pd.DataFrame:
    """Escape text cells that a spreadsheet would read as a formula."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype).startswith("str"):
            out[c] = out[c].map(lambda v: "'" + v if isinstance(v, str) and _FORMULA.match(v) else v)
    return out


def parameters_table(vals: dict, lang: str) -> pd.DataFrame:
    """Every parameter with its value in the scenario, unit, label and article."""
    try:
        p = state.builtin_params().with_values(vals)
    except Exception:
        p = state.builtin_params()
    rows = []
    for path in p.leaves():
        m = p.info(path)
        rows.append({t("param_path", lang): path, t("param_label", lang): m["label"][lang],
                     t("param_value", lang): str(m["value"]), t("unit", lang): m.get("unit", ""),
                     t("article", lang): m.get("article", "")})
    return pd.DataFrame(rows)


def excel_bytes(sheets: dict[str, pd.DataFrame], vals: dict, lang: str) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        for name, df in sheets.items():
            _safe(df).to_excel(xw, sheet_name=name[:31], index=False)
        parameters_table(vals, lang).to_excel(xw, sheet_name=t("sheet_params", lang)[:31], index=False)
    return buf.getvalue()


def download_excel(df: pd.DataFrame, name: str, key: str, sheet: str | None = None) -> None:
    """A download button for one table (headers as shown on screen). The workbook is built on click,
    outside the script run, so the scenario and language are captured now."""
    vals, lang = copy.deepcopy(state.values()), current_lang()
    st.download_button(f"⬇ {t('download_excel')}", data=lambda: excel_bytes({sheet or name: df}, vals, lang),
                       file_name=f"{name}.xlsx", key=state.widget_key("xlsx", key),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def png_bytes(fig) -> bytes:
    return fig.to_image(format="png", width=1400, height=700, scale=2)


def download_png(fig, name: str, key: str) -> None:
    """A download button that renders the chart to PNG when clicked."""
    st.download_button(f"⬇ {t('download_png')}", data=lambda: png_bytes(fig), file_name=f"{name}.png",
                       mime="image/png", key=state.widget_key("png", key))
