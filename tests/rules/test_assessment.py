"""K-9, K-10 (A-29, K-6): the assessment coefficient and its 8 % share of the score fund."""
from __future__ import annotations

import pytest

from citykit import case, fund_row, hosp_of, hospital, run

approx = lambda x: pytest.approx(x, rel=1e-9)  # noqa: E731


def one_case_each(hospitals):
    return [case(f"C-{h['hospital_id']}", h["hospital_id"], "G1", 9000) for h in hospitals]


def test_assessment_coefficient_k9_k10(tmp_path):
    hs = [hospital("A", assessment_score=45, assessment_max=50),      # 45 / 50 = 0.9
          hospital("B", assessment_score=72),                         # 72 / 100 (default max) = 0.72
          hospital("C"),                                              # score defaults to the max: 1
          hospital("N", is_new=True, assessment_score=30),            # new: 1 (K-10)
          hospital("S", suspended=True, assessment_score=95),         # suspended: 0 (K-10)
          hospital("F", fraud_penalized=True, assessment_score=95)]   # fraud: 0 (K-10)
    res = run(tmp_path, hs, one_case_each(hs))
    got = {h: hosp_of(res, h)["assessment_coef"] for h in "ABCNSF"}
    assert got == {"A": approx(0.9), "B": approx(0.72), "C": 1.0, "N": 1.0, "S": 0.0, "F": 0.0}


@pytest.mark.parametrize("share, sf", [
    # S = 1 000, PV = C / S = (5 000 / 0.5) / 1 000 = 10, r = 4 500 / 9 000 = 0.5, a = 0.9
    (0.08, 4960.0),   # (1 000 × 0.92 + 1 000 × 0.08 × 0.9) × 10 × 0.5 = (920 + 72) × 5
    (0.10, 4950.0),   # (1 000 × 0.90 + 1 000 × 0.10 × 0.9) × 10 × 0.5 = (900 + 90) × 5
])
def test_assessment_share_of_the_score_fund(tmp_path, share, sf):
    hs = [hospital("A", assessment_score=90)]
    fund = [fund_row("employee", prior_expenditure=5000, prior_revenue=5000)]
    res = run(tmp_path, hs, one_case_each(hs), {"assessment_share": share}, fund=fund)
    assert res.summary["schemes"]["employee"]["settlement_point_value"] == approx(10)
    assert hosp_of(res, "A")["score_fund"] == approx(sf)


def test_zero_assessment_keeps_92_percent(tmp_path):
    hs = [hospital("S", suspended=True)]
    fund = [fund_row("employee", prior_expenditure=5000, prior_revenue=5000)]
    res = run(tmp_path, hs, one_case_each(hs), fund=fund)
    assert hosp_of(res, "S")["score_fund"] == approx(4600)    # 1 000 × 0.92 × 10 × 0.5


def test_scenario_assessment_scores_replace_the_data(tmp_path):
    """hospital_data.assessment_score: a what-if score for one hospital, the others keep hospitals.csv.
    A: 45 → 40 of 50 gives a = 0.8; score fund (1 000 × 0.92 + 1 000 × 0.08 × 0.8) × 10 × 0.5 = 4 920."""
    import dip_model
    hs = [hospital("A", assessment_score=45, assessment_max=50), hospital("B", assessment_score=72)]
    fund = [fund_row("employee", prior_expenditure=10000, prior_revenue=10000)]
    res = run(tmp_path, hs, one_case_each(hs), {"hospital_data": {"assessment_score": {"A": 40}}}, fund=fund)
    assert hosp_of(res, "A")["assessment_coef"] == approx(0.8)
    assert hosp_of(res, "B")["assessment_coef"] == approx(0.72)
    assert hosp_of(res, "A")["score_fund"] == approx(4920.0)
    assert res.hospital_data.set_index("hospital_id").loc["A", "assessment_score"] == 40
    assert res.data.hospitals.set_index("hospital_id").loc["A", "assessment_score"] == 45   # data untouched
    data = dip_model.load_data(tmp_path)
    with pytest.raises(dip_model.ParameterError, match="unknown hospital"):
        dip_model.simulate(data, {"hospital_data": {"assessment_score": {"Z9": 50}}})
    with pytest.raises(dip_model.ParameterError, match="above its maximum"):
        dip_model.simulate(data, {"hospital_data": {"assessment_score": {"A": 51}}})
    with pytest.raises(dip_model.ParameterError, match="hospital_data.violation_amount.B"):
        dip_model.simulate(data, {"hospital_data": {"violation_amount": {"B": -1}}})
