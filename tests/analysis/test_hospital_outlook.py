"""A hospital's year-end outlook (dip_model/analysis/hospital_outlook.py): the A-37 settlement at a low, central
and high settlement point value, each settled by the engine, and the use rate, band and A-32 pre-payments
month by month.

The hand-worked hospital folder (tests/citykit.py: M = 10 000, m_i = 10 · RW at every level, budget point
value 10; fee-for-service fund half the cost) is H1 (2A, K = 0.8, assessment 90 of 100: a = 0.9) in the
employee scheme, published point value 12:

    A1 G1  9 000 in January   R 0.9, normal            1 000 → × 0.8 =   800
    A2 G2  5 500 in February  R 1.1, normal              500 → × 0.8 =   400
    A3 G1 12 000 in March     d = 200, the special case (A-20)        1 200 (no K)
    A4 G2  2 400 in March     R 0.48, low: 0.8 × 2 400 / 10 = 192 → × 0.8 = 153.6
    S = 800 + 400 + 1 200 + 153.6 = 2 553.6; cost 28 900, FFS 14 450, r = 0.5
    A-35: SF = S × (0.92 + 0.08 × 0.9) × PV × r = 2 553.6 × 0.992 × PV × 0.5
    A-32: January 800 × 10 − 4 500 = 3 500; February 400 × 10 − 2 750 = 1 250;
          March 1 353.6 × 10 − 7 200 = 6 336; pre-paid 11 086
    central 12:   SF 15 199.0272,   u 0.9507 (90_100)  pay = SF                  year end 4 113.0272
    low 11.4:     SF 14 439.07584,  u 1.0008 (over)    pay = SF + 0.7 (FFS − SF) = 14 446.722752
                                                                                   year end 3 360.722752
    high 12.6:    SF 15 958.97856,  u 0.9054 (90_100)  pay = SF                  year end 4 872.97856
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dip_model
from citykit import case, hospital, load_city, params
from dip_model.analysis.bands import bands_of, edges
from dip_model.analysis.hospital_outlook import (
    MONTHLY_COLUMNS,
    SETTLEMENT_COLUMNS,
    outlook,
    point_values,
    published_range,
    write_outlook,
)
from dip_model.errors import DipError, ParameterError

REL = 1e-9
ADJ = 0.92 + 0.08 * 0.9
S = 800 + 400 + 1200 + 153.6
FFS, PREPAID = 14_450.0, 3500 + 1250 + 6336
FROM_RUN = ("final_payment", "monthly_prepaid", "year_end_settlement", "usage_rate", "total_score", "score_fund",
            "ffs_fund", "retained", "sharing", "pay_before_cap", "cap_deduction", "violation_deduction")


def close(a, b, rel=REL):
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel * max(abs(a), abs(b), 1.0))


def tiny_cases() -> list[dict]:
    return [case("A1", "H1", "G1", 9000, date="2024-01-10"), case("A2", "H1", "G2", 5500, date="2024-02-10"),
            case("A3", "H1", "G1", 12000, date="2024-03-10"), case("A4", "H1", "G2", 2400, date="2024-03-20")]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The hand-worked hospital folder (module docstring): no fund.csv."""
    return load_city(tmp_path_factory.mktemp("outlook"), [hospital("H1", "2A", 2, assessment_score=90)],
                     tiny_cases(), fund=None)


@pytest.fixture(scope="module")
def res(tiny):
    return dip_model.simulate(tiny, params({"point_value": {"given": {"employee": 12.0}}}))


