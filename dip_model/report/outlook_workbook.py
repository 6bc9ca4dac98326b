"""The year-end outlook workbook (xlsxwriter), in the style of the scenario workbook (workbook.write_sheet:
frozen header row, Chinese headers, money as #,##0.00, fitted widths): 年终清算预估 (the settlement at the low,
central and high point values), 逐月基金使用率 (use rate and pre-payments month by month) and 说明.

    build_outlook_xlsx(outlook(res, "H001"), lang="zh") -> bytes"""
from __future__ import annotations

import io

import pandas as pd

from ..analysis.hospital_outlook import MONTHLY_COLUMNS, SETTLEMENT_COLUMNS, Outlook
from .labels import band_text, t
from .workbook import MONEY_FMT, write_sheet

PCT_FMT = "0.0%"
PV_FMT = "0.000"
SCORE_FMT = "#,##0.00"
MONEY = {"final_payment", "monthly_prepaid", "year_end_settlement", "vs_central", "score_fund", "ffs_fund",
         "retained", "sharing", "pay_before_cap", "cap_deduction", "violation_deduction", "total_cost",
         "ffs_fund_cum", "total_cost_cum", "score_fund_cum", "prepaid", "prepaid_cum"}
PERCENT = {"usage_rate", "usage_rate_cum"}
SCORES = {"total_score", "score", "score_cum"}
POINT_VALUES = {"point_value", "budget_point_value"}


def settlement_headers(L: str) -> dict[str, str]:
    """Column of Outlook.settlement → heading in language L."""
    return {
        "scheme": t("ol_col_scheme", L), "point": t("ol_col_point", L),
        "point_value": t("ol_col_point_value", L), "final_payment": t("ol_col_final_payment", L),
        "monthly_prepaid": t("ol_col_monthly_prepaid", L), "year_end_settlement": t("ol_col_year_end_settlement", L),
        "band": t("ol_col_band", L), "usage_rate": t("ol_col_usage_rate", L),
        "point_value_source": t("ol_col_point_value_source", L), "vs_central": t("ol_col_vs_central", L),
        "total_score": t("ol_col_total_score", L), "score_fund": t("ol_col_score_fund", L),
        "ffs_fund": t("ol_col_ffs_fund", L), "retained": t("ol_col_retained", L), "sharing": t("ol_col_sharing", L),
        "pay_before_cap": t("ol_col_pay_before_cap", L), "cap_deduction": t("ol_col_cap_deduction", L),
        "violation_deduction": t("ol_col_violation_deduction", L),
    }


def monthly_headers(L: str) -> dict[str, str]:
    """Column of Outlook.monthly → heading in language L."""
    return {
        "scheme": t("ol_col_scheme", L), "month": t("ol_col_month", L),
        "cases": t("ol_col_cases", L), "total_cost": t("ol_col_total_cost", L), "ffs_fund": t("ol_col_ffs_fund", L),
        "score": t("ol_col_score", L), "score_fund": t("ol_col_month_score_fund", L),
        "usage_rate": t("ol_col_month_usage_rate", L), "band": t("ol_col_month_band", L),
        "ffs_fund_cum": t("ol_col_ffs_fund_cum", L), "total_cost_cum": t("ol_col_total_cost_cum", L),
        "score_cum": t("ol_col_score_cum", L), "score_fund_cum": t("ol_col_score_fund_cum", L),
        "usage_rate_cum": t("ol_col_usage_rate_cum", L), "band_cum": t("ol_col_band_cum", L),
        "budget_point_value": t("ol_col_budget_point_value", L), "prepaid": t("ol_col_prepaid", L),
        "prepaid_cum": t("ol_col_prepaid_cum", L),
    }


def point_labels(L: str) -> dict[str, str]:
    return {"low": t("ol_point_low", L), "central": t("ol_point_central", L), "high": t("ol_point_high", L)}


def source_labels(L: str, spread: float) -> dict[str, str]:
    return {"given": t("ol_src_given", L), "computed": t("ol_src_computed", L), "set": t("ol_src_set", L),
            "spread": t("ol_src_spread", L, pct=f"{spread:.0%}" if spread * 100 == round(spread * 100)
                        else f"{spread:.1%}")}


