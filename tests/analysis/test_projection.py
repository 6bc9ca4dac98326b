"""Multi-year projection and the points race: year 1 is `simulate`, each later year follows the A-10
budget rule from the year before, volumes and money scale as assumed, elasticity 0 is the plain
projection, and the CLI writes what the Python API returns."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

import dip_model
from dip_model.analysis.assumptions import load_assumptions, value_at
from dip_model.cli.main import main
from dip_model.analysis.projection import band_status, points_race_comparison, project

FLAT = {"volume_growth": {k: 0.0 for k in ("3A", "3B", "2A", "2B", "1", "other")}, "cost_growth": 0.0,
        "other_lines_growth": 0.0, "ratio_drift": 0.0}



def _row(pr, year, scheme):
    return pr.years[(pr.years["year"] == year) & (pr.years["scheme"] == scheme)].iloc[0]


def test_one_year_is_simulate(data):
    res = dip_model.simulate(data, dip_model.load_params())
    pr = project(data, None, None, years=1)
    assert list(pr.years["year"].unique()) == [1]
    for s, v in res.summary["schemes"].items():
        r = _row(pr, 1, s)
        for key in ("budget_total", "dip_fund_payable", "total_score", "total_final_payment", "fund_expenditure",
                    "fund_closing_balance", "months_of_payment"):
            assert r[key] == v[key]
        assert r["settlement_point_value"] == v["settlement_point_value"]
    assert np.array_equal(pr.hospitals["final_payment"].to_numpy(), res.hospitals["final_payment"].to_numpy())


def test_year_two_follows_the_a10_rule_by_hand(data):
    """fund.csv of the test city: employee revenue 17,570,738; revenue growth 3 % into year 2, so the
    year-2 revenue is 18,097,860.14 and, the data year being balanced, B₂ = E₁ × 1.03 (A-10 ¶2)."""
    pr = project(data, None, {"revenue_growth": 0.03}, years=2)
    y1, y2 = _row(pr, 1, "employee"), _row(pr, 2, "employee")
    assert y2["revenue"] == pytest.approx(18_097_860.14, abs=1e-6)
    assert y2["prior_expenditure"] == y1["fund_expenditure"]
    assert y2["prior_revenue"] == y1["revenue"] == 17_570_738
    assert y1["revenue"] >= y1["fund_expenditure"] and y2["prior_year_balanced"]
    assert y2["budget_total"] == pytest.approx(y1["fund_expenditure"] * 1.03, rel=1e-12)
    assert y2["fund_opening_balance"] == y1["fund_closing_balance"]
    # closing = opening + revenue − expenditure (docs/rules.md, A-3)
    assert y2["fund_closing_balance"] == pytest.approx(
        y2["fund_opening_balance"] + y2["revenue"] - y2["fund_expenditure"], rel=1e-12)


def test_every_year_follows_the_a10_rule_and_the_deficit_branch_switches_on(data):
    """Revenue falls 5 % a year while spending grows: some year runs a deficit, and the next year's
    budget is then that year's revenue (A-10 ¶2); a balanced year gives E·(1 + min(g, cap))."""
    asm = {"revenue_growth": -0.05, "other_lines_growth": 0.06, "cost_growth": 0.05}
    p = dip_model.load_params({"budget": {"growth_rate": 0.06}})
    pr = project(data, p, asm, years=5)
    branches = set()
    for s in ("employee", "resident"):
        for year in range(2, 6):
            prev, cur = _row(pr, year - 1, s), _row(pr, year, s)
            assert cur["prior_expenditure"] == prev["fund_expenditure"]
            assert cur["revenue"] == pytest.approx(prev["revenue"] * 0.95, rel=1e-12)
            balanced = prev["revenue"] >= prev["fund_expenditure"]
            assert cur["prior_year_balanced"] == balanced
            expected = prev["fund_expenditure"] * (1 + min(0.06, 0.08)) if balanced else cur["revenue"]
            assert cur["budget_total"] == pytest.approx(expected, rel=1e-12)
            branches.add(balanced)
    assert branches == {True, False}


