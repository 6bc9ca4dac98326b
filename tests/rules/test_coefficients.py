"""A-22, A-23, A-25 (I-5, I-6, I-10): level coefficient, bonus, hospital coefficient K_h.

Fixed level coefficients (tests/citykit.py): 3A 1.0, 3B 0.9, 2A 0.8, 2B 0.7, 1 0.6. Each hospital
has normal G1 cases (RW 1 000, cost 9 000, R = 0.9), so each case's weighted score is 1 000 × K_h.
"""
from __future__ import annotations

import pytest

from citykit import LEVEL_COSTS, case, case_of, hosp_of, hospital, run

approx = lambda x: pytest.approx(x, rel=1e-9)  # noqa: E731


def one_case_each(hospitals, cost=9000, **kw):
    return [case(f"C-{h['hospital_id']}", h["hospital_id"], "G1", cost, **kw) for h in hospitals]


def coef(res, hid):
    h = hosp_of(res, hid)
    return h["level_coef"], h["bonus"], h["hospital_coef"]


# --- A-22 level coefficient ---------------------------------------------------------------------

def test_level_coefficient_override(tmp_path):
    hs = [hospital("H1", "3A", 3), hospital("H2", "2A", 2)]
    res = run(tmp_path, hs, one_case_each(hs), {"coefficients": {"level": {"2A": 0.75}}})
    assert coef(res, "H2") == (approx(0.75), 0.0, approx(0.75))
    assert case_of(res, "C-H2")["weighted_score"] == approx(750)       # 1 000 × 0.75
    assert hosp_of(res, "H2")["total_score"] == approx(750)
    assert coef(res, "H1")[0] == approx(1.0)


# --- A-23 bonus -----------------------------------------------------------------------------------

@pytest.mark.parametrize("given, cap, expected", [
    (0.05, 0.1, 0.05),      # under the cap
    (0.2, 0.1, 0.1),        # min(0.2, 0.1)
    (0.2, 0.15, 0.15),      # min(0.2, 0.15)
])
def test_bonus_column_capped(tmp_path, given, cap, expected):
    hs = [hospital("H1", "3A", 3, bonus=given)]
    res = run(tmp_path, hs, one_case_each(hs), {"coefficients": {"bonus_cap": cap}})
    k, b, K = coef(res, "H1")
    assert b == approx(expected)
    assert K == approx(1.0 * (1 + expected))                          # I-5 multiply: k_L (1 + bonus)


RULES = {"cmi": [{"min": 1.0, "add": 0.01}],
         "elderly_share": [{"min": 0.3, "add": 0.02}, {"min": 0.5, "add": 0.04}],
         "child_share": [{"min": 0.2, "add": 0.01}],
         "key_specialty": {"national": 0.01, "provincial": 0.005, "city": 0.0},
         "tcm_hospital": {"decoction_pieces_rate": [{"min": 0.3, "add": 0.02}], "non_drug_therapy_rate": []}}


def bonus_city():
    hs = [hospital("H1", "3A", 3, key_specialty_national=2, key_specialty_provincial=0, decoction_pieces_rate=0.4),
          hospital("H2", "2A", 2, key_specialty_national=0, key_specialty_provincial=1, decoction_pieces_rate=""),
          hospital("H3", "2A", 2, key_specialty_national=3, key_specialty_provincial=0, bonus=0.03,
                   decoction_pieces_rate=""),
          hospital("H4", "2A", 2, type="tcm", key_specialty_national=0, key_specialty_provincial=0,
                   decoction_pieces_rate=0.4)]
    ages = [70, 80, 66, 40, 10]
    cases = [case(f"A{i}", "H1", "G1", 9000, age=a) for i, a in enumerate(ages)]
    cases += [case("B1", "H2", "G2", 4500, age=30), case("B2", "H2", "G2", 4500, age=40)]
    cases += [case("C1", "H3", "G1", 9000, age=70), case("D1", "H4", "G2", 4500, age=50)]
    return hs, cases


def test_bonus_from_the_rules(tmp_path):
    hs, cases = bonus_city()
    res = run(tmp_path, hs, cases, {"coefficients": {"bonus_rules": RULES}})
    # H1: CMI = 1 000 / 1 000 = 1.0 → 0.01; ≥ 65 share 3/5 = 0.6 → highest tier reached 0.04;
    #     ≤ 14 share 1/5 = 0.2 → 0.01; 2 national key specialties × 0.01 = 0.02;
    #     not a TCM hospital (its decoction rate does not count) → 0.01 + 0.04 + 0.01 + 0.02 = 0.08
    assert coef(res, "H1")[1] == approx(0.08)
    assert coef(res, "H1")[2] == approx(1.08)                 # 1.0 × (1 + 0.08)
    # H2: CMI 0.5, no elderly or children; 1 provincial × 0.005 = 0.005
    assert coef(res, "H2")[1] == approx(0.005)
    assert coef(res, "H2")[2] == approx(0.8 * 1.005)         # 0.804
    # H3: its bonus column wins over the rules (3 national specialties would give 0.03 + 0.01 + …)
    assert coef(res, "H3")[1] == approx(0.03)
    # H4: TCM hospital, decoction-pieces rate 0.4 ≥ 0.3 → 0.02 (CMI 0.5, age 50: nothing else)
    assert coef(res, "H4")[1] == approx(0.02)


