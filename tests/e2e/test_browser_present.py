"""End to end in headless Chromium: the presentation mode hides the sidebar and controls, steps through
the report's charts with 下一页 / 上一页, and its exit link leads back to the overview. Screenshots go to
tests/artifacts/."""
from e2e_support import settle, shot


def _no_error(pg):
    assert pg.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in pg.inner_text("[data-testid='stMain']")


def test_presentation_mode_steps_through_the_charts(page, app_url):
    page.goto(f"{app_url}/present")
    settle(page)
    _no_error(page)
    assert not page.locator("[data-testid='stSidebar']").is_visible()          # controls hidden
    assert not page.locator("header[data-testid='stHeader']").is_visible()
    assert page.get_by_text("关键数字", exact=True).first.is_visible()
    assert page.get_by_text("1 / ", exact=False).first.is_visible()
    shot(page, "present_key_figures")
    page.get_by_role("button", name="下一页").click()
    settle(page)
    assert page.get_by_text("2 / ", exact=False).first.is_visible()
    assert page.locator(".js-plotly-plot").count() == 1
    assert page.get_by_text("总额预算到DIP可支付统筹基金", exact=False).first.is_visible()
    shot(page, "present_waterfall")
    for _ in range(2):
        page.get_by_role("button", name="下一页").click()
        settle(page)
    shot(page, "present_bands")
    page.get_by_role("button", name="上一页").click()
    settle(page)
    assert page.get_by_text("3 / ", exact=False).first.is_visible()
    _no_error(page)
    page.get_by_role("link", name="退出演示模式").click()
    settle(page)
    assert page.locator("[data-testid='stSidebar']").is_visible()             # back in the dashboard
    _no_error(page)


def test_reports_page_loads(page, app_url):
    page.goto(f"{app_url}/reports")
    settle(page)
    _no_error(page)
    assert page.get_by_text("python -m dip_model report", exact=False).first.is_visible()
    shot(page, "page_reports_zh")
