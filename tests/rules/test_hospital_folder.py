"""Hospital folders (docs/rules.md, A-34 "A published point value"; docs/data-contract.md, "Hospital folders").

The key test: a hospital cut out of a synthetic city, with the city's published figures as parameters and no
fund.csv or history.csv, gets exactly its figures of the full city run. Then the published point value in a
city folder, what is not applicable in a hospital folder, and what is refused."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dip_model
from citykit import case, hospital, params, run
from dip_model.data.synth import write_city
from dip_model.errors import ParameterError
from hospitalkit import hospital_folder

RTOL = 1e-9
COMPARED = ("total_score", "score_fund", "usage_rate", "retained", "sharing", "pay_before_cap",
            "violation_deduction", "final_payment", "monthly_prepaid", "year_end_settlement")


@pytest.fixture(scope="module")
def city20k(tmp_path_factory) -> Path:
    """20 hospitals of every level: a level change (H005 2A → 2B), a new one (H016), a suspended one
    (H007), two TCM hospitals, violations, and grassroots readmissions across hospitals."""
    folder = tmp_path_factory.mktemp("city20k")
    write_city(folder, n_cases=20_000, seed=3)
    return folder


@pytest.fixture(scope="module")
def city_run(city20k):
    return dip_model.simulate(dip_model.load_data(city20k))


def rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300))) if a.size else 0.0


def worst_difference(city_res, hosp_res, ids) -> float:
    """The largest relative difference over the compared columns, both schemes, and every month."""
    a = city_res.hospitals[city_res.hospitals["hospital_id"].isin(ids)].set_index(["hospital_id", "scheme"]).sort_index()
    b = hosp_res.hospitals.set_index(["hospital_id", "scheme"]).sort_index()
    assert list(a.index) == list(b.index)
    assert (a["band"] == b["band"]).all()
    worst = max(rel(a[c], b[c]) for c in COMPARED)
    ma = city_res.monthly[city_res.monthly["hospital_id"].isin(ids)].set_index(["hospital_id", "scheme"]).sort_index()
    mb = hosp_res.monthly.set_index(["hospital_id", "scheme"]).sort_index()
    nz = ma.to_numpy(float) != 0
    assert (mb.to_numpy(float)[~nz] == 0).all()
    return max(worst, rel(ma.to_numpy(float)[nz], mb.to_numpy(float)[nz]))


def test_the_city_is_varied_and_its_cap_deducts_nothing(city_run, city20k):
    h = city_run.hospitals
    assert set(h["level"]) == {"3A", "3B", "2A", "2B", "1"}
    assert (h["cap_deduction"] == 0).all()                       # so every hospital can be reproduced
    one = h.groupby("hospital_id").first()
    assert one.loc["H005", "category"] == "2B" and one.loc["H005", "level"] == "2A"      # A-25 level change
    assert bool(one.loc["H016", "is_new"]) and bool(one.loc["H007", "suspended"])
    n = h.groupby("hospital_id")[["n_high", "n_low", "n_special"]].sum()
    assert (n[["n_low", "n_special"]] > 0).all().all() and (n["n_high"] > 0).sum() >= 18     # deviation, A-19/20
    assert set(city_run.summary["schemes"]) == {"employee", "resident"}
    assert city_run.stage.ref.source == "file"                   # the city run uses catalogue.csv ...
    assert city_run.data.group_level_costs is not None           # ... and group_level_costs.csv, as the folder


def test_every_hospital_alone_reproduces_its_city_figures(city_run, city20k, tmp_path):
    ids = sorted(city_run.hospitals["hospital_id"].unique())
    worst, flagged = 0.0, 0
    for hid in ids:
        folder, published = hospital_folder(city20k, city_run, [hid], tmp_path / hid)
        data = dip_model.load_data(folder)
        assert data.mode == "hospital" and data.fund is None and data.history is None
        flagged += int(data.cases["readmission_elsewhere"].sum())
        res = dip_model.simulate(data, published)
        assert res.mode == "hospital"
        assert set(res.hospitals["scheme"]) == {"employee", "resident"}
        worst = max(worst, worst_difference(city_run, res, [hid]))
    assert flagged >= 10                                         # A-15 ¶2 readmissions at other hospitals
    assert worst <= RTOL, worst


def test_a_few_hospitals_together(city_run, city20k, tmp_path):
    ids = ["H001", "H003", "H005", "H009"]                       # 3A, 3B, 2A settled as 2B, 1
    folder, published = hospital_folder(city20k, city_run, ids, tmp_path / "four")
    res = dip_model.simulate(dip_model.load_data(folder), published)
    assert sorted(res.hospitals["hospital_id"].unique()) == ids
    assert worst_difference(city_run, res, ids) <= RTOL


@pytest.mark.parametrize("changes", [
    {"interpretations": {"I-10": "level_reimb", "I-2": "budget_point_value", "I-11": "inclusive"}},
    {"interpretations": {"I-7": "no_multiply", "I-3": "unmatched", "I-12": "readmission_only"},
     "coefficients": {"combine": "add", "bonus_rules": {"elderly_share": [{"min": 0.2, "add": 0.02}]}},
     "point_value": {"budget_monthly": {"resident": [9.0, 9.1, 9.2, 9.3, 9.4, 9.5, 9.6, 9.7, 9.8, 9.9, 10.0, 10.1]}}},
], ids=["level_reimb", "no_multiply_monthly"])
def test_interpretations_and_monthly_budget_point_values_carry_over(city20k, tmp_path, changes):
    city_res = dip_model.simulate(dip_model.load_data(city20k), changes)
    assert (city_res.hospitals["cap_deduction"] == 0).all()
    for hid in ("H002", "H004", "H005", "H013", "H016"):
        folder, published = hospital_folder(city20k, city_res, [hid], tmp_path / hid)
        res = dip_model.simulate(dip_model.load_data(folder), params(published, base=changes))
        assert worst_difference(city_res, res, [hid]) <= RTOL, hid


def test_without_the_bureaus_readmission_flags_the_folder_misses_them(city_run, city20k, tmp_path):
    """A-15 ¶2 looks at the patient's stays in every hospital: a folder that does not carry the bureau's
    `readmission_elsewhere` keeps grassroots treatment the city run takes away."""
    folder, published = hospital_folder(city20k, city_run, ["H004"], tmp_path / "H004")
    cases = pd.read_csv(folder / "cases.csv", dtype=str, keep_default_na=False)
    assert (cases["readmission_elsewhere"] == "true").sum() == 6
    cases["readmission_elsewhere"] = "false"
    cases.to_csv(folder / "cases.csv", index=False)
    res = dip_model.simulate(dip_model.load_data(folder), published)
    assert worst_difference(city_run, res, ["H004"]) > 1e-5


# ---------------------------------------------------------------- the published point value in a city folder
def test_the_computed_point_value_given_back_changes_nothing(city_run, city20k):
    pvs = {s: v["settlement_point_value"] for s, v in city_run.summary["schemes"].items()}
    res = dip_model.simulate(dip_model.load_data(city20k), {"point_value": {"given": pvs}})
    pd.testing.assert_frame_equal(res.hospitals, city_run.hospitals)
    assert {s: v["point_value_source"] for s, v in res.summary["schemes"].items()} == \
        {"employee": "given", "resident": "given"}
    assert {s: v["point_value_source"] for s, v in city_run.summary["schemes"].items()} == \
        {"employee": "computed", "resident": "computed"}


def test_one_scheme_given_the_other_computed(tmp_path):
    """Tiny city: H1 with eight G1 cases (employee) and two G2 cases (resident); C = 2 000 000 each."""
    cases = [case(f"E{i}", "H1", "G1", 9000) for i in range(8)] + \
            [case(f"R{i}", "H1", "G2", 4000, scheme="resident") for i in range(2)]
    res = run(tmp_path, [hospital("H1")], cases, {"point_value": {"given": {"resident": 150.0}}})
    s = res.summary["schemes"]
    assert (s["employee"]["settlement_point_value"], s["employee"]["point_value_source"]) == (250.0, "computed")
    assert (s["resident"]["settlement_point_value"], s["resident"]["point_value_source"]) == (150.0, "given")
    assert s["resident"]["dip_cost_payable"] == 2_000_000                   # the budget is still computed
    # resident: two G2 cases at 4 000, R = 0.8: normal, 500 points each, S = 1 000
    r = res.hospitals.set_index("scheme").loc["resident"]
    assert r["total_score"] == 1000.0 and r["point_value"] == 150.0
    assert r["score_fund"] == pytest.approx(1000 * 150 * 0.5, rel=1e-15)   # A-35, a = 1


# ---------------------------------------------------------------- not applicable
def tiny_hospital(tmp_path, changes=None, cases=None, **tables):
    cases = cases or [case(f"C{i}", "H1", "G1", 9000, 4500) for i in range(8)]
    return run(tmp_path, [hospital("H1", violation_amount=2000)], cases,
               {"point_value": {"given": {"employee": 12.0}}, **(changes or {})}, fund=None, **tables)


def test_a_hospital_folder_reports_the_city_steps_not_applicable(tmp_path):
    res = tiny_hospital(tmp_path)
    assert res.mode == "hospital" and res.summary["mode"] == "hospital"
    v = res.summary["schemes"]["employee"]
    for key in ("budget_total", "adjustment_fund", "dip_fund_payable", "payment_rate", "dip_cost_payable",
                "cap_compared_total", "cap_deduction", "unfunded_overrun", "fund_opening_balance",
                "fund_expenditure", "fund_closing_balance", "months_of_payment", "months_status"):
        assert v[key] is None, key
    assert [m.key for m in v["not_applicable"]] == ["not_applicable_budget", "not_applicable_cap",
                                                    "not_applicable_fund_balance"]
    assert "needs city data" in v["not_applicable"][0] and "需要全市数据" in v["not_applicable"][1].text("zh")
    h = res.hospitals.iloc[0]
    # SF = 8 000 × 12 × 0.5 = 48 000; u = 0.75 → retained 4 800, pay 40 800; violation 2 000 × 0.5 = 1 000
    assert (h["score_fund"], h["pay_before_cap"], h["violation_deduction"]) == (48_000.0, 40_800.0, 1_000.0)
    assert math.isnan(h["cap_deduction"])                                   # not applicable, not 0
    assert h["final_payment"] == 39_800.0 and h["monthly_prepaid"] == 44_000.0
    assert h["year_end_settlement"] == -4_200.0
    assert v["total_final_payment"] == 39_800.0 and v["settlement_point_value"] == 12.0
    assert v["total_score"] == 8000.0 and v["point_value_source"] == "given"


def test_the_summary_has_the_same_fields_in_both_modes(tmp_path):
    city = run(tmp_path / "c", [hospital("H1")], [case("C1", "H1", "G1", 9000)])
    hosp = tiny_hospital(tmp_path / "h")
    assert list(city.summary) == list(hosp.summary) == ["mode", "schemes", "warnings"]
    assert list(city.summary["schemes"]["employee"]) == list(hosp.summary["schemes"]["employee"])
    assert city.summary["schemes"]["employee"]["not_applicable"] == []


def test_explain_marks_the_city_steps(tmp_path):
    res = tiny_hospital(tmp_path)
    steps = {s.key: s for s in res.explain("H1", "employee")}
    for key in ("budget", "cap"):
        assert steps[key].result == "not applicable: needs city data"
        assert steps[key].result.text("zh") == "不适用：需要全市数据"
        assert steps[key].inputs == {} and "hospital folder" in steps[key].note["en"]
    assert "point_value.given.employee" in steps["point_value"].formula["en"]
    assert steps["point_value"].result == 12.0 and steps["final"].result == 39_800.0
    text = dip_model.rules.explain.render(res.explain("H1", "employee"), "zh")
    assert "可支付总额  [A-10–A-13]  = 不适用：需要全市数据" in text
    assert "医院数据（无 fund.csv）" in text


def test_catalogue_reports_that_need_the_city_are_empty(tmp_path):
    rep = tiny_hospital(tmp_path).catalogue_reports()
    assert rep["grassroots_exit"].empty and rep["level_dominated"].empty
    assert [m.key for m in rep["not_applicable"]] == ["not_applicable_catalogue_reports"]


def test_monthly_budget_point_values_in_a_hospital_folder(tmp_path):
    """March at 9.5: 1 000 × 9.5 − 4 500 = 5 000; the other seven cases (March too) likewise."""
    cases = [case("M1", "H1", "G1", 9000, 4500, date="2024-03-15"),
             case("M2", "H1", "G1", 9000, 4500, date="2024-07-15")]
    months = [10.0, 10.0, 9.5, 10.0, 10.0, 10.0, 11.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    res = tiny_hospital(tmp_path, {"point_value": {"given": {"employee": 12.0},
                                                   "budget_monthly": {"employee": months}}}, cases)
    m = res.monthly.iloc[0]
    assert (m["03"], m["07"], m["01"]) == (5_000.0, 6_500.0, 0.0)
    assert res.hospitals.iloc[0]["monthly_prepaid"] == 11_500.0


# ---------------------------------------------------------------- refused
def test_a_hospital_folder_without_the_published_point_value_is_refused(tmp_path):
    cases = [case("E1", "H1", "G1", 9000), case("R1", "H1", "G1", 9000, scheme="resident")]
    with pytest.raises(ParameterError) as err:
        tiny_hospital(tmp_path, cases=cases)
    assert "point_value.given.resident" in str(err.value) and "point_value.given.employee" not in str(err.value)
    assert "point_value.given.resident" in err.value.text("zh") and "公布的居民医保结算点值" in err.value.text("zh")


def test_a_hospital_folder_without_m_is_refused(tmp_path):
    with pytest.raises(ParameterError) as err:
        run(tmp_path, [hospital("H1")], [case("C1", "H1", "G1", 9000)],
            {"point_value": {"given": {"employee": 12.0}}}, base={}, fund=None)
    assert "mean_cost_all" in str(err.value) and "point_value.given" not in str(err.value)


def test_special_cases_ranked_city_wide_are_refused_in_a_hospital_folder(tmp_path):
    with pytest.raises(ParameterError, match="interpretations.I-1"):
        tiny_hospital(tmp_path, {"interpretations": {"I-1": "city"}})


@pytest.mark.parametrize("value", [0, -3.5, 0.0])
def test_a_point_value_of_zero_or_less_is_refused_with_its_name(value):
    with pytest.raises(ParameterError) as err:
        dip_model.load_params({"point_value": {"given": {"employee": value}}})
    assert str(err.value) == f"parameter 'point_value.given.employee' = {value} must be above 0"


@pytest.mark.parametrize("months, name", [([10.0] * 11, "point_value.budget_monthly.resident"),
                                          ([10.0] * 11 + [-1.0], "point_value.budget_monthly.resident[11]"),
                                          (10.0, "point_value.budget_monthly.resident")])
def test_a_monthly_list_must_be_twelve_positive_numbers(months, name):
    with pytest.raises(ParameterError) as err:
        dip_model.load_params({"point_value": {"budget_monthly": {"resident": months}}})
    assert f"'{name}'" in str(err.value)


def test_the_projection_needs_the_city(tmp_path):
    from dip_model.analysis.projection import project
    res = tiny_hospital(tmp_path)
    with pytest.raises(dip_model.DipError, match="needs city data"):
        project(res.data, res.params)


# ---------------------------------------------------------------- property
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pv=st.floats(0.5, 50.0), k=st.floats(0.1, 10.0))
def test_the_score_fund_is_linear_in_the_given_point_value(tmp_path_factory, pv, k):
    """A-35: SF = (S·(1−8%) + S·8%·a)·PV·r, so scaling the published PV by k scales every score fund by k
    and leaves the scores alone."""
    folder = tmp_path_factory.mktemp("linear")
    data = dip_model.load_data(_linear_folder(folder))
    base = params({"point_value": {"given": {"employee": pv, "resident": pv}}})
    a = dip_model.simulate(data, base).hospitals
    b = dip_model.simulate(data, base.with_values({"point_value": {"given": {"employee": pv * k,
                                                                             "resident": pv * k}}})).hospitals
    assert np.allclose(b["score_fund"], k * a["score_fund"], rtol=1e-12, atol=0)
    assert (a["total_score"] == b["total_score"]).all()


def _linear_folder(folder: Path) -> Path:
    from citykit import write_city as write_tiny
    cases = [case("A1", "H1", "G1", 9000), case("A2", "H1", "G2", 2000), case("A3", "H1", "G3", 30000),
             case("B1", "H2", "G4", 2700, scheme="resident"), case("B2", "H2", "G1", 12000, scheme="resident")]
    return write_tiny(folder, [hospital("H1"), hospital("H2", "2A", 2, assessment_score=90)], cases, fund=None)