def test_bonus_from_the_rules_is_capped(tmp_path):
    hs, cases = bonus_city()
    res = run(tmp_path, hs, cases, {"coefficients": {"bonus_rules": RULES, "bonus_cap": 0.05}})
    assert coef(res, "H1")[1] == approx(0.05)                 # min(0.08, 0.05)
    assert coef(res, "H2")[1] == approx(0.005)


def test_builtin_bonus_rules_give_zero(tmp_path):
    hs, cases = bonus_city()
    res = run(tmp_path, hs, cases)
    assert coef(res, "H1")[1] == 0.0 and coef(res, "H2")[1] == 0.0
    assert coef(res, "H3")[1] == approx(0.03)                 # the column still applies


# --- I-5 combination ------------------------------------------------------------------------------

@pytest.mark.parametrize("how, K", [("multiply", 0.84),     # 0.8 × (1 + 0.05)
                                    ("add", 0.85),          # 0.8 + 0.05
                                    ("level_only", 0.8)])   # 0.8
def test_combine_level_and_bonus_i5(tmp_path, how, K):
    hs = [hospital("H2", "2A", 2, bonus=0.05)]
    res = run(tmp_path, hs, one_case_each(hs), {"coefficients": {"combine": how}})
    assert coef(res, "H2")[2] == approx(K)
    assert case_of(res, "C-H2")["weighted_score"] == approx(1000 * K)


# --- A-25 special situations ----------------------------------------------------------------------

def test_new_hospital_takes_lowest_coefficient_of_its_grade(tmp_path):
    costs = [dict(r, mean_cost=8000) if (r["group_id"], r["level"]) == ("G1", "2A") else
             dict(r, mean_cost=6000) if (r["group_id"], r["level"]) == ("G1", "2B") else r
             for r in LEVEL_COSTS]
    hs = [hospital("N2", "2A", 2, is_new=True, bonus=0.05, assessment_score=50),
          hospital("N3", "3A", 3, is_new=True),
          hospital("N1", "1", 1, is_new=True)]
    res = run(tmp_path, hs, one_case_each(hs, cost=4000), level_costs=costs)
    # grade 2: min(2A 0.8, 2B 0.7) = 0.7; bonus 0 for a new hospital → K = 0.7; assessment 1
    assert coef(res, "N2") == (approx(0.7), 0.0, approx(0.7))
    assert hosp_of(res, "N2")["assessment_coef"] == 1.0
    # its level costs stay those of its own category 2A: R = 4 000 / 8 000 = 0.5 (normal, I-11 strict)
    assert case_of(res, "C-N2")["ratio"] == approx(0.5)
    assert case_of(res, "C-N2")["case_type"] == "normal"
    assert coef(res, "N3")[0] == approx(0.9)                  # grade 3: min(3A 1.0, 3B 0.9)
    assert coef(res, "N1")[0] == approx(0.6)                  # grade 1: only "1" = 0.6


def test_suspended_hospital_keeps_level_coefficient_bonus_zero(tmp_path):
    hs = [hospital("S1", "2A", 2, suspended=True, bonus=0.05)]
    res = run(tmp_path, hs, one_case_each(hs))
    assert coef(res, "S1") == (approx(0.8), 0.0, approx(0.8))


@pytest.mark.parametrize("date, i6, k, ratio", [
    ("2024-06-29", "new", 1.0, 0.4),    # before 30 June: new category 3A (m = 10 000)
    ("2024-06-30", "new", 1.0, 0.4),    # on 30 June, I-6 default: new
    ("2024-06-30", "old", 0.8, 0.5),    # on 30 June, I-6 alternative: old category 2A (m = 8 000)
    ("2024-07-01", "new", 0.8, 0.5),    # after 30 June: old
])
def test_level_change_cutoff_i6(tmp_path, date, i6, k, ratio):
    costs = [dict(r, mean_cost=8000) if (r["group_id"], r["level"]) == ("G1", "2A") else r for r in LEVEL_COSTS]
    hs = [hospital("H1", "3A", 3, level_change_date=date, prev_level="2A")]
    res = run(tmp_path, hs, one_case_each(hs, cost=4000), {"interpretations": {"I-6": i6}}, level_costs=costs)
    assert coef(res, "H1")[0] == approx(k)
    # the same category picks the prior-year level cost: 4 000 / 10 000 = 0.4 or 4 000 / 8 000 = 0.5
    assert case_of(res, "C-H1")["ratio"] == approx(ratio)


# --- I-10 category by level and reimbursement level ---------------------------------------------

def test_category_by_level_and_reimbursement_level_i10(tmp_path):
    hs = [hospital("H1", "3A", 3), hospital("H5", "3A", 2), hospital("N2", "2A", 2, is_new=True)]
    changes = {"interpretations": {"I-10": "level_reimb"}, "coefficients": {"level": {"3A/r2": 0.95}}}
    res = run(tmp_path, hs, one_case_each(hs), changes)
    assert coef(res, "H5")[0] == approx(0.95)                 # its own key 3A/r2
    assert coef(res, "H1")[0] == approx(1.0)                  # 3A/r3 not given: falls back to 3A
    assert coef(res, "N2")[0] == approx(0.7)                  # new, grade 2: min(2A 0.8, 2B 0.7)
    assert case_of(res, "C-H5")["ratio"] == approx(0.9)       # level costs fall back to 3A: 9 000 / 10 000
    res = run(tmp_path / "b", hs, one_case_each(hs), {"coefficients": {"level": {"3A/r2": 0.95}}})
    assert coef(res, "H5")[0] == approx(1.0)                  # I-10 = level: the category is 3A
