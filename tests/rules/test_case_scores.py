"""A-15 ¶2, A-18 … A-21, A-24: each case's type, bucket, ratio and score.

Reference data (tests/citykit.py): M = 10 000 so X yuan = X / 10 points; m_i = 10 × RW_i in every
category, so R = cost / (10·RW) and d = RW·(R − 1). Groups: G1 RW 1 000, G2 500, G3 2 000
(comprehensive), G4 300 (grassroots). H1 is 3A (K = 1.0), H2 is 2A (K = 0.8).
"""
from __future__ import annotations

import math

import pytest

from citykit import CATALOGUE, LEVEL_COSTS, LEVELS, case, case_of, hospital, kinds, run

approx = lambda x: pytest.approx(x, rel=1e-9)  # noqa: E731

H = [hospital("H1", "3A", 3), hospital("H2", "2A", 2)]


def scores(res):
    return res.cases.set_index("case_id")


# --- A-21 unmatched -----------------------------------------------------------------------------

def test_unmatched_for_qc_fail_late_upload_and_unknown_group(tmp_path):
    cases = [case("U1", "H2", "G1", 30000, qc_pass=False),          # would be special if matched
             case("U2", "H2", "G1", 5000, uploaded_on_time=False),
             case("U3", "H2", "GX", 3000),                           # no such group
             case("N1", "H2", "G1", 9000)]
    res = run(tmp_path, H, cases)
    c = scores(res)
    for cid in ("U1", "U2", "U3"):
        assert (c.loc[cid, "case_type"], c.loc[cid, "bucket"]) == ("unmatched", "core")
        assert math.isnan(c.loc[cid, "ratio"])
    assert c.loc["U1", "raw_score"] == approx(2400)        # 30 000 / 10 000 × 1 000 × 0.8
    assert c.loc["U2", "raw_score"] == approx(400)         # 5 000 / 10 × 0.8
    assert c.loc["U3", "raw_score"] == approx(240)         # 3 000 / 10 × 0.8
    assert c.loc["U3", "group_id"] == "GX"
    assert c.loc["U1", "weighted_score"] == approx(1920)   # 2 400 × K 0.8 (I-7 multiply)
    assert c.loc["N1", "case_type"] == "normal"            # d = 900 − 1 000 < 0: no special
    res = run(tmp_path / "b", H, cases, {"cases": {"unmatched_factor": 0.5}})
    assert case_of(res, "U2")["raw_score"] == approx(250)  # 5 000 / 10 × 0.5


# --- A-24 TCM advantage -------------------------------------------------------------------------

TCM_CATALOGUE = CATALOGUE + [{"group_id": "G5", "group_type": "core", "rw": 800, "tcm_standard": 7000}]
TCM_COSTS = LEVEL_COSTS + [{"group_id": "G5", "level": lv, "mean_cost": 8000} for lv in LEVELS]


def test_tcm_advantage_case_scored_from_its_standard(tmp_path):
    cases = [case("T1", "H2", "G5", 9000, tcm_advantage=True),       # d = 100 ≥ 0 but TCM comes first
             case("T2", "H2", "G1", 9000, tcm_advantage=True),       # group without a standard
             case("T3", "H2", "G5", 9000, tcm_advantage=True, qc_pass=False),
             case("T4", "H2", "G5", 7000)]                           # not flagged
    res = run(tmp_path, H, cases, catalogue=TCM_CATALOGUE, level_costs=TCM_COSTS)
    c = scores(res)
    assert (c.loc["T1", "case_type"], c.loc["T1", "bucket"]) == ("tcm", "tcm")
    assert c.loc["T1", "raw_score"] == approx(700)          # 7 000 / 10 000 × 1 000
    assert c.loc["T1", "weighted_score"] == approx(700)     # no hospital coefficient
    assert math.isnan(c.loc["T1", "ratio"])
    assert c.loc["T2", "case_type"] == "normal" and c.loc["T2", "raw_score"] == approx(1000)
    assert c.loc["T3", "case_type"] == "unmatched"          # unmatched is decided first
    assert c.loc["T4", "case_type"] == "normal" and c.loc["T4", "raw_score"] == approx(800)