# ---------------------------------------------------------------- by hand
def test_the_settlement_at_three_point_values_by_hand(res):
    assert res.mode == "hospital"
    ol = outlook(res, "H1")
    assert ol.pv == {"employee": (11.4, 12.0, 12.6)}                   # central ∓ 5 %, 3 decimals
    assert list(ol.settlement.columns) == SETTLEMENT_COLUMNS
    assert list(ol.settlement["point"]) == ["low", "central", "high"]
    assert list(ol.settlement["point_value_source"]) == ["spread", "given", "spread"]
    sf = {p: S * ADJ * pv * 0.5 for p, pv in (("low", 11.4), ("central", 12.0), ("high", 12.6))}
    pay = {"low": sf["low"] + 0.7 * (FFS - sf["low"]), "central": sf["central"], "high": sf["high"]}
    bands = {"low": "over_100", "central": "90_100", "high": "90_100"}
    for p in ("low", "central", "high"):
        r = ol.row("employee", p)
        assert close(r["score_fund"], sf[p]) and close(r["usage_rate"], FFS / sf[p]), p
        assert r["band"] == bands[p]
        assert close(r["final_payment"], pay[p]) and close(r["monthly_prepaid"], PREPAID)
        assert close(r["year_end_settlement"], pay[p] - PREPAID)
        assert close(r["vs_central"], pay[p] - pay["central"])
        assert math.isnan(r["cap_deduction"])                             # not applicable in a hospital folder
    assert close(ol.row("employee")["year_end_settlement"], 4113.0272)
    assert close(ol.row("employee", "low")["year_end_settlement"], 3360.722752)
    assert close(ol.row("employee", "high")["year_end_settlement"], 4872.97856)


def test_the_months_by_hand(res):
    m = outlook(res, "H1").monthly
    assert list(m.columns) == MONTHLY_COLUMNS and len(m) == 12 and list(m["month"]) == list(range(1, 13))
    m = m.set_index("month")
    score = {1: 800.0, 2: 400.0, 3: 1353.6}
    cost = {1: 9000.0, 2: 5500.0, 3: 14_400.0}
    for k in (1, 2, 3):
        sf = score[k] * ADJ * 12 * 0.5                                    # A-35 of the month (r = 0.5)
        assert close(m.at[k, "score"], score[k]) and close(m.at[k, "score_fund"], sf)
        assert close(m.at[k, "usage_rate"], cost[k] / 2 / sf)
    assert list(m.loc[[1, 2, 3], "band"]) == ["90_100", "over_100", "70_90"]   # 0.945, 1.152, 0.891
    assert list(m.loc[[1, 2, 3], "band_cum"]) == ["90_100", "over_100", "90_100"]   # 0.945, 1.007, 0.951
    assert close(m.at[2, "usage_rate_cum"], 7250 / (1200 * ADJ * 6))
    assert m.loc[4:, "usage_rate"].isna().all() and m.loc[4:, "band"].isna().all()   # no case: no use rate
    assert (m.loc[4:, "usage_rate_cum"] == m.at[3, "usage_rate_cum"]).all()
    assert list(m["cases"]) == [1, 1, 2] + [0] * 9
    assert list(m.loc[[1, 2, 3], "prepaid"]) == pytest.approx([3500, 1250, 6336], rel=REL)
    assert (m.loc[4:, "prepaid"] == 0).all() and close(m.at[12, "prepaid_cum"], PREPAID)
    assert (m["budget_point_value"] == 10.0).all()


def test_monthly_budget_point_values_reach_the_pre_payments(tiny):
    months = [10.0, 9.0, 8.0] + [10.0] * 9
    r = dip_model.simulate(tiny, params({"point_value": {"given": {"employee": 12.0},
                                                         "budget_monthly": {"employee": months}}}))
    m = outlook(r, "H1").monthly.set_index("month")
    assert list(m["budget_point_value"]) == months
    assert list(m.loc[[1, 2, 3], "prepaid"]) == pytest.approx([3500, 400 * 9 - 2750, 1353.6 * 8 - 7200], rel=REL)
    assert close(outlook(r, "H1").row("employee")["monthly_prepaid"], m["prepaid"].sum())


def test_given_values_and_their_sources(res):
    ol = outlook(res, "H1", low=10.0, high={"employee": 13.0})
    assert ol.pv["employee"] == (10.0, 12.0, 13.0)
    assert list(ol.settlement["point_value_source"]) == ["set", "given", "set"]
    ol = outlook(res, "H1", central=12.5, spread=0.1)
    assert ol.pv["employee"] == (11.25, 12.5, 13.75)
    assert list(ol.settlement["point_value_source"]) == ["spread", "set", "spread"]
    assert ol.row("employee")["point_value"] == 12.5


def test_a_published_value_with_more_decimals_and_no_spread(tiny):
    r = dip_model.simulate(tiny, params({"point_value": {"given": {"employee": 11.6955}}}))
    lo, c, hi = outlook(r, "H1", spread=0.0).pv["employee"]
    assert lo == c == hi == 11.6955                                       # rounding never passes the central value
    lo, c, hi = outlook(r, "H1", spread=0.01).pv["employee"]
    assert (lo, hi) == (11.579, 11.812)                                  # 11.578545, 11.812455


