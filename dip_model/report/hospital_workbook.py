"""The hospital workbook (xlsxwriter), in the style of the scenario workbook (workbook.write_sheet: frozen
header row, Chinese headers, money as #,##0.00, fitted widths): 病种盈亏, 偏差预警, 特殊病例候选, 科室 and
医生 (when the cases carry those columns), CMI与结构, and 说明 (the definitions and notes).

    build_hospital_xlsx(res, "H001", lang="zh", schemes=None, city=None) -> bytes"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from ..analysis.hospital_cases import hospital_row, settled_rows
from ..analysis.hospital_margins import group_margins, has_breakdown, margins_by
from ..analysis.hospital_mix import has_city_figures, mix_profile
from ..analysis.hospital_warnings import LOW_WINDOW, HIGH_WINDOW, deviation_warnings, special_candidates
from ..messages import Message, localise
from .labels import t
from .workbook import MONEY_FMT, _width, safe, write_sheet

PCT_FMT = "0.0%"
SCORE_FMT = "#,##0.00"
GROUP_COLUMNS = ("rank", "group_id", "name", "cases", "total_cost", "payment", "margin", "margin_per_case",
                 "margin_rate", "fund_payment", "self_pay", "other_insurance", "score_fund", "ffs_adjustment",
                 "retained", "sharing", "cap_deduction", "violation_deduction", "weighted_score", "deviation_cases",
                 "deviation_share", "deviation_margin", "level_cost", "cost_ratio", "coef_effect", "excess_cost",
                 "reason", "reason_text")
BY_COLUMNS = ("rank", "groups", "cases", "total_cost", "payment", "margin", "margin_per_case", "margin_rate",
              "fund_payment", "weighted_score", "deviation_cases", "deviation_share", "deviation_margin",
              "coef_effect", "excess_cost", "reason", "reason_text")
DEVIATION_COLUMNS = ("case_id", "scheme", "group_id", "zone", "case_type", "ratio", "total_cost", "level_cost",
                     "cost_to_threshold", "score_now", "score_other", "yuan_diff", "payment_diff", "department",
                     "doctor")       # the threshold is the zone's, the point value the scheme's (notes sheet)
SPECIAL_COLUMNS = ("scheme", "rank", "status", "quota", "pool_cases", "case_id", "group_id", "total_cost", "ratio",
                   "difference", "score_special", "score_otherwise", "point_value", "gain_yuan")
MONEY = {"total_cost", "payment", "margin", "margin_per_case", "fund_payment", "self_pay", "other_insurance",
         "score_fund", "ffs_adjustment", "retained", "sharing", "cap_deduction", "violation_deduction",
         "deviation_margin", "level_cost", "coef_effect", "excess_cost", "cost_to_threshold", "yuan_now",
         "yuan_other", "yuan_diff", "payment_diff", "gain_yuan"}
PERCENT = {"margin_rate", "deviation_share", "cost_ratio"}
SCORES = {"weighted_score", "score_now", "score_other", "weighted_diff", "difference", "score_special",
          "score_otherwise"}


HEADED = (  # every column a view writes, in the order of its headings (each heading: hv_col_<column>)
    "rank", "group_id", "name", "department", "doctor", "groups", "cases", "total_cost", "payment", "margin",
    "margin_per_case", "margin_rate", "fund_payment", "self_pay", "other_insurance", "score_fund",
    "ffs_adjustment", "retained", "sharing", "cap_deduction", "violation_deduction", "weighted_score",
    "deviation_cases", "deviation_share", "deviation_margin", "level_cost", "cost_ratio", "coef_effect",
    "excess_cost", "reason", "reason_text", "case_id", "scheme", "zone", "case_type", "ratio", "threshold",
    "cost_to_threshold", "score_now", "score_other", "weighted_diff", "point_value", "yuan_now", "yuan_other",
    "yuan_diff", "payment_diff", "status", "quota", "pool_cases", "difference", "score_special",
    "score_otherwise", "gain_yuan", "measure", "hospital", "category", "city", "city_source", "difference_city",
)
HEADING_KEYS = {"difference_city": "hv_col_city_diff"}     # the one heading named otherwise


def headers(L: str) -> dict[str, str]:
    """Column → heading in language L."""
    return {c: t(HEADING_KEYS.get(c, f"hv_col_{c}"), L) for c in HEADED}


def value_labels(L: str) -> dict[str, dict[str, str]]:
    """The codes of the views (schemes, case types, zones, statuses, reasons, sources) in language L."""
    types = {"normal": t("gc_type_normal", L), "grassroots": t("gc_type_grassroots", L), "low": t("gc_type_low", L),
             "high": t("gc_type_high", L), "special": t("gc_type_special", L),
             "unmatched": t("gc_type_unmatched", L), "tcm": t("gc_type_tcm", L)}
    return {
        "scheme": {"employee": t("employee", L), "resident": t("resident", L)},
        "case_type": types,
        "zone": {"near_low": t("hv_zone_near_low", L), "near_high": t("hv_zone_near_high", L),
                 "low_edge": t("hv_zone_low_edge", L), "high_edge": t("hv_zone_high_edge", L),
                 "low_far": t("hv_zone_low_far", L), "high_far": t("hv_zone_high_far", L)},
        "status": {"in": t("hv_status_in", L), "next": t("hv_status_next", L)},
        "reason": {"deviation": t("hv_rsn_deviation", L), "level_coef": t("hv_rsn_level_coef", L),
                   "cost_level": t("hv_rsn_cost_level", L), "other": t("hv_rsn_other", L), "": ""},
        "city_source": {"published": t("hv_src_published", L), "run": t("hv_src_run", L), "": ""},
        "measure": {"cases": t("hv_m_cases", L), "cmi": t("hv_m_cmi", L), "cost_per_case": t("hv_m_cost_per_case", L),
                    "elderly_share": t("hv_m_elderly_share", L), "child_share": t("hv_m_child_share", L),
                    "buckets.core": t("hv_m_bucket_core", L), "buckets.grassroots": t("hv_m_bucket_grassroots", L),
                    "buckets.tcm": t("hv_m_bucket_tcm", L), "buckets.special": t("hv_m_bucket_special", L),
                    **{f"case_types.{k}": t("hv_m_type_share", L, kind=v) for k, v in types.items()}},
    }


def presented(df: pd.DataFrame, columns, L: str) -> pd.DataFrame:
    """The chosen columns (those present), codes and messages in language L, headed in language L."""
    d = df[[c for c in columns if c in df.columns]].copy()
    for col, names in value_labels(L).items():
        if col in d.columns:
            d[col] = d[col].map(lambda v: names.get(v, v) if isinstance(v, str) else v)
    for col in d.columns:
        if d[col].dtype == object:
            d[col] = d[col].map(lambda v: localise(v, L) if v is not None and not isinstance(v, (int, float)) else v)
    return d.rename(columns=headers(L))


def _formats(df_columns, L: str) -> dict:
    h = headers(L)
    out = {}
    for col in df_columns:
        if col in MONEY:
            out[h[col]] = MONEY_FMT
        elif col in PERCENT:
            out[h[col]] = PCT_FMT
        elif col in SCORES:
            out[h[col]] = SCORE_FMT
        elif col in ("ratio", "threshold", "point_value"):
            out[h[col]] = "0.000"
    return out


def _sheet(xw, name: str, df: pd.DataFrame, columns, L: str, title: str | None = None) -> None:
    shown = [c for c in columns if c in df.columns]
    write_table(xw, name, presented(df, shown, L), formats=_formats(shown, L), title=title)


def write_table(xw: pd.ExcelWriter, name: str, df: pd.DataFrame, formats: dict | None = None,
                title: str | None = None) -> None:
    """workbook.write_sheet's layout (title, frozen header row, fitted widths, number formats by column,
    autofilter, formula-like text escaped), its cells written straight through xlsxwriter, column by column,
    rather than through pandas' per-cell styling: a sheet of tens of thousands of cases in a second."""
    book = xw.book
    ws = book.add_worksheet(name[:31])
    start = 2 if title else 0
    if title:
        ws.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 13}))
    head = book.add_format({"bold": True, "bg_color": "#E2ECF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    fmts: dict[str, object] = {}
    body = safe(df)
    for j, col in enumerate(df.columns):
        ws.write_string(start, j, str(col), head)
        spec = (formats or {}).get(col)
        if spec is None and pd.api.types.is_float_dtype(df[col]):
            spec = "#,##0.0000"
        fmt = fmts.setdefault(spec, book.add_format({"num_format": spec})) if spec else None
        ws.set_column(j, j, _width(df[col], str(col)), fmt)
        series = body[col]
        if pd.api.types.is_bool_dtype(series):
            for i, v in enumerate(series.to_numpy(bool), start + 1):
                ws.write_boolean(i, j, bool(v))
        elif pd.api.types.is_numeric_dtype(series):
            values = series.to_numpy(float)
            rows = np.flatnonzero(np.isfinite(values))          # NaN stays blank, as pandas writes it
            for i, v in zip((rows + start + 1).tolist(), values[rows].tolist()):
                ws.write_number(i, j, v)
        else:
            values = series.to_numpy(object)
            for i in np.flatnonzero(~pd.isna(values)).tolist():
                text = str(values[i])
                if text:
                    ws.write_string(i + start + 1, j, text)
    ws.freeze_panes(start + 1, 0)
    if len(df.columns):
        ws.autofilter(start, 0, start + len(df), len(df.columns) - 1)


def _mix_sheet(profile: pd.DataFrame, L: str) -> pd.DataFrame:
    d = profile[["measure", "hospital", "category", "city", "difference", "city_source"]].rename(
        columns={"difference": "difference_city"})
    return presented(d, d.columns, L)


def _notes(res, hospital_id: str, L: str, notes: list) -> pd.DataFrame:
    p = res.params
    low, high = float(p.get("cases.low_ratio")), float(p.get("cases.high_ratio"))
    settled = settled_rows(res, hospital_id)
    name = res.data.hospitals["name"].iloc[hospital_row(res, hospital_id)]
    names = value_labels(L)["scheme"]
    schemes = ("、" if L == "zh" else ", ").join(names.get(s, s) for s in settled.index)
    rows = [(t("hv_note_hospital", L), f"{hospital_id} {name}"), (t("hv_note_schemes", L), schemes),
            (t("hv_note_coef", L), f"{float(settled['hospital_coef'].iloc[0]):.4f}"),
            (t("hv_col_point_value", L), ("；" if L == "zh" else "; ").join(
                f"{names.get(s, s)} {float(v):g}" for s, v in settled["point_value"].items())),
            (t("hv_note_payment", L), t("hv_note_payment_text", L)),
            (t("hv_note_margin", L), t("hv_note_margin_text", L)),
            (t("hv_note_reasons", L), t("hv_note_reasons_text", L)),
            (t("hv_note_zones", L), t("hv_note_zones_text", L, low=f"{low:g}", high=f"{high:g}",
                                      low_w=f"{low + LOW_WINDOW:g}", low_lo=f"{low - LOW_WINDOW:g}",
                                      high_lo=f"{high - HIGH_WINDOW:g}", high_w=f"{high + HIGH_WINDOW:g}"))]
    rows += [(t("hv_note_notes", L), localise(n, L)) for n in notes]
    return pd.DataFrame(rows, columns=[t("wb_item", L), t("wb_value", L)])


def build_hospital_xlsx(res, hospital_id: str, lang: str = "zh", schemes=None, city=None) -> bytes:
    """The hospital workbook as bytes (module docstring)."""
    L = lang
    hospital_id = str(hospital_id)
    hospital_row(res, hospital_id)                       # an unknown hospital is refused here
    notes: list = []
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        name = res.data.hospitals["name"].iloc[hospital_row(res, hospital_id)]
        _sheet(xw, t("hv_sheet_groups", L), group_margins(res, hospital_id, schemes), GROUP_COLUMNS, L,
               title=t("hv_title", L, hospital=f"{hospital_id} {name}"))
        _sheet(xw, t("hv_sheet_deviation", L), deviation_warnings(res, hospital_id, schemes), DEVIATION_COLUMNS, L)
        _sheet(xw, t("hv_sheet_special", L), special_candidates(res, hospital_id, schemes), SPECIAL_COLUMNS, L)
        for by, sheet in (("department", t("hv_sheet_department", L)), ("doctor", t("hv_sheet_doctor", L))):
            if has_breakdown(res, by):
                _sheet(xw, sheet, margins_by(res, hospital_id, by, schemes), (by,) + BY_COLUMNS, L)
            else:
                notes.append(Message("hv_no_column", column=by))
        profile = mix_profile(res, hospital_id, city)
        if not has_city_figures(profile):
            notes.append(Message("hv_no_city_figures"))
        write_sheet(xw, t("hv_sheet_mix", L), _mix_sheet(profile, L))
        notes_df = _notes(res, hospital_id, L, notes)
        write_sheet(xw, t("hv_sheet_notes", L), notes_df)
        ws = xw.sheets[t("hv_sheet_notes", L)[:31]]
        ws.set_column(1, 1, 100, xw.book.add_format({"text_wrap": True, "valign": "top"}))
    return buf.getvalue()


__all__ = ["build_hospital_xlsx", "headers", "presented", "value_labels"]