def test_volume_and_money_scale_as_assumed(data):
    flat = project(data, None, {**FLAT, "revenue_growth": 0.0}, years=2)
    for s in ("employee", "resident"):
        assert _row(flat, 2, s)["total_score"] == pytest.approx(_row(flat, 1, s)["total_score"], rel=1e-12)
        assert _row(flat, 2, s)["total_cost"] == pytest.approx(_row(flat, 1, s)["total_cost"], rel=1e-12)
    growth = {"3A": 0.10, "3B": 0.05, "2A": 0.02, "2B": -0.03, "1": 0.0, "other": 0.01}
    pr = project(data, None, {**FLAT, "volume_growth": growth, "cost_growth": 0.04, "ratio_drift": -0.01},
                 years=3)
    h = pr.hospitals
    lv = h["level"].astype(str).map(lambda x: x if x in growth else "other")
    y3 = h[h["year"] == 3]
    assert np.allclose(y3["volume_factor"], (1 + lv[y3.index].map(growth)) ** 2, rtol=1e-12)
    y1 = h[h["year"] == 1].set_index(["hospital_id", "scheme"])
    y3 = y3.set_index(["hospital_id", "scheme"])
    # scores per case unchanged: a hospital's raw score grows with its volume only (before coefficients)
    assert np.allclose(y3["cases"], y1["cases"] * y3["volume_factor"], rtol=1e-12)
    r1, r3 = pr.results[0].hospitals, pr.results[2].hospitals
    assert np.allclose(r3["score_core_raw"], r1["score_core_raw"] * y3["volume_factor"].to_numpy(), rtol=1e-12)
    assert np.allclose(r3["total_cost"], r1["total_cost"] * y3["volume_factor"].to_numpy() * 1.04 ** 2, rtol=1e-12)
    # the payment ratio drifts by −1 point a year (A-35 r_h); the budget point value grows with cost
    assert np.allclose(r3["reimb_ratio"], np.clip(r1["reimb_ratio"] - 0.02, 0, 1), rtol=0, atol=1e-12)
    assert np.allclose(r3["budget_point_value"], r1["budget_point_value"] * 1.04 ** 2, rtol=1e-12)


def test_elasticity_zero_is_the_plain_projection(data):
    plain = project(data, None, None, years=4)
    race = project(data, None, {"points_race": {"elasticity": 0.0, "initial_point_value_change": -0.2,
                                                "max_volume_growth": 0.5}}, years=4)
    # only the stated point-value change into the data year differs (it is reported on year 1)
    assert np.allclose(race.years.loc[race.years["year"] == 1, "point_value_change"], -0.2)
    cols = [c for c in plain.years.columns if c != "point_value_change"]
    pd.testing.assert_frame_equal(plain.years[cols], race.years[cols])
    later = plain.years["year"] > 1
    assert plain.years.loc[later, "point_value_change"].equals(race.years.loc[later, "point_value_change"])
    pd.testing.assert_frame_equal(plain.hospitals, race.hospitals)


def test_points_race_spiral_and_its_dampers(data):
    """Volume outgrowing the budget makes the point value fall; with an elasticity the fall feeds the
    volume and the point value falls every year and faster (the spiral)."""
    fast = {"volume_growth": {k: 0.08 for k in ("3A", "3B", "2A", "2B", "1", "other")}}
    plain = project(data, None, fast, years=5)
    race = project(data, None, {**fast, "points_race": {"elasticity": 1.5}}, years=5)
    for s in ("employee", "resident"):
        pv = race.years[race.years["scheme"] == s]["settlement_point_value"].to_numpy()
        assert (np.diff(pv) < 0).all()
        assert pv[-1] < plain.years[plain.years["scheme"] == s]["settlement_point_value"].to_numpy()[-1]
    # the volume response of year 3 is the elasticity times year 2's point-value change
    y2 = _row(race, 2, "employee")
    h3 = race.hospitals[(race.hospitals["year"] == 3) & (race.hospitals["scheme"] == "employee")]
    assert np.allclose(h3["volume_growth"], 0.08 - 1.5 * y2["point_value_change"], rtol=1e-12)
    capped = project(data, None, {**fast, "points_race": {"elasticity": 1.5, "max_volume_growth": 0.1}}, years=5)
    assert capped.hospitals["volume_growth"].max() <= 0.1 + 1e-15

    cmp = points_race_comparison(data, None, {**fast, "points_race": {"elasticity": 1.5}}, years=4)
    sm = cmp["summary"].set_index(["setting", "scheme"])
    assert (sm.loc["spiral", "pv_change"] < 0).all()
    assert set(sm["effect"]) <= {"reference", "damps", "amplifies", "no_effect"}
    # the comparison's spiral is the projection itself
    spiral = cmp["paths"][(cmp["paths"]["setting"] == "spiral") & (cmp["paths"]["year"] == 4)]
    direct = project(data, None, {**fast, "points_race": {"elasticity": 1.5}}, years=4).years
    assert np.array_equal(spiral["settlement_point_value"].to_numpy(),
                          direct[direct["year"] == 4]["settlement_point_value"].to_numpy())
    # more budget growth means more money for the same points: it damps; less growth amplifies
    assert (sm.loc["budget_growth_up", "effect"] == "damps").all()
    assert (sm.loc["budget_growth_down", "effect"] == "amplifies").all()


