"""AppTest checks of the app's two modes (issue 12, "Modes in the app"): a hospital folder puts the hospital
pages first; the pages kept there work on what the folder settles and show the steps that need the whole city
as not applicable; the city-only pages say which data they need and show no figure; switching to a city
dataset and back moves the published figures out of the scenario and back, and the page sets with them."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit
from streamlit.testing.v1 import AppTest

import dip_model
from apptest import open_page
from hospitalkit import hospital_folder

ROOT = Path(__file__).resolve().parents[2]
CITY_ONLY = {"budget": "总额预算推算（A-10—A-13）", "fund": "基金运行与结余（A-3）", "projection": "多年预测（逐年应用 A-10）",
             "uncertainty": "点值与基金的不确定性模拟", "hospital_forecast": "全市口径的医院年末预测（由全市点值区间推算）"}
KEPT = ("overview", "groups", "coefficients", "bands", "hospitals", "sensitivity", "reports", "present", "scenarios",
        "data", "rules")
HOSPITAL_NAV = {"医院版": ["总览", "年终预估", "病种盈亏", "偏差预警", "科室与医生", "CMI与结构", "医院结算"],
                "年度结算": ["病种与分值", "系数与考核", "分担机制"], "预测与分析": ["敏感性"], "汇报": ["报告导出", "演示模式"],
                "情景与数据": ["情景", "数据", "规则"], "需要全市数据": ["预算", "基金运行", "多年预测", "不确定性", "医院预测"]}


@pytest.fixture(scope="module")
def hospital(city, data, tmp_path_factory):
    """(folder, published figures, its run): the city's largest hospital as a hospital folder."""
    res = dip_model.simulate(data)
    hid = str(res.hospitals.groupby("hospital_id")["cases"].sum().idxmax())
    folder, params = hospital_folder(city, res, [hid], tmp_path_factory.mktemp("hospital"))
    return folder, params, dip_model.simulate(dip_model.load_data(folder), params)


@pytest.fixture
def nav(monkeypatch):
    """The navigation of the last run: section → page titles."""
    seen: dict = {}
    real = streamlit.navigation

    def record(pages, *args, **kw):
        seen.clear()
        seen.update({sec: [p.title for p in ps] for sec, ps in pages.items()})
        return real(pages, *args, **kw)
    monkeypatch.setattr(streamlit, "navigation", record)
    return seen


@pytest.mark.parametrize("with_figures", [True, False])
@pytest.mark.parametrize("page", list(CITY_ONLY))
def test_city_only_pages_say_which_data_they_need(hospital, monkeypatch, page, with_figures):
    folder, params, _ = hospital
    at = open_page(folder, monkeypatch, page, values=params if with_figures else {})
    assert not at.error, [e.value for e in at.error]
    assert [i.value for i in at.info] == [
        f"{CITY_ONLY[page]}需要全市数据（fund.csv：全市基金收入、上年支出等），当前是医院数据（只有本院病例），此处不计算，"
        "以免用一家医院的数据推算全市数字。"]
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe


@pytest.mark.parametrize("page", KEPT)
def test_pages_kept_in_a_hospital_folder_render(hospital, monkeypatch, page):
    folder, params, _ = hospital
    for lang in ("zh", "en"):
        at = open_page(folder, monkeypatch, page, lang=lang, values=params)
        assert not at.error, [e.value for e in at.error]


def test_overview_shows_what_the_folder_settles(hospital, monkeypatch):
    folder, params, res = hospital
    at = open_page(folder, monkeypatch, "overview", values=params)
    s = res.summary["schemes"]
    labels = [m.label for m in at.metric]
    assert labels == ["结算点值", "年度支付总额", "月度预拨合计", "年终清算合计"] * 2
    assert [m.value for m in at.metric if m.label == "结算点值"] == [f"{s[k]['settlement_point_value']:.3f}" for k in s]
    assert [m.value for m in at.metric if m.label == "结算点值"] == \
        [f"{params['point_value']['given'][k]:.3f}" for k in s]                      # the published values
    assert "总额预算" not in labels and "基金期末结余" not in labels
    na = next(i.value for i in at.info if "不适用：需要全市数据" in i.value)
    assert "A-10—A-13 总额预算" in na and "A-3" in na and "A-36" in na


def test_bands_show_the_cap_not_applicable(hospital, monkeypatch):
    folder, params, res = hospital
    at = open_page(folder, monkeypatch, "bands", values=params)
    cap = [m for m in at.metric if m.label == "总额控制扣减"]
    assert [m.value for m in cap] == ["不适用", "不适用"]
    assert "需要全市数据" in cap[0].help