def _scheme(s, L: str) -> str:
    return t("employee", L) if s == "employee" else t("resident", L) if s == "resident" else str(s)


def _band(b, L: str):
    return band_text(b, L) if isinstance(b, str) and b else None


def presented_settlement(ol: Outlook, L: str = "zh") -> pd.DataFrame:
    """Outlook.settlement with its codes in words and headed in language L (the workbook's sheet)."""
    d = ol.settlement[[c for c in SETTLEMENT_COLUMNS if c != "hospital_id"]].copy()
    d["scheme"] = d["scheme"].map(lambda s: _scheme(s, L))
    d["point"] = d["point"].map(point_labels(L))
    d["point_value_source"] = d["point_value_source"].map(source_labels(L, ol.spread))
    d["band"] = d["band"].map(lambda b: _band(b, L))
    return d.rename(columns=settlement_headers(L))


def presented_monthly(ol: Outlook, L: str = "zh") -> pd.DataFrame:
    """Outlook.monthly with its codes in words and headed in language L (the workbook's sheet)."""
    d = ol.monthly[[c for c in MONTHLY_COLUMNS if c != "hospital_id"]].copy()
    d["scheme"] = d["scheme"].map(lambda s: _scheme(s, L))
    for c in ("band", "band_cum"):
        d[c] = d[c].map(lambda b: _band(b, L))
    return d.rename(columns=monthly_headers(L))


def _formats(columns, heads: dict) -> dict:
    out = {}
    for c in columns:
        if c not in heads:
            continue
        if c in MONEY:
            out[heads[c]] = MONEY_FMT
        elif c in PERCENT:
            out[heads[c]] = PCT_FMT
        elif c in SCORES:
            out[heads[c]] = SCORE_FMT
        elif c in POINT_VALUES:
            out[heads[c]] = PV_FMT
    return out


def _notes(ol: Outlook, L: str) -> pd.DataFrame:
    sep = "；" if L == "zh" else "; "
    points = point_labels(L)
    pvs = sep.join(f"{_scheme(s, L)} " + " / ".join(f"{points[p]} {v:g}" for p, v in zip(("low", "central", "high"), r))
                   for s, r in ol.pv.items())
    rows = [(t("ol_note_hospital", L), f"{ol.hospital_id} {ol.name}"),
            (t("ol_note_mode", L), t("ol_mode_hospital", L) if ol.mode == "hospital" else t("ol_mode_city", L)),
            (t("ol_note_points", L), pvs),
            (t("ol_note_settlement", L), t("ol_note_settlement_text", L)),
            (t("ol_note_usage", L), t("ol_note_usage_text", L, share=f"{ol.share:.0%}")),
            (t("ol_note_prepaid", L), t("ol_note_prepaid_text", L))]
    return pd.DataFrame(rows, columns=[t("wb_item", L), t("wb_value", L)])


def build_outlook_xlsx(ol: Outlook, lang: str = "zh") -> bytes:
    """The outlook workbook as bytes (module docstring)."""
    L = lang
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        heads = settlement_headers(L)
        write_sheet(xw, t("ol_sheet_settlement", L), presented_settlement(ol, L),
                    formats=_formats(SETTLEMENT_COLUMNS, heads),
                    title=t("ol_title", L, hospital=f"{ol.hospital_id} {ol.name}"))
        heads = monthly_headers(L)
        write_sheet(xw, t("ol_sheet_monthly", L), presented_monthly(ol, L), formats=_formats(MONTHLY_COLUMNS, heads))
        write_sheet(xw, t("ol_sheet_notes", L), _notes(ol, L))
        ws = xw.sheets[t("ol_sheet_notes", L)[:31]]
        ws.set_column(1, 1, 100, xw.book.add_format({"text_wrap": True, "valign": "top"}))
    return buf.getvalue()


__all__ = ["build_outlook_xlsx", "monthly_headers", "presented_monthly", "presented_settlement",
           "settlement_headers"]