def test_tcm_converted_with_budget_point_value_under_i2(tmp_path):
    cases = [case("T1", "H1", "G5", 9000, tcm_advantage=True),
             case("L1", "H1", "G1", 4000)]                           # R = 0.4: low
    res = run(tmp_path, H, cases, {"budget_point_value": 14, "interpretations": {"I-2": "budget_point_value"}},
              catalogue=TCM_CATALOGUE, level_costs=TCM_COSTS)
    assert case_of(res, "T1")["raw_score"] == approx(500)   # 7 000 / PV_b 14
    assert case_of(res, "L1")["raw_score"] == approx(4000 * 0.8 / 14)   # 3 200 / 14 = 228.571…


# --- A-20 special cases -------------------------------------------------------------------------

def test_500_eligible_cases_give_two_special_cases(tmp_path):
    # k = max(1, round_half_up(0.003 × 500 = 1.5)) = 2: the two largest d ≥ 0
    cases = [case(f"S{i:03d}", "H1", "G1", 9000) for i in range(4, 501)]        # 497 × d = −100
    cases += [case("S001", "H1", "G1", 12000),                                   # d = 1 200 − 1 000 = 200
              case("S002", "H1", "G1", 11000),                                   # d = 100
              case("S003", "H1", "G1", 10500),                                   # d = 50
              case("U001", "H1", "G1", 50000, qc_pass=False),                    # not eligible
              case("T001", "H1", "G5", 50000, tcm_advantage=True)]               # not eligible
    res = run(tmp_path, H, cases, catalogue=TCM_CATALOGUE, level_costs=TCM_COSTS)
    c = scores(res)
    assert (c["case_type"] == "special").sum() == 2
    assert kinds(res, "S001") == ("special", "special") and kinds(res, "S002") == ("special", "special")
    assert c.loc["S001", "raw_score"] == approx(1200)       # 12 000 / 10 000 × 1 000
    assert c.loc["S002", "raw_score"] == approx(1100)
    assert c.loc["S003", "case_type"] == "normal" and c.loc["S003", "ratio"] == approx(1.05)


def test_499_eligible_cases_give_one_special_case(tmp_path):
    # 0.003 × 499 = 1.497 → 1 (the unmatched case does not count towards N)
    cases = [case(f"S{i:03d}", "H1", "G1", 9000) for i in range(3, 500)]        # 497 cases
    cases += [case("S001", "H1", "G1", 12000), case("S002", "H1", "G1", 11000),
              case("U001", "H1", "G1", 9000, qc_pass=False)]
    res = run(tmp_path, H, cases)
    c = scores(res)
    assert (c["case_type"] == "special").sum() == 1
    assert c.loc["S001", "case_type"] == "special" and c.loc["S002", "case_type"] == "normal"


def test_floor_of_one_special_case_and_negative_d_dropped(tmp_path):
    cases = [case("A1", "H1", "G1", 11000),             # d = 100 → the one special case of H1
             case("A2", "H1", "G1", 10500),             # d = 50
             case("A3", "H1", "G1", 9000),              # d = −100
             case("B1", "H2", "G1", 9900),              # H2: every d < 0 → no special at all
             case("B2", "H2", "G2", 4000)]
    res = run(tmp_path, H, cases)
    c = scores(res)
    assert c.loc[c["case_type"] == "special"].index.tolist() == ["A1"]
    assert c.loc["A2", "case_type"] == "normal"


def test_ties_broken_by_smaller_case_id(tmp_path):
    cases = [case("B7", "H1", "G1", 11000), case("A9", "H1", "G1", 11000), case("C1", "H1", "G1", 9000)]
    res = run(tmp_path, H, cases)
    assert case_of(res, "A9")["case_type"] == "special"
    assert case_of(res, "B7")["case_type"] == "normal"


def test_difference_exactly_zero_is_kept_and_takes_no_coefficient(tmp_path):
    cases = [case("Z1", "H2", "G1", 10000),             # d = 10 000 / 10 000 × 1 000 − 1 000 = 0
             case("Z2", "H2", "G1", 9000)]
    res = run(tmp_path, H, cases)
    z = case_of(res, "Z1")
    assert (z["case_type"], z["bucket"]) == ("special", "special")
    assert z["raw_score"] == approx(1000) and z["weighted_score"] == approx(1000)   # not × 0.8
    assert case_of(res, "Z2")["weighted_score"] == approx(800)                       # 1 000 × 0.8