@pytest.mark.parametrize("kw, key", [
    ({"low": 12.5}, "forecast_pv_range"), ({"high": 11.0}, "forecast_pv_range"), ({"low": 0.0}, "forecast_pv_range"),
    ({"low": -1.0}, "forecast_pv_range"), ({"high": float("inf")}, "forecast_pv_range"),
    ({"central": float("nan")}, "forecast_pv_range"),
    ({"spread": 1.0}, "outlook_spread"), ({"spread": -0.1}, "outlook_spread"), ({"spread": "5%"}, "outlook_spread")])
def test_a_bad_range_is_refused_with_a_message(res, kw, key):
    with pytest.raises(ParameterError) as err:
        outlook(res, "H1", **kw)
    assert err.value.message.key == key
    assert err.value.text("zh") != str(err.value)


def test_an_unknown_hospital_is_refused(res):
    with pytest.raises(DipError) as err:
        outlook(res, "H9")
    assert err.value.message.key == "report_unknown_hospital" and "H9" in str(err.value)


def test_the_published_range(tiny):
    months = [9.0] * 6 + [9.6] * 6
    r = dip_model.simulate(tiny, params({"point_value": {"given": {"employee": 12.0},
                                                         "budget_monthly": {"employee": months}}}))
    assert published_range(r) == {"employee": (9.0, 12.0)}
    assert published_range(r, last_year=12.4) == {"employee": (9.0, 12.4)}
    assert published_range(r, last_year={"employee": 11.5}, budget=False) == {"employee": (11.5, 12.0)}
    lo, hi = published_range(r, last_year=12.4)["employee"]
    assert outlook(r, "H1", low=lo, high=hi).pv["employee"] == (9.0, 12.0, 12.4)


def test_write_outlook(res, tmp_path):
    ol = outlook(res, "H1")
    written = write_outlook(ol, tmp_path / "o")
    assert [p.name for p in written] == ["settlement.csv", "monthly.csv"]
    assert (tmp_path / "o" / "settlement.csv").read_bytes().startswith(b"\xef\xbb\xbfhospital_id,scheme,point,")
    back = pd.read_csv(tmp_path / "o" / "settlement.csv", encoding="utf-8-sig")
    assert list(back.columns) == SETTLEMENT_COLUMNS
    assert back["year_end_settlement"].tolist() == ol.settlement["year_end_settlement"].tolist()   # exact
    m = pd.read_csv(tmp_path / "o" / "monthly.csv", encoding="utf-8-sig")
    assert list(m.columns) == MONTHLY_COLUMNS and len(m) == 12


# ---------------------------------------------------------------- against the engine, on synthetic cities
def assert_is_the_run(ol, run, hid):
    """Every scheme's central row is the run's row of res.hospitals, exactly."""
    h = run.hospitals[run.hospitals["hospital_id"] == hid].set_index("scheme")
    assert set(ol.settlement["scheme"]) == set(h.index)
    for s in h.index:
        r = ol.row(s)
        assert r["point_value"] == h.at[s, "point_value"] and r["band"] == h.at[s, "band"]
        for c in FROM_RUN:
            a, b = float(r[c]), float(h.at[s, c])
            assert a == b or (math.isnan(a) and math.isnan(b)), (s, c)
        assert r["vs_central"] == 0.0


def assert_months(ol, run, hid):
    """The months against the run: pre-payments month by month and in all, and the December use rate."""
    h = run.hospitals[run.hospitals["hospital_id"] == hid].set_index("scheme")
    mon = run.monthly[run.monthly["hospital_id"] == hid].set_index("scheme")
    for s in h.index:
        m = ol.monthly[ol.monthly["scheme"] == s]
        assert m["prepaid"].tolist() == mon.loc[s, [f"{k:02d}" for k in range(1, 13)]].tolist()
        assert close(m["prepaid"].sum(), h.at[s, "monthly_prepaid"])
        assert close(m["prepaid_cum"].iloc[-1], h.at[s, "monthly_prepaid"])
        dec = m.iloc[-1]
        assert close(dec["usage_rate_cum"], h.at[s, "usage_rate"]) and dec["band_cum"] == h.at[s, "band"]
        assert close(dec["score_cum"], h.at[s, "total_score"]) and close(dec["score_fund_cum"], h.at[s, "score_fund"])
        assert close(dec["ffs_fund_cum"], h.at[s, "ffs_fund"]) and close(dec["total_cost_cum"], h.at[s, "total_cost"])
        assert int(m["cases"].sum()) == int(h.at[s, "cases"])


