"""Fund balance per scheme (A-3 以收定支、收支平衡、略有结余; docs/rules.md, A-3)."""
from __future__ import annotations

import math

from .budget import BUDGET_LINES

FUND_BALANCE_FIELDS = ("fund_opening_balance", "fund_revenue", "fund_expenditure", "fund_closing_balance",
                       "months_of_payment", "months_status")


def fund_balance(budget: dict, opening: float | None, dip_final: float, band: tuple[float, float]) -> dict:
    """expenditure = DIP final payments + the other budget lines + adjustment fund;
    closing = opening + R₀ − expenditure; months = closing ÷ (expenditure / 12)."""
    spend = dip_final + sum(budget[k] for k in BUDGET_LINES) + budget["adjustment_fund"]
    revenue = budget["revenue"] if budget["revenue"] is not None else math.nan
    opening = opening if opening is not None else math.nan
    closing = opening + revenue - spend
    months = closing / (spend / 12.0) if spend > 0 else math.nan
    lo, hi = band
    status = "unknown" if math.isnan(months) else ("low" if months < lo else "high" if months > hi else "ok")
    return {"fund_opening_balance": opening, "fund_revenue": revenue, "fund_expenditure": spend,
            "fund_closing_balance": closing, "months_of_payment": months, "months_status": status}
