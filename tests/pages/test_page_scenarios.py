"""情景 Scenarios page (AppTest): save, load, rename / duplicate / delete, baseline, compare (the diff
figures are the engine's), YAML export → import, and the share link restoring the scenario."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import dip_model
from dip_model.data.store import Store
from ui import state

ROOT = Path(__file__).resolve().parents[2]
GROWTH = {"budget": {"growth_rate": 0.06}}


@pytest.fixture
def store(tmp_path, monkeypatch, city) -> Store:
    monkeypatch.setenv("DIP_DATA", str(city))
    monkeypatch.setenv("DIP_STORE", str(tmp_path / "store.duckdb"))
    return Store.default()


def page(lang="zh", values=None, query=None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    if values is not None:
        at.session_state[state.K_VALUES] = values
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/scenarios.py")
    return at.run()


def ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_save_then_listed_and_persisted(store):
    at = page(values=GROWTH)
    ok(at)
    assert "还没有保存的情景" in at.info[0].value
    by_label(at.text_input, "情景名称").input("增长6%")
    by_label(at.text_input, "说明（可选）").input("试算")
    at = by_label(at.button, "保存情景").click().run()
    ok(at)
    assert at.session_state[state.K_NAME] == "增长6%"
    assert "已保存情景「增长6%」" in at.success[0].value
    listed = frame_with(at, "情景名称")
    assert listed["情景名称"].tolist() == ["增长6%"] and listed["说明"].tolist() == ["试算"]
    assert Store.default().load_scenario("增长6%") == GROWTH          # in the store file
    # saving again under the same name needs "replace"
    at = by_label(at.button, "保存情景").click().run()
    assert "已有名为「增长6%」的情景" in at.error[0].value and not at.exception


def test_load_rename_duplicate_delete_and_baseline(store):
    store.save_scenario("A", GROWTH, note="n")
    store.save_scenario("B", {"cases": {"readmit_days": 30}})
    at = page()
    ok(at)
    by_label(at.selectbox, "选择情景").select("A")
    at = by_label(at.button, "载入为当前情景").click().run()
    ok(at)
    assert at.session_state[state.K_VALUES] == GROWTH and at.session_state[state.K_NAME] == "A"
    by_label(at.selectbox, "对比基准情景").select("B")
    at = at.run()
    assert at.session_state[state.K_BASELINE] == {"cases": {"readmit_days": 30}}
    assert at.session_state[state.K_BASELINE_NAME] == "B"
    by_label(at.text_input, "新名称").input("A2")                       # the rename popover
    at = by_label(at.button, "确认重命名").click().run()
    ok(at)
    assert store.scenario_names() == ["A2", "B"] and at.session_state[state.K_NAME] == "A2"
    by_label(at.selectbox, "选择情景").select("B")
    at = at.run()
    at = by_label(at.button, "确认复制").click().run()
    assert store.scenario_names() == ["A2", "B", "B 副本"]
    by_label(at.selectbox, "选择情景").select("A2")
    at = by_label(at.button, "确认删除").click().run()
    ok(at)
    assert store.scenario_names() == ["B", "B 副本"]
    assert at.session_state[state.K_NAME] is None and at.session_state[state.K_VALUES] == GROWTH


def test_compare_shows_the_engines_differences(store, city):
    store.save_scenario("growth", GROWTH)
    at = page()
    by_label(at.selectbox, "情景 A").select(state.BUILTIN)
    by_label(at.selectbox, "情景 B").select("growth")
    at = at.run()
    ok(at)
    la, lb = "A：细则原文", "B：growth"
    params = frame_with(at, "参数")
    assert params["参数"].tolist() == ["budget.growth_rate"]
    assert params[lb].tolist() == ["0.06"] and params["条款"].tolist() == ["A-10"]
    data = dip_model.load_data(city)
    ra = dip_model.simulate(data, dip_model.load_params())
    rb = dip_model.simulate(data, dip_model.load_params(GROWTH))
    summary = frame_with(at, "项目")
    for scheme, name in (("employee", "职工医保"), ("resident", "居民医保")):
        row = summary[(summary["险种"] == name) & (summary["项目"] == "结算点值")].iloc[0]
        a, b = (r.summary["schemes"][scheme]["settlement_point_value"] for r in (ra, rb))
        assert (row[la], row[lb]) == (a, b) and row["差额（B－A）"] == pytest.approx(b - a)
        assert b > a                                           # more growth, higher point value
    hosp = frame_with(at, "医院编码")
    key = ["hospital_id", "scheme"]
    both = ra.hospitals[key + ["final_payment"]].merge(rb.hospitals[key + ["final_payment"]], on=key)
    want = (both["final_payment_y"] - both["final_payment_x"]).abs().max()
    assert hosp["差额（B－A）"].abs().max() == pytest.approx(want)
    assert len(hosp) == len(ra.hospitals)
    assert at.get("plotly_chart")                               # the largest changes, charted


def test_yaml_export_import_round_trip(store):
    store.save_scenario("exp", {"budget": {"growth_rate": 0.05}, "cases": {"low_ratio": 0.4}}, note="说明")
    at = page()
    by_label(at.selectbox, "要导出的情景").select("exp")
    at = at.run()
    text = next(c.value for c in at.code if c.value.startswith("# DIP 情景"))
    assert "name: exp" in text and "low_ratio: 0.4" in at.code[1].value
    at.file_uploader[0].set_value(("exp.yaml", text.encode("utf-8"), "application/x-yaml"))
    at = at.run()
    by_label(at.text_input, "保存为（留空则用文件中的名称）").input("imported")
    at = by_label(at.button, "导入").click().run()
    ok(at)
    assert store.load_scenario("imported") == store.load_scenario("exp")
    assert store.scenario_info("imported")["note"] == "说明"
    assert at.session_state[state.K_NAME] == "imported"          # loaded after import
    assert at.session_state[state.K_VALUES] == store.load_scenario("exp")
    # a broken file: a message, no traceback, nothing saved
    at.file_uploader[0].set_value(("bad.yaml", b"values: {budget: {nope: 1}}\nname: bad", "application/x-yaml"))
    at = at.run()
    at = by_label(at.button, "导入").click().run()
    assert not at.exception and "情景参数无效：未知参数“budget.nope”" in at.error[0].value      # in the page's language
    assert "bad" not in store.scenario_names()


def test_link_restores_the_scenario(store):
    store.save_scenario("方案 link", GROWTH)
    at = page()
    by_label(at.selectbox, "要分享的情景").select("方案 link")
    at = at.run()
    link = at.code[0].value
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert query["name"] == "方案 link"
    opened = page(query=query)                                 # a fresh session opens the link
    ok(opened)
    assert opened.session_state[state.K_VALUES] == GROWTH
    assert opened.session_state[state.K_NAME] == "方案 link"


def test_english_page(store):
    store.save_scenario("s", GROWTH)
    at = page("en")
    ok(at)
    assert [tab.label for tab in at.tabs] == ["Library", "Compare", "Share, import and export"]
    assert "identical parameters" in at.info[0].value          # working = baseline by default
    by_label(at.selectbox, "Scenario B").select("s")
    at = at.run()
    ok(at)
    assert {"A: baseline", "B: s", "Difference (B − A)"} <= set(frame_with(at, "Figure").columns)