def test_special_is_never_a_deviation_case(tmp_path):
    cases = [case("X1", "H1", "G1", 25000), case("X2", "H1", "G1", 9000)]
    res = run(tmp_path, H, cases)
    x = case_of(res, "X1")
    assert x["case_type"] == "special"
    assert x["raw_score"] == approx(2500)             # cost score, not (2.5 − 1) × 1 000 = 1 500
    assert x["ratio"] == approx(2.5)                  # the ratio is still reported


def test_special_per_hospital_or_city_wide_i1(tmp_path):
    cases = [case("A1", "H1", "G1", 12000), case("A2", "H1", "G1", 9000),     # d = 200
             case("B1", "H2", "G1", 11000), case("B2", "H2", "G1", 9000),     # d = 100
             case("R1", "H2", "G1", 10500, scheme="resident")]                # d = 50, other scheme
    per = run(tmp_path, H, cases)
    assert sorted(per.cases.loc[per.cases["case_type"] == "special", "case_id"]) == ["A1", "B1", "R1"]
    city = run(tmp_path / "c", H, cases, {"interpretations": {"I-1": "city"}})
    # city-wide per scheme: employee N = 4 → k = max(1, round(0.012)) = 1 → A1 only; resident → R1
    assert sorted(city.cases.loc[city.cases["case_type"] == "special", "case_id"]) == ["A1", "R1"]


# --- A-19 deviation -----------------------------------------------------------------------------

def deviation_cases():
    return [case("X0", "H2", "G1", 40000),                        # the special case (d = 3 000)
            case("L1", "H2", "G1", 4000, ffs_amount=4500),        # R = 0.4
            case("L2", "H2", "G1", 3000),                         # R = 0.3
            case("HI", "H2", "G1", 25000),                        # R = 2.5
            case("B1", "H2", "G1", 5000),                         # R = 0.5 exactly
            case("B2", "H2", "G1", 20000)]                        # R = 2 exactly


def test_low_and_high_deviation_strict(tmp_path):
    res = run(tmp_path, H, deviation_cases())
    c = scores(res)
    assert kinds(res, "X0") == ("special", "special")
    assert (c.loc["L1", "case_type"], c.loc["L1", "bucket"]) == ("low", "core")
    assert c.loc["L1", "raw_score"] == approx(360)          # ffs_amount 4 500 × 0.8 / 10 000 × 1 000
    assert c.loc["L1", "weighted_score"] == approx(288)     # 360 × K 0.8
    assert c.loc["L2", "raw_score"] == approx(240)          # ffs_amount defaults to cost: 3 000 × 0.8 / 10
    assert c.loc["HI", "case_type"] == "high"
    assert c.loc["HI", "raw_score"] == approx(1500)         # (2.5 − 1) × 1 000
    assert c.loc["HI", "weighted_score"] == approx(1200)    # 1 500 × 0.8
    # I-11 strict: R = 0.5 and R = 2 are normal
    assert c.loc["B1", "case_type"] == "normal" and c.loc["B1", "raw_score"] == approx(1000)
    assert c.loc["B2", "case_type"] == "normal" and c.loc["B2", "raw_score"] == approx(1000)


def test_boundaries_inclusive_i11(tmp_path):
    res = run(tmp_path, H, deviation_cases(), {"interpretations": {"I-11": "inclusive"}})
    c = scores(res)
    assert c.loc["B1", "case_type"] == "low"
    assert c.loc["B1", "raw_score"] == approx(400)          # 5 000 × 0.8 / 10
    assert c.loc["B2", "case_type"] == "high"
    assert c.loc["B2", "raw_score"] == approx(1000)         # (2 − 1) × 1 000


