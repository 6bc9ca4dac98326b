"""What a hospital user and a viewer reach in a real browser, signed in against the tests' OpenID Connect
provider (signin_support): H001's navigation, its hospital page and a download with only its rows, a page it
does not reach and ?hospital=H002 refused; the viewer's two pages and a refusal elsewhere."""
import re

import pandas as pd
import pytest

from e2e_support import settle, shot

MAIN = "[data-testid='stMain']"
NAV = "[data-testid='stSidebarNav']"
REFUSED = "无权访问"


@pytest.fixture(scope="module")
def others(city):
    h = pd.read_csv(city / "hospitals.csv", dtype=str)
    rest = h[h["hospital_id"] != "H001"]
    return [*rest["hospital_id"], *rest["name"]]


def links(pg) -> set[str]:
    """The page titles in the sidebar's navigation."""
    texts = pg.locator(NAV + " a").all_inner_texts()
    return {re.sub(r"^[a-z_]+", "", "".join(t.split())) for t in texts}     # without the icon's name


def go(pg, url: str) -> str:
    pg.goto(url)
    settle(pg)
    return pg.locator(MAIN).inner_text()


def test_h001_sees_its_pages_and_only_its_hospital(signed_in_page, served_url, others):
    pg = signed_in_page("H001")
    nav = links(pg)
    assert {"病种盈亏", "年终预估", "情景"} <= nav
    assert not nav & {"预算", "数据", "审计日志", "敏感性", "系数"}
    body = go(pg, served_url + "/hospital_margins")
    assert "H001" in body and REFUSED not in body
    assert [o for o in others if o in body] == []
    with pg.expect_download() as got:
        pg.get_by_role("button", name="下载 CSV").first.click()
    text = open(got.value.path(), encoding="utf-8-sig").read()
    assert "H001" in text or len(text.splitlines()) > 1
    assert [o for o in others if o in text] == []
    shot(pg, "roles_h001_margins")


def test_h001_is_refused_a_city_page_and_another_hospital_in_the_link(signed_in_page, served_url, others):
    pg = signed_in_page("H001")
    body = go(pg, served_url + "/budget")
    assert REFUSED in body and "医院 H001" in body
    assert pg.locator("[data-testid='stMetricValue']").count() == 0
    body = go(pg, served_url + "/hospital_margins?hospital=H002")
    assert REFUSED in body and "H002" in body
    assert [o for o in others if o in body and o != "H002"] == []
    shot(pg, "roles_h001_tampered")


def test_the_viewer_reaches_the_scenarios_and_the_presentation_only(signed_in_page, served_url):
    pg = signed_in_page("viewer")
    assert links(pg) == {"情景", "演示模式"}
    body = go(pg, served_url + "/hospitals")
    assert REFUSED in body and "只读" in body
    body = go(pg, served_url + "/present")
    assert REFUSED not in body and "关键数字" in body
    shot(pg, "roles_viewer_present")
