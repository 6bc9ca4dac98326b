"""An unexpected error in a page (a bug, not a data or rule problem) is caught in one place, the page guard
ui.state.run_page: the user sees a short notice and no traceback, the traceback goes to the "dip.ui" log,
and with DIP_RAISE_ERRORS=1 (the tests' setting, tests/conftest.py) it is raised again so a test fails."""
import logging
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dip_model.report import charts

ROOT = Path(__file__).resolve().parents[2]


def _boom(*args, **kwargs):
    raise RuntimeError("boom in the months chart")


def _fund_page(city, monkeypatch):
    """The fund page with the chart builder it calls broken."""
    monkeypatch.setenv("DIP_DATA", str(city))
    monkeypatch.setattr(charts, "fund_months", _boom)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.run()
    return at.switch_page("pages/fund.py").run()


def _texts(at) -> list[str]:
    return [str(getattr(e, "value", "")) for e in at.main] + [str(getattr(e, "value", "")) for e in at.sidebar]


def test_unexpected_error_is_a_short_notice_and_a_logged_traceback(city, monkeypatch, caplog):
    monkeypatch.delenv("DIP_RAISE_ERRORS", raising=False)
    with caplog.at_level(logging.ERROR, logger="dip.ui"):
        at = _fund_page(city, monkeypatch)
    assert not at.exception                                    # no traceback on the page
    assert [e.value for e in at.error] == ["计算时出现意外错误，请联系维护人员（RuntimeError）。"]
    assert not any("boom" in x or "Traceback" in x for x in _texts(at))
    assert at.metric                                           # what was drawn before the error stays
    logged = [r for r in caplog.records if r.name == "dip.ui"]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert logged[0].exc_info and logged[0].exc_info[0] is RuntimeError
    assert "boom in the months chart" in caplog.text and "Traceback" in caplog.text


def test_unexpected_error_is_raised_again_when_the_flag_is_on(city, monkeypatch, caplog):
    monkeypatch.setenv("DIP_RAISE_ERRORS", "1")
    with caplog.at_level(logging.ERROR, logger="dip.ui"):
        at = _fund_page(city, monkeypatch)
    assert at.exception                                        # recorded by AppTest: the test would fail
    assert any("RuntimeError" in e.value for e in at.error)   # the notice too
    assert len([r for r in caplog.records if r.name == "dip.ui"]) == 1     # logged once, not per guard


@pytest.mark.parametrize("flag", ["", "1"])
def test_a_section_error_leaves_the_other_sections(city, data, monkeypatch, caplog, flag):
    """On a page drawn in sections, a broken section shows the notice in its place and the rest is drawn;
    the section's guard and the page's around it report it once."""
    from dip_model.analysis import groups as ag
    monkeypatch.setenv("DIP_RAISE_ERRORS", flag)
    monkeypatch.setenv("DIP_DATA", str(city))
    monkeypatch.setattr(ag, "catalogue_reports", _boom)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.run()
    at.switch_page("pages/groups.py").run()
    key = next(k for k in at.session_state.keys() if "gc_tabs" in str(k))
    at.session_state[key] = "目录监测"
    with caplog.at_level(logging.ERROR, logger="dip.ui"):
        at.run()
    assert bool(at.exception) == (flag == "1")
    assert [e.value for e in at.error] == ["计算时出现意外错误，请联系维护人员（RuntimeError）。"]
    assert at.metric and at.number_input                      # the cards and the inputs are still there
    assert len([r for r in caplog.records if r.name == "dip.ui"]) == 1