def test_deviation_thresholds_and_factor_are_parameters(tmp_path):
    res = run(tmp_path, H, deviation_cases(),
              {"cases": {"low_ratio": 0.6, "high_ratio": 2.4, "low_factor": 0.5}})
    c = scores(res)
    assert c.loc["B1", "case_type"] == "low"                # 0.5 < 0.6
    assert c.loc["B1", "raw_score"] == approx(250)          # 5 000 × 0.5 / 10
    assert c.loc["B2", "case_type"] == "normal"             # 2 ≤ 2.4
    assert c.loc["HI", "case_type"] == "high"               # 2.5 > 2.4


def test_ratio_uses_the_hospitals_category_and_falls_back_to_the_group_mean(tmp_path):
    costs = [r for r in LEVEL_COSTS if not (r["group_id"] == "G2" and r["level"] == "2A")]
    costs = [dict(r, mean_cost=8000) if (r["group_id"], r["level"]) == ("G1", "2A") else r for r in costs]
    catalogue = [dict(r, policy_factor=1.1) if r["group_id"] == "G2" else r for r in CATALOGUE]
    cases = [case("C1", "H2", "G1", 4000),                  # 2A: R = 4 000 / 8 000 = 0.5 → normal
             case("C2", "H1", "G1", 4000),                  # 3A: R = 4 000 / 10 000 = 0.4 → low
             case("C3", "H2", "G2", 2000)]                  # no G2@2A: m = RW before the policy factor
                                                            # = 500 / 1 000 × 10 000 = 5 000
    res = run(tmp_path, H, cases, level_costs=costs, catalogue=catalogue)
    c = scores(res)
    assert c.loc["C1", "ratio"] == approx(0.5) and c.loc["C1", "case_type"] == "normal"
    assert c.loc["C2", "ratio"] == approx(0.4) and c.loc["C2", "case_type"] == "low"
    assert c.loc["C3", "ratio"] == approx(0.4) and c.loc["C3", "case_type"] == "low"
    assert any("1 case(s) have no prior-year cost" in w for w in res.summary["warnings"])


# --- A-18 auxiliary catalogue and A-16 policy factor ---------------------------------------------

AUX = [{"aux_type": "severity_2", "aux_coef": 0.1}, {"aux_type": "age_65_plus", "aux_coef": 0.05}]


def test_auxiliary_coefficient_multiplies_the_group_score(tmp_path):
    catalogue = [dict(r, policy_factor=1.1) if r["group_id"] == "G2" else r for r in CATALOGUE]
    cases = [case("X0", "H1", "G1", 40000),                              # special (d = 3 000)
             case("A1", "H1", "G1", 9000, aux_type="severity_2"),        # normal: 1 000 × 1.1
             case("A2", "H1", "G1", 25000, aux_type="severity_2"),       # high: (2.5 − 1) × 1 100
             case("A4", "H1", "G4", 2700, aux_type="age_65_plus"),       # grassroots: 300 × 1.05
             case("P1", "H1", "G2", 4500),                               # policy factor: 500 × 1.1
             case("P2", "H1", "G2", 4500, aux_type="severity_2"),        # 500 × 1.1 × 1.1
             case("Q1", "H1", "G1", 9000, aux_type="unknown_type"),      # unknown: coefficient 0
             # H2: the only case with R ≥ 1 has d = 10 500 / 10 − 1 100 = −50 < 0 → no special
             case("A3", "H2", "G1", 10500, aux_type="severity_2"), case("A5", "H2", "G1", 9000)]
    res = run(tmp_path, H, cases, aux=AUX, catalogue=catalogue)
    c = scores(res)
    assert c.loc["A1", "raw_score"] == approx(1100)
    assert c.loc["A2", "case_type"] == "high" and c.loc["A2", "raw_score"] == approx(1650)
    assert c.loc["A4", "case_type"] == "grassroots" and c.loc["A4", "raw_score"] == approx(315)
    assert c.loc["P1", "raw_score"] == approx(550)
    assert c.loc["P2", "raw_score"] == approx(605)
    assert c.loc["Q1", "raw_score"] == approx(1000)
    assert any("aux_type" in w for w in res.summary["warnings"])
    assert c.loc["A3", "case_type"] == "normal"
    assert c.loc["A3", "raw_score"] == approx(1100) and c.loc["A3", "weighted_score"] == approx(880)
    assert c.loc["X0", "raw_score"] == approx(4000)         # special: cost score, no aux


