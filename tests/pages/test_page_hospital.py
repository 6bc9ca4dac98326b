"""AppTest checks of the hospital edition: its pages (年终预估, 病种盈亏, 偏差预警, 科室与医生, CMI与结构) render on
a city and on a hospital folder (the largest hospital of the small city, tests/hospitalkit.py, with
department and doctor columns) in both languages, and the figures, charts and downloads they show are
dip_model.analysis.hospital_*'s; without the published point values a hospital folder shows the prompt and no
figure."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import streamlit

import dip_model
from apptest import decode, open_page
from dip_model.analysis.hospital_cases import hospital_totals
from dip_model.analysis.hospital_margins import group_margins, margins_by
from dip_model.analysis.hospital_mix import mix_profile
from dip_model.analysis.hospital_outlook import outlook
from dip_model.analysis.hospital_warnings import deviation_warnings, special_candidates, zone_summary
from dip_model.report.outlook_workbook import presented_monthly, presented_settlement
from hospitalkit import hospital_folder

PAGES = ("hospital_outlook", "hospital_margins", "hospital_warnings", "hospital_breakdown", "hospital_mix")
TITLES = {"hospital_outlook": ("年终预估", "Year-end outlook"), "hospital_margins": ("病种盈亏", "Group margins"),
          "hospital_warnings": ("偏差预警", "Deviation warnings"),
          "hospital_breakdown": ("科室与医生", "Departments & doctors"), "hospital_mix": ("CMI与结构", "CMI & case mix")}


@pytest.fixture(scope="module")
def hospital(city, data, tmp_path_factory):
    """(folder, published figures, hospital id, its run): the city's largest hospital as a hospital folder,
    its cases given a department (from the diagnosis chapter) and a doctor."""
    res = dip_model.simulate(data)
    hid = str(res.hospitals.groupby("hospital_id")["cases"].sum().idxmax())
    folder, params = hospital_folder(city, res, [hid], tmp_path_factory.mktemp("hospital"))
    cases = pd.read_csv(folder / "cases.csv", dtype=str, keep_default_na=False)
    cases["department"] = "科室" + cases["dx_code"].str[:1]
    cases["doctor"] = "医生" + (np.arange(len(cases)) % 7).astype(str)
    cases.to_csv(folder / "cases.csv", index=False)
    return folder, params, hid, dip_model.simulate(dip_model.load_data(folder), params)


@pytest.fixture
def downloads(monkeypatch):
    """file name → bytes of every download button drawn (the pages build their files on click: the
    callable is called here)."""
    got: dict = {}
    real = streamlit.download_button

    def record(label, data=None, file_name=None, *args, **kw):
        got[file_name] = data
        return real(label, data, file_name, *args, **kw)
    monkeypatch.setattr(streamlit, "download_button", record)

    def read(file_name):
        data = got[file_name]
        return data() if callable(data) else data
    return read


def _hospital_page(hospital, monkeypatch, page, lang="zh", values=None, state=None):
    folder, params, _, _ = hospital
    return open_page(folder, monkeypatch, page, lang=lang, values=params if values is None else values, state=state)


def _metrics(at) -> dict:
    return {m.label: m for m in at.metric}


def _csv(raw: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")


@pytest.mark.parametrize("page", PAGES)
def test_every_hospital_page_renders_on_a_city_and_a_hospital_folder(city, hospital, monkeypatch, page):
    at = open_page(city, monkeypatch, page)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == TITLES[page][0]
    for lang in ("zh", "en"):
        at = _hospital_page(hospital, monkeypatch, page, lang=lang)
        assert not at.error, [e.value for e in at.error]
        assert at.title[0].value == TITLES[page][lang == "en"]
        assert at.metric, page                       # figures shown (the published figures are given)
        assert hospital[2] in at.markdown[0].value   # the header names the hospital


def test_outlook_shows_the_analysis(hospital, monkeypatch, downloads):
    _, _, hid, res = hospital
    at = _hospital_page(hospital, monkeypatch, "hospital_outlook")
    ol = outlook(res, hid)
    cards = [m for m in at.metric if m.label.startswith("年终清算")]
    assert len(cards) == 2
    captions = [c.value for c in at.caption]
    for card, s in zip(cards, ("employee", "resident")):
        ye = ol.row(s)["year_end_settlement"]
        assert card.label == ("年终清算 · 应拨付医院" if ye >= 0 else "年终清算 · 应退回医保")
        assert card.value == f"{abs(ye):,.0f} 元"                           # to the yuan
        assert f"{ye:,.2f} 元" in card.help                                 # to the fen in its help
        for pt, word in (("low", "低点值"), ("high", "高点值")):           # the range under the card
            r = ol.row(s, pt)
            v = r["year_end_settlement"]
            assert (f"{word} {r['point_value']:.3f}（中点值 ∓ 5%）：{'拨付医院' if v >= 0 else '医院退回'} "
                    f"{abs(v):,.0f} 元") in captions
    finals = [m.value for m in at.metric if m.label == "年度DIP统筹基金支付"]
    assert finals == [f"{ol.row(s)['final_payment']:,.0f} 元" for s in ("employee", "resident")]
    assert [m.value for m in at.metric if m.label == "月度预拨合计"] == \
        [f"{ol.row(s)['monthly_prepaid']:,.0f} 元" for s in ("employee", "resident")]
    # the chart: the use rate of each month and to date, the pre-payments
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    traces = {tr["name"]: tr for tr in spec["data"]}
    m = ol.monthly[ol.monthly["scheme"] == "employee"]
    assert np.allclose(decode(traces["累计使用率"]["y"]), m["usage_rate_cum"], equal_nan=True)
    assert np.allclose(decode(traces["当月使用率"]["y"]), m["usage_rate"], equal_nan=True)
    assert np.allclose(decode(traces["当月预拨（元）"]["y"]), m["prepaid"])
    # the table: three rows per scheme, the cap not applicable in a hospital folder
    table = next(d.value for d in at.dataframe if "点值情形" in d.value.columns)
    assert len(table) == 6
    assert np.allclose(table["结算点值（元/分）"].to_numpy(float), ol.settlement["point_value"])
    assert np.array_equal(table["年终清算（元，正数拨付、负数退回）"].to_numpy(float),
                          ol.settlement["year_end_settlement"].round(0).to_numpy())
    assert set(table["总额控制扣减（元）"]) == {"不适用：需要全市数据"}
    # downloads: the analysis's rows, to the fen
    raw = downloads(f"年终清算预估-{hid}.csv")
    pd.testing.assert_frame_equal(_csv(raw), _csv(presented_settlement(ol).to_csv(index=False).encode("utf-8-sig")))
    raw = downloads(f"逐月基金使用率-{hid}.csv")
    assert len(_csv(raw)) == len(presented_monthly(ol)) == 24
    raw = downloads(f"年终清算预估-{hid}.xlsx")
    sheets = pd.read_excel(io.BytesIO(raw), sheet_name=None, engine="calamine")
    assert list(sheets) == ["年终清算预估", "逐月基金使用率", "说明"]


def test_outlook_point_values_typed_and_spread(hospital, monkeypatch):
    _, params, hid, res = hospital
    at = _hospital_page(hospital, monkeypatch, "hospital_outlook")
    # a wider spread: low and high follow it (analysis.hospital_outlook's rounding)
    at.number_input(key="hpo_spread").set_value(10.0).run()
    assert not at.exception and not at.error
    ol = outlook(res, hid, spread=0.10)
    lo = ol.row("employee", "low")
    assert any(c.value.startswith(f"低点值 {lo['point_value']:.3f}（中点值 ∓ 10%）：") and
               c.value.endswith(f"{abs(lo['year_end_settlement']):,.0f} 元") for c in at.caption)
    # a low value typed for the employee scheme: that value, the others as before
    pv = params["point_value"]["given"]["employee"]
    low_key = next(n.key for n in at.number_input if n.key.startswith("hpo_pv:employee:low:"))
    at.number_input(key=low_key).set_value(round(pv * 0.8, 3)).run()
    assert not at.exception and not at.error
    ol = outlook(res, hid, low={"employee": round(pv * 0.8, 3)}, spread=0.10)
    table = next(d.value for d in at.dataframe if "点值情形" in d.value.columns)
    assert np.array_equal(table["年终清算（元，正数拨付、负数退回）"].to_numpy(float),
                          ol.settlement["year_end_settlement"].round(0).to_numpy())
    assert table["点值来源"].iloc[0] == "指定"
    # kept when the page is left and opened again
    at.switch_page("pages/hospital_margins.py").run()
    at.switch_page("pages/hospital_outlook.py").run()
    table = next(d.value for d in at.dataframe if "点值情形" in d.value.columns)
    assert table["结算点值（元/分）"].iloc[0] == pytest.approx(round(pv * 0.8, 3))
    # a low above the central value is refused with the engine's message
    low_key = next(n.key for n in at.number_input if n.key.startswith("hpo_pv:employee:low:"))
    at.number_input(key=low_key).set_value(pv * 1.5).run()
    assert not at.exception and at.error and not any(m.label.startswith("年终清算") for m in at.metric)


def test_outlook_published_range(hospital, monkeypatch):
    _, params, hid, res = hospital
    at = _hospital_page(hospital, monkeypatch, "hospital_outlook")
    at.radio(key="hpo_basis").set_value("published").run()
    at.number_input(key="hpo_last:employee").set_value(11.0).run()
    assert not at.exception and not at.error
    from dip_model.analysis.hospital_outlook import published_range
    rng = published_range(res, last_year={"employee": 11.0})
    ol = outlook(res, hid, low={s: r[0] for s, r in rng.items()}, high={s: r[1] for s, r in rng.items()})
    table = next(d.value for d in at.dataframe if "点值情形" in d.value.columns)
    assert np.allclose(table["结算点值（元/分）"].to_numpy(float), ol.settlement["point_value"])
    assert table["结算点值（元/分）"].iloc[2] == pytest.approx(11.0)        # last year's value is the high one
    assert np.array_equal(table["年终清算（元，正数拨付、负数退回）"].to_numpy(float),
                          ol.settlement["year_end_settlement"].round(0).to_numpy())
    # a central value typed above the published figures widens the range to it, as the outlook command does
    key = next(n.key for n in at.number_input if n.key.startswith("hpo_pv:employee:central:"))
    at.number_input(key=key).set_value(12.0).run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "点值情形" in d.value.columns)
    assert table["结算点值（元/分）"].iloc[:3].tolist() == pytest.approx([rng["employee"][0], 12.0, 12.0])


def test_margins_page_shows_the_hospitals_totals(hospital, monkeypatch, downloads):
    _, _, hid, res = hospital
    at = _hospital_page(hospital, monkeypatch, "hospital_margins")
    tot = hospital_totals(res, hid)
    groups = group_margins(res, hid)
    m = _metrics(at)
    sign = "+" if tot["margin"] > 0 else "−"
    assert m["盈亏"].value == f"{sign}{abs(tot['margin']):,.0f} 元"          # the margin card to the yuan
    assert m["DIP支付（含个人支付）"].value == f"{tot['payment']:,.0f} 元"
    assert m["病例数"].value == f"{tot['cases']:,}"
    assert abs(groups["margin"].sum() - tot["margin"]) < 1e-6
    table = next(d.value for d in at.dataframe if "盈亏（元）" in d.value.columns)
    assert len(table) == len(groups)
    exported = _csv(downloads(f"病种盈亏-{hid}.csv"))
    assert len(exported) == len(groups)
    assert np.allclose(exported["盈亏（元）"], groups["margin"])
    # the losses only
    at.radio(key="hpm_filter").set_value("loss").run()
    table = next(d.value for d in at.dataframe if "盈亏（元）" in d.value.columns)
    assert len(table) == int((groups["margin"] < 0).sum())


def test_warnings_page_shows_the_zones_and_candidates(hospital, monkeypatch, downloads):
    _, _, hid, res = hospital
    at = _hospital_page(hospital, monkeypatch, "hospital_warnings")
    w = deviation_warnings(res, hid)
    z = zone_summary(w).set_index("zone")
    m = _metrics(at)
    assert m["接近低倍率界值"].value == f"{int(z.at['near_low', 'cases']):,} 例"
    assert m["接近高倍率界值"].value == f"{int(z.at['near_high', 'cases']):,} 例"
    special = special_candidates(res, hid)
    assert m["特殊病例（A-20）"].value == f"{int((special['status'] == 'in').sum()):,} 例"
    zones = next(d.value for d in at.dataframe if "区间" in d.value.columns and "含义" in d.value.columns)
    assert zones["病例数"].sum() == z["cases"].sum()
    shown = w[w["zone"].isin(["near_low", "near_high", "low_edge", "high_edge"])]    # the zones picked by default
    exported = _csv(downloads(f"偏差预警-{hid}.csv"))
    assert len(exported) == len(shown)
    assert list(exported["病例编号"]) == list(shown["case_id"])
    assert len(_csv(downloads(f"特殊病例候选-{hid}.csv"))) == len(special)


def test_breakdown_page_by_department_and_doctor(hospital, monkeypatch):
    _, _, hid, res = hospital
    at = _hospital_page(hospital, monkeypatch, "hospital_breakdown")
    dep = margins_by(res, hid, "department")
    assert _metrics(at)["科室数"].value == f"{len(dep):,}"
    at.radio(key="hpb_by").set_value("doctor").run()
    assert not at.exception and not at.error
    doc = margins_by(res, hid, "doctor")
    assert _metrics(at)["医师数"].value == f"{len(doc):,}"
    table = next(d.value for d in at.dataframe if "盈亏（元）" in d.value.columns)
    assert len(table) == len(doc)
    assert abs(table["盈亏（元）"].sum() - doc["margin"].round(0).sum()) < 1e-6


def test_mix_page_shows_the_profile(hospital, monkeypatch):
    _, _, hid, res = hospital
    at = _hospital_page(hospital, monkeypatch, "hospital_mix")
    prof = mix_profile(res, hid).set_index("measure")
    assert _metrics(at)["CMI（A-23）"].value == f"{prof.at['cmi', 'hospital']:.4f}"
    assert any("还没有可比较的全市数据" in i.value for i in at.info)     # a hospital folder has no city figures


@pytest.mark.parametrize("page", PAGES)
def test_without_published_point_values_the_prompt_and_no_figures(hospital, monkeypatch, page):
    at = _hospital_page(hospital, monkeypatch, page, values={})
    assert not at.metric and not at.get("plotly_chart")
    assert all(":pub:" in str(d.key) for d in at.dataframe)                 # only the prompt's monthly values
    assert at.error and "point_value.given" in at.error[0].value             # the engine's message
    assert any(n.label.startswith("公布的职工结算点值") for n in at.number_input)
