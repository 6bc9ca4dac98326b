"""A-32 … A-37 (I-7, I-8, I-9, I-13): annual score, point value, score fund, risk-sharing bands,
global cap, violations, monthly pre-settlement and year-end settlement."""
from __future__ import annotations

import numpy as np
import pytest

from dip_model.rules.risk_sharing import Bands, apply_bands
from dip_model.rules.settlement import global_cap
from citykit import LEVEL_COSTS, case, case_of, fund_row, hosp_of, hospital, params, run

approx = lambda x: pytest.approx(x, rel=1e-9)  # noqa: E731


def fund_of(F, scheme="employee", **kw):
    """A balanced prior year with E₋₁ = F and growth 0, nothing else: the DIP payable is F."""
    return fund_row(scheme, prior_expenditure=F, prior_revenue=F, **kw)


# --- annual score (I-7) ------------------------------------------------------------------

def score_city():
    # H2 is 2A: K = 0.8
    return [hospital("H2", "2A", 2)], [
        case("N", "H2", "G1", 9000),                  # normal 1 000
        case("L", "H2", "G1", 4000),                  # low: R = 0.4 → 4 000 × 0.8 / 10 = 320
        case("U", "H2", "G1", 5000, qc_pass=False),   # unmatched: 5 000 / 10 × 0.8 = 400
        case("G", "H2", "G4", 2700),                  # grassroots 300
        case("X", "H2", "G3", 30000)]                 # special: d = 3 000 − 2 000 ≥ 0 → 3 000


@pytest.mark.parametrize("i7, total, low_weighted", [
    # K·(normal + low + unmatched) + grassroots + special = 0.8 × 1 720 + 300 + 3 000
    ("multiply", 0.8 * 1720 + 3300, 256.0),             # 4 676; low 320 × 0.8
    # K·normal + low + unmatched + grassroots + special = 800 + 320 + 400 + 300 + 3 000
    ("no_multiply", 4820.0, 320.0),
])
def test_annual_score_i7(tmp_path, i7, total, low_weighted):
    hs, cs = score_city()
    res = run(tmp_path, hs, cs, {"interpretations": {"I-7": i7}})
    assert hosp_of(res, "H2")["total_score"] == approx(total)
    assert case_of(res, "L")["weighted_score"] == approx(low_weighted)
    assert case_of(res, "X")["weighted_score"] == approx(3000)
    assert case_of(res, "G")["weighted_score"] == approx(300)
    assert case_of(res, "N")["weighted_score"] == approx(800)


# --- point value, A-35 score fund ---------------------------------------------------------

def eight_cases():
    return [hospital("H1")], [case(f"C{i}", "H1", "G1", 9000, 4500) for i in range(8)]


def test_point_value_rounds_half_up(tmp_path):
    # S = 8 × 1 000 = 8 000; F = 51 250; ρ = 36 000 / 72 000 = 0.5; C = 102 500
    # PV = 102 500 / 8 000 = 12.8125 exactly → half-up 12.813 (round-half-even would give 12.812)
    hs, cs = eight_cases()
    res = run(tmp_path, hs, cs, fund=[fund_of(51250)])
    s = res.summary["schemes"]["employee"]
    assert s["dip_cost_payable"] == approx(102500)
    assert s["settlement_point_value"] == 12.813
    h = hosp_of(res, "H1")
    assert h["score_fund"] == approx(51252)               # 8 000 × 12.813 × 0.5
    assert h["usage_rate"] == approx(36000 / 51252)       # 0.70241…: employee 70–90 % band
    assert h["band"] == "70_90"
    assert h["retained"] == approx(5125.2)                # 10 % × 51 252
    assert h["pay_before_cap"] == approx(41125.2)         # 36 000 + 5 125.2


@pytest.mark.parametrize("decimals, pv", [(2, 12.81), (4, 12.8125)])
def test_point_value_decimals_parameter(tmp_path, decimals, pv):
    hs, cs = eight_cases()
    res = run(tmp_path, hs, cs, {"point_value": {"decimals": decimals}}, fund=[fund_of(51250)])
    assert res.summary["schemes"]["employee"]["settlement_point_value"] == pv