# --- A-15 ¶2 grassroots -------------------------------------------------------------------------

def stay(cid, pid, admit, discharge, hid="H2", group="G4", cost=2700, **kw):
    """A grassroots-group stay (G4, RW 300, m 3 000): cost 2 700 → R = 0.9, d = −30."""
    return case(cid, hid, group, cost, date=discharge, patient_id=pid, admit_date=admit, **kw)


def test_grassroots_case_keeps_its_score_without_coefficient(tmp_path):
    res = run(tmp_path, H, [stay("G1a", "P1", "2024-03-01", "2024-03-05"),
                            stay("LOW", "P2", "2024-04-01", "2024-04-05", cost=1000)])
    g = case_of(res, "G1a")
    assert (g["case_type"], g["bucket"]) == ("grassroots", "grassroots")
    assert g["raw_score"] == approx(300) and g["weighted_score"] == approx(300)   # no K (0.8)
    low = case_of(res, "LOW")                               # R = 1 000 / 3 000: low, still grassroots
    assert (low["case_type"], low["bucket"]) == ("low", "grassroots")
    assert low["raw_score"] == approx(80) and low["weighted_score"] == approx(80)  # 1 000 × 0.8 / 10


def test_readmission_at_14_days_loses_at_15_days_keeps(tmp_path):
    cases = [stay("a1", "P1", "2024-03-01", "2024-03-05"), stay("a2", "P1", "2024-03-19", "2024-03-22"),
             # gap 2024-03-19 − 2024-03-05 = 14 days → both lose
             stay("b1", "P2", "2024-04-01", "2024-04-05"), stay("b2", "P2", "2024-04-20", "2024-04-22")]
             # gap 2024-04-20 − 2024-04-05 = 15 days → both keep
    res = run(tmp_path, H, cases)
    for cid in ("a1", "a2"):
        r = case_of(res, cid)
        assert (r["case_type"], r["bucket"]) == ("normal", "core")
        assert r["raw_score"] == approx(300) and r["weighted_score"] == approx(240)  # 300 × K 0.8
    for cid in ("b1", "b2"):
        assert kinds(res, cid) == ("grassroots", "grassroots")


def test_readmission_window_is_a_parameter(tmp_path):
    cases = [stay("b1", "P2", "2024-04-01", "2024-04-05"), stay("b2", "P2", "2024-04-20", "2024-04-22")]
    res = run(tmp_path, H, cases, {"cases": {"readmit_days": 15}})      # gap 15 ≤ 15
    assert kinds(res, "b1") == ("normal", "core") and kinds(res, "b2") == ("normal", "core")


def test_readmission_across_hospitals_and_schemes(tmp_path):
    cases = [stay("c1", "P3", "2024-05-01", "2024-05-05", hid="H2"),
             stay("c2", "P3", "2024-05-10", "2024-05-12", hid="H1", scheme="resident")]
    res = run(tmp_path, H, cases)
    assert kinds(res, "c1") == ("normal", "core") and kinds(res, "c2") == ("normal", "core")
    assert case_of(res, "c1")["weighted_score"] == approx(240)     # 300 × 0.8 (H2)
    assert case_of(res, "c2")["weighted_score"] == approx(300)     # 300 × 1.0 (H1)


def test_readmission_needs_the_same_group_and_patient(tmp_path):
    cases = [stay("d1", "P4", "2024-06-01", "2024-06-05"),
             stay("d2", "P4", "2024-06-08", "2024-06-10", group="G1", cost=9000),   # another group
             stay("e1", "P5", "2024-06-01", "2024-06-05"),
             stay("e2", "P6", "2024-06-08", "2024-06-10")]                          # another patient
    res = run(tmp_path, H, cases)
    for cid in ("d1", "e1", "e2"):
        assert kinds(res, cid) == ("grassroots", "grassroots")


