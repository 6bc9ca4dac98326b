"""AppTest checks of the hospital-settlement and risk-sharing pages: they render in both languages, the
figures they show are the engine's, and changing a band changes the payouts by what dip_model gives."""

import numpy as np
import pytest

import dip_model
from apptest import decode as _decode, open_page
from dip_model.analysis.bands import bands_of, curve, regions
from dip_model.rules.articles import article

TIGHTER = {"sharing": {"employee": {"overspend": [{"to": 1.1, "rate": 0.5}, {"to": 1.2, "rate": 0.5},
                                                  {"to": 1.3, "rate": 0.4}, {"to": 1.4, "rate": 0.3}]}}}



def _page(*args, **kw):
    return open_page(*args, timeout=60, **kw)


def _table(at, column):
    """The first table with that column (display tables carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_hospital_table_trace_click_and_filters(city, data, monkeypatch):
    at = _page(city, monkeypatch, "hospitals")
    assert not at.error
    res = dip_model.simulate(data, dip_model.load_params())
    shown = at.dataframe[0].value
    assert len(shown) == len(res.hospitals)
    assert np.array_equal(shown["年度支付总额（元）"].to_numpy(), res.hospitals["final_payment"].to_numpy())
    assert np.allclose(shown["基金使用率（%）"].to_numpy(), res.hospitals["usage_rate"].to_numpy() * 100)

    # picking a hospital shows its trace: the final step is the table's final payment, with the legal text
    h = res.hospitals.sort_values("usage_rate").iloc[-1]          # the most over-spent row
    at.selectbox(key="hsp_pick").select(f"{h['hospital_id']}|{h['scheme']}").run()
    assert not at.exception and not at.error
    steps = _table(at, "步骤")
    assert steps.loc[steps["步骤"] == "年度支付总额", "结果"].iloc[0] == h["final_payment"]
    assert steps.loc[steps["步骤"] == "年终清算", "结果"].iloc[0] == h["year_end_settlement"]
    assert any(e.label == "条款原文：A-36" for e in at.expander)
    assert any(article("A-36")["text"][:30] in m.value for m in at.markdown)
    assert f"{h['hospital_id']} {h['name']}" in at.subheader[0].value

    # a click on a table row picks that row
    table = next(d for d in at.dataframe if d.key and d.key.startswith("hsp_table:"))
    at.session_state[table.key] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    at.run()
    row = res.hospitals.iloc[3]
    assert at.selectbox(key="hsp_pick").value == f"{row['hospital_id']}|{row['scheme']}"

    # filters: level (the sidebar's scheme filter in the next test)
    at.multiselect(key="hsp_f_level").set_value(["3A"]).run()
    shown = at.dataframe[0].value
    assert len(shown) > 0 and set(shown["等级"]) == {"三级甲等"}

    # in English, in 万元
    at.session_state["lang"] = "en"
    at.session_state["money_unit"] = "wan"
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Hospital settlement"
    assert "Final payment (10k yuan)" in at.dataframe[0].value.columns


def test_winners_and_losers_against_the_baseline(city, data, monkeypatch):
    at = _page(city, monkeypatch, "hospitals", values=TIGHTER, state={"scheme_filter": "employee"})
    base = dip_model.simulate(data, dip_model.load_params()).hospitals
    cur = dip_model.simulate(data, dip_model.load_params(TIGHTER)).hospitals
    diff = (cur["final_payment"] - base["final_payment"]).to_numpy()[(cur["scheme"] == "employee").to_numpy()]
    shown = _table(at, "变化（元）")
    assert set(shown["险种"]) == {"职工医保"}
    assert np.allclose(np.sort(shown["变化（元）"].to_numpy()), np.sort(diff), rtol=0, atol=1e-6)
    assert shown["变化（元）"].is_monotonic_decreasing
    assert (diff < 0).any() and len(at.get("plotly_chart")) == 3     # changes, monthly, scatter


def test_tighter_overspend_band_lowers_an_over_100_hospital(city, data, monkeypatch):
    edit = {"edited_rows": {0: {"rate": 50.0}}, "added_rows": [], "deleted_rows": []}
    at = _page(city, monkeypatch, "bands", state={"bnd_ed:0:employee:overspend:0": edit})
    assert not at.error
    assert at.session_state["scenario_values"] == TIGHTER
    base = dip_model.simulate(data, dip_model.load_params()).hospitals
    cur = dip_model.simulate(data, dip_model.load_params(TIGHTER)).hospitals
    over = (cur["scheme"] == "employee") & (cur["usage_rate"] > 1.0) & ~cur["suspended"] & ~cur["fraud_penalized"]
    assert over.any()
    shown = _table(at, "年度支付总额变化（元）")
    got = shown["年度支付总额（元）"].to_numpy()[over.to_numpy()]
    assert np.array_equal(got, cur.loc[over, "final_payment"].to_numpy())
    change = shown["年度支付总额变化（元）"].to_numpy()[over.to_numpy()]
    expected = (cur["final_payment"] - base["final_payment"]).to_numpy()[over.to_numpy()]
    assert np.allclose(change, expected, rtol=0, atol=1e-6) and (change < 0).all()
    # the curve drawn is the engine's: at u = 1.1 an employee hospital gets 1 + 0.5 × 0.1 of its score fund
    fig = at.get("plotly_chart")[0].proto.spec
    import json
    traces = {tr.get("name"): tr for tr in json.loads(fig)["data"]}
    tr = traces["职工医保：当前情景"]
    x, y = _decode(tr["x"]), _decode(tr["y"])
    assert y[np.argmin(np.abs(x - 1.1))] == pytest.approx(1.05)
    assert np.array_equal(y, curve(bands_of(dip_model.load_params(TIGHTER), "employee"))["pay_ratio"].to_numpy())


def test_invalid_band_gives_the_engines_message(city, monkeypatch):
    edit = {"edited_rows": {0: {"rate": 150.0}}, "added_rows": [], "deleted_rows": []}
    at = _page(city, monkeypatch, "bands", state={"bnd_ed:0:employee:overspend:0": edit})
    with pytest.raises(dip_model.ParameterError) as err:
        dip_model.load_params({"sharing": {"employee": {"overspend": [{"to": 1.1, "rate": 1.5}]}}})
    assert err.value.text("zh") in [e.value for e in at.error]      # the engine's message, in the page's language
    assert not at.get("plotly_chart")                          # no stale chart
    gap = {"edited_rows": {1: {"from": 75.0}}, "added_rows": [], "deleted_rows": []}
    at = _page(city, monkeypatch, "bands", lang="en", state={"bnd_ed:0:resident:retained:0": gap})
    assert at.title[0].value == "Risk-sharing bands"
    assert any("sharing.resident.retained[1]" in e.value and "gaps" in e.value for e in at.error)
    assert not at.get("plotly_chart")


def test_band_regions_follow_the_parameters():
    p = dip_model.load_params()
    r = regions(bands_of(p, "resident"))
    assert [x["kind"] for x in r] == ["retained", "retained", "full"] + ["overspend"] * 4 + ["beyond"]
    assert r[1]["ratio"] == {"slope": 0.5, "intercept": -0.35} and r[3]["rate"] == 0.5
    c = curve(bands_of(p, "employee"))
    assert c.loc[c["usage_rate"] == 0.5, "pay_ratio"].iloc[0] == 0.5           # FFS below 70 %
    assert c.loc[c["usage_rate"] == 0.8, "pay_ratio"].iloc[0] == pytest.approx(0.9)   # FFS + 10 % of SF
    assert c["pay_ratio"].iloc[-1] == pytest.approx(1 + 0.1 * (0.7 + 0.5 + 0.4 + 0.3))
