"""End to end in headless Chromium: the uncertainty and hospital-forecast pages load with their defaults, show
dip_model's figures, answer a changed input, and switch language. Screenshots go to tests/artifacts/."""
import dip_model
from dip_model.analysis.hospital_forecast import forecast, pv_range_from_montecarlo
from dip_model.analysis.montecarlo import run_montecarlo
from ui.i18n import money

from e2e_support import ARTIFACTS, settle, shot


def _no_error(pg):
    assert pg.locator("[data-testid='stException']").count() == 0
    text = pg.inner_text("[data-testid='stMain']")
    assert "Traceback" not in text
    assert pg.locator("[data-testid='stAlertContentError']").count() == 0, text[:500]


def _shot_charts(pg, name):
    """Each chart of the page on its own (the page scrolls inside the app, past the first screen)."""
    charts = pg.locator("[data-testid='stPlotlyChart']")
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        pg.wait_for_timeout(400)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        charts.nth(i).screenshot(path=str(ARTIFACTS / f"{name}_chart{i + 1}.png"))


def _metric_values(pg, label):
    cards = pg.locator("[data-testid='stMetric']").filter(has_text=label)
    return [cards.nth(i).locator("[data-testid='stMetricValue']").inner_text().strip() for i in range(cards.count())]


def test_uncertainty_page(page, app_url, city):
    data = dip_model.load_data(city)
    mc = run_montecarlo(data, dip_model.load_params(), draws=200, seed=0, scheduler="sync")
    q = mc.scheme_quantiles()
    pv = q[q["metric"] == "settlement_point_value"].set_index("scheme")
    page.goto(f"{app_url}/uncertainty")
    settle(page, timeout=120_000)
    _no_error(page)
    assert _metric_values(page, "结算点值 P50") == [f"{pv.loc[s, 'p50']:.3f}" for s in dip_model.SCHEMES]
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 3
    shot(page, "page_uncertainty_zh")
    _shot_charts(page, "page_uncertainty_zh")

    # fewer draws, another seed: the page answers with that run
    page.get_by_role("spinbutton", name="抽样次数").fill("100")
    page.get_by_role("spinbutton", name="随机种子").fill("9")
    page.get_by_role("button", name="运行").click()
    settle(page, timeout=120_000)
    mc9 = run_montecarlo(data, dip_model.load_params(), draws=100, seed=9, scheduler="sync")
    q9 = mc9.scheme_quantiles()
    want = q9[(q9["metric"] == "settlement_point_value")].set_index("scheme")["p50"]
    assert _metric_values(page, "结算点值 P50") == [f"{want[s]:.3f}" for s in dip_model.SCHEMES]
    _no_error(page)

    page.get_by_text("English", exact=True).click()
    settle(page, timeout=120_000)
    assert page.get_by_text("Point value P50").first.is_visible()
    shot(page, "page_uncertainty_en")
    _no_error(page)


def test_hospital_forecast_page(page, app_url, city):
    data = dip_model.load_data(city)
    params = dip_model.load_params()
    res = dip_model.simulate(data, params)
    hid = res.hospitals.groupby("hospital_id")["cases"].sum().idxmax()
    rng = pv_range_from_montecarlo(run_montecarlo(data, params, draws=200, seed=0, scheduler="sync"))
    fc = forecast(data, params, hid, months=6, pv_range=rng)
    page.goto(f"{app_url}/hospital_forecast")
    settle(page, timeout=120_000)
    _no_error(page)
    assert _metric_values(page, "预计年度支付总额") == [money(v, "zh") for v in fc.summary["final_payment"]]
    assert page.get_by_text("进入相邻区间需要的变化").first.is_visible()
    shot(page, "page_hospital_forecast_zh")
    _shot_charts(page, "page_hospital_forecast_zh")

    # fewer months elapsed
    box = page.get_by_role("spinbutton", name="已过月数 m")
    box.fill("3")
    box.press("Enter")
    settle(page, timeout=120_000)
    fc3 = forecast(data, params, hid, months=3, pv_range=rng)
    assert _metric_values(page, "预计年度支付总额") == [money(v, "zh") for v in fc3.summary["final_payment"]]
    _no_error(page)

    page.get_by_text("English", exact=True).click()
    settle(page, timeout=120_000)
    assert page.get_by_text("Expected final payment").first.is_visible()
    shot(page, "page_hospital_forecast_en")
    _no_error(page)