def test_missing_admit_date_uses_discharge_date(tmp_path):
    cases = [stay("f1", "P7", "2024-07-01", "2024-07-01"), stay("f2", "P7", None, "2024-07-10"),
             # gap = 2024-07-10 (discharge stands in) − 2024-07-01 = 9 days → both lose
             stay("g1", "P8", "2024-07-01", "2024-07-01"), stay("g2", "P8", None, "2024-07-20")]
             # gap 19 days → both keep
    res = run(tmp_path, H, cases)
    assert kinds(res, "f1") == ("normal", "core") and kinds(res, "f2") == ("normal", "core")
    assert kinds(res, "g1") == ("grassroots", "grassroots") and kinds(res, "g2") == ("grassroots", "grassroots")


def test_readmission_whatever_type_the_earlier_stay_ends_up_with(tmp_path):
    # h1 is H1's special case (G4 at 3 600: d = 360 − 300 = 60, the only d ≥ 0); h2 follows 5 days later
    cases = [stay("h1", "P9", "2024-08-01", "2024-08-05", hid="H1", cost=3600),
             stay("h2", "P9", "2024-08-10", "2024-08-12", hid="H1")]
    res = run(tmp_path, H, cases)
    assert kinds(res, "h1") == ("special", "special")
    assert kinds(res, "h2") == ("normal", "core")


def test_readmission_after_an_unmatched_stay(tmp_path):
    cases = [stay("k1", "P10", "2024-09-01", "2024-09-05", qc_pass=False),
             stay("k2", "P10", "2024-09-10", "2024-09-12")]           # gap 5 days, same group G4
    res = run(tmp_path, H, cases)
    assert kinds(res, "k1") == ("unmatched", "core")
    assert kinds(res, "k2") == ("normal", "core")                      # the engine keeps grassroots


@pytest.mark.parametrize("rule, expected", [("transfer_flag", ("normal", "core")),
                                            ("readmission_only", ("grassroots", "grassroots"))])
def test_transfer_flag_i12(tmp_path, rule, expected):
    cases = [stay("t1", "P11", "2024-10-01", "2024-10-05", transferred=True)]
    res = run(tmp_path, H, cases, {"interpretations": {"I-12": rule}})
    assert kinds(res, "t1") == expected


def test_lost_grassroots_scored_as_unmatched_under_i3(tmp_path):
    cases = [stay("a1", "P1", "2024-03-01", "2024-03-05"), stay("a2", "P1", "2024-03-19", "2024-03-22"),
             stay("b1", "P2", "2024-04-01", "2024-04-05")]
    res = run(tmp_path, H, cases, {"interpretations": {"I-3": "unmatched"}})
    for cid in ("a1", "a2"):
        r = case_of(res, cid)
        assert (r["case_type"], r["bucket"]) == ("unmatched", "core")
        assert r["raw_score"] == approx(216)                # 2 700 / 10 000 × 1 000 × 0.8
        assert r["weighted_score"] == approx(172.8)         # 216 × 0.8
    assert kinds(res, "b1") == ("grassroots", "grassroots")


def test_lost_grassroots_unmatched_has_no_ratio(tmp_path):
    cases = [stay("a1", "P1", "2024-03-01", "2024-03-05"), stay("a2", "P1", "2024-03-19", "2024-03-22")]
    res = run(tmp_path, H, cases, {"interpretations": {"I-3": "unmatched"}})
    assert case_of(res, "a1")["case_type"] == "unmatched"
    assert math.isnan(case_of(res, "a1")["ratio"])          # the engine reports 0.9


def test_special_count_rounding_with_a_many_digit_rate():
    """A-20 ¶1 count = round_half_up(rate × n), exact even when the rate's decimal form is long
    (0.003 × 1.2 = 0.0036000000000000003 in binary floating point)."""
    import numpy as np
    from dip_model.rules.rounding import count_half_up
    n = np.array([0, 1, 138, 139, 500, 1000, 1_000_000])
    # 0.0036·138 = 0.4968 → 0, ·139 = 0.5004 → 1, ·500 = 1.8 → 2, ·1000 = 3.6 → 4, ·1e6 = 3600.0000000000003 → 3600
    assert count_half_up(0.0036000000000000003, n).tolist() == [0, 0, 0, 1, 2, 4, 3600]
    assert count_half_up(0.003, np.array([500, 499, 167])).tolist() == [2, 1, 1]
