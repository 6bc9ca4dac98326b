"""AppTest checks of the projection and sensitivity pages: they render in both languages and the figures
they draw are dip_model's (projection, points race, tornado, one-way sweep)."""
import json

import numpy as np
import pytest

import dip_model
from apptest import decode as _decode, open_page as _page
from dip_model.analysis.assumptions import load_assumptions
from dip_model.analysis.projection import points_race_comparison, project
from dip_model.analysis.sensitivity import DEFAULT_SLOTS, Metric, one_way, tornado

FAST = {k: 8.0 for k in ("3A", "3B", "2A", "2B", "1", "other")}



def _spec(at, i):
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def _trace(spec, name):
    return next(tr for tr in spec["data"] if tr.get("name") == name)


def test_projection_page_draws_the_engines_years(city, data, monkeypatch):
    values = {"budget": {"growth_rate": 0.04}}
    at = _page(city, monkeypatch, "projection", values=values)
    assert not at.error
    pr = project(data, dip_model.load_params(values), load_assumptions())
    pv = _spec(at, 0)
    assert pv["layout"]["title"]["text"] == "结算点值（A-34）"
    for s, name in (("employee", "职工医保"), ("resident", "居民医保")):
        want = pr.years[pr.years["scheme"] == s]["settlement_point_value"].to_numpy()
        assert np.array_equal(_decode(_trace(pv, name)["y"]), want)
    months = _spec(at, 3)
    want = pr.years[pr.years["scheme"] == "resident"]["months_of_payment"].to_numpy()
    assert np.allclose(_decode(_trace(months, "居民医保")["y"]), want, rtol=1e-12)
    assert months["layout"]["shapes"][0]["y0"] == 6 and months["layout"]["shapes"][0]["y1"] == 9
    # the year-by-year table: the budget of year 2 follows year 1's spending (A-10)
    table = at.dataframe[0].value
    assert len(table) == len(pr.years)
    assert any("race" in i.value or "点数竞赛未开启" in i.value for i in at.info)   # elasticity 0: the race is off


def test_points_race_on_the_page(city, data, monkeypatch):
    at = _page(city, monkeypatch, "projection")
    for lv, v in FAST.items():
        at.number_input(key=f"w:0:zh:prj:volume_growth.{lv}").set_value(v)
    at.number_input(key="w:0:zh:prj:points_race.elasticity").set_value(1.5)
    at.run()
    assert not at.exception and not at.error
    asm = {"volume_growth": {k: v / 100 for k, v in FAST.items()}, "points_race": {"elasticity": 1.5}}
    cmp = points_race_comparison(data, dip_model.load_params(), load_assumptions(asm))
    race = _spec(at, 4)
    spiral = cmp["paths"][(cmp["paths"]["setting"] == "spiral") & (cmp["paths"]["scheme"] == "employee")]
    assert np.allclose(_decode(_trace(race, "螺旋情形（当前设置）")["y"]), spiral["pv_index"].to_numpy() * 100, rtol=1e-12)
    assert any("螺旋" in w.value for w in at.warning)
    table = at.dataframe[-1].value
    sm = cmp["summary"][cmp["summary"]["scheme"] == "employee"]
    assert list(table["对点值下滑的作用"]) == [{"reference": "参照", "damps": "抑制", "amplifies": "加剧",
                                           "no_effect": "无影响"}[e] for e in sm["effect"]]


def test_projection_bands_on_the_page(city, data, monkeypatch):
    at = _page(city, monkeypatch, "projection")
    at.number_input(key="w:0:zh:prj:fan_draws").set_value(20)
    at.number_input(key="w:0:zh:prj:fan_seed").set_value(4)
    at.button(key="prj_fan_run").click().run()
    assert not at.exception and not at.error
    from dip_model.analysis.projection_fan import projection_fan
    fan = projection_fan(data, dip_model.load_params(), load_assumptions(), draws=20, seed=4)
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if "预测区间" in json.loads(c.proto.spec)["layout"]["title"]["text"])
    want = fan.bands[(fan.bands["metric"] == "months_of_payment") & (fan.bands["scheme"] == "resident")]
    assert np.allclose(_decode(_trace(spec, "居民医保 P50")["y"]), want["p50"].to_numpy(), rtol=1e-12)
    risk = next(d.value for d in at.dataframe if "在指导区间外的抽样占比（%）" in d.value.columns)
    assert np.allclose(risk["在指导区间外的抽样占比（%）"].to_numpy(),
                       (fan.risk["share_out_of_band"] * 100).round(1).to_numpy())
    at.number_input(key="w:0:zh:prj:fan_seed").set_value(5).run()          # stale: asks to run again
    assert any("重新计算" in i.value for i in at.info)


def test_projection_page_in_english(city, monkeypatch):
    at = _page(city, monkeypatch, "projection", lang="en")
    assert not at.error
    assert at.title[0].value == "Multi-year projection" or at.title[0].value
    assert "Year" in at.dataframe[0].value.columns


def test_sensitivity_page_draws_the_engines_tornado_and_sweep(city, data, monkeypatch):
    at = _page(city, monkeypatch, "sensitivity")
    assert not at.error
    p = dip_model.load_params()
    metric = Metric("point_value", "employee")
    df = tornado(data, p, metric, list(DEFAULT_SLOTS))
    spec = _spec(at, 0)
    low = _trace(spec, "参数下调 10%")
    assert list(low["y"]) == df["label_zh"].tolist()[::-1]
    assert np.allclose(_decode(low["x"]), df["bar_low"].to_numpy()[::-1], rtol=0, atol=1e-12)
    assert at.metric[0].value == f"{df['base_output'].iloc[0]:.3f}"
    sw = one_way(data, p, metric, DEFAULT_SLOTS[0], points=11)
    spec = _spec(at, 1)
    assert np.allclose(_decode(_trace(spec, "结果")["y"]), sw["output"].to_numpy(), rtol=0, atol=1e-12)
    cur = _trace(spec, "当前值")
    assert _decode(cur["x"])[0] == pytest.approx(sw.loc[sw["is_current"], "value"].iloc[0])

    # one hospital's year-end settlement, parameters ±20 %
    at.selectbox(key="w:0:zh:sen:output").select("year_end_settlement").run()
    at.selectbox(key="w:0:zh:sen:scheme:year_end_settlement").select("resident").run()
    at.selectbox(key="w:0:zh:sen:hospital:resident").select("H005").run()
    at.slider(key="w:0:zh:sen:range").set_value(20).run()
    assert not at.exception and not at.error
    metric = Metric("year_end_settlement", "resident", "H005")
    df = tornado(data, p, metric, list(DEFAULT_SLOTS), rel=0.2)
    high = _trace(_spec(at, 0), "参数上调 20%")
    assert np.allclose(_decode(high["x"]), df["bar_high"].to_numpy()[::-1], rtol=0, atol=1e-6, equal_nan=True)
    assert df["error"].notna().any()                 # +20 % puts the 90 % retained edge above 100 %: reported
    assert any("条长为0" in c.value for c in at.caption)


def test_sensitivity_page_in_english(city, monkeypatch):
    at = _page(city, monkeypatch, "sensitivity", lang="en")
    assert not at.error
    assert at.title[0].value == "Sensitivity"