def test_breach_year_is_marked(data):
    pr = project(data, None, {"revenue_growth": -0.04}, years=5)
    low, high = 6, 9
    for s in ("employee", "resident"):
        part = pr.years[pr.years["scheme"] == s]
        for _, r in part.iterrows():
            assert r["status"] == band_status(r["fund_closing_balance"], r["months_of_payment"], low, high)
        out = part[part["status"] != "in"]
        b = pr.breaches.set_index("scheme").loc[s]
        assert (b["first_out_of_band_year"] if len(out) else None) == (int(out["year"].iloc[0]) if len(out) else None)
        assert part["first_out_of_band"].sum() == (1 if len(out) else 0)
    assert band_status(-1.0, -0.1, 6, 9) == "negative" and band_status(10.0, 7.0, 6, 9) == "in"
    assert band_status(10.0, 5.0, 6, 9) == "below" and band_status(10.0, 9.5, 6, 9) == "above"


def test_assumptions_per_year_lists_and_validation():
    assert value_at([0.01, 0.02], 2) == 0.01 and value_at([0.01, 0.02], 3) == 0.02 and value_at([0.01, 0.02], 5) == 0.02
    assert value_at({"employee": 0.03}, 2, "employee") == 0.03 and value_at({"employee": 0.03}, 2, "resident") is None
    a = load_assumptions({"volume_growth": {1: 0.04}, "cost_growth": [0.02, 0.03]})
    assert a.volume_growth("1", 2) == 0.04 and a.volume_growth("9Z", 2) == a.get("volume_growth.other")
    assert a.user_values() == {"volume_growth": {"1": 0.04}, "cost_growth": [0.02, 0.03]}
    for bad in ({"years": 6}, {"cost_growth": [0.1] * 6}, {"cost_growth": -1.5}, {"points_race": {"elasticity": -1}},
                {"nope": 1}, {"revenue_growth": {"other": 0.1}}):
        with pytest.raises(dip_model.ParameterError):
            load_assumptions(bad)
    for path in a.leaves():
        info = a.info(path)
        assert {"unit", "label", "article"} <= set(info) and "projection assumption" in info["article"]


def test_a_projected_year_without_money_for_dip_names_the_year(data):
    with pytest.raises(dip_model.BudgetError, match="projection year"):
        project(data, None, {"revenue_growth": -0.4}, years=5)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(g1=hst.floats(-0.05, 0.12), dg=hst.floats(0.0, 0.05))
def test_higher_revenue_growth_never_lowers_the_closing_balance(data, g1, dg):
    low = project(data, None, {"revenue_growth": g1}, years=4).years["fund_closing_balance"].to_numpy()
    high = project(data, None, {"revenue_growth": g1 + dg}, years=4).years["fund_closing_balance"].to_numpy()
    assert (high >= low - 1e-6).all()


def test_forecast_cli_round_trip(city, data, tmp_path, capsys):
    asm = tmp_path / "asm.yaml"
    asm.write_text("cost_growth: [0.02, 0.04]\nvolume_growth: {3A: 0.05}\n", encoding="utf-8")
    out = tmp_path / "fc"
    assert main(["forecast", "--data", str(city), "--years", "3", "--assumptions", str(asm),
                 "--elasticity", "0.5", "--out", str(out)]) == 0
    years = pd.read_csv(out / "years.csv")
    direct = project(data, None, load_assumptions(asm).with_values({"points_race": {"elasticity": 0.5}}), years=3)
    assert np.allclose(years["fund_closing_balance"], direct.years["fund_closing_balance"], rtol=1e-12)
    assert list(years.columns) == list(direct.years.columns)
    hosp = pd.read_csv(out / "hospitals.csv")
    assert np.allclose(hosp["final_payment"], direct.hospitals["final_payment"], rtol=1e-12)
    for f in ("breaches.csv", "assumptions.csv", "points_race.csv", "points_race_paths.csv"):
        assert (out / f).exists()
    assert main(["forecast", "--data", str(city), "--years", "9", "--out", str(out)]) == 2
    assert "years" in capsys.readouterr().err
