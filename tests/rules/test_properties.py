"""Properties over random small cities (2–6 hospitals, both schemes, 5–60 cases) and of the bands."""
from __future__ import annotations

import datetime as dt
import tempfile
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dip_model
from dip_model.rules.risk_sharing import Bands, apply_bands
from citykit import CATALOGUE, LEVEL_COSTS, LEVELS, fund_row, load_city, merged, params

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TCM_CATALOGUE = CATALOGUE + [{"group_id": "G5", "group_type": "core", "rw": 800, "tcm_standard": 7000}]
TCM_COSTS = LEVEL_COSTS + [{"group_id": "G5", "level": lv, "mean_cost": 8000} for lv in LEVELS]
AUX = [{"aux_type": "severity_2", "aux_coef": 0.1}]
KNOWN = {"G1", "G2", "G3", "G4", "G5"}
DAY0 = dt.date(2024, 1, 1)

rare = st.sampled_from([False, False, False, True])


@st.composite
def hospitals(draw, n):
    out = []
    for i in range(n):
        h = {"hospital_id": f"H{i}", "level": draw(st.sampled_from(LEVELS)), "reimb_level": draw(st.integers(1, 3)),
             "is_new": draw(rare), "suspended": draw(rare), "fraud_penalized": draw(rare),
             "assessment_score": draw(st.integers(0, 100)),
             "violation_amount": draw(st.sampled_from([0, 0, 500, 5000])),
             "bonus": draw(st.one_of(st.none(), st.sampled_from([0.0, 0.05, 0.2])))}
        if draw(rare):
            day = draw(st.integers(0, 365))
            h["level_change_date"] = str(DAY0 + dt.timedelta(days=day))
            h["prev_level"] = draw(st.sampled_from(LEVELS))
        out.append(h)
    return out


case_fields = st.tuples(
    st.sampled_from(["employee", "resident"]),
    st.sampled_from(["G1", "G1", "G2", "G3", "G4", "G4", "G5", "GX"]),
    st.integers(100, 60000),                        # total cost
    st.floats(0.3, 0.95),                           # ffs share
    st.integers(0, 365), st.integers(0, 30),        # discharge day, length of stay
    st.sampled_from([None, "P0", "P1", "P2", "P3"]),
    st.sampled_from([True, True, True, True, False]),   # qc_pass
    st.sampled_from([True, True, True, True, False]),   # uploaded_on_time
    rare, rare,                                     # tcm_advantage, transferred
    st.sampled_from([None, None, "severity_2"]),
)


@st.composite
def cities(draw):
    hs = draw(hospitals(draw(st.integers(2, 6))))
    raw = draw(st.lists(case_fields, min_size=5, max_size=60))
    cases = []
    for j, (scheme, group, cost, share, day, los, pid, qc, ontime, tcm, transf, aux) in enumerate(raw):
        if j < 2:                                   # both schemes always present
            scheme = ("employee", "resident")[j]
        discharge = DAY0 + dt.timedelta(days=day)
        cases.append({"case_id": f"C{j:03d}", "hospital_id": hs[draw(st.integers(0, len(hs) - 1))]["hospital_id"],
                      "scheme": scheme, "discharge_date": str(discharge),
                      "admit_date": str(discharge - dt.timedelta(days=los)), "patient_id": pid,
                      "group_id": group, "total_cost": cost, "ffs_fund": round(cost * share, 2),
                      "qc_pass": qc, "uploaded_on_time": ontime, "tcm_advantage": tcm,
                      "transferred": transf, "aux_type": aux})
    fund = []
    for s in ("employee", "resident"):
        # prior expenditure near this year's FFS total, so usage rates fall around the bands
        ffs = sum(c["ffs_fund"] for c in cases if c["scheme"] == s)
        E = round(max(1000.0, ffs * draw(st.floats(0.8, 1.4))), 2)
        prior_rev = round(E * draw(st.floats(0.8, 1.2)), 2)
        lines = {k: round(E * draw(st.floats(0, 0.02)), 2) for k in
                 ("out_of_area", "local_outpatient", "maternity", "critical_illness_premium",
                  "non_dip_items", "other_rigid")}          # ≤ 12 % of E: F stays positive
        fund.append(fund_row(s, prior_expenditure=E, prior_revenue=prior_rev, revenue=round(prior_rev * 1.05, 2),
                             prior_adjustment_fund=round(E * draw(st.floats(0, 0.05)), 2),
                             opening_balance=E / 2, **lines))
    return hs, cases, fund


