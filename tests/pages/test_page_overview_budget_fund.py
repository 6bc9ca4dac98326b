"""Overview, Budget and Fund balance pages: they render in both languages, and the figures they show
are the engine's, before and after a budget parameter changes."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import dip_model
from dip_model.analysis.budget_derivation import adjustment_fund_terms
from ui.i18n import money

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")



def _engine(data, values=None):
    return dip_model.simulate(data, dip_model.load_params(values or {}))


def _open(city, monkeypatch, page, lang="zh", unit="yuan", scheme="all"):
    monkeypatch.setenv("DIP_DATA", str(city))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["money_unit"] = unit
    at.session_state["scheme_filter"] = scheme
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at, label):
    return [m for m in at.metric if m.label == label]


def _charts(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _key(*parts, lang="zh"):
    return ":".join(str(p) for p in ("w", 0, lang, *parts))


def test_overview_cards_and_waterfall_are_the_engines(city, data, monkeypatch):
    at = _open(city, monkeypatch, "pages/overview.py", unit="wan")
    assert not at.error
    res = _engine(data)
    schemes = ("employee", "resident")
    pv = [m.value for m in _metrics(at, "结算点值")]
    assert pv == [f"{res.summary['schemes'][s]['settlement_point_value']:.3f}" for s in schemes]
    months = [m.value for m in _metrics(at, "可支付月数")]
    for s, shown in zip(schemes, months):
        assert f"{res.summary['schemes'][s]['months_of_payment']:.1f} 个月" in shown
        if res.summary["schemes"][s]["months_status"] != "ok":          # coloured outside the 6–9 band
            assert shown.startswith(":")
    budget = [m.value for m in _metrics(at, "总额预算")]
    assert budget == [money(res.summary["schemes"][s]["budget_total"], "zh", "wan") for s in schemes]
    assert not _charts(at)                                                # cards first; the waterfall on request
    at.toggle(key="ovw_wf_show").set_value(True).run()
    assert len(_charts(at)) == 2
    for spec, s in zip(_charts(at), schemes):                             # one waterfall per scheme
        wf = spec["data"][0]
        F = res.summary["schemes"][s]["dip_fund_payable"]
        assert wf["type"] == "waterfall" and wf["measure"][-1] == "total"
        assert wf["x"][-1] == pytest.approx(F / 1e4, abs=1e-9)                 # the last bar is F (in 万元)
        assert sum(wf["x"][:-1]) == pytest.approx(F / 1e4, rel=1e-12)          # B minus the lines is F
    assert any("计算提示" in e.proto.label for e in at.expander)


def test_overview_follows_the_scheme_filter(city, monkeypatch):
    at = _open(city, monkeypatch, "pages/overview.py", lang="en", scheme="resident")
    assert not at.error
    at.toggle(key="ovw_wf_show").set_value(True).run()
    assert len(at.metric) == 7 and len(_charts(at)) == 1
    assert "Resident" in _charts(at)[0]["layout"]["title"]["text"]


def test_growth_rate_on_budget_page_moves_overview_point_value(city, data, monkeypatch):
    at = _open(city, monkeypatch, "pages/budget.py")
    at.checkbox(key=_key("budget.growth_rate", "employee", "null")).uncheck().run()
    at.number_input(key=_key("budget.growth_rate", "employee")).set_value(7.0).run()
    assert not at.exception and not at.error
    base, new = _engine(data), _engine(data, {"budget": {"growth_rate": {"employee": 0.07, "resident": None}}})
    b, n = base.summary["schemes"]["employee"], new.summary["schemes"]["employee"]
    assert n["settlement_point_value"] > b["settlement_point_value"]
    # the derivation table (employee tab first): g, B and F rows, current against the baseline
    table = at.dataframe[0].value.set_index("符号")
    assert table.loc["g", "当前情景"] == "7.00%" and table.loc["g", "来源"] == "情景参数"
    assert table.loc["F", "当前情景"] == money(n["dip_fund_payable"], "zh")
    assert table.loc["F", "对比基准"] == money(b["dip_fund_payable"], "zh")
    assert table.loc["PV", "变化"] == f"{n['settlement_point_value'] - b['settlement_point_value']:+.3f}"
    at.switch_page("pages/overview.py").run()
    card = _metrics(at, "结算点值")[0]
    assert card.value == f"{n['settlement_point_value']:.3f}"
    assert card.delta == f"{n['settlement_point_value'] - b['settlement_point_value']:+.3f}"


def test_budget_derivation_shows_every_step_with_articles(city, data, monkeypatch):
    at = _open(city, monkeypatch, "pages/budget.py", lang="en")
    assert not at.exception and not at.error
    s = _engine(data).summary["schemes"]["employee"]
    table = at.dataframe[0].value.set_index("Symbol")
    for sym in ("E₋₁", "g_R", "g", "c", "g_eff", "B₀", "ΔB", "B", "A₁", "A₂", "A", "F", "ρ", "C", "PV"):
        assert sym in table.index
    assert table.loc["E₋₁", "Article"] == "A-10" and table.loc["F", "Article"] == "A-12"
    assert table.loc["C", "Current scenario"] == money(s["dip_cost_payable"], "en")
    grown, capped = adjustment_fund_terms(s, 0.05)                          # A = min(A₁, A₂)
    assert s["adjustment_fund"] == pytest.approx(min(grown, capped), rel=1e-15)
    assert table.loc["A₁", "Current scenario"] == money(grown, "en")
    assert table.loc["A₂", "Current scenario"] == money(capped, "en")
    assert table.loc["A", "Current scenario"] == money(s["adjustment_fund"], "en")
    assert table.loc["ρ", "Current scenario"] == f"{s['payment_rate'] * 100:.2f}%"
    branch = "Balanced" if s["prior_year_balanced"] else "Deficit"
    assert table.loc["—", "Current scenario"] == branch


def test_budget_scheme_tabs_draw_the_scheme_picked(city, data, monkeypatch):
    """The scheme tabs are lazy: the first is drawn; picking the other draws its cards and derivation."""
    at = _open(city, monkeypatch, "pages/budget.py")
    assert [tab.label for tab in at.tabs] == ["职工医保", "居民医保"] and len(at.dataframe) == 1
    at.session_state["bdg_scheme_tab:zh"] = "居民医保"
    at.run()
    assert not at.exception and not at.error and len(at.dataframe) == 1
    s = _engine(data).summary["schemes"]["resident"]
    table = at.dataframe[0].value.set_index("符号")
    assert table.loc["C", "当前情景"] == money(s["dip_cost_payable"], "zh")
    assert table.loc["PV", "当前情景"] == f"{s['settlement_point_value']:.3f}"


def test_invalid_budget_shows_a_message_and_no_stale_result(city, monkeypatch):
    at = _open(city, monkeypatch, "pages/budget.py")
    at.number_input(key=_key("budget.adjustment", "employee")).set_value(-1e9).run()
    assert not at.exception
    assert at.error and "F" in at.error[0].value
    assert len(at.dataframe) == 0 and len(at.metric) == 0                  # nothing left from before
    at.switch_page("pages/fund.py").run()
    assert not at.exception and at.error and len(at.metric) == 0


def test_fund_page_months_and_guidance_band(city, data, monkeypatch):
    at = _open(city, monkeypatch, "pages/fund.py")
    assert not at.error
    res = _engine(data)
    schemes = ("employee", "resident")
    months = [m.value for m in _metrics(at, "可支付月数")]
    for s, shown in zip(schemes, months):
        assert f"{res.summary['schemes'][s]['months_of_payment']:.1f} 个月" in shown
    table = at.dataframe[0].value.set_index("项目")
    assert table.loc["期末累计结余", "职工医保·当前"] == money(res.summary["schemes"]["employee"]["fund_closing_balance"], "zh")
    assert table.loc["DIP住院年度支付", "居民医保·当前"] == money(res.summary["schemes"]["resident"]["total_final_payment"], "zh")
    spec = _charts(at)[0]                                                   # months chart with the band shaded
    assert spec["layout"]["shapes"][0]["y0"] == 6 and spec["layout"]["shapes"][0]["y1"] == 9
    outside = [s for s in schemes if res.summary["schemes"][s]["months_status"] != "ok"]
    assert len(at.warning) + len([e for e in at.error]) == len(outside)
    # widen the band so every scheme is inside: the warnings go, as the engine says
    at.number_input(key=_key("fund_balance.guidance_months_low")).set_value(0.0).run()
    at.number_input(key=_key("fund_balance.guidance_months_high")).set_value(40.0).run()
    wide = _engine(data, {"fund_balance": {"guidance_months_low": 0.0, "guidance_months_high": 40.0}})
    assert all(v["months_status"] == "ok" for v in wide.summary["schemes"].values())
    assert not at.warning and not at.error and len(at.success) == 2


def test_fund_page_in_english(city, monkeypatch):
    at = _open(city, monkeypatch, "pages/fund.py", lang="en", unit="wan")
    assert not at.error
    assert "Months of payment" in [m.label for m in at.metric]
    assert _charts(at)[1]["layout"]["yaxis"]["title"]["text"] == "Amount (10k yuan)"


def test_budget_page_without_a_city_fund_table(city, data, monkeypatch):
    """A dataset without fund.csv (a hospital folder) has no budget to derive: the page says which data it
    needs, and shows no figure."""
    import dataclasses

    from ui import state
    at = _open(city, monkeypatch, "pages/budget.py")
    monkeypatch.setattr(state, "full_dataset", lambda path=None: dataclasses.replace(data, fund=None))
    at.run()
    assert not at.exception and not at.error
    assert [i.value for i in at.info] == ["总额预算推算（A-10—A-13）需要全市数据（fund.csv：全市基金收入、上年支出等），当前是医院数据"
                                          "（只有本院病例），此处不计算，以免用一家医院的数据推算全市数字。"]
    assert not at.metric