def two_scheme_city():
    hs = [hospital("H1", assessment_score=90)]
    cs = [case("E1", "H1", "G1", 9000, 4500), case("E2", "H1", "G1", 9000, 4500),
          case("R1", "H1", "G1", 9000, 4500, scheme="resident"), case("R2", "H1", "G1", 9000, 4500, scheme="resident")]
    # S_employee = S_resident = 2 000; ρ = 0.5; C_employee = 15 000 / 0.5 = 30 000, C_resident = 10 000
    return hs, cs, [fund_of(15000), fund_of(5000, "resident")]


def test_point_value_per_scheme_and_score_fund(tmp_path):
    hs, cs, fund = two_scheme_city()
    res = run(tmp_path, hs, cs, fund=fund)
    s = res.summary["schemes"]
    assert s["employee"]["settlement_point_value"] == approx(15)    # 30 000 / 2 000
    assert s["resident"]["settlement_point_value"] == approx(5)     # 10 000 / 2 000
    # SF = (S × 0.92 + S × 0.08 × a) × PV × r = (1 840 + 2 000 × 0.08 × 0.9) × 15 × 0.5
    #          = (1 840 + 144) × 7.5 = 14 880
    e = hosp_of(res, "H1", "employee")
    assert e["reimb_ratio"] == approx(0.5)
    assert e["score_fund"] == approx(14880)
    assert e["usage_rate"] == approx(9000 / 14880)                   # 0.6048: under 70 %
    assert e["band"] == "under_70" and e["retained"] == 0.0
    assert e["pay_before_cap"] == approx(9000)                       # FFS
    assert hosp_of(res, "H1", "resident")["score_fund"] == approx(1984 * 5 * 0.5)   # 4 960


@pytest.mark.parametrize("changes", [{"interpretations": {"I-8": "city"}},
                                     {"point_value": {"per_scheme": False}}])
def test_one_point_value_for_the_city_i8(tmp_path, changes):
    hs, cs, fund = two_scheme_city()
    res = run(tmp_path, hs, cs, changes, fund=fund)
    s = res.summary["schemes"]
    # (30 000 + 10 000) / (2 000 + 2 000) = 10 for both schemes
    assert s["employee"]["settlement_point_value"] == approx(10)
    assert s["resident"]["settlement_point_value"] == approx(10)
    assert hosp_of(res, "H1", "resident")["score_fund"] == approx(1984 * 10 * 0.5)  # 9 920


# --- A-36 bands, directly on the band function ---------------------------------------------------

FFS = np.array([500, 700, 800, 900, 950, 1000, 1050, 1100, 1200, 1300, 1400, 1600], float)
SF = np.full(len(FFS), 1000.0)                   # so u = FFS / 1 000


def bands(scheme, changes=None):
    p = params(changes)
    return Bands(p.get(f"sharing.{scheme}.retained"), p.get(f"sharing.{scheme}.overspend"))


def test_employee_band_edges():
    u, label, retained, sharing, pay = apply_bands(bands("employee"), FFS, SF, np.zeros(len(FFS), bool))
    expected_pay = [
        500,                    # u 0.50 < 0.7: FFS
        800,                    # u 0.70: FFS + 10 % SF = 700 + 100
        900,                    # u 0.80: 800 + 100
        1000,                   # u 0.90: SF
        1000,                   # u 0.95: SF
        1000,                   # u 1.00: SF
        1035,                   # u 1.05: 1 000 + 0.7 × 50
        1070,                   # u 1.10: 1 000 + 0.7 × 100
        1120,                   # u 1.20: 1 000 + 70 + 0.5 × 100
        1160,                   # u 1.30: 1 000 + 70 + 50 + 0.4 × 100
        1190,                   # u 1.40: 1 000 + 70 + 50 + 40 + 0.3 × 100
        1190,                   # u 1.60: nothing shared above 140 %
    ]
    assert pay.tolist() == [approx(x) for x in expected_pay]
    assert retained.tolist() == [0, approx(100), approx(100)] + [0] * 9
    assert sharing.tolist() == [0] * 6 + [approx(x) for x in (35, 70, 120, 160, 190, 190)]
    assert label.tolist() == ["under_70", "70_90", "70_90"] + ["90_100"] * 3 + ["over_100"] * 6


