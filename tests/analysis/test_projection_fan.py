"""Projection bands: draws of the multi-year projection with year-to-year shocks. Zero spread gives the
plain projection in every draw, the bands are ordered, a draw is its own projection with its shocks,
the same seed gives the same draws, and the CLI writes what the Python API returns."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

import dip_model
from dip_model.analysis.assumptions import load_assumptions
from dip_model.cli.main import main
from dip_model.analysis.projection import project
from dip_model.analysis.projection_fan import METRICS, draw_shocks, projection_fan

ZERO = {"spread": {"volume_growth_sd": 0.0, "cost_growth_sd": 0.0, "revenue_growth_sd": 0.0}}



def test_zero_spread_draws_are_the_plain_projection(data):
    fan = projection_fan(data, None, ZERO, draws=4, seed=1)
    plain = project(data, None, ZERO).years.set_index(["year", "scheme"])
    for _, r in fan.draws.iterrows():
        for m in METRICS:
            assert r[m] == pytest.approx(plain.loc[(r["year"], r["scheme"]), m], rel=1e-12)
    b = fan.bands
    assert np.allclose(b["p10"], b["central"], rtol=1e-12) and np.allclose(b["p90"], b["central"], rtol=1e-12)


def test_a_draw_is_the_projection_with_its_shocks_and_seeds_repeat(data):
    a = load_assumptions({"years": 4})
    fan = projection_fan(data, None, a, draws=6, seed=11)
    again = projection_fan(data, None, a, draws=6, seed=11, scheduler="sync")
    pd.testing.assert_frame_equal(fan.draws, again.draws)
    shocks = draw_shocks(a, 4, 11, 3)
    assert set(shocks) == {"volume", "cost", "revenue"} and all(len(v) == 3 for v in shocks.values())
    one = project(data, None, a, shocks=shocks).years.set_index(["year", "scheme"])
    mine = fan.draws[fan.draws["draw"] == 3].set_index(["year", "scheme"])
    assert np.allclose(mine["fund_closing_balance"], one.loc[mine.index, "fund_closing_balance"], rtol=1e-12)
    year1 = fan.draws[fan.draws["year"] == 1]                       # the data year carries no shock
    assert year1.groupby("scheme")["settlement_point_value"].nunique().eq(1).all()
    later = fan.draws[fan.draws["year"] == 4]
    assert later.groupby("scheme")["fund_closing_balance"].nunique().gt(1).all()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=hst.integers(0, 10_000), sd=hst.floats(0.0, 0.08))
def test_bands_are_ordered_and_risk_is_a_share(data, seed, sd):
    fan = projection_fan(data, None, {"years": 3, "spread": {"volume_growth_sd": sd, "cost_growth_sd": sd,
                                                              "revenue_growth_sd": sd}}, draws=8, seed=seed)
    b = fan.bands
    assert (b["p10"] <= b["p50"] + 1e-9).all() and (b["p50"] <= b["p90"] + 1e-9).all()
    r = fan.risk
    for c in ("share_below", "share_above", "share_negative", "share_out_of_band"):
        assert r[c].between(0, 1).all()
    assert np.allclose(r["share_out_of_band"], r["share_below"] + r["share_above"] + r["share_negative"])


def test_spread_is_validated(data):
    with pytest.raises(dip_model.ParameterError, match="spread.cost_growth_sd"):
        projection_fan(data, None, {"spread": {"cost_growth_sd": -0.1}}, draws=2)
    with pytest.raises(dip_model.ParameterError, match="draws"):
        projection_fan(data, None, None, draws=0)


def test_forecast_cli_writes_the_bands(city, data, tmp_path):
    out = tmp_path / "fc"
    assert main(["forecast", "--data", str(city), "--years", "3", "--draws", "5", "--seed", "2",
                 "--out", str(out)]) == 0
    bands, risk = pd.read_csv(out / "bands.csv"), pd.read_csv(out / "risk.csv")
    fan = projection_fan(data, None, {"years": 3}, draws=5, seed=2)
    pd.testing.assert_frame_equal(bands, fan.bands, check_dtype=False)
    assert len(risk) == len(fan.risk) and set(bands["metric"]) == set(METRICS)
