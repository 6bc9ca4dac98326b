"""A hospital's own forecast: the extrapolation follows the month shares, the central figure is what the
engine settles for the projected year, the band drivers put back give the band edge, the range is ordered,
and an uploaded year-to-date file gives the same forecast as the same cases picked from the dataset."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dip_model
from dip_model.analysis.bands import bands_of
from dip_model.errors import InputError, ParameterError
from dip_model.analysis.hospital_forecast import (evaluate, forecast, month_shares, pv_range_from_montecarlo,
    read_ytd, usage_at)
from dip_model.analysis.montecarlo import run_montecarlo



@pytest.fixture(scope="module")
def params():
    return dip_model.load_params()


@pytest.fixture(scope="module")
def big(data, params):
    """The hospital with the most cases."""
    res = dip_model.simulate(data, params)
    return res.hospitals.groupby("hospital_id")["cases"].sum().idxmax()


def test_extrapolation_follows_month_shares(data, params, big):
    fc = forecast(data, params, big, months=5)
    shares, source = month_shares(data, big, 200)
    assert np.allclose(shares.sum(axis=1), 1.0)
    c = data.cases
    mine = c[(c["hospital_id"] == big) & (c["discharge_date"].dt.month <= 5)]
    for _, row in fc.summary.iterrows():
        si = dip_model.SCHEMES.index(row["scheme"])
        n = int((mine["scheme"] == row["scheme"]).sum())
        assert row["ytd_cases"] == n
        assert row["ytd_share"] == pytest.approx(shares[si, :5].sum())
        assert row["projected_cases"] == pytest.approx(n / shares[si, :5].sum())
        assert row["seasonality"] == source[si]
    # months to come carry the shares; months gone are the actual cases
    m = fc.monthly[fc.monthly["scheme"] == fc.summary["scheme"].iloc[0]]
    assert m["actual"].tolist() == [True] * 5 + [False] * 7
    later = m[~m["actual"]]
    assert np.allclose(later["cases"] / later["share"], later["cases"].iloc[0] / later["share"].iloc[0])


def test_central_figure_is_the_engines_settlement(data, params, big):
    """At the settled point value and no extra spread, evaluate() gives the engine's row for the projected year."""
    fc = forecast(data, params, big, months=6)
    table = fc.settled.hospitals.set_index(["hospital_id", "scheme"])
    for s, c in fc.components.items():
        row = table.loc[(big, s)]
        got = evaluate(c, fc.settled.summary["schemes"][s]["settlement_point_value"], bands_of(params, s))
        assert got["final_payment"][0] == pytest.approx(row["final_payment"], rel=1e-9)
        assert got["year_end_settlement"][0] == pytest.approx(row["year_end_settlement"], rel=1e-9, abs=1e-6)
        assert got["usage_rate"][0] == pytest.approx(row["usage_rate"], rel=1e-12)
        assert got["band"][0] == row["band"]
        # by hand: A-37 year-end = final payment − the twelve monthly pre-payments
        months = fc.monthly[fc.monthly["scheme"] == s]["prepaid"].sum()
        assert got["year_end_settlement"][0] == pytest.approx(row["final_payment"] - months, rel=1e-9, abs=1e-6)


def test_drivers_put_back_reach_the_band_edge(data, params, big):
    fc = forecast(data, params, big, months=6)
    assert len(fc.drivers)
    for _, r in fc.drivers.iterrows():
        c, b = fc.components[r["scheme"]], bands_of(params, r["scheme"])
        pv = fc.pv_range[r["scheme"]][1]
        assert (r["edge"] < r["usage_rate"]) == (r["direction"] == "down")
        if np.isfinite(r["cost_change"]):
            assert usage_at(c, pv, b, cost=1 + r["cost_change"]) == pytest.approx(r["edge"], rel=1e-9)
        if np.isfinite(r["volume_change"]):
            assert usage_at(c, pv, b, volume=1 + r["volume_change"], dilute=True) == pytest.approx(r["edge"], rel=1e-9)
        assert usage_at(c, r["point_value_at_edge"], b) == pytest.approx(r["edge"], rel=1e-9)
        # a lower cost lowers the use rate: moving down needs a cost cut
        if np.isfinite(r["cost_change"]):
            assert (r["cost_change"] < 0) == (r["direction"] == "down")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(months=st.integers(1, 11), lo=st.floats(0.7, 1.0), hi=st.floats(1.0, 1.3), seed=st.integers(0, 1000))