def test_resident_band_edges():
    u, label, retained, sharing, pay = apply_bands(bands("resident"), FFS, SF, np.zeros(len(FFS), bool))
    expected_pay = [
        500,                    # u 0.50: FFS
        700,                    # u 0.70: ratio 0.5 × 0.7 − 0.35 = 0 → FFS
        850,                    # u 0.80: 800 + (0.4 − 0.35) × 1 000 = 800 + 50
        1000, 1000, 1000,       # u 0.90, 0.95, 1.00: SF
        1025,                   # u 1.05: 1 000 + 0.5 × 50
        1050,                   # u 1.10: 1 000 + 0.5 × 100
        1080,                   # u 1.20: + 0.3 × 100
        1100,                   # u 1.30: + 0.2 × 100
        1110,                   # u 1.40: + 0.1 × 100
        1110,                   # u 1.60
    ]
    assert pay.tolist() == [approx(x) for x in expected_pay]
    assert retained[1] == pytest.approx(0, abs=1e-9) and retained[2] == approx(50)
    assert label.tolist() == ["under_70", "70_90", "70_90"] + ["90_100"] * 3 + ["over_100"] * 6


def test_no_overspend_sharing_when_suspended_or_fraud():
    no = np.ones(len(FFS), bool)
    u, label, retained, sharing, pay = apply_bands(bands("employee"), FFS, SF, no)
    # retained rule unchanged below 90 %; above 100 % pay = SF
    assert pay.tolist() == [approx(x) for x in (500, 800, 900, 1000, 1000, 1000) + (1000,) * 6]
    assert retained[1] == approx(100) and (sharing == 0).all()


def test_edited_band_edges_and_labels():
    changes = {"sharing": {"employee": {"retained": [{"from": 0.0, "to": 0.75, "ratio": 0.0},
                                                     {"from": 0.75, "to": 0.92, "ratio": 0.2}]}}}
    ffs = np.array([740.0, 750.0, 919.0, 920.0])
    u, label, retained, sharing, pay = apply_bands(bands("employee", changes), ffs, np.full(4, 1000.0),
                                                   np.zeros(4, bool))
    assert label.tolist() == ["under_75", "75_92", "75_92", "92_100"]
    assert pay.tolist() == [approx(740), approx(950), approx(1119), approx(1000)]   # FFS + 20 % SF


# --- A-36 global cap (engine) --------------------------------------------------------------------

# G1's prior-year cost 8 000 in 3A, so 7 200 → R 0.9 and 4 800 → R 0.6 (both normal, d < 0)
CAP_COSTS = [dict(r, mean_cost=8000) if (r["group_id"], r["level"]) == ("G1", "3A") else r for r in LEVEL_COSTS]


def cap_city(h1=None, h2=None):
    hs = [hospital("H1", **(h1 or {})), hospital("H2", **(h2 or {}))]
    cs = [case("A", "H1", "G1", 7200, 3600), case("B", "H2", "G1", 4800, 2400)]
    return hs, cs
    # S = 1 000 each, ρ = r = 6 000 / 12 000 = 0.5; with F = 6 000: C = 12 000, PV = 6,
    # SF = 1 000 × 6 × 0.5 = 3 000 each; u_H1 = 3 600 / 3 000 = 1.2, u_H2 = 2 400 / 3 000 = 0.8
    # H1: pay = 3 000 + 3 000 × (0.7 × 0.1 + 0.5 × 0.1) = 3 360 (sharing 360)
    # H2: pay = 2 400 + 10 % × 3 000 = 2 700 (retained 300)


