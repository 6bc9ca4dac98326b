"""docs/rules.md, A-3: fund expenditure, closing balance and months of payment."""
from __future__ import annotations

import math

import pytest

from dip_model.rules.fund_balance import fund_balance
from citykit import LEVEL_COSTS, case, fund_row, hospital, run

approx = lambda x: pytest.approx(x, rel=1e-9)  # noqa: E731

LINES = {"out_of_area": 1000.0, "local_outpatient": 2000.0, "maternity": 300.0,
         "critical_illness_premium": 400.0, "non_dip_items": 500.0, "other_rigid": 100.0}


def test_closing_balance_and_months():
    budget = {**LINES, "adjustment_fund": 700.0, "revenue": 20000.0}
    fb = fund_balance(budget, 5000.0, 9000.0, (6, 9))
    # expenditure = 9 000 + (1 000 + 2 000 + 300 + 400 + 500 + 100) + 700 = 14 000
    assert fb["fund_expenditure"] == approx(14000)
    # closing = 5 000 + 20 000 − 14 000 = 11 000; months = 11 000 / (14 000 / 12) = 9.428571…
    assert fb["fund_closing_balance"] == approx(11000)
    assert fb["months_of_payment"] == approx(11000 / (14000 / 12))
    assert fb["months_status"] == "high"                    # above the 6–9 month band


@pytest.mark.parametrize("opening, months, status", [
    (-1000.0, 3.0, "low"),     # closing −1 000 + 18 500 − 14 000 = 3 500 → 3 500 / (14 000 / 12) = 3.0
    (2500.0, 6.0, "ok"),       # closing 2 500 + 18 500 − 14 000 = 7 000 → 6.0 (the band's lower edge is inside)
])
def test_months_against_the_guidance_band(opening, months, status):
    budget = {**LINES, "adjustment_fund": 700.0, "revenue": 18500.0}
    fb = fund_balance(budget, opening, 9000.0, (6, 9))     # expenditure 14 000 as above
    assert fb["months_of_payment"] == approx(months)
    assert fb["months_status"] == status


def test_missing_opening_balance_is_not_a_number():
    fb = fund_balance({**LINES, "adjustment_fund": 0.0, "revenue": 1000.0}, None, 100.0, (6, 9))
    assert math.isnan(fb["fund_closing_balance"]) and fb["months_status"] == "unknown"


def test_fund_balance_in_the_summary(tmp_path):
    # E₋₁ = 10 000 (balanced), growth 0 → B = 10 000; g_R = 0.2; A = min(100 × 1.2, 500) = 120
    # lines 2 000 + 1 000 + 500 + 200 + 100 + 80 = 3 880; F = 10 000 − 3 880 − 120 = 6 000
    fund = [fund_row("employee", prior_expenditure=10000, prior_revenue=10000, revenue=12000,
                     revenue_growth=0.2, prior_adjustment_fund=100, out_of_area=2000,
                     local_outpatient=1000, maternity=500, critical_illness_premium=200,
                     non_dip_items=100, other_rigid=80, opening_balance=3000)]
    costs = [dict(r, mean_cost=8000) if (r["group_id"], r["level"]) == ("G1", "3A") else r for r in LEVEL_COSTS]
    hs = [hospital("H1"), hospital("H2")]
    cs = [case("A", "H1", "G1", 7200, 3600), case("B", "H2", "G1", 4800, 2400)]
    # as in test_settlement's cap city: pays 3 360 + 2 700 = 6 060 > F, so the cap brings Σ final to F = 6 000
    res = run(tmp_path, hs, cs, fund=fund, level_costs=costs)
    s = res.summary["schemes"]["employee"]
    assert s["dip_fund_payable"] == approx(6000)
    assert s["total_final_payment"] == approx(6000)
    # expenditure = 6 000 + 3 880 + 120 = 10 000; closing = 3 000 + 12 000 − 10 000 = 5 000
    assert s["fund_expenditure"] == approx(10000)
    assert s["fund_closing_balance"] == approx(5000)
    assert s["months_of_payment"] == approx(6.0)            # 5 000 / (10 000 / 12)
