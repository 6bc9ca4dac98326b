"""The hospital views (dip_model/analysis/hospital_*.py): payment and margin per case, group and department
margins that sum exactly to the hospital's totals, the reasons of a loss, deviation warnings, special-case
candidates, CMI and case mix.

The tiny city (tests/citykit.py: M = 10 000, m_i = 10 · RW at every level, so R = cost / (10 · RW); fee-for-
service fund half the cost, so self-pay is the other half) has two hospitals in the employee scheme:
H1 (2A, K = 0.8) and H2 (3A, K = 1). Worked by hand:

    H1: S1 G3 60 000 (R 3, the special case, 6 000), A1 G1 9 000 (normal 1 000 → 800), A2 G1 25 000 (R 2.5,
        high: 1.5 × 1 000 = 1 500 → 1 200), A3 G2 2 400 (R 0.48, low: 0.8 × 2 400 / 10 = 192 → 153.6),
        A4 G2 5 500 (500 → 400), A5 G1 19 000 (R 1.9, 1 000 → 800), A6 G2 2 750 (R 0.55, 500 → 400)
        S = 0.8 × 4 692 + 6 000 = 9 753.6
    H2: B1 G1 10 000 (1 000), B2 G2 5 000 (500), B3 G3 61 000 (special, 6 100): S = 7 600
    fund: DIP cost payable C = 200 000, fund payable F = 100 000
    PV = 200 000 / 17 353.6 = 11.5249… → 11.525
    SF_H1 = 9 753.6 × 11.525 × 0.5 = 56 205.12, u = 61 825 / 56 205.12 = 1.09999 → sharing 0.7 × (61 825 −
        56 205.12) = 3 933.916, pay 60 139.036
    SF_H2 = 7 600 × 11.525 × 0.5 = 43 795, u = 0.8677 → retained 10 % = 4 379.5, pay 38 000 + 4 379.5
    cap: Σ pay = 102 518.536 exceeds F by 2 518.536, cut 3 933.916 : 4 379.5
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dip_model
from citykit import case, fund_row, hospital, load_city, params
from dip_model.analysis.hospital_cases import SETTLEMENT_PARTS, case_margins, hospital_totals
from dip_model.analysis.hospital_margins import group_margins, has_breakdown, margins_by
from dip_model.analysis.hospital_mix import load_city_averages, mix_profile
from dip_model.analysis.hospital_warnings import deviation_warnings, special_candidates, zone_summary
from dip_model.errors import DipError, ParameterError

HOSPITALS = [hospital("H1", "2A", 2), hospital("H2")]
FUND = [fund_row("employee", prior_expenditure=100_000, prior_revenue=100_000, revenue=105_000)]
REL = 1e-9

S_H1 = 0.8 * (1000 + 1500 + 192 + 500 + 1000 + 500) + 6000
PV = 11.525
SF_H1, SF_H2 = S_H1 * PV * 0.5, 7600 * PV * 0.5
SHARING_H1 = 0.7 * (61_825 - SF_H1)
RETAINED_H2 = 0.1 * SF_H2
EXCESS = (SF_H1 + SHARING_H1) + (38_000 + RETAINED_H2) - 100_000
CAP_H1 = EXCESS * SHARING_H1 / (SHARING_H1 + RETAINED_H2)
FINAL_H1 = SF_H1 + SHARING_H1 - CAP_H1


def tiny_cases(**extra) -> list[dict]:
    rows = [case("S1", "H1", "G3", 60000), case("A1", "H1", "G1", 9000), case("A2", "H1", "G1", 25000),
            case("A3", "H1", "G2", 2400), case("A4", "H1", "G2", 5500), case("A5", "H1", "G1", 19000),
            case("A6", "H1", "G2", 2750), case("B1", "H2", "G1", 10000), case("B2", "H2", "G2", 5000),
            case("B3", "H2", "G3", 61000)]
    for r in rows:
        r.update({k: v.get(r["case_id"]) for k, v in extra.items()})
    return rows


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    data = load_city(tmp_path_factory.mktemp("tiny"), HOSPITALS, tiny_cases(), fund=FUND)
    return data


@pytest.fixture(scope="module")
def res(tiny):
    return dip_model.simulate(tiny, params())


def close(a, b, rel=REL, scale=None):
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel * (scale if scale is not None else max(abs(a), abs(b), 1.0)))


# ---------------------------------------------------------------- payment per case, by hand
def test_the_engine_settles_the_tiny_city_as_worked_by_hand(res):
    h = res.hospitals.set_index("hospital_id")
    assert h.at["H1", "total_score"] == pytest.approx(S_H1) and h.at["H1", "point_value"] == PV
    assert h.at["H1", "sharing"] == pytest.approx(SHARING_H1) and h.at["H2", "retained"] == pytest.approx(RETAINED_H2)
    assert h.at["H1", "cap_deduction"] == pytest.approx(CAP_H1)
    assert h.at["H1", "final_payment"] == pytest.approx(FINAL_H1)


def test_a_case_is_paid_its_share_of_the_final_payment_by_weighted_score(res):
    f = case_margins(res, "H1").set_index("case_id")
    a1 = f.loc["A1"]
    assert a1["weighted_score"] == pytest.approx(800.0) and a1["share"] == pytest.approx(800 / S_H1)
    assert a1["fund_payment"] == pytest.approx(FINAL_H1 * 800 / S_H1)
    assert a1["payment"] == pytest.approx(FINAL_H1 * 800 / S_H1 + 4500)           # + self-pay 9 000 − 4 500
    assert a1["margin"] == pytest.approx(FINAL_H1 * 800 / S_H1 + 4500 - 9000)
    # the band and cap steps, allocated by the same weight
    assert a1["score_fund"] == pytest.approx(SF_H1 * 800 / S_H1)
    assert a1["sharing"] == pytest.approx(SHARING_H1 * 800 / S_H1)
    assert a1["cap_deduction"] == pytest.approx(CAP_H1 * 800 / S_H1)
    assert a1["ffs_adjustment"] == pytest.approx(0.0, abs=1e-9) and a1["retained"] == 0.0
    # the special case takes no coefficient; the low case does (I-7 multiply)
    assert f.loc["S1", "weighted_score"] == 6000.0 and f.loc["A3", "weighted_score"] == pytest.approx(153.6)
    # H2 is in the 70–90 % band: paid its fee-for-service amount plus 10 % of the score fund
    b = case_margins(res, "H2").set_index("case_id")
    assert b["ffs_adjustment"].sum() == pytest.approx(38_000 - SF_H2)
    assert b.loc["B1", "retained"] == pytest.approx(RETAINED_H2 * 1000 / 7600)


def test_group_margins_by_hand(res):
    g = group_margins(res, "H1").set_index("group_id")
    assert list(g.index) == ["G1", "G2", "G3"]                         # ranked by margin, the largest loss first
    w = 800 + 1200 + 800                                                # A1, A2, A5
    assert g.at["G1", "cases"] == 3 and g.at["G1", "total_cost"] == 53_000
    assert g.at["G1", "payment"] == pytest.approx(FINAL_H1 * w / S_H1 + 26_500)
    assert g.at["G1", "margin"] == pytest.approx(FINAL_H1 * w / S_H1 + 26_500 - 53_000)
    assert g.at["G1", "margin_per_case"] == pytest.approx(g.at["G1", "margin"] / 3)
    assert g.at["G1", "n_high"] == 1 and g.at["G1", "deviation_cases"] == 1
    assert g.at["G1", "deviation_share"] == pytest.approx(1 / 3)
    assert g.at["G1", "deviation_cost_gap"] == pytest.approx(25_000 - 10_000)
    assert g.at["G1", "level_cost"] == pytest.approx(10_000) and g.at["G1", "cost_ratio"] == pytest.approx(53_000 / 30_000)
    assert g.at["G1", "excess_cost"] == pytest.approx((9_000 - 10_000) + (19_000 - 10_000))      # A1, A5
    per_point = FINAL_H1 / S_H1
    assert g.at["G1", "coef_effect"] == pytest.approx(-0.2 * (1000 + 1500 + 1000) * per_point)
    assert g.at["G2", "n_low"] == 1
    assert bool(g.at["G1", "large_loss"]) and g.at["G1", "reason"] == "cost_level"
    assert g.at["G1", "reasons"].split(";") == ["cost_level", "deviation", "level_coef"]
    text = g.at["G1", "reason_text"]
    assert "8,000.00 yuan" in str(text) and "非偏差病例多花 8,000.00 元" in text.text("zh")
    assert g.at["G3", "margin"] > 0 and g.at["G3", "reason"] == ""


# ---------------------------------------------------------------- sums
def assert_sums(res, hid, table, schemes=None):
    tot = hospital_totals(res, hid, schemes)
    scale = tot["total_cost"]
    for c in ("total_cost", "self_pay", "other_insurance", "fund_payment", "payment", "margin") + SETTLEMENT_PARTS:
        assert close(float(table[c].sum()), tot[c], scale=scale), (hid, c, float(table[c].sum()), tot[c])
    assert int(table["cases"].sum()) == tot["cases"]


def test_groups_sum_exactly_to_the_hospital_totals(res):
    for hid in ("H1", "H2"):
        assert_sums(res, hid, group_margins(res, hid))
    tot = hospital_totals(res, "H1")
    assert tot["payment"] == pytest.approx(FINAL_H1 + 0.5 * 123_650)       # + self-pay: half of H1's cost
    assert tot["margin"] == pytest.approx(FINAL_H1 - 0.5 * 123_650)


def test_groups_sum_to_the_totals_on_the_synthetic_city(data):
    res = dip_model.simulate(data, dip_model.load_params())
    for hid in res.hospitals["hospital_id"].unique()[:25]:
        g = group_margins(res, hid)
        assert_sums(res, hid, g)
        f = case_margins(res, hid)
        for s, part in f.groupby("scheme"):                            # Σ fund payment = final payment
            row = res.hospitals[(res.hospitals["hospital_id"] == hid) & (res.hospitals["scheme"] == s)].iloc[0]
            assert close(part["fund_payment"].sum(), row["final_payment"], scale=row["total_cost"])
            assert close(part["weighted_score"].sum(), row["total_score"])
    one = res.hospitals["hospital_id"].iloc[0]
    assert_sums(res, one, group_margins(res, one, ["resident"]), ["resident"])
    # weighted scores are those of Results.cases
    c = res.cases[res.cases["hospital_id"] == one].set_index("case_id")["weighted_score"]
    f = case_margins(res, one).set_index("case_id")["weighted_score"]
    assert np.allclose(f.to_numpy(), c.loc[f.index].to_numpy(), rtol=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(growth=st.floats(-0.3, 0.3), share=st.floats(0.0, 0.3), level=st.floats(0.5, 1.2),
       violation=st.floats(0.0, 50_000.0), rate=st.floats(0.0, 0.9), i7=st.sampled_from(["multiply", "no_multiply"]))
def test_margins_sum_to_the_totals_for_any_parameters(tiny, growth, share, level, violation, rate, i7):
    p = params({"budget": {"growth_rate": growth}, "assessment_share": share,
                "coefficients": {"level": {"2A": level}}, "hospital_data": {"violation_amount": {"H2": violation}},
                "sharing": {"employee": {"overspend": [{"to": 1.1, "rate": rate}, {"to": 1.2, "rate": rate / 2}]}},
                "interpretations": {"I-7": i7}})
    res = dip_model.simulate(tiny, p)
    for hid in ("H1", "H2"):
        assert_sums(res, hid, group_margins(res, hid))
        assert_sums(res, hid, case_margins(res, hid).assign(cases=1))


# ---------------------------------------------------------------- reasons
def test_a_group_made_of_deviation_cases_loses_for_the_deviation_reason(tmp_path):
    base = tiny_cases() + [case(f"D{i}", "H2", "G2", 5000) for i in range(3)]
    res = dip_model.simulate(load_city(tmp_path / "a", HOSPITALS, base, fund=FUND), params())
    g = group_margins(res, "H2").set_index("group_id")
    assert g.at["G2", "deviation_cases"] == 0 and g.at["G2", "reason"] != "deviation"
    dear = tiny_cases() + [case(f"D{i}", "H2", "G2", 12000) for i in range(3)]     # R = 2.4: high cases
    res = dip_model.simulate(load_city(tmp_path / "b", HOSPITALS, dear, fund=FUND), params())
    g = group_margins(res, "H2").set_index("group_id")
    assert g.at["G2", "n_high"] == 3 and g.at["G2", "margin"] < 0 and bool(g.at["G2", "large_loss"])
    assert g.at["G2", "reason"] == "deviation"
    assert g.at["G2", "deviation_margin"] == pytest.approx(
        case_margins(res, "H2").query("case_type == 'high'")["margin"].sum())
    assert "3 of 4 cases (75%) are deviation cases" in str(g.at["G2", "reason_text"])
    assert "4 例中 3 例（75%）为偏差病例" in g.at["G2", "reason_text"].text("zh")


# ---------------------------------------------------------------- deviation warnings and special cases
def test_deviation_warnings_by_hand(res):
    w = deviation_warnings(res, "H1").set_index("case_id")
    assert list(w["zone"]) == ["near_low", "near_high", "low_edge", "high_far"]
    a6, a5, a3, a2 = (w.loc[c] for c in ("A6", "A5", "A3", "A2"))
    # A6: normal at R 0.55, as a low case 0.8 × 2 750 / 10 = 220
    assert (a6["score_now"], a6["score_other"]) == (500.0, pytest.approx(220.0))
    assert a6["weighted_diff"] == pytest.approx(-280 * 0.8) and a6["yuan_diff"] == pytest.approx(-280 * 0.8 * PV)
    assert a6["cost_to_threshold"] == pytest.approx(0.5 * 5000 - 2750)
    # A5: normal at R 1.9, as a high case (1.9 − 1) × 1 000 = 900
    assert (a5["score_now"], a5["score_other"]) == (1000.0, pytest.approx(900.0))
    assert a5["yuan_diff"] == pytest.approx(-100 * 0.8 * PV) and a5["cost_to_threshold"] == pytest.approx(1000.0)
    assert a5["payment_diff"] == pytest.approx(-100 * 0.8 * FINAL_H1 / S_H1)
    # A3: low at R 0.48 (192), normal across the threshold (500); A2: high at 2.5 (1 500), normal 1 000
    assert (a3["score_now"], a3["score_other"], a3["weighted_diff"]) == (192.0, 500.0, pytest.approx(308 * 0.8))
    assert (a2["score_now"], a2["score_other"], a2["yuan_diff"]) == (1500.0, 1000.0, pytest.approx(-400 * PV))
    assert "A1" not in w.index and "A4" not in w.index and "S1" not in w.index
    z = zone_summary(deviation_warnings(res, "H1")).set_index("zone")
    assert z.loc["near_low", "cases"] == 1 and z.loc["low_far", "cases"] == 0


def test_deviation_zones_follow_i11(tiny):
    res = dip_model.simulate(tiny, params({"interpretations": {"I-11": "inclusive"}, "cases": {"high_ratio": 1.9}}))
    w = deviation_warnings(res, "H1").set_index("case_id")
    assert w.loc["A5", "zone"] == "high_edge" and w.loc["A5", "case_type"] == "high"       # R = 1.9 ≥ 1.9
    assert w.loc["A5", "score_other"] == 1000.0


def test_special_candidates_by_hand(res):
    s = special_candidates(res, "H1").set_index("case_id")
    assert list(s.index) == ["S1", "A2", "A5", "A4"]                     # d: 4 000, 1 500, 900, 50; A1 below 0
    assert list(s["status"]) == ["in", "next", "next", "next"] and list(s["rank"]) == [1, 2, 3, 4]
    assert set(s["quota"]) == {1} and set(s["pool_cases"]) == {7}
    # S1 as a special case 6 000; otherwise high at R 3: (3 − 1) × 2 000 × 0.8 = 3 200
    assert s.loc["S1", "score_otherwise"] == pytest.approx(3200.0) and s.loc["S1", "gain_yuan"] == pytest.approx(2800 * PV)
    # A2 would score its cost, 2 500, against its 1 200 now
    assert s.loc["A2", "difference"] == pytest.approx(1500.0) and s.loc["A2", "gain_score"] == pytest.approx(1300.0)


def test_special_candidates_ranked_across_the_city(tiny):
    res = dip_model.simulate(tiny, params({"interpretations": {"I-1": "city"}}))
    s = special_candidates(res, "H1").set_index("case_id")
    assert set(s["pool_cases"]) == {10} and set(s["quota"]) == {1}
    assert s.loc["S1", "rank"] == 2 and s.loc["S1", "status"] == "next"          # B3 (d 4 100) is the city's
    assert s.loc["A2", "rank"] == 3


# ---------------------------------------------------------------- departments and doctors
def test_margins_by_department_and_doctor(tmp_path):
    dept = {"S1": "外科", "A1": "内科", "A2": "外科", "A3": "内科", "A4": "内科", "A5": "心内科", "B1": "内科"}
    doctor = {"S1": "张", "A1": "李", "A2": "张", "A3": "李", "A4": "王", "A5": "王", "A6": "王"}
    data = load_city(tmp_path, HOSPITALS, tiny_cases(department=dept, doctor=doctor), fund=FUND)
    res = dip_model.simulate(data, params())
    assert has_breakdown(res, "department") and has_breakdown(res, "doctor")
    d = margins_by(res, "H1", "department").set_index("department")
    assert set(d.index) == {"外科", "内科", "心内科", ""}                  # A6 has none
    assert d.at["外科", "cases"] == 2 and d.at["外科", "groups"] == 2 and d.at["外科", "n_high"] == 1
    f = case_margins(res, "H1").set_index("case_id")
    assert d.at["外科", "margin"] == pytest.approx(f.loc[["S1", "A2"], "margin"].sum())
    assert_sums(res, "H1", d)
    doc = margins_by(res, "H1", "doctor").set_index("doctor")
    assert doc.at["王", "cases"] == 3 and doc.at["王", "deviation_cases"] == 0
    assert_sums(res, "H1", doc)
    w = deviation_warnings(res, "H1").set_index("case_id")
    assert w.loc["A5", "department"] == "心内科" and w.loc["A5", "doctor"] == "王"


def test_no_department_column_is_a_clear_message(res):
    assert not has_breakdown(res, "department")
    with pytest.raises(DipError) as err:
        margins_by(res, "H1", "department")
    assert err.value.message.key == "hv_no_column" and "department" in err.value.text("zh")
    with pytest.raises(DipError):
        margins_by(res, "H1", "ward")


def test_an_unknown_hospital_is_refused(res):
    with pytest.raises(DipError, match="H9"):
        group_margins(res, "H9")


# ---------------------------------------------------------------- CMI and mix
def test_mix_against_the_run_and_published_figures(res, tmp_path):
    m = mix_profile(res, "H1").set_index("measure")
    # CMI: mean group score of the grouped cases / 1000: (2 000 + 3 × 1 000 + 3 × 500) / 7 / 1 000
    assert m.at["cmi", "hospital"] == pytest.approx(6500 / 7 / 1000)
    assert m.at["cmi", "hospital"] == pytest.approx(res.stage.agg.metrics["cmi"].iloc[0])
    assert m.at["cmi", "city"] == pytest.approx((6500 + 3500) / 10 / 1000) and m.at["cmi", "city_source"] == "run"
    assert m.at["case_types.low", "hospital"] == pytest.approx(1 / 7)
    assert m.at["buckets.special", "city"] == pytest.approx(2 / 10)
    path = tmp_path / "city.yaml"
    path.write_text("cmi: 1.1\ncase_types: {low: 0.05}\n", encoding="utf-8")
    m = mix_profile(res, "H1", str(path)).set_index("measure")
    assert m.at["cmi", "city"] == 1.1 and m.at["cmi", "city_source"] == "published"
    assert m.at["case_types.low", "difference"] == pytest.approx(1 / 7 - 0.05)
    assert m.at["case_types.high", "city_source"] == "run"


def test_city_averages_are_checked():
    assert load_city_averages({"cmi": 1, "buckets": {"core": 0.9}}) == {"cmi": 1.0, "buckets": {"core": 0.9}}
    for bad, key in (({"cmi_x": 1}, "hv_city_unknown"), ({"case_types": {"odd": 0.1}}, "hv_city_unknown"),
                     ({"elderly_share": 1.5}, "hv_city_value"), ({"cmi": "high"}, "hv_city_value"),
                     ({"case_types": 0.3}, "hv_city_shape")):
        with pytest.raises(ParameterError) as err:
            load_city_averages(bad)
        assert err.value.message.key == key


def test_views_of_one_run_are_memoised_and_follow_a_parameter_change(tiny):
    r1 = dip_model.simulate(tiny, params())
    assert group_margins(r1, "H1") is group_margins(r1, "H1")
    r2 = dip_model.simulate(tiny, params({"budget": {"growth_rate": 0.1}}))
    assert r2.stage is r1.stage                                        # the cases are not re-scored
    assert group_margins(r2, "H1")["payment"].sum() != pytest.approx(group_margins(r1, "H1")["payment"].sum())
    assert isinstance(case_margins(r2, "H1"), pd.DataFrame)


# ---------------------------------------------------------------- a hospital folder (no fund.csv)
def test_the_views_of_a_hospital_folder_are_those_of_the_city_run(city, tmp_path):
    from hospitalkit import hospital_folder
    city_res = dip_model.simulate(dip_model.load_data(city), dip_model.load_params())
    h = city_res.hospitals
    hid = str(h.groupby("hospital_id")["cases"].sum().idxmax())              # the largest hospital
    assert (h.loc[h["hospital_id"] == hid, "cap_deduction"] == 0).all()      # so the city run is reproducible
    folder, published = hospital_folder(city, city_res, [hid], tmp_path / "h")
    cases = pd.read_csv(folder / "cases.csv", dtype=str, keep_default_na=False)
    cases["department"] = np.where(np.arange(len(cases)) % 3 == 0, "外科", "内科")
    cases.to_csv(folder / "cases.csv", index=False)
    res = dip_model.simulate(dip_model.load_data(folder), dip_model.load_params(published))
    assert res.mode == "hospital" and res.hospitals["cap_deduction"].isna().all()   # the cap: not applicable
    mine, theirs = group_margins(res, hid), group_margins(city_res, hid)
    assert list(mine["group_id"]) == list(theirs["group_id"])
    for c in ("cases", "total_cost", "payment", "margin", "deviation_cases", "coef_effect"):
        assert np.allclose(mine[c].to_numpy(float), theirs[c].to_numpy(float), rtol=1e-9, atol=1e-6), c
    assert (mine["reason"] == theirs["reason"]).all()
    assert_sums(res, hid, mine)
    assert_sums(res, hid, margins_by(res, hid, "department"))
    assert len(deviation_warnings(res, hid)) == len(deviation_warnings(city_res, hid))
    assert special_candidates(res, hid)["case_id"].tolist() == special_candidates(city_res, hid)["case_id"].tolist()
    m = mix_profile(res, hid).set_index("measure")                            # no city figures in the folder
    assert (m["city_source"] == "").all()
    assert m.at["cmi", "hospital"] == pytest.approx(mix_profile(city_res, hid).set_index("measure").at["cmi", "hospital"])
    m = mix_profile(res, hid, {"cmi": 1.0}).set_index("measure")
    assert m.at["cmi", "city_source"] == "published"


def test_a_hospital_folder_of_two_hospitals_is_not_the_city(city, tmp_path):
    from hospitalkit import hospital_folder
    city_res = dip_model.simulate(dip_model.load_data(city), dip_model.load_params())
    ids = list(city_res.hospitals.groupby("hospital_id")["cases"].sum().sort_values().index[-2:])
    folder, published = hospital_folder(city, city_res, ids, tmp_path / "two")
    res = dip_model.simulate(dip_model.load_data(folder), dip_model.load_params(published))
    m = mix_profile(res, ids[0]).set_index("measure")
    assert (m["city_source"] == "").all() and m["city"].isna().all()
    assert m.at["cases", "category"] >= m.at["cases", "hospital"] > 0                # its level within the folder