def test_cap_deducts_in_proportion_to_retained_plus_sharing(tmp_path):
    hs, cs = cap_city()
    res = run(tmp_path, hs, cs, fund=[fund_of(6000)], level_costs=CAP_COSTS)
    s = res.summary["schemes"]["employee"]
    assert s["settlement_point_value"] == approx(6)
    h1, h2 = hosp_of(res, "H1"), hosp_of(res, "H2")
    assert (h1["sharing"], h1["pay_before_cap"]) == (approx(360), approx(3360))
    assert (h2["retained"], h2["pay_before_cap"]) == (approx(300), approx(2700))
    # Σ pay = 6 060 > F = 6 000: excess 60 shared by 360 : 300
    assert s["cap_deduction"] == approx(60)
    assert h1["cap_deduction"] == approx(60 * 360 / 660)       # 32.7272…
    assert h2["cap_deduction"] == approx(60 * 300 / 660)       # 27.2727…
    assert h1["final_payment"] == approx(3360 - 60 * 360 / 660)
    assert h2["final_payment"] == approx(2700 - 60 * 300 / 660)
    assert s["total_final_payment"] == approx(6000)
    assert s["unfunded_overrun"] == 0.0


def test_cap_exhausted_leaves_an_unfunded_overrun(tmp_path):
    # ρ given as 0.25 and F = 3 000: C = 12 000, PV = 6 as before, so the same pays (Σ 6 060);
    # excess 6 060 − 3 000 = 3 060 > room 660 → each loses all of retained + sharing, 2 400 unfunded
    hs, cs = cap_city()
    res = run(tmp_path, hs, cs, {"payment_rate": 0.25}, fund=[fund_of(3000)], level_costs=CAP_COSTS)
    s = res.summary["schemes"]["employee"]
    assert s["settlement_point_value"] == approx(6)
    assert s["cap_deduction"] == approx(660)
    assert s["unfunded_overrun"] == approx(2400)
    assert hosp_of(res, "H1")["final_payment"] == approx(3000)   # 3 360 − 360
    assert hosp_of(res, "H2")["final_payment"] == approx(2400)   # 2 700 − 300
    assert any("unfunded overrun" in w for w in res.summary["warnings"])


@pytest.mark.parametrize("i13, cut_h1, final_h1, final_h2", [
    # after bands: compared Σ pay = 6 060 → excess 60 as above; violation 200 × r 0.5 = 100
    ("after_bands", 60 * 360 / 660, 3360 - 60 * 360 / 660 - 100, 2700 - 60 * 300 / 660),
    # net of violations: compared 6 060 − 100 = 5 960 ≤ 6 000 → no cap deduction
    ("net_of_violations", 0.0, 3360 - 100, 2700),
])
def test_cap_compared_total_i13(tmp_path, i13, cut_h1, final_h1, final_h2):
    hs, cs = cap_city(h1={"violation_amount": 200})
    res = run(tmp_path, hs, cs, {"interpretations": {"I-13": i13}}, fund=[fund_of(6000)], level_costs=CAP_COSTS)
    h1 = hosp_of(res, "H1")
    assert h1["violation_deduction"] == approx(100)
    assert h1["cap_deduction"] == pytest.approx(cut_h1, rel=1e-9, abs=1e-9)
    assert h1["final_payment"] == approx(final_h1)
    assert hosp_of(res, "H2")["final_payment"] == approx(final_h2)


def test_scenario_violation_amount_equals_the_same_figure_in_the_data(tmp_path):
    """hospital_data.violation_amount set in the scenario gives what the same amount in hospitals.csv
    gives (I-13 after bands: violation 200 × r 0.5 = 100, cap 60 shared 360 : 300)."""
    hs, cs = cap_city()
    res = run(tmp_path, hs, cs, {"hospital_data": {"violation_amount": {"H1": 200}}}, fund=[fund_of(6000)],
              level_costs=CAP_COSTS)
    h1 = hosp_of(res, "H1")
    assert h1["violation_deduction"] == approx(100)
    assert h1["final_payment"] == approx(3360 - 60 * 360 / 660 - 100)
    assert hosp_of(res, "H2")["final_payment"] == approx(2700 - 60 * 300 / 660)


