"""AppTest checks of the uncertainty and hospital-forecast pages: they render in both languages and the figures
they show are dip_model's (montecarlo.run_montecarlo, hospital_forecast.forecast)."""
import json

import numpy as np

import dip_model
from apptest import decode as _decode, open_page as _page
from dip_model.analysis.hospital_forecast import forecast
from dip_model.analysis.montecarlo import run_montecarlo
from ui.i18n import money

SETTINGS = {"draws": 30, "seed": 5, "values": {}}



def _metric(at, label):
    return next(m for m in at.metric if m.label.startswith(label))


def test_uncertainty_page_shows_the_montecarlo(city, data, monkeypatch):
    at = _page(city, monkeypatch, "uncertainty", state={"unc_settings": dict(SETTINGS)})
    assert not at.error, [e.value for e in at.error]
    mc = run_montecarlo(data, dip_model.load_params(), draws=30, seed=5, scheduler="sync")
    q = mc.scheme_quantiles()
    pv = q[q["metric"] == "settlement_point_value"].set_index("scheme")
    cards = [m for m in at.metric if m.label == "结算点值 P50"]
    assert [c.value for c in cards] == [f"{pv.loc[s, 'p50']:.3f}" for s in dip_model.SCHEMES]
    assert f"{pv.loc['employee', 'p10']:.3f}" in cards[0].delta and f"{pv.loc['employee', 'p90']:.3f}" in cards[0].delta
    bal = q[q["metric"] == "fund_closing_balance"].set_index("scheme")
    assert _metric(at, "基金年末结余 P50").value == money(bal.loc["employee", "p50"], "zh")
    # the hospital table: every hospital × scheme, with the P10 / P50 / P90 of dip_model
    table = next(d.value for d in at.dataframe if "医院编码" in d.value.columns)
    hq = mc.hospital_quantiles()
    assert len(table) == len(hq)
    assert np.allclose(table["年度支付总额 P50（元）"].to_numpy(float), hq["final_payment_p50"].to_numpy())
    assert np.allclose(table["年终清算 P90（元）"].to_numpy(float), hq["year_end_settlement_p90"].to_numpy())
    # the fund path chart carries P50 of the path
    traces = [tr for c in at.get("plotly_chart") for tr in json.loads(c.proto.spec)["data"]]
    p50 = next(tr for tr in traces if tr.get("name") == "职工医保 P50")
    pq = mc.path_quantiles()
    assert np.allclose(_decode(p50["y"]), pq[pq["scheme"] == "employee"]["p50"].to_numpy())

    # a new seed from the form gives that seed's draws
    at.number_input(key="unc_seed").set_value(6)
    at.button[0].click().run()
    assert not at.exception
    mc6 = run_montecarlo(data, dip_model.load_params(), draws=30, seed=6, scheduler="sync")
    q6 = mc6.scheme_quantiles()
    p50 = q6[(q6["metric"] == "settlement_point_value") & (q6["scheme"] == "employee")]["p50"].iloc[0]
    assert [m for m in at.metric if m.label == "结算点值 P50"][0].value == f"{p50:.3f}"


def test_uncertainty_page_in_english_and_bad_scenario(city, monkeypatch):
    at = _page(city, monkeypatch, "uncertainty", lang="en", state={"unc_settings": dict(SETTINGS)})
    assert not at.error
    assert any(m.label == "Point value P50" for m in at.metric)
    bad = _page(city, monkeypatch, "uncertainty", state={"unc_settings": dict(SETTINGS),
                                                        "scenario_values": {"budget": {"growth_cap": "x"}}})
    assert bad.error and "growth_cap" in bad.error[0].value


def test_hospital_forecast_page_shows_the_forecast(city, data, monkeypatch):
    at = _page(city, monkeypatch, "hospital_forecast", state={"hf_pv_source": "manual"})
    assert not at.error, [e.value for e in at.error]
    params = dip_model.load_params()
    res = dip_model.simulate(data, params)
    hid = res.hospitals.groupby("hospital_id")["cases"].sum().idxmax()
    pv = {s: tuple(round(v["settlement_point_value"] * f, 3) for f in (0.95, 1.0, 1.05))
          for s, v in res.summary["schemes"].items()}
    fc = forecast(data, params, hid, months=6, pv_range=pv)
    finals = [m for m in at.metric if m.label == "预计年度支付总额"]
    assert [m.value for m in finals] == [money(v, "zh") for v in fc.summary["final_payment"]]
    r = fc.summary.iloc[0]
    assert money(r["final_payment_p10"], "zh") in finals[0].delta and money(r["final_payment_p90"], "zh") in finals[0].delta
    ye = [m for m in at.metric if m.label.startswith("预计年终清算")]
    assert [m.value for m in ye] == [money(abs(v), "zh") for v in fc.summary["year_end_settlement"]]
    assert all(("应补付" in m.label) == (v >= 0) for m, v in zip(ye, fc.summary["year_end_settlement"]))
    usage = [m for m in at.metric if m.label == "预计基金使用率"]
    assert [m.value for m in usage] == [f"{v:.1%}" for v in fc.summary["usage_rate"]]
    drivers = next(d.value for d in at.dataframe if "区间边界" in d.value.columns)
    assert drivers["剩余月份次均费用变化"].tolist() == [f"{v:+.1%}" for v in fc.drivers["cost_change"]]
    assert drivers["到达边界的点值"].tolist() == [f"{v:.3f}" for v in fc.drivers["point_value_at_edge"]]

    # fewer months elapsed: the figures follow
    at.number_input(key="hf_months").set_value(3).run()
    assert not at.exception and not at.error
    fc3 = forecast(data, params, hid, months=3, pv_range=pv)
    assert [m.value for m in at.metric if m.label == "预计年度支付总额"] == [money(v, "zh") for v in fc3.summary["final_payment"]]


def test_hospital_forecast_upload(city, data, monkeypatch):
    params = dip_model.load_params()
    res = dip_model.simulate(data, params)
    hid = res.hospitals.groupby("hospital_id")["cases"].sum().idxmax()
    c = data.cases
    mine = c[(c["hospital_id"] == hid) & (c["discharge_date"].dt.month <= 5)].copy()
    for col in ("discharge_date", "admit_date"):
        mine[col] = mine[col].dt.strftime("%Y-%m-%d")
    at = _page(city, monkeypatch, "hospital_forecast", lang="en",
               state={"hf_pv_source": "manual", "hf_source": "upload"})
    assert any("Upload" in i.value for i in at.info) and not at.metric
    # a file with a bad row is refused, naming its row and column
    bad = mine.copy()
    bad.loc[bad.index[1], "total_cost"] = -1
    at.file_uploader(key="hf_upload").set_value(("ytd.csv", bad.to_csv(index=False).encode("utf-8"), "text/csv")).run()
    assert not at.exception
    assert at.error and "ytd.csv, row 3, column total_cost" in at.error[0].value
    # the hospital's own months 1–5: the same forecast as picking them from the data
    at.file_uploader(key="hf_upload").set_value(("ytd.csv", mine.to_csv(index=False).encode("gb18030"), "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    pv = {s: tuple(round(v["settlement_point_value"] * f, 3) for f in (0.95, 1.0, 1.05))
          for s, v in res.summary["schemes"].items()}
    fc = forecast(data, params, hid, months=5, pv_range=pv)
    finals = [m for m in at.metric if m.label.startswith("Expected final payment")]
    assert [m.value for m in finals] == [f"{v:,.0f}" for v in fc.summary["final_payment"]]
