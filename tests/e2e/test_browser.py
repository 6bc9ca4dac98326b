"""End to end in headless Chromium: every page loads, inputs move the figures, scenarios travel by link,
a hospital's trace opens, the language switches. Screenshots go to tests/artifacts/."""
import dip_model

from e2e_support import settle, shot

PAGES = ["overview", "budget", "groups", "coefficients", "hospitals", "bands", "fund", "scenarios", "data", "rules"]


def _no_error(pg):
    assert pg.locator("[data-testid='stException']").count() == 0
    text = pg.inner_text("[data-testid='stMain']")
    assert "Traceback" not in text


def test_every_page_loads(page, app_url):
    for name in PAGES:
        page.goto(f"{app_url}/{name}" if name != "overview" else app_url)
        settle(page)
        _no_error(page)
        shot(page, f"page_{name}_zh")


def test_language_switch(page, app_url):
    page.goto(app_url)
    settle(page)
    page.get_by_text("English", exact=True).click()
    settle(page)
    assert page.get_by_text("Settlement point value").first.is_visible()
    shot(page, "page_overview_en")
    _no_error(page)


def _point_values(city, changes):
    res = dip_model.simulate(dip_model.load_data(city), dip_model.load_params(changes))
    return {s: f"{v['settlement_point_value']:.3f}" for s, v in res.summary["schemes"].items()}


def test_moving_the_growth_rate_moves_the_point_value(page, app_url, city):
    page.goto(f"{app_url}/budget")
    settle(page)
    page.get_by_text("跟随基金预算收入增长率", exact=False).first.click()     # employee: set g by hand
    settle(page)
    box = page.get_by_role("spinbutton", name="预算增长率（职工医保）（%）")
    box.fill("1.5")
    box.press("Enter")
    settle(page)
    shot(page, "budget_growth_changed")
    _no_error(page)
    page.get_by_role("link", name="总览").click()
    settle(page)
    text = page.inner_text("[data-testid='stMain']")
    expected = _point_values(city, {"budget": {"growth_rate": {"employee": 0.015, "resident": None}}})
    before = _point_values(city, {})
    assert expected["employee"] != before["employee"]
    assert expected["employee"] in text
    shot(page, "overview_after_growth_change")


def test_clicking_a_hospital_opens_its_trace(page, app_url):
    page.goto(f"{app_url}/hospitals")
    settle(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # the second data row's selection box (header and rows are about 35 px high)
    page.mouse.click(box["x"] + 14, box["y"] + 35 + 35 + 17)
    settle(page)
    title = page.get_by_text("计算过程：", exact=False).first
    assert title.is_visible()
    assert "居民医保" in title.inner_text()          # rows alternate employee / resident per hospital
    assert page.get_by_text("A-37", exact=False).first.is_visible()
    shot(page, "hospital_trace")
    _no_error(page)


def test_save_a_scenario_and_reopen_it_by_its_link(page, app_url, city, browser):
    # change a parameter through the link itself, then save it under a name
    from ui.state import encode_values
    changes = {"budget": {"growth_rate": {"employee": 0.01, "resident": 0.02}}}
    page.goto(f"{app_url}/scenarios?p={encode_values(changes)}")
    settle(page)
    page.get_by_role("textbox", name="情景名称").fill("增长1%-2%")
    page.get_by_role("button", name="保存情景").click()
    settle(page)
    _no_error(page)
    shot(page, "scenario_saved")
    assert page.get_by_text("增长1%-2%").first.is_visible()
    link = page.url
    assert "p=" in link
    # a fresh browser session opens the link and gets the same scenario
    other = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    other.goto(link.replace("/scenarios", "/"))
    settle(other)
    text = other.inner_text("[data-testid='stMain']")
    shot(other, "scenario_reopened_by_link")
    assert _point_values(city, changes)["employee"] in text
    other.context.close()