def test_forecast_range_is_ordered(data, params, big, months, lo, hi, seed):
    res = dip_model.simulate(data, params)
    pv = {s: (v["settlement_point_value"] * lo, v["settlement_point_value"], v["settlement_point_value"] * hi)
          for s, v in res.summary["schemes"].items()}
    fc = forecast(data, params, big, months=months, pv_range=pv, seed=seed)
    for k in ("final_payment", "year_end_settlement"):
        assert (fc.summary[f"{k}_p10"] <= fc.summary[f"{k}_p50"] + 1e-9).all()
        assert (fc.summary[f"{k}_p50"] <= fc.summary[f"{k}_p90"] + 1e-9).all()


def test_no_spread_gives_one_figure(data, params, big):
    fc = forecast(data, params, big, months=6,
                  unc={"forecast": {"cost_sd": 0.0, "volume_sd": 0.0}, "volume": {"growth": 0.0}})
    # the measured history error still spreads the volume; with no history it would not
    if fc.volume_sd_source == "assumption":
        assert (fc.summary["final_payment_p10"] == fc.summary["final_payment_p90"]).all()
    # a wider point-value range widens the payment range
    res = fc.settled
    wide = {s: (v["settlement_point_value"] * 0.8, v["settlement_point_value"], v["settlement_point_value"] * 1.2)
            for s, v in res.summary["schemes"].items()}
    fw = forecast(data, params, big, months=6, pv_range=wide)
    spread = fc.summary["final_payment_p90"] - fc.summary["final_payment_p10"]
    assert ((fw.summary["final_payment_p90"] - fw.summary["final_payment_p10"]) > spread).all()


def test_uploaded_ytd_equals_picked(data, params, big, tmp_path):
    c = data.cases
    mine = c[(c["hospital_id"] == big) & (c["discharge_date"].dt.month <= 4)].copy()
    for col in ("discharge_date", "admit_date"):
        mine[col] = mine[col].dt.strftime("%Y-%m-%d")
    path = tmp_path / "ytd.csv"
    mine.to_csv(path, index=False)
    ytd = read_ytd(path, data, "ytd.csv")
    a = forecast(data, params, big, ytd=ytd)                  # months from the file: 4
    b = forecast(data, params, big, months=4)
    assert a.months == 4
    pd.testing.assert_frame_equal(a.summary, b.summary)
    # problems name the file, the row and the column
    bad = mine.copy()
    bad.loc[bad.index[1], "total_cost"] = -5
    bad.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"ytd.csv, row 3, column total_cost"):
        read_ytd(path, data, "ytd.csv")
    other = data.hospitals["hospital_id"].iloc[-1] if data.hospitals["hospital_id"].iloc[-1] != big else data.hospitals["hospital_id"].iloc[0]
    with pytest.raises(ParameterError, match="other hospitals"):
        forecast(data, params, other, ytd=ytd)
    with pytest.raises(ParameterError, match="not in hospitals.csv"):
        forecast(data, params, "NO-SUCH", months=3)
    with pytest.raises(ParameterError, match="months elapsed"):
        forecast(data, params, big, months=12)


def test_pv_range_from_montecarlo(data, params, big):
    mc = run_montecarlo(data, params, draws=20, seed=2, scheduler="sync")
    rng = pv_range_from_montecarlo(mc)
    for s, (lo, ce, hi) in rng.items():
        assert lo <= ce <= hi
        assert ce == pytest.approx(np.median(mc.schemes[:, dip_model.SCHEMES.index(s), 0]))
    fc = forecast(data, params, big, months=6, pv_range=rng)
    assert fc.summary["pv_low"].tolist() == [rng[s][0] for s in fc.summary["scheme"]]
