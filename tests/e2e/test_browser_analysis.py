"""End to end in headless Chromium: the projection and sensitivity pages load and show the engine's figures.
Screenshots go to tests/artifacts/."""
import dip_model
from dip_model.analysis.projection import project

from e2e_support import settle, shot


def _no_error(pg):
    assert pg.locator("[data-testid='stException']").count() == 0
    text = pg.inner_text("[data-testid='stMain']")
    assert "Traceback" not in text and "意外错误" not in text
    return text


def test_projection_page_shows_the_breach_year(page, app_url, city):
    page.goto(f"{app_url}/projection")
    settle(page)
    text = _no_error(page)
    pr = project(dip_model.load_data(city))
    for _, b in pr.breaches.iterrows():
        scheme = {"employee": "职工医保", "resident": "居民医保"}[b["scheme"]]
        if b["first_out_of_band_year"] is not None and b["first_out_of_band_year"] == b["first_out_of_band_year"]:
            assert f"{scheme}：第{int(b['first_out_of_band_year'])}年" in text
        else:
            assert f"{scheme}：5年内累计结余始终在" in text
    assert page.locator("[data-testid='stPlotlyChart']").count() == 4
    shot(page, "page_projection_zh")


def test_sensitivity_page_shows_the_point_value(page, app_url, city):
    page.goto(f"{app_url}/sensitivity")
    settle(page, timeout=120_000)
    text = _no_error(page)
    res = dip_model.simulate(dip_model.load_data(city), dip_model.load_params())
    assert f"{res.summary['schemes']['employee']['settlement_point_value']:.3f}" in text
    assert page.locator("[data-testid='stPlotlyChart']").count() == 2
    shot(page, "page_sensitivity_zh")
