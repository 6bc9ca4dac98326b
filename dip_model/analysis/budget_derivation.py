"""The budget derivation of one scheme as ordered rows (A-10 … A-13, then A-34.2), for display.

Every figure comes from the engine's summary (budget.scheme_budget's intermediates); the only numbers
computed here are the two terms of A-11's minimum, which the summary keeps only as their minimum."""
from __future__ import annotations

import math

from ..params import per_scheme
from ..rules.budget import BUDGET_LINES
from ..rules.pipeline import require_city

# (key, symbol, article, unit): the order a policy officer reads the derivation in
ROWS = (
    ("prior_expenditure", "E₋₁", "A-10", "yuan"),
    ("prior_revenue", "R₋₁", "A-10", "yuan"),
    ("revenue", "R₀", "A-10", "yuan"),
    ("revenue_growth", "g_R", "A-10, A-11", "rate"),
    ("growth_rate", "g", "A-10", "rate"),
    ("growth_cap", "c", "A-10", "rate"),
    ("growth_rate_effective", "g_eff", "A-10", "rate"),
    ("prior_year_balanced", "—", "A-10", "branch"),
    ("budget_base", "B₀", "A-10", "yuan"),
    ("budget_adjustment", "ΔB", "A-10, A-14", "yuan"),
    ("budget_total", "B", "A-10, A-14", "yuan"),
    ("prior_adjustment_fund", "A₋₁", "A-11", "yuan"),
    ("adjustment_fund_grown", "A₁", "A-11", "yuan"),
    ("adjustment_fund_capped", "A₂", "A-11", "yuan"),
    ("adjustment_fund", "A", "A-11", "yuan"),
    *((k, "L" + "₁₂₃₄₅₆"[i], "A-11, A-12", "yuan") for i, k in enumerate(BUDGET_LINES)),
    ("dip_fund_payable", "F", "A-12", "yuan"),
    ("payment_rate", "ρ", "A-13", "rate"),
    ("dip_cost_payable", "C", "A-13", "yuan"),
    ("total_score", "ΣS", "A-34.1", "points"),
    ("settlement_point_value", "PV", "A-34.2", "yuan/point"),
)


def _given(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def _changed(p, path: str) -> bool:
    """Whether the scenario sets this parameter to something other than the rule set's value."""
    node = p.user_values()
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def adjustment_fund_terms(b: dict, cap_rate: float | None = None) -> tuple[float, float]:
    """A-11 ¶2: the two terms of A = min(A₋₁·(1+g_R), cap·B), as the engine computed them."""
    return b["adjustment_fund_grown"], b["adjustment_fund_capped_at"]


def derivation(res, scheme: str) -> list[dict]:
    """Rows {key, symbol, article, unit, value, source} for one scheme of a Results object.
    source: 'data' (fund.csv), 'derived' (from other fund.csv figures), 'param' (set in the scenario),
    'default' (the rule's default: g = g_R, ρ from the cases, branch from R₋₁ ≥ E₋₁), 'computed'."""
    require_city(res.data, "what_budget_derivation")
    b = res.summary["schemes"][scheme]
    p = res.params
    fund = res.data.fund.set_index("scheme").loc[scheme]
    grown, capped = adjustment_fund_terms(b)
    values = {**b, "adjustment_fund_grown": grown, "adjustment_fund_capped": capped}
    src = {k: "data" if _given(fund.get(k)) else "derived" if _given(b.get(k)) else "missing"
           for k in ("prior_revenue", "revenue", "revenue_growth")}
    src.update({k: "data" for k in ("prior_expenditure", "prior_adjustment_fund", *BUDGET_LINES)})
    src["growth_rate"] = "param" if per_scheme(p.get("budget.growth_rate"), scheme) is not None else "default"
    src["growth_cap"] = "param" if _changed(p, "budget.growth_cap") else "default"
    src["prior_year_balanced"] = "param" if p.get("budget.prior_year_balanced") is not None else "default"
    src["budget_adjustment"] = "param" if _changed(p, "budget.adjustment") else "default"
    src["payment_rate"] = "param" if per_scheme(p.get("payment_rate"), scheme) is not None else "default"
    rows = []
    for key, symbol, article, unit in ROWS:
        rows.append({"key": key, "symbol": symbol, "article": article, "unit": unit, "value": values.get(key),
                     "source": src.get(key, "computed")})
    return rows