@pytest.fixture(scope="module")
def city_res(data):
    return dip_model.simulate(data, dip_model.load_params())


@pytest.fixture(scope="module")
def folder(city, city_res, tmp_path_factory):
    """The city's largest hospital alone, with the city's published figures (tests/hospitalkit.py)."""
    from hospitalkit import hospital_folder
    h = city_res.hospitals
    hid = str(h.groupby("hospital_id")["cases"].sum().idxmax())
    assert (h.loc[h["hospital_id"] == hid, "cap_deduction"] == 0).all()
    path, published = hospital_folder(city, city_res, [hid], tmp_path_factory.mktemp("one"))
    return hid, path, published


def test_the_central_row_is_the_city_runs_row(city_res):
    for hid in city_res.hospitals["hospital_id"].unique()[:4]:
        ol = outlook(city_res, hid)
        assert ol.mode == "city" and (ol.settlement.loc[ol.settlement["point"] == "central", "point_value_source"]
                                      == "computed").all()
        assert ol.runs["central"] is city_res
        assert_is_the_run(ol, city_res, hid)
        assert_months(ol, city_res, hid)


def test_the_central_row_is_the_hospital_folders_row(folder):
    hid, path, published = folder
    res = dip_model.simulate(dip_model.load_data(path), dip_model.load_params(published))
    ol = outlook(res, hid)
    assert ol.mode == "hospital"
    assert_is_the_run(ol, res, hid)
    assert_months(ol, res, hid)


def test_low_and_high_are_a_full_run_at_that_point_value(folder):
    """Each point of the range equals simulate() with point_value.given set to it, from a fresh dataset."""
    hid, path, published = folder
    res = dip_model.simulate(dip_model.load_data(path), dip_model.load_params(published))
    ol = outlook(res, hid, spread=0.08)
    for i, point in enumerate(("low", "high")):
        values = {s: ol.pv[s][0 if point == "low" else 2] for s in ol.pv}
        changed = {**published, "point_value": {"given": values}}
        full = dip_model.simulate(dip_model.load_data(path), dip_model.load_params(changed))
        h = full.hospitals.set_index("scheme")
        for s in ol.pv:
            r = ol.row(s, point)
            assert r["band"] == h.at[s, "band"]
            for c in FROM_RUN:
                a, b = float(r[c]), float(h.at[s, c])
                assert (math.isnan(a) and math.isnan(b)) or close(a, b), (point, s, c)


def test_the_city_run_at_another_point_value_is_a_full_run_too(data, city_res):
    hid = str(city_res.hospitals["hospital_id"].iloc[0])
    ol = outlook(city_res, hid, spread=0.3)                       # far enough for the cap to bite
    values = {s: ol.pv[s][2] for s in ol.pv}
    full = dip_model.simulate(data, dip_model.load_params({"point_value": {"given": values}}))
    h = full.hospitals[full.hospitals["hospital_id"] == hid].set_index("scheme")
    for s in ol.pv:
        for c in FROM_RUN:
            assert close(float(ol.row(s, "high")[c]), float(h.at[s, c])), (s, c)
    assert full.summary["schemes"]["employee"]["cap_deduction"] > 0   # the cap of a city run is the engine's


# ---------------------------------------------------------------- how the settlement moves with the point value
PROPERTY_CASES = [case(f"E{i}", "H1", g, c, date=f"2024-{1 + i % 12:02d}-10")
                  for i, (g, c) in enumerate([("G1", 9000), ("G2", 5500), ("G1", 12000), ("G2", 2400),
                                              ("G1", 10000), ("G2", 4000), ("G1", 9500), ("G2", 5000)])]
PROPERTY_CASES += [{**r, "case_id": "R" + r["case_id"][1:], "scheme": "resident"} for r in PROPERTY_CASES]