def test_no_sharing_for_fraud_retained_kept_when_suspended(tmp_path):
    hs, cs = cap_city(h1={"fraud_penalized": True}, h2={"suspended": True})
    res = run(tmp_path, hs, cs, fund=[fund_of(6000)], level_costs=CAP_COSTS)
    h1, h2 = hosp_of(res, "H1"), hosp_of(res, "H2")
    # a = 0: SF = 1 000 × 0.92 × 6 × 0.5 = 2 760 for both
    # H1: u = 3 600 / 2 760 = 1.304 > 1 but fraud → no sharing, pay = SF = 2 760
    assert h1["score_fund"] == approx(2760)
    assert h1["band"] == "over_100" and h1["sharing"] == 0.0
    assert h1["pay_before_cap"] == approx(2760)
    # H2: u = 2 400 / 2 760 = 0.8696 → retained 10 % × 2 760 = 276 → pay 2 676
    assert h2["band"] == "70_90"
    assert h2["retained"] == approx(276) and h2["pay_before_cap"] == approx(2676)
    assert res.summary["schemes"]["employee"]["cap_deduction"] == 0.0   # 5 436 ≤ 6 000


def test_global_cap_function():
    pay, room = np.array([3360.0, 2700.0, 1000.0]), np.array([360.0, 300.0, 0.0])
    cut, total, unfunded = global_cap(pay, room, 6000.0, 7060.0)        # excess 1 060 > 660
    assert cut.tolist() == [approx(360), approx(300), 0.0] and total == approx(660)
    assert unfunded == approx(400)                                      # 1 060 − 660
    cut, total, unfunded = global_cap(pay, room, 7000.0, 7060.0)        # excess 60
    assert cut.tolist() == [approx(60 * 360 / 660), approx(60 * 300 / 660), 0.0]
    assert (total, unfunded) == (approx(60), 0.0)
    cut, total, unfunded = global_cap(pay, room, 7060.0, 7060.0)        # exactly at F: nothing
    assert cut.tolist() == [0.0, 0.0, 0.0] and (total, unfunded) == (0.0, 0.0)


# --- violations split across schemes --------------------------------------------------------------

def test_violation_split_across_schemes_by_cost(tmp_path):
    hs = [hospital("H1", violation_amount=1000)]
    cs = [case("E", "H1", "G1", 7200, 3600), case("R", "H1", "G2", 2800, 1400, scheme="resident")]
    res = run(tmp_path, hs, cs, fund=[fund_of(100000), fund_of(100000, "resident")])
    # employee share 1 000 × 7 200 / 10 000 = 720, × r 0.5 = 360; resident 280 × 0.5 = 140
    assert hosp_of(res, "H1", "employee")["violation_deduction"] == approx(360)
    assert hosp_of(res, "H1", "resident")["violation_deduction"] == approx(140)


# --- A-32 monthly pre-settlement and A-37 year-end ---------------------------------------------

def test_monthly_presettlement_and_year_end(tmp_path):
    hs = [hospital("H2", "2A", 2, violation_amount=100)]                     # K = 0.8
    cs = [case("J1", "H2", "G1", 9000, 4500, date="2024-01-20", self_pay=2000, other_insurance=500),
          case("F1", "H2", "G1", 8000, 4000, date="2024-02-10"),             # self_pay = 8 000 − 4 000
          case("F2", "H2", "G4", 2700, 1350, date="2024-02-25")]             # grassroots; self 1 350
    res = run(tmp_path, hs, cs, fund=[fund_of(10450)])
    # January: 800 × PV_b 10 − 2 000 − 500 = 5 500
    # February: (800 + 300) × 10 − (4 000 + 1 350) − 0 = 5 650
    m = res.monthly.set_index("hospital_id").loc["H2"]
    assert m["01"] == approx(5500) and m["02"] == approx(5650)
    assert m[[f"{i:02d}" for i in range(3, 13)]].tolist() == [0.0] * 10
    h = hosp_of(res, "H2")
    assert h["monthly_prepaid"] == approx(11150)
    # S = 1 900; ρ = r = 9 850 / 19 700 = 0.5; C = 20 900; PV = 11; SF = 1 900 × 11 × 0.5 = 10 450
    # u = 9 850 / 10 450 = 0.943 → pay = SF = 10 450 (= F, no cap); violation 100 × 0.5 = 50, once
    assert res.summary["schemes"]["employee"]["settlement_point_value"] == approx(11)
    assert h["pay_before_cap"] == approx(10450)
    assert h["violation_deduction"] == approx(50)
    assert h["final_payment"] == approx(10400)
    assert h["year_end_settlement"] == approx(-750)        # 10 400 − 11 150: the hospital pays back
