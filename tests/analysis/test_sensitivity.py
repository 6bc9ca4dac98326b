"""Sensitivity: every tornado bar is the change a direct `simulate` gives, a parameter the output does not
depend on gives exactly zero, one-way and grid sweeps match direct runs, and the CLI writes the same."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

import dip_model
from dip_model.cli.main import main
from dip_model.analysis.sensitivity import (DEFAULT_SLOTS, Metric, current_value, grid_sweep, is_case_slot,
    one_way, parse_metric, slot_label, tornado, with_slot)



@pytest.fixture(scope="module")
def p():
    return dip_model.load_params()


def _direct(data, q, metric):
    return metric.value(dip_model.simulate(data, q))


def test_default_set_has_twenty_numeric_parameters(data, p):
    res = dip_model.simulate(data, p)
    assert len(DEFAULT_SLOTS) == 20
    for slot in DEFAULT_SLOTS:
        v = current_value(p, slot, res)
        assert math.isfinite(v) and v > 0
        assert slot_label(p, slot, "zh") and slot_label(p, slot, "en")
    # null parameters take what the engine derived: the budget growth is g_R
    assert current_value(p, "budget.growth_rate.employee", res) == res.summary["schemes"]["employee"]["growth_rate"]
    assert is_case_slot(p, "cases.low_ratio") and not is_case_slot(p, "assessment_share")


def test_slots_set_what_they_name(p):
    q = with_slot(p, "sharing.employee.retained_edge_low", 0.65)
    assert q.get("sharing.employee.retained")[0]["to"] == q.get("sharing.employee.retained")[1]["from"] == 0.65
    q = with_slot(p, "sharing.resident.overspend_width", 0.2)
    assert [b["to"] for b in q.get("sharing.resident.overspend")] == pytest.approx([1.05, 1.1, 1.15, 1.2])
    q = with_slot(p, "budget.growth_rate.employee", 0.05)
    assert q.get("budget.growth_rate") == {"employee": 0.05, "resident": None}
    q = with_slot(p, "coefficients.level.2A", 0.7)
    assert q.get("coefficients.level") == {"2A": 0.7}
    q = with_slot(p, "sharing.employee.overspend[1].rate", 0.45)
    assert q.get("sharing.employee.overspend")[1]["rate"] == 0.45
    assert p.get("sharing.employee.overspend")[1]["rate"] == 0.5            # the original is untouched
    with pytest.raises(dip_model.ParameterError):
        with_slot(p, "no.such.parameter", 1.0)
    with pytest.raises(dip_model.ParameterError):
        with_slot(p, "sharing.employee.retained_edge_high", 1.2)         # a band edge above 100 %


def test_tornado_bars_are_direct_simulations(data, p):
    metric = Metric("total_payouts")
    slots = ["sharing.employee.overspend[0].rate", "cases.low_ratio", "coefficients.level.2A",
             "budget.growth_rate.resident"]
    df = tornado(data, p, metric, slots, rel=0.1).set_index("slot")
    base = _direct(data, p, metric)
    for slot in slots:
        r = df.loc[slot]
        assert r["base_output"] == base
        assert r["low"] == pytest.approx(r["current"] * 0.9) and r["high"] == pytest.approx(r["current"] * 1.1)
        assert r["output_low"] == pytest.approx(_direct(data, with_slot(p, slot, r["low"]), metric), rel=1e-12)
        assert r["output_high"] == pytest.approx(_direct(data, with_slot(p, slot, r["high"]), metric), rel=1e-12)
        assert r["bar_high"] == r["output_high"] - base
        assert r["bar_low"] != 0 or r["bar_high"] != 0
    assert df["swing"].is_monotonic_decreasing


def test_parameters_the_output_does_not_depend_on_give_zero_bars(data, p):
    """The employee point value does not depend on resident budget growth (I-8 per scheme), on the
    bands (A-36 comes after A-34) or on the assessment share; bonuses are all zero, so their cap is moot."""
    res = dip_model.simulate(data, p)
    assert (res.hospitals["bonus"] == 0).all()
    slots = ["budget.growth_rate.resident", "sharing.employee.overspend[0].rate", "assessment_share",
             "coefficients.bonus_cap", "fund_balance.guidance_months_low", "budget.growth_rate.employee"]
    df = tornado(data, p, Metric("point_value", "employee"), slots).set_index("slot")
    for slot in slots[:-1]:
        assert df.loc[slot, "bar_low"] == 0.0 and df.loc[slot, "bar_high"] == 0.0
    assert df.loc["budget.growth_rate.employee", "bar_high"] > 0           # and the one it depends on is not
    df = tornado(data, p, Metric("closing_balance", "resident"), ["sharing.employee.overspend[0].rate"])
    assert df["bar_low"].iloc[0] == 0.0 and df["bar_high"].iloc[0] == 0.0


def test_user_range_and_invalid_values_are_reported_not_raised(data, p):
    metric = Metric("final_payment", "employee", "H001")
    df = tornado(data, p, metric, ["sharing.employee.retained_edge_high", "assessment_share"],
                 ranges={"sharing.employee.retained_edge_high": (0.85, 1.2)}).set_index("slot")
    r = df.loc["sharing.employee.retained_edge_high"]
    assert r["low"] == 0.85 and np.isnan(r["output_high"]) and "sharing.employee.retained" in r["error"]
    assert not np.isnan(r["output_low"])
    assert pd.isna(df.loc["assessment_share", "error"])


def test_one_way_sweep_marks_the_current_value(data, p):
    metric = Metric("year_end_settlement", "resident", "H005")
    sw = one_way(data, p, metric, "cases.high_ratio", points=5, low=1.5, high=3.0)
    assert sw["is_current"].sum() == 1
    cur = sw[sw["is_current"]].iloc[0]
    assert cur["value"] == 2.0 and cur["output"] == _direct(data, p, metric)
    x = sw.iloc[0]
    assert x["value"] == 1.5 and x["output"] == pytest.approx(_direct(data, with_slot(p, "cases.high_ratio", 1.5), metric), rel=1e-12)


def test_schedulers_agree(data, p):
    metric = Metric("point_value", "resident")
    slots = ["cases.low_factor", "coefficients.level.1", "budget.adjustment_fund_cap"]
    a = tornado(data, p, metric, slots, scheduler="threads")
    b = tornado(data, p, metric, slots, scheduler="sync")
    pd.testing.assert_frame_equal(a, b)


def test_grid_sweep_is_the_cartesian_product(data, p):
    grid = {"assessment_share": [0.05, 0.08], "budget.growth_rate.employee": [0.03, 0.05, 0.07]}
    runs, hosp = grid_sweep(data, p, grid)
    assert len(runs) == 6 and runs["error"].isna().all()
    assert set(map(tuple, runs[list(grid)].to_numpy())) == {(a, g) for a in grid["assessment_share"]
                                                            for g in grid["budget.growth_rate.employee"]}
    r = runs.iloc[4]
    q = with_slot(with_slot(p, "assessment_share", r["assessment_share"]), "budget.growth_rate.employee",
                  r["budget.growth_rate.employee"])
    res = dip_model.simulate(data, q)
    assert r["point_value_employee"] == res.summary["schemes"]["employee"]["settlement_point_value"]
    assert r["total_payouts"] == pytest.approx(sum(v["total_final_payment"] for v in res.summary["schemes"].values()), rel=1e-12)
    mine = hosp[hosp["run"] == r["run"]]
    assert np.array_equal(mine["final_payment"].to_numpy(), res.hospitals["final_payment"].to_numpy())


def test_metric_needs_what_it_names():
    with pytest.raises(dip_model.ParameterError):
        Metric("point_value")
    with pytest.raises(dip_model.ParameterError):
        Metric("final_payment", "employee")
    with pytest.raises(dip_model.ParameterError):
        Metric("nonsense")
    assert parse_metric("point_value:resident") == Metric("point_value", "resident")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rel=hst.floats(0.01, 0.3))
def test_wider_overspend_sharing_never_lowers_payouts(data, p, rel):
    """A higher overspend-sharing rate pays over-spending hospitals more (A-36): the payout bar of the
    first-band rate is never negative on the high side nor positive on the low side."""
    df = tornado(data, p, Metric("total_payouts", "employee"), ["sharing.employee.overspend[0].rate"], rel=rel)
    assert df["bar_high"].iloc[0] >= 0 >= df["bar_low"].iloc[0]


def test_cli_round_trips(city, data, p, tmp_path, capsys):
    out = tmp_path / "sens"
    assert main(["sensitivity", "--data", str(city), "--output", "point_value", "--scheme", "employee",
                 "--range", "0.05", "--parameters", "cases.low_ratio,assessment_share", "--sweep",
                 "cases.low_ratio", "--points", "3", "--scheduler", "sync", "--out", str(out)]) == 0
    tor = pd.read_csv(out / "tornado.csv").set_index("slot")
    direct = tornado(data, p, Metric("point_value", "employee"), ["cases.low_ratio", "assessment_share"], rel=0.05)
    assert np.allclose(tor.loc[direct["slot"], "bar_low"], direct["bar_low"], rtol=0, atol=1e-12)
    assert len(pd.read_csv(out / "sweep.csv")) == 3
    grid = tmp_path / "grid.yaml"
    grid.write_text("grid:\n  assessment_share: [0.06, 0.1]\n  cases.low_ratio: 0.45\n", encoding="utf-8")
    assert main(["sweep", "--data", str(city), "--grid", str(grid), "--out", str(tmp_path / "sw")]) == 0
    runs = pd.read_csv(tmp_path / "sw" / "runs.csv")
    assert len(runs) == 2 and list(runs["cases.low_ratio"]) == [0.45, 0.45]
    assert len(pd.read_csv(tmp_path / "sw" / "hospitals.csv")) == 2 * len(dip_model.simulate(data, p).hospitals)
    capsys.readouterr()
    assert main(["sensitivity", "--data", str(city), "--output", "final_payment", "--out", str(out)]) == 2
    assert "--hospital" in capsys.readouterr().err
    grid.write_text("grid: {assessment_share: [a, b]}\n", encoding="utf-8")
    assert main(["sweep", "--data", str(city), "--grid", str(grid), "--out", str(tmp_path / "sw")]) == 2