@pytest.fixture(scope="module")
def both_schemes(tmp_path_factory):
    return load_city(tmp_path_factory.mktemp("prop"), [hospital("H1", violation_amount=3000)], PROPERTY_CASES,
                     fund=None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.floats(6.0, 24.0), width=st.floats(0.0, 4.0))
def test_the_settlement_is_linear_within_a_band_and_rises_with_the_point_value_from_full_payment(both_schemes, start,
                                                                                                 width):
    """Between two point values in one band the year-end settlement is linear in the point value (pre-payments,
    violations and the fee-for-service fund do not move; SF does, in proportion). Its slope by band (A-36,
    the default rules): under 70 % pay = FFS, flat; 70–90 % employee FFS + 0.1 SF, rising, but resident
    FFS + (0.5 u − 0.35) SF = 1.5 FFS − 0.35 SF, falling; from 90 % on (SF, then SF plus a progressive share
    of the overspend) rising, and continuous across 100 % and the sharing edges. Linear means within one
    piece between two edges of the bands: over 100 % every sharing slice has its own rate, though the band
    label (over_100) is one. So from full payment up the
    settlement never falls as the point value rises; below it, it may (resident 70–90 %, and employee crossing
    70 %, where the 10 % retained is lost)."""
    lo, hi = round(start, 3), round(start + width, 3)             # use rates from 0.4 to 1.6 (all the bands)
    mid = round((lo + hi) / 2, 6)
    p = params({"point_value": {"given": {"employee": 12.0, "resident": 12.0}}})
    res = dip_model.simulate(both_schemes, p)
    ol = outlook(res, "H1", low=lo, central=mid, high=hi)
    for s in ("employee", "resident"):
        rows = [ol.row(s, pt) for pt in ("low", "central", "high")]
        ye = [float(r["year_end_settlement"]) for r in rows]
        bands = [r["band"] for r in rows]
        pieces = np.searchsorted(edges(bands_of(res.params, s)), [float(r["usage_rate"]) for r in rows])
        assert len({float(r["monthly_prepaid"]) for r in rows}) == 1           # A-32 uses the budget point value
        if len(set(pieces)) == 1 and hi > lo:
            assert close(ye[1], (ye[0] + ye[2]) / 2, rel=1e-7), (s, bands)   # linear within one band
            slope = (ye[2] - ye[0]) / (hi - lo)
            if bands[0] == "under_70":
                assert abs(slope) < 1e-6
            elif bands[0] == "70_90" and s == "resident":
                assert slope < 0
            else:
                assert slope > 0
        if all(b in ("90_100", "over_100") for b in bands):
            assert ye[0] <= ye[1] + 1e-9 and ye[1] <= ye[2] + 1e-9
        if s == "employee" and all(b != "under_70" for b in bands):
            assert ye[0] <= ye[1] + 1e-9 and ye[1] <= ye[2] + 1e-9


def test_the_resident_settlement_falls_in_the_70_90_band(both_schemes):
    """The case the property above allows: a higher point value, a lower resident settlement (A-36 (二))."""
    res = dip_model.simulate(both_schemes, params({"point_value": {"given": {"employee": 12.0, "resident": 12.0}}}))
    ffs = float(res.hospitals.set_index("scheme").at["resident", "ffs_fund"])
    sf_per_pv = float(res.hospitals.set_index("scheme").at["resident", "score_fund"]) / 12.0
    lo, hi = ffs / 0.88 / sf_per_pv, ffs / 0.72 / sf_per_pv                # u = 0.88 and 0.72
    ol = outlook(res, "H1", low=round(lo, 3), central=round((lo + hi) / 2, 3), high=round(hi, 3))
    rows = [ol.row("resident", pt) for pt in ("low", "central", "high")]
    assert [r["band"] for r in rows] == ["70_90"] * 3
    assert rows[0]["year_end_settlement"] > rows[1]["year_end_settlement"] > rows[2]["year_end_settlement"]


def test_point_values_of_a_city_run_cover_both_schemes(city_res):
    ranges, sources = point_values(city_res)
    assert set(ranges) == {"employee", "resident"}
    for s, (lo, c, hi) in ranges.items():
        assert c == city_res.summary["schemes"][s]["settlement_point_value"]
        assert lo < c < hi and sources[s] == ("spread", "computed", "spread")
    assert np.isfinite([v for r in ranges.values() for v in r]).all()