def test_scenarios_mark_city_figures_not_applicable(hospital, monkeypatch):
    folder, params, _ = hospital
    at = open_page(folder, monkeypatch, "scenarios", values=params)
    table = next((d.value for d in at.dataframe if "项目" in d.value.columns), None)
    if table is not None:                     # the comparison table (the working scenario against the rule set)
        na = table[table["项目"].str.contains("不适用")]
        assert set(na["项目"].str.split("（").str[0]) == {"总额预算", "DIP可支付统筹基金", "总额控制扣减", "基金期末结余",
                                                         "可支付月数"}
        assert na.drop(columns=["险种", "项目", "条款", "单位"]).isna().all().all()


def test_sensitivity_offers_the_hospitals_outputs_and_published_values(hospital, monkeypatch):
    folder, params, _ = hospital
    at = open_page(folder, monkeypatch, "sensitivity", values=params)
    out = next(s for s in at.selectbox if s.label == "分析的结果")
    assert out.value == "year_end_settlement" and "closing_balance" not in out.options
    slots = next(m for m in at.multiselect if m.label == "参与分析的参数")
    assert slots.value[:2] == ["point_value.given.employee", "point_value.given.resident"]
    assert not any(v.startswith("budget.") for v in slots.value)


def _run_app(city, monkeypatch, carried: dict) -> AppTest:
    """app.py from the top with the session state carried over (AppTest runs only the page shown on a
    rerun of the same AppTest, so each step of a session is a fresh run with that session's state)."""
    monkeypatch.setenv("DIP_DATA", str(city))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in carried.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _carried(at) -> dict:
    from ui import state
    keys = ("lang", "dataset_path", state.K_VALUES, state.K_STASH, state.K_MODE, state.K_REV, "_restored")
    return {k: at.session_state[k] for k in keys if k in at.session_state}


def test_mode_switch_restores_the_published_figures_and_the_pages(city, hospital, monkeypatch, nav):
    folder, params, res = hospital
    at = _run_app(city, monkeypatch, {"lang": "zh", "dataset_path": str(folder), "scenario_values": params})
    assert nav == HOSPITAL_NAV
    assert [m.value for m in at.metric if m.label == "结算点值"][0] == f"{params['point_value']['given']['employee']:.3f}"
    # to the city: the published figures leave the scenario, the city pages come back
    at = _run_app(city, monkeypatch, {**_carried(at), "dataset_path": str(city)})
    assert list(nav) == ["年度结算", "预测与分析", "医院分析", "汇报", "情景与数据"]
    assert nav["年度结算"] == ["总览", "预算", "病种与分值", "系数与考核", "医院结算", "分担机制", "基金运行"]
    assert at.session_state["scenario_values"] == {}
    assert any("已切换到全市数据" in t.value for t in at.toast)
    city_res = dip_model.simulate(dip_model.load_data(city))
    pv = city_res.summary["schemes"]["employee"]["settlement_point_value"]
    assert [m.value for m in at.metric if m.label == "结算点值"][0] == f"{pv:.3f}"     # not the given value
    assert any(m.label == "总额预算" for m in at.metric)                               # the city's budget again
    # and back: the published figures and the hospital pages return
    at = _run_app(city, monkeypatch, {**_carried(at), "dataset_path": str(folder)})
    assert nav == HOSPITAL_NAV
    assert at.session_state["scenario_values"] == dip_model.load_params(params).user_values()
    assert any("已切换回医院数据" in t.value for t in at.toast)
    assert [m.value for m in at.metric if m.label == "年终清算合计"] == \
        [f"{res.summary['schemes'][s]['total_year_end_settlement'] / 1e4:,.2f} 万元" for s in ("employee", "resident")]


def test_city_run_offers_the_hospital_pages_as_an_analysis(city, monkeypatch, nav):
    at = open_page(city, monkeypatch, "hospital_margins")
    assert nav["医院分析"] == ["年终预估", "病种盈亏", "偏差预警", "科室与医生", "CMI与结构"]
    assert "需要全市数据" not in nav
    assert pd.notna(next(m.value for m in at.metric if m.label == "盈亏"))


def test_hospital_trace_says_not_applicable_in_the_pages_language(hospital, monkeypatch):
    folder, params, _ = hospital
    for lang, text in (("zh", "不适用：需要全市数据"), ("en", "not applicable: needs city data")):
        at = open_page(folder, monkeypatch, "hospitals", lang=lang, values=params)
        results = [m.value for m in at.markdown if m.value.startswith("#### = ")]
        assert results.count(f"#### = {text}") == 2, results          # the payable total C and the global cap


def test_reports_offer_what_a_hospital_folder_can_build(hospital, monkeypatch):
    folder, params, _ = hospital
    at = open_page(folder, monkeypatch, "reports", values=params)
    assert any(i.value.startswith("PPTX / PDF 情景报告") and "需要全市数据" in i.value for i in at.info)
    assert "rpt_prepare" not in [b.key for b in at.button]                  # no slides or PDF to build
    keys = [b.key for b in at.get("download_button")]
    assert "rpt_dl_xlsx" in keys and "rpt_dl_statement" in keys             # the workbook and the statement
