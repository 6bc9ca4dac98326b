"""The 数据 Data page: the current dataset and its check, an upload mapped and imported with its
quality report, switching to the imported dataset, and uploads whose content is wrong."""
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import dip_model
from dip_model.data.importer import run_import
from hospitalkit import published_tables

ROOT = Path(__file__).resolve().parents[2]
SMALL = ("结算ID,医疗机构编码,险种类型,出院日期,主要诊断编码,医疗总费用,统筹基金支付\n"
         "S1,H1,职工基本医疗保险,2024-01-09,K80.1,1000,800\n"
         "S2,H1,离休,2024-01-10,K80.1,1000,800\n"
         "S3,H2,城乡居民基本医疗保险,2024-01-11,K80.1,-5,0\n"
         "S4,H2\n")


@pytest.fixture(scope="module")
def export(city) -> bytes:
    """The city's cases as a GB18030 settlement-list export; the hospital column has a header the
    importer does not know (机构), and five employee cases a scheme spelling it does not know (在职职工)."""
    c = pd.read_csv(city / "cases.csv", dtype=str, keep_default_na=False)
    scheme = np.where(c["scheme"] == "employee", "职工基本医疗保险", "城乡居民基本医疗保险")
    scheme[np.flatnonzero(c["scheme"] == "employee")[:5]] = "在职职工"
    e = pd.DataFrame({"结算ID": c["case_id"], "机构": c["hospital_id"], "险种类型": scheme,
                      "入院日期": c["admit_date"], "出院日期": c["discharge_date"], "主要诊断编码": c["dx_code"],
                      "主要手术及操作编码": c["proc_codes"], "医疗总费用": c["total_cost"],
                      "统筹基金支付": c["ffs_fund"], "个人自付": c["self_pay"], "年龄": c["age"]})
    return e.to_csv(index=False).encode("gb18030")


