"""Total budget and the DIP payable, per scheme (A-9 … A-14)."""
from __future__ import annotations

import math

from ..errors import BudgetError
from ..messages import Message
from ..params import Params, per_scheme

BUDGET_LINES = ("out_of_area", "local_outpatient", "maternity", "critical_illness_premium",
                "non_dip_items", "other_rigid")
# what scheme_budget returns, in order; in a hospital folder every one is "not applicable" (None)
BUDGET_FIELDS = ("prior_expenditure", "prior_revenue", "revenue", "revenue_growth", "growth_rate", "growth_cap",
                 "growth_rate_effective", "prior_year_balanced", "budget_base", "budget_adjustment",
                 "budget_total", "prior_adjustment_fund", "adjustment_fund_grown", "adjustment_fund_capped_at",
                 "adjustment_fund", *BUDGET_LINES, "dip_fund_payable", "payment_rate", "dip_cost_payable")


def _f(row, key, default=None):
    v = row.get(key, None)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return default
    return float(v)


def revenue_figures(row) -> tuple[float | None, float | None, float | None]:
    """R₋₁, R₀ and g_R, each derived from the others when not given (docs/rules.md, A-10)."""
    r1, r0, g = _f(row, "prior_revenue"), _f(row, "revenue"), _f(row, "revenue_growth")
    if r0 is None and r1 is not None and g is not None:
        r0 = r1 * (1.0 + g)
    if g is None and r0 is not None and r1:
        g = r0 / r1 - 1.0
    return r1, r0, g


def scheme_budget(row, scheme: str, p: Params, ffs_total: float, cost_total: float) -> dict:
    """A-10 … A-13 for one scheme: B, A, F, ρ and C, with every intermediate kept for the explanation."""
    E = _f(row, "prior_expenditure")
    if E is None:
        raise BudgetError(Message("budget_no_expenditure", scheme=scheme))
    r1, r0, gR = revenue_figures(row)
    g = per_scheme(p.get("budget.growth_rate"), scheme)
    if g is None:
        if gR is None:
            raise BudgetError(Message("budget_no_growth", scheme=scheme))
        g = gR
    cap = per_scheme(p.get("budget.growth_cap"), scheme)
    g_eff = min(g, cap) if cap is not None else g                       # A-10 ¶2
    balanced = p.get("budget.prior_year_balanced")
    if balanced is None:
        if r1 is None:
            raise BudgetError(Message("budget_no_prior_revenue", scheme=scheme))
        balanced = r1 >= E
    if balanced:
        base = E * (1.0 + g_eff)                                         # A-10 ¶2: E₋₁·(1+g)
    else:
        if r0 is None:
            raise BudgetError(Message("budget_no_revenue", scheme=scheme))
        base = r0                                                        # A-10 ¶2: deficit → revenue
    dB = float(per_scheme(p.get("budget.adjustment"), scheme) or 0.0)
    B = base + dB                                                        # in-year adjustment
    A1 = _f(row, "prior_adjustment_fund", 0.0)
    A_grown, A_cap = A1 * (1.0 + (gR or 0.0)), p.get("budget.adjustment_fund_cap") * B
    A = min(A_grown, A_cap)                                              # A-11 ¶2
    lines = {k: _f(row, k, 0.0) for k in BUDGET_LINES}
    F = B - sum(lines.values()) - A
    if F <= 0:
        raise BudgetError(Message("budget_not_positive", scheme=scheme, F=F))
    rho_given = per_scheme(p.get("payment_rate"), scheme)
    rho = float(rho_given) if rho_given is not None else (ffs_total / cost_total if cost_total > 0 else math.nan)
    C = F / rho if rho and not math.isnan(rho) else math.nan            # A-13 ¶1
    return {
        "prior_expenditure": E, "prior_revenue": r1, "revenue": r0, "revenue_growth": gR,
        "growth_rate": g, "growth_cap": cap, "growth_rate_effective": g_eff,
        "prior_year_balanced": bool(balanced), "budget_base": base, "budget_adjustment": dB,
        "budget_total": B, "prior_adjustment_fund": A1, "adjustment_fund_grown": A_grown,
        "adjustment_fund_capped_at": A_cap, "adjustment_fund": A, **lines,
        "dip_fund_payable": F, "payment_rate": rho, "dip_cost_payable": C,
    }
