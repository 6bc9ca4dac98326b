"""规则 Rules page: parameters with articles and legal text; switching an interpretation re-computes."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

import dip_model

ROOT = Path(__file__).resolve().parents[2]


def _page(city, monkeypatch, lang="zh"):
    monkeypatch.setenv("DIP_DATA", str(city))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/rules.py").run()
    return at


def test_rules_page_lists_every_parameter(city, monkeypatch):
    at = _page(city, monkeypatch)
    assert not at.exception
    table = at.dataframe[0].value
    n_leaves = len([x for x in dip_model.load_params().leaves() if not x.startswith("interpretations.")])
    assert len(table) == n_leaves
    assert "A-36 (一)" in set(table["条款"])


def test_switching_an_interpretation_changes_the_scenario(city, monkeypatch):
    at = _page(city, monkeypatch)
    box = next(s for s in at.selectbox if s.label.startswith("特殊病例按医院或全市排序"))
    box.set_value("city").run()
    assert not at.exception
    assert at.session_state["scenario_values"] == {"interpretations": {"I-1": "city"}}
    # the overview follows: its point value is the engine's under I-1 = city
    at.switch_page("pages/overview.py").run()
    res = dip_model.simulate(dip_model.load_data(city), dip_model.load_params({"interpretations": {"I-1": "city"}}))
    pv = {f"{v['settlement_point_value']:.3f}" for v in res.summary["schemes"].values()}
    assert {m.value for m in at.metric if m.label == "结算点值"} == pv


def test_english(city, monkeypatch):
    at = _page(city, monkeypatch, "en")
    assert not at.exception
    assert "Article" in at.dataframe[0].value.columns
