"""AppTest checks of the report-export page and the presentation mode: they render in both languages,
offer the files and the reproduce command of the working scenario, and the presentation steps through
the report's figures, which are the engine's."""
import json

import pytest

import dip_model
from apptest import open_page as _page

CHANGES = {"budget": {"growth_rate": 0.03}}



def _downloads(at):
    return {d.proto.label: d for d in at.get("download_button")}


def test_reports_page_offers_the_files_and_the_command(city, data, monkeypatch):
    at = _page(city, monkeypatch, "reports", values=CHANGES)
    assert not at.error
    assert at.title[0].value == "报告导出"
    codes = [c.value for c in at.code]
    assert any("python -m dip_model report" in c and "--params scenario.yaml" in c and "--baseline baseline.yaml" in c
               and f"--data {city}" in c for c in codes)
    labels = set(_downloads(at))
    assert {"⬇ 下载 Excel 工作簿", "⬇ 下载该医院结算单（PDF）", "⬇ 下载全部医院结算单（zip）",
            "⬇ 下载参数文件（YAML）"} <= labels
    assert "⬇ 下载 PPT 报告" not in labels                          # built on request only
    # building: one chart rendering for both files, then both offered
    at.button(key="rpt_prepare").click().run()
    assert not at.exception and not at.error
    files = at.session_state["rpt_files"]["files"]
    assert files["pdf"].startswith(b"%PDF") and files["pptx"].startswith(b"PK")
    assert {"⬇ 下载 PPT 报告", "⬇ 下载 PDF 报告"} <= set(_downloads(at))
    # the parameter file offered is the scenario's
    res = dip_model.simulate(data, dip_model.load_params(CHANGES))
    from dip_model.report.scenario import params_yaml
    assert params_yaml(res.params) == "budget:\n  growth_rate: 0.03\n"
    # a change of scenario makes the built files stale: they are no longer offered
    at.session_state["scenario_values"] = {"budget": {"growth_rate": 0.04}}
    at.run()
    assert "⬇ 下载 PPT 报告" not in set(_downloads(at))


@pytest.mark.parametrize("lang, words", [("zh", "本机未找到。安装命令"), ("en", "none was found on this machine")])
def test_reports_page_says_before_the_click_that_no_browser_was_found(city, monkeypatch, lang, words):
    from dip_model.report.browser import install_command
    monkeypatch.setenv("DIP_BROWSER", "/nowhere/chrome")              # the user's choice names no browser
    at = _page(city, monkeypatch, "reports", lang=lang)
    note = " ".join(w.value for w in at.warning)
    assert words in note and install_command() in note
    assert at.button(key="rpt_prepare").disabled
    labels = {d.proto.label for d in at.get("download_button")}       # Excel and statements need no browser
    assert any("Excel" in x for x in labels) and len(labels) >= 3


def test_reports_page_in_english_and_with_an_invalid_scenario(city, monkeypatch):
    at = _page(city, monkeypatch, "reports", lang="en")
    assert not at.error and at.title[0].value == "Reports"
    assert any("--lang en" in c.value for c in at.code)
    bad = _page(city, monkeypatch, "reports", values={"budget": {"adjustment": -1e12}})
    assert bad.error and not bad.get("download_button")


def test_presentation_steps_through_the_reports_figures(city, data, monkeypatch):
    at = _page(city, monkeypatch, "present", values=CHANGES)
    assert not at.error
    res = dip_model.simulate(data, dip_model.load_params(CHANGES))
    # first: the key figures, large
    pv = [m.value for m in at.metric if m.label == "结算点值"]
    assert pv == [f"{res.summary['schemes'][s]['settlement_point_value']:.3f}" for s in ("employee", "resident")]
    from streamlit.proto.Metric_pb2 import Metric
    arrows = {m.delta: m.proto.direction for m in at.metric if m.delta}           # a fall points down
    assert arrows and all(d == (Metric.MetricDirection.DOWN if delta.startswith("−") else Metric.MetricDirection.UP)
                          for delta, d in arrows.items())
    assert any(delta.startswith("−") for delta in arrows)
    assert at.button(key="prs_prev").proto.disabled
    counter = next(m.value for m in at.markdown if m.value.startswith("**1 / "))
    total = int(counter.strip("*").split("/")[1])
    at.button(key="prs_next").click().run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)          # the employee waterfall
    wf = spec["data"][0]
    assert wf["type"] == "waterfall"
    assert wf["x"][-1] == pytest.approx(res.summary["schemes"]["employee"]["dip_fund_payable"])
    assert spec["layout"]["font"]["size"] == 22
    for _ in range(total - 2):                                        # on to the last slide
        at.button(key="prs_next").click().run()
    assert not at.exception and at.button(key="prs_next").proto.disabled
    assert at.session_state["prs_step"] == total - 1
    last = json.loads(at.get("plotly_chart")[0].proto.spec)           # the fund balance with the 6–9 band
    assert last["layout"]["shapes"][0]["y0"] == 6 and last["layout"]["shapes"][0]["y1"] == 9
    at.button(key="prs_prev").click().run()
    assert at.session_state["prs_step"] == total - 2
    assert any("stSidebar" in h.proto.body for h in at.get("html"))   # the sidebar is hidden


def test_presentation_in_english(city, monkeypatch):
    at = _page(city, monkeypatch, "present", lang="en")
    assert not at.error and at.title[0].value == "Key figures"
    assert "Settlement point value" in [m.label for m in at.metric]