@st.composite
def band_params(draw):
    """Random but valid sharing bands for one scheme."""
    lo = round(draw(st.floats(0.5, 0.8)), 2)
    hi = round(draw(st.floats(lo + 0.05, 0.95)), 2)
    retained = [{"from": 0.0, "to": lo, "ratio": 0.0},
                {"from": lo, "to": hi, "ratio": round(draw(st.floats(0, 0.3)), 3)}]
    edge, overspend = 1.0, []
    for _ in range(draw(st.integers(1, 4))):
        edge = round(edge + draw(st.floats(0.05, 0.2)), 2)
        overspend.append({"to": edge, "rate": round(draw(st.floats(0, 1)), 3)})
    return {"retained": retained, "overspend": overspend}


@st.composite
def city_params(draw, city):
    changes = {
        "budget": {"growth_rate": round(draw(st.floats(-0.1, 0.2)), 3)},
        "coefficients": {"combine": draw(st.sampled_from(["multiply", "add", "level_only"]))},
        "cases": {"special_rate": draw(st.sampled_from([0.003, 0.003, 0.05, 0.2]))},
        "interpretations": {k: draw(st.sampled_from(v)) for k, v in {
            "I-1": ["per_hospital", "city"], "I-3": ["core", "unmatched"], "I-7": ["multiply", "no_multiply"],
            "I-8": ["per_scheme", "city"], "I-11": ["strict", "inclusive"],
            "I-12": ["transfer_flag", "readmission_only"], "I-13": ["after_bands", "net_of_violations"]}.items()},
    }
    if draw(st.booleans()):
        changes["sharing"] = {"employee": draw(band_params()), "resident": draw(band_params())}
    if draw(st.booleans()):
        # ρ given near its actual value, so that Σ pay and F are close: the cap bites now and then
        cases = pd.DataFrame(city[1])
        rho = cases.groupby("scheme")["ffs_fund"].sum() / cases.groupby("scheme")["total_cost"].sum()
        changes["payment_rate"] = {s: round(min(1.0, r * draw(st.floats(0.7, 1.1))), 4) for s, r in rho.items()}
    return changes


@st.composite
def scenarios(draw):
    city = draw(cities())
    return city, draw(city_params(city))


def simulate(city, changes):
    hs, cases, fund = city
    with tempfile.TemporaryDirectory() as folder:
        data = load_city(folder, hs, cases, fund=fund, catalogue=TCM_CATALOGUE, level_costs=TCM_COSTS, aux=AUX)
    return data, dip_model.simulate(data, params(changes))