def _app(city, tmp_path, monkeypatch, lang="zh") -> AppTest:
    monkeypatch.setenv("DIP_DATA", str(city))
    monkeypatch.setenv("DIP_IMPORTS", str(tmp_path / "imports"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    return at.switch_page("pages/data.py").run()


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_current_dataset_and_its_check(city, tmp_path, monkeypatch):
    at = _app(city, tmp_path, monkeypatch)
    assert not at.exception and not at.error
    data = dip_model.load_data(city)
    m = _metrics(at)
    assert m["病例数"] == f"{len(data.cases):,}" and m["医院数"] == f"{len(data.hospitals):,}"
    assert m["职工医保病例数"] == f"{int((data.cases['scheme'] == 'employee').sum()):,}"
    assert any("数据符合数据契约" in s.value for s in at.success)


def test_upload_map_import_and_switch(city, export, tmp_path, monkeypatch):
    at = _app(city, tmp_path, monkeypatch)
    at.file_uploader(key="dat_files").set_value(("泸州2024.csv", export, "text/csv"))
    for key, name in (("dat_up_h", "hospitals.csv"), ("dat_up_f", "fund.csv"), ("dat_up_c", "catalogue.csv")):
        at.file_uploader(key=key).set_value((name, (city / name).read_bytes(), "text/csv"))
    at.run()
    assert not at.exception and not at.error
    assert any("医院编码" in w.value for w in at.warning)       # the required hospital column is not mapped yet
    assert "dat_run" not in [b.key for b in at.button]
    at.selectbox(key="dat_map:机构").set_value("hospital_id")
    at.selectbox(key="dat_val:在职职工").set_value("employee")
    at.run()
    assert not any("尚缺必需字段" in w.value for w in at.warning)
    at.button(key="dat_run").click().run()
    assert not at.exception and not at.error
    out = tmp_path / "imports" / "泸州2024"
    m = _metrics(at)
    assert m["读取行数"] == "3,000" and m["导入行数"] == "3,000" and m["拒收行数"] == "0"
    # the report shows what the importer gives for the same file and mapping
    q = dip_model.data.importer.read_quality(out)
    assert m["入组率"] == f"{q['grouping_rate']:.1%}" and m["质控未通过率"] == "—"
    assert m["费用异常病例"] == f"{q['outliers']['high'] + q['outliers']['low']:,}"
    assert q["cases_by_scheme"]["employee"] == int((dip_model.load_data(city).cases["scheme"] == "employee").sum())
    assert not any(p.name.startswith(".") for p in (tmp_path / "imports").iterdir())
    at.button(key="dat_switch").click().run()
    assert at.session_state["dataset_path"] == str(out)
    assert _metrics(at)["病例数"] == "3,000"
    assert any("数据符合数据契约" in s.value for s in at.success)


def test_report_lists_rejected_rows(city, tmp_path, monkeypatch):
    at = _app(city, tmp_path, monkeypatch)
    at.file_uploader(key="dat_files").set_value(("small.csv", SMALL.encode("utf-8"), "text/csv")).run()
    at.button(key="dat_run").click().run()
    assert not at.exception and not at.error
    expected = run_import([_write(tmp_path / "small.csv", SMALL)], tmp_path / "ref").quality
    m = _metrics(at)
    assert (m["读取行数"], m["导入行数"], m["拒收行数"]) == ("4", "1", "3")
    assert expected["rows_rejected"] == 3
    shown = [d.value for d in at.dataframe]
    by_rule = next(df for df in shown if "规则" in df.columns)
    assert set(by_rule["行数"]) == {1} and len(by_rule) == 3
    assert any("险种：无法识别的险种" in r for r in by_rule["规则"])
    rejected = next(df for df in shown if "行号" in df.columns)
    assert sorted(rejected["行号"]) == ["3", "4", "5"]
    assert "dat_dl_rej_last" in [b.key for b in at.get("download_button")]


def test_wrong_content_and_english(city, tmp_path, monkeypatch):
    at = _app(city, tmp_path, monkeypatch, lang="en")
    at.file_uploader(key="dat_files").set_value(("export.xlsx", SMALL.encode("utf-8"), "application/vnd.ms-excel"))
    at.run()
    assert not at.exception
    assert at.error and "not what its extension says" in at.error[0].value
    at.file_uploader(key="dat_files").set_value(("export.csv", bytes(range(128, 256)) * 20, "text/csv")).run()
    assert at.error and "not UTF-8 or GBK" in at.error[0].value
    assert "Cases" in _metrics(at)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_current_folder_still_lets_the_user_choose(city, tmp_path, monkeypatch):
    at = _app(city, tmp_path, monkeypatch)
    at.session_state["dataset_path"] = str(tmp_path / "gone")
    at.run()
    assert not at.exception
    assert at.error and "gone" in at.error[0].value
    assert not any("意外" in e.value for e in at.error)         # no "unexpected error" anywhere
    pick = at.selectbox(key="dat_pick")
    pick.set_value(str(city)).run()
    at.button(key="dat_use_pick").click().run()
    assert at.session_state["dataset_path"] == str(city) and not at.error


@pytest.fixture(scope="module")
def published(city):
    """The largest hospital's own export and the bureau's tables as published: the catalogue as XLSX with
    Chinese headers and words, the level costs as a GB18030 CSV with one column per level."""
    c = pd.read_csv(city / "cases.csv", dtype=str, keep_default_na=False)
    hid = c["hospital_id"].value_counts().index[0]
    c = c[c["hospital_id"] == hid]
    e = pd.DataFrame({"结算ID": c["case_id"], "医疗机构编码": c["hospital_id"],
                      "险种类型": np.where(c["scheme"] == "employee", "职工基本医疗保险", "城乡居民基本医疗保险"),
                      "入院日期": c["admit_date"], "出院日期": c["discharge_date"], "DIP病种编码": c["group_id"],
                      "主要诊断编码": c["dx_code"], "医疗总费用": c["total_cost"], "统筹基金支付": c["ffs_fund"],
                      "个人自付": c["self_pay"], "年龄": c["age"]})
    pub, wide = published_tables(city)
    xlsx = io.BytesIO()
    pub.to_excel(xlsx, index=False)
    return {"hid": hid, "export": e.to_csv(index=False).encode("gb18030"), "catalogue": xlsx.getvalue(),
            "level_costs": wide.to_csv(index=False).encode("gb18030"), "cat": pd.read_csv(city / "catalogue.csv", dtype=str),
            "lc": pd.read_csv(city / "group_level_costs.csv", dtype=str)}


def test_hospital_import_with_the_published_catalogue(city, published, tmp_path, monkeypatch):
    at = _app(city, tmp_path, monkeypatch)
    at.radio(key="dat_mode").set_value("hospital").run()
    assert "dat_up_f" not in [u.key for u in at.get("file_uploader")]          # no fund table for a hospital
    at.file_uploader(key="dat_files").set_value(("本院结算清单.csv", published["export"], "text/csv"))
    at.file_uploader(key="dat_up_c").set_value(("病种分值目录.xlsx", published["catalogue"],
                                                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    at.file_uploader(key="dat_up_l").set_value(("各级别次均费用.csv", published["level_costs"], "text/csv"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    captions = [c.value for c in at.caption]
    assert any(c.startswith("已识别 病种分值目录.xlsx 的列：病种编码 → 病种编码") and "分值 → 分值" in c for c in captions)
    assert any(c.startswith("已识别 各级别次均费用.csv 的列：") and "三级甲等次均费用 → 次均费用（三级甲等）" in c
               for c in captions)
    assert at.text_input(key="dat_own_id").value == published["hid"]          # read from the export
    at.text_input(key="dat_own_name").set_value("本院")
    at.button(key="dat_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    out = tmp_path / "imports" / "本院结算清单"
    assert not (out / "fund.csv").exists()
    q = dip_model.data.importer.read_quality(out)
    m = _metrics(at)
    assert m["目录读取行数"] == m["目录导入行数"] == f"{len(published['cat']):,}" and m["目录拒收行数"] == "0"
    assert m["病种数"] == f"{q['catalogue']['groups']['total']:,}"
    assert m["导入的次均费用数"] == f"{q['level_costs']['rows_used']:,}" == f"{len(published['lc']):,}"
    assert any("医院数据" in i.value for i in at.info)                          # the importer's note, in words
    # the folder is the hospital's: its catalogue and level costs are the city's own
    data = dip_model.load_data(out)
    assert data.mode == "hospital"
    assert sorted(data.catalogue["group_id"]) == sorted(published["cat"]["group_id"])
    assert data.hospitals[["hospital_id", "name", "level"]].values.tolist() == [[published["hid"], "本院", "3A"]]
    at.button(key="dat_switch").click().run()
    assert at.session_state["dataset_path"] == str(out)


def test_published_catalogue_in_an_unknown_layout(city, published, tmp_path, monkeypatch):
    at = _app(city, tmp_path, monkeypatch)
    at.radio(key="dat_mode").set_value("hospital").run()
    at.file_uploader(key="dat_files").set_value(("本院结算清单.csv", published["export"], "text/csv"))
    at.file_uploader(key="dat_up_c").set_value(("目录.csv", "编号,说明\nA01,x\n".encode("utf-8"), "text/csv")).run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith("目录.csv：没有识别出必需的列：病种编码；分值。文件中的列：编号；说明")
    assert "dat_run" not in [b.key for b in at.button]
