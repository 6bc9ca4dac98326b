"""A-10 … A-13: total budget, adjustment fund, DIP payable F, payment rate ρ, DIP cost payable C.
Every expected number is worked out by hand in the comment beside it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import dip_model
from dip_model.rules.budget import scheme_budget
from citykit import case, fund_row, hospital, params, run, write_city

approx = lambda x: pytest.approx(x, rel=1e-9)  # noqa: E731

# E₋₁ = 100 000, R₋₁ = 110 000 (balanced), R₀ = 120 000, g_R = 0.05, no other lines
ROW = {"prior_expenditure": 100000.0, "prior_revenue": 110000.0, "revenue": 120000.0,
       "revenue_growth": 0.05, "prior_adjustment_fund": 0.0}


def budget(row_changes=None, param_changes=None, ffs=7000.0, cost=10000.0, scheme="employee"):
    row = {**ROW, **(row_changes or {})}
    return scheme_budget(row, scheme, params(param_changes), ffs, cost)


# --- A-10 growth ---------------------------------------------------------------------------------

def test_growth_under_the_cap():
    b = budget(param_changes={"budget": {"growth_rate": 0.06, "growth_cap": 0.08}})
    assert b["growth_rate_effective"] == approx(0.06)     # min(0.06, 0.08)
    assert b["budget_total"] == approx(106000)             # 100 000 × 1.06


def test_growth_above_the_cap_is_capped():
    b = budget(param_changes={"budget": {"growth_rate": 0.10, "growth_cap": 0.08}})
    assert b["growth_rate_effective"] == approx(0.08)     # min(0.10, 0.08)
    assert b["budget_total"] == approx(108000)             # 100 000 × 1.08


def test_no_cap_means_the_growth_as_given():
    b = budget(param_changes={"budget": {"growth_rate": 0.12, "growth_cap": None}})
    assert b["budget_total"] == approx(112000)             # 100 000 × 1.12


def test_growth_defaults_to_revenue_growth():
    b = budget(param_changes={"budget": {"growth_rate": None, "growth_cap": 0.08}})
    assert b["growth_rate"] == approx(0.05)                # g = g_R
    assert b["budget_total"] == approx(105000)             # 100 000 × 1.05


def test_revenue_growth_derived_from_revenues():
    # g_R = R₀ / R₋₁ − 1 = 115 500 / 110 000 − 1 = 0.05
    b = budget({"revenue": 115500.0, "revenue_growth": None}, {"budget": {"growth_rate": None}})
    assert b["revenue_growth"] == approx(0.05)
    assert b["budget_total"] == approx(105000)             # 100 000 × 1.05


def test_revenue_derived_from_growth():
    # R₀ = R₋₁ · (1 + g_R) = 110 000 × 1.05 = 115 500
    b = budget({"revenue": None})
    assert b["revenue"] == approx(115500)


def test_deficit_year_budget_is_this_years_revenue():
    # R₋₁ = 90 000 < E₋₁ = 100 000 → B = R₀ = 95 000
    b = budget({"prior_revenue": 90000.0, "revenue": 95000.0},
               {"budget": {"growth_rate": 0.10, "growth_cap": 0.08}})
    assert b["prior_year_balanced"] is False
    assert b["budget_total"] == approx(95000)
    assert b["growth_rate_effective"] == approx(0.08)     # reported as min(g, c) in both branches


def test_prior_year_exactly_balanced_counts_as_balanced():
    # R₋₁ = E₋₁ = 100 000 → balanced → B = 100 000 × 1.05 = 105 000
    b = budget({"prior_revenue": 100000.0}, {"budget": {"growth_rate": 0.05}})
    assert b["prior_year_balanced"] is True
    assert b["budget_total"] == approx(105000)


def test_explicit_balanced_flag_overrides_the_fund_figures():
    deficit = {"prior_revenue": 90000.0, "revenue": 95000.0}
    b = budget(deficit, {"budget": {"growth_rate": 0.05, "prior_year_balanced": True}})
    assert b["budget_total"] == approx(105000)             # E₋₁ · 1.05 despite R₋₁ < E₋₁
    b = budget(None, {"budget": {"growth_rate": 0.05, "prior_year_balanced": False}})
    assert b["budget_total"] == approx(120000)             # R₀ despite R₋₁ ≥ E₋₁


@pytest.mark.parametrize("delta, total", [(5000.0, 111000.0), (-3000.0, 103000.0)])
def test_in_year_adjustment_is_added(delta, total):
    # B = 100 000 × 1.06 + ΔB: 106 000 + 5 000 = 111 000; 106 000 − 3 000 = 103 000
    b = budget(param_changes={"budget": {"growth_rate": 0.06, "adjustment": delta}})
    assert b["budget_total"] == approx(total)


# --- A-11 adjustment fund ------------------------------------------------------------------------

def test_adjustment_fund_below_its_cap():
    # A = min(3 000 × 1.05, 0.05 × 106 000) = min(3 150, 5 300) = 3 150
    b = budget({"prior_adjustment_fund": 3000.0}, {"budget": {"growth_rate": 0.06}})
    assert b["adjustment_fund"] == approx(3150)


def test_adjustment_fund_uses_revenue_growth_not_budget_growth():
    # g = 0.06 for the budget, but A grows with g_R = 0.05: 2 000 × 1.05 = 2 100 (< 5 300)
    b = budget({"prior_adjustment_fund": 2000.0}, {"budget": {"growth_rate": 0.06}})
    assert b["adjustment_fund"] == approx(2100)


def test_adjustment_fund_capped_at_five_percent_of_budget():
    # A = min(6 000 × 1.05, 0.05 × 106 000) = min(6 300, 5 300) = 5 300
    b = budget({"prior_adjustment_fund": 6000.0}, {"budget": {"growth_rate": 0.06}})
    assert b["adjustment_fund"] == approx(5300)


def test_adjustment_fund_cap_rate_is_a_parameter():
    # cap 10 %: A = min(6 300, 0.10 × 106 000 = 10 600) = 6 300
    b = budget({"prior_adjustment_fund": 6000.0},
               {"budget": {"growth_rate": 0.06, "adjustment_fund_cap": 0.10}})
    assert b["adjustment_fund"] == approx(6300)


def test_adjustment_fund_cap_counts_the_in_year_adjustment():
    # B = 106 000 − 26 000 = 80 000; A = min(6 300, 0.05 × 80 000 = 4 000) = 4 000
    b = budget({"prior_adjustment_fund": 6000.0},
               {"budget": {"growth_rate": 0.06, "adjustment": -26000.0}})
    assert b["adjustment_fund"] == approx(4000)


# --- A-12 F and A-13 ρ, C ----------------------------------------------------------------------

LINES = {"out_of_area": 20000.0, "local_outpatient": 30000.0, "maternity": 5000.0,
         "critical_illness_premium": 4000.0, "non_dip_items": 6000.0, "other_rigid": 1000.0}


def test_dip_payable_subtracts_every_line_and_the_adjustment_fund():
    # B = 106 000; lines 20 000 + 30 000 + 5 000 + 4 000 + 6 000 + 1 000 = 66 000; A = 3 150
    # F = 106 000 − 66 000 − 3 150 = 36 850
    b = budget({**LINES, "prior_adjustment_fund": 3000.0}, {"budget": {"growth_rate": 0.06}})
    assert b["dip_fund_payable"] == approx(36850)


@pytest.mark.parametrize("other_rigid", [37850.0, 40000.0])
def test_dip_payable_not_positive_is_a_budget_error(other_rigid):
    # F = 106 000 − (65 000 + other_rigid) − 3 150: 37 850 → F = 0; 40 000 → F = −2 150
    lines = {**LINES, "other_rigid": other_rigid}
    with pytest.raises(dip_model.BudgetError, match="A-12"):
        budget({**lines, "prior_adjustment_fund": 3000.0}, {"budget": {"growth_rate": 0.06}})


def test_payment_rate_from_data_and_cost_payable():
    # ρ = Σ ffs / Σ cost = 7 000 / 10 000 = 0.7; F = 106 000 (no lines); C = 106 000 / 0.7
    b = budget(param_changes={"budget": {"growth_rate": 0.06}})
    assert b["payment_rate"] == approx(0.7)
    assert b["dip_cost_payable"] == approx(106000 / 0.7)   # 151 428.571428…


def test_payment_rate_override_and_per_scheme_mapping():
    b = budget(param_changes={"budget": {"growth_rate": 0.06}, "payment_rate": 0.8})
    assert b["payment_rate"] == approx(0.8)
    assert b["dip_cost_payable"] == approx(132500)          # 106 000 / 0.8
    per = {"budget": {"growth_rate": 0.06}, "payment_rate": {"employee": 0.5}}
    assert budget(param_changes=per)["dip_cost_payable"] == approx(212000)        # 106 000 / 0.5
    # the resident scheme is not in the mapping: ρ from its data, 7 000 / 10 000
    assert budget(param_changes=per, scheme="resident")["payment_rate"] == approx(0.7)


# --- through the engine -------------------------------------------------------------------------

def _city():
    hs = [hospital("H1")]
    cs = [case("E1", "H1", "G1", 9000, 6300, scheme="employee"),     # ρ_employee = 6 300 / 9 000 = 0.7
          case("R1", "H1", "G1", 8000, 4800, scheme="resident")]     # ρ_resident = 4 800 / 8 000 = 0.6
    return hs, cs


def test_each_scheme_budgeted_separately(tmp_path):
    fund = [fund_row("employee", prior_expenditure=100000, prior_revenue=110000, revenue=120000,
                     prior_adjustment_fund=1000, out_of_area=10000),
            fund_row("resident", prior_expenditure=80000, prior_revenue=70000, revenue=75000,
                     prior_adjustment_fund=0)]
    hs, cs = _city()
    res = run(tmp_path, hs, cs, {"budget": {"growth_rate": 0.1, "growth_cap": 0.08}}, fund=fund)
    e, r = res.summary["schemes"]["employee"], res.summary["schemes"]["resident"]
    # employee: balanced → B = 100 000 × 1.08 = 108 000; A = min(1 000 × 1.05, 5 400) = 1 050
    #           F = 108 000 − 10 000 − 1 050 = 96 950; ρ = 0.7; C = 96 950 / 0.7 = 138 500
    assert e["budget_total"] == approx(108000)
    assert e["adjustment_fund"] == approx(1050)
    assert e["dip_fund_payable"] == approx(96950)
    assert e["payment_rate"] == approx(0.7)
    assert e["dip_cost_payable"] == approx(138500)
    # resident: deficit (70 000 < 80 000) → B = R₀ = 75 000; A = 0; F = 75 000; ρ = 0.6; C = 125 000
    assert r["budget_total"] == approx(75000)
    assert r["dip_fund_payable"] == approx(75000)
    assert r["payment_rate"] == approx(0.6)
    assert r["dip_cost_payable"] == approx(125000)


def test_simulate_reports_f_not_positive(tmp_path):
    fund = [fund_row("employee", prior_expenditure=100000, other_rigid=100000), fund_row("resident")]
    hs, cs = _city()
    with pytest.raises(dip_model.BudgetError, match="employee"):
        run(tmp_path, hs, cs, fund=fund)                    # F = 100 000 − 100 000 = 0


def test_cli_shows_f_not_positive_as_an_error_not_a_crash(tmp_path):
    fund = [fund_row("employee", prior_expenditure=100000, other_rigid=120000), fund_row("resident")]
    hs, cs = _city()
    folder = write_city(tmp_path / "data", hs, cs, fund=fund)
    (tmp_path / "p.yaml").write_text("mean_cost_all: 10000\nbudget_point_value: 10\n", encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "dip_model", "run", "--data", str(folder),
                           "--params", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "out")],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "error:" in proc.stderr and "A-12" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