def half_up(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- whole-city properties ----------------------------------------------------------------------

@SETTINGS
@given(scenario=scenarios())
def test_money_cap_specials_and_case_types(scenario):
    city, changes = scenario
    hs, cases, fund = city
    data, res = simulate(city, changes)
    h = res.hospitals
    # money is conserved: Σ pay before cap = Σ final + Σ cap + Σ violation deduction, per scheme
    for s in ("employee", "resident"):
        part = h[h["scheme"] == s]
        lhs = part["pay_before_cap"].sum()
        rhs = part["final_payment"].sum() + part["cap_deduction"].sum() + part["violation_deduction"].sum()
        assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-6)
        summary = res.summary["schemes"][s]
        assert summary["total_pay_before_cap"] == pytest.approx(lhs, rel=1e-9, abs=1e-6)
        assert summary["cap_deduction"] == pytest.approx(part["cap_deduction"].sum(), rel=1e-9, abs=1e-6)
    # the cap never deducts more than a hospital's retained + sharing
    assert (h["cap_deduction"] >= 0).all()
    assert (h["cap_deduction"] <= (h["retained"] + h["sharing"]) * (1 + 1e-9) + 1e-9).all()

    # every case gets exactly one type and one bucket, consistent with each other
    c = res.cases
    assert len(c) == len(cases) and set(c["case_id"]) == {x["case_id"] for x in cases}
    assert c["case_id"].is_unique
    assert c["case_type"].isin(["normal", "grassroots", "low", "high", "special", "unmatched", "tcm"]).all()
    assert c["bucket"].isin(["core", "grassroots", "tcm", "special"]).all()
    assert ((c["case_type"] == "special") == (c["bucket"] == "special")).all()
    assert ((c["case_type"] == "tcm") == (c["bucket"] == "tcm")).all()
    assert (c.loc[c["case_type"].isin(["unmatched", "normal"]), "bucket"] == "core").all()
    assert c.loc[c["bucket"] == "grassroots", "case_type"].isin(["grassroots", "low", "high"]).all()

    # special cases per hospital-scheme (or per scheme city-wide, I-1) ≤ max(1, round(rate · N))
    inp = pd.DataFrame(cases)
    eligible = (inp["qc_pass"] & inp["uploaded_on_time"] & inp["group_id"].isin(KNOWN)
                & ~(inp["tcm_advantage"] & (inp["group_id"] == "G5")))
    key = ["scheme"] if changes["interpretations"]["I-1"] == "city" else ["hospital_id", "scheme"]
    n = inp[eligible].groupby(key).size()
    special = c[c["case_type"] == "special"].groupby(key).size()
    rate = Decimal(repr(changes["cases"]["special_rate"]))
    for k, count in special.items():
        assert count <= max(1, half_up(rate * n.get(k, 0))), (k, count, n.get(k, 0))


@settings(SETTINGS, max_examples=25)
@given(city=cities(), g1=st.floats(-0.1, 0.25), step=st.floats(0.0, 0.25))
def test_more_budget_growth_never_lowers_the_point_value(city, g1, step):
    changes = {"budget": {"growth_cap": None, "prior_year_balanced": True, "growth_rate": round(g1, 4)}}
    data, low = simulate(city, changes)
    high = dip_model.simulate(data, params(merged(changes, {"budget": {"growth_rate": round(g1 + step, 4)}})))
    for s in ("employee", "resident"):
        a = low.summary["schemes"][s]["settlement_point_value"]
        b = high.summary["schemes"][s]["settlement_point_value"]
        assert b >= a, (s, a, b)


# --- the band function ----------------------------------------------------------------------------

def builtin_bands(scheme):
    p = params()
    return Bands(p.get(f"sharing.{scheme}.retained"), p.get(f"sharing.{scheme}.overspend"))


def pay_at(bands, u, sf, no_sharing=False):
    ffs = np.array([u * sf])
    return float(apply_bands(bands, ffs, np.array([sf]), np.array([no_sharing]))[4][0])


@SETTINGS
@given(sf=st.floats(1.0, 1e7))
@pytest.mark.parametrize("scheme, edge", [("employee", 0.9), ("resident", 0.9), ("resident", 0.7)])
def test_bands_continuous_at_their_edges(scheme, edge, sf):
    b = builtin_bands(scheme)
    at = pay_at(b, edge, sf)
    for delta in (1e-3, 1e-6, 1e-9):
        below = pay_at(b, edge - delta, sf)
        # the gap shrinks with delta: |pay(edge − δ) − pay(edge)| ≤ 2·δ·SF (+ rounding)
        assert abs(below - at) <= 2 * delta * sf + 1e-9 * sf, (delta, below, at)


@SETTINGS
@given(sf=st.floats(1.0, 1e7), u1=st.floats(0.9, 2.0), du=st.floats(0.0, 1.0),
       scheme=st.sampled_from(["employee", "resident"]), custom=st.one_of(st.none(), band_params()),
       no_sharing=st.booleans())
def test_pay_non_decreasing_in_ffs_above_90_percent(sf, u1, du, scheme, custom, no_sharing):
    b = builtin_bands(scheme)
    if custom is not None:
        b = Bands(b.retained, custom["overspend"])
    p1 = pay_at(b, u1, sf, no_sharing)
    p2 = pay_at(b, u1 + du, sf, no_sharing)
    assert p2 >= p1 - 1e-9 * sf
