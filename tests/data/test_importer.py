"""Imports of real exports (dip_model.data.importer): header and value mapping, encodings, the quality
report's counts, saved mappings, the command line, and an interrupted import."""
import argparse
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dip_model
from dip_model.errors import DipError, InputError
from dip_model.data.importer.mapping import (Mapping, MappingError, Plan, age_text, dx_code, iso_date, proc_codes,
    recognise)
from dip_model.data.importer.read import detect_encoding
from dip_model.cli.data import add_import_parser
from dip_model.data.importer import inspect, read_quality, run_import

ROOT = Path(__file__).resolve().parents[2]

# a hand-made settlement-list export: rows 2..12 of the file (header = row 1)
EXPORT = textwrap.dedent("""\
    结算ID,医疗机构编码,医疗机构名称,医院等级,险种类型,入院日期,出院日期,主要诊断编码,主要手术及操作编码,医疗总费用（元）,统筹基金支付,个人自付,年龄,离院方式,质控结果,姓名
    S1,H1,一院,三级甲等,职工基本医疗保险,2024-01-05,2024/1/9,K80.100x001,51.2300x001,"12,000.50",9000,3000.5,45岁,1,通过,张三
    S2,H1,一院,三级甲等,城乡居民基本医疗保险,20240110,20240115,K801,,5000,3000,2000,3月,2,不通过,李四
    S3,H2,二院,二甲,390,45296,45300,I63.900,,8000,9000,0,70,1,通过,王五
    S4,H2,二院,二甲,离休人员医疗保障,2024-02-01,2024-02-03,J18.900,,100,50,50,30,1,通过,赵六
    S1,H2,二院,二甲,310,2024-02-01,2024-02-03,J18.900,,100,50,50,30,1,通过,钱七
    S6,H2,二院,二甲,310,2024-02-01,2024-01-03,J18.900,,-5,50,50,30,1,通过,孙八
    S7,H2,二院
    ,,,,,,,,,,,,,,,
    S9,H3,三院,一级,职工,2024-03-01,2024-03-05,,,700,500,200,20,9,通过,周九
    S10,H3,三院,一级,职工,2024-03-01,2024-13-05,J18.900,,700,500,200,20,1,通过,吴十
    S11,H3,三院,一级,居民,2024-03-02,2024-03-06,J18.900,,abc,500,200,20,1,通过,郑十一
    """)
# (file row, rule) of every row the export must reject
REJECTS = {4: "ffs_fund: ffs_fund greater than total_cost", 5: "scheme: unknown value (expected employee, resident)",
           6: "case_id: duplicate case_id", 7: "total_cost: negative value", 8: "row: malformed line",
           9: "row: empty row", 11: "discharge_date: not a valid date", 12: "total_cost: not a number"}


def _write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _export(cases: pd.DataFrame) -> pd.DataFrame:
    """A contract cases table written the way a 医保结算清单 export looks."""
    return pd.DataFrame({
        "结算ID": cases["case_id"], "人员编号": cases["patient_id"], "定点医药机构编号": cases["hospital_id"],
        "险种类型": np.where(cases["scheme"] == "employee", "职工基本医疗保险", "城乡居民基本医疗保险"),
        "入院日期": pd.to_datetime(cases["admit_date"]).dt.strftime("%Y/%-m/%-d"),
        "出院日期": pd.to_datetime(cases["discharge_date"]).dt.strftime("%Y%m%d"),
        "主要诊断编码": cases["dx_code"].where(cases["dx_code"] == "", cases["dx_code"] + "00x001"),
        "主要手术及操作编码": cases["proc_codes"].map(_long_procs),
        "医疗总费用": cases["total_cost"], "统筹基金支付": cases["ffs_fund"], "个人自付": cases["self_pay"],
        "年龄": cases["age"], "离院方式": np.where(cases["transferred"] == "true", "2", "1"),
        "质控结果": np.where(cases["qc_pass"] == "true", "通过", "不通过"), "姓名": "某某"})


def _long_procs(codes: str) -> str:
    """ICD-9-CM-3 codes in 医保版 form (24.4 -> 24.4x00, 51.23 -> 51.2300x001), separated by '，'."""
    return "，".join(c + ("x00" if len(c.split(".")[-1]) == 1 else "00x001") for c in codes.split(";") if c)


@pytest.fixture(scope="module")
def city_export(city, tmp_path_factory):
    cases = pd.read_csv(city / "cases.csv", dtype=str, keep_default_na=False)
    path = tmp_path_factory.mktemp("export") / "结算清单.csv"
    path.write_bytes(_export(cases).to_csv(index=False).encode("gb18030"))
    return path


# ------------------------------------------------------------------ mapping
def test_headers_recognised():
    header = ["结算ID", "病案号", "定点医药机构编号", "险种", "出院日期", "主诊断编码", "主要手术及操作编码",
              "总费用（元）", "统筹基金支付", "身份证号", "人员编号", "年龄", "离院方式", "备注", "admit_date"]
    m = recognise(header)
    assert m == {"结算ID": "case_id", "定点医药机构编号": "hospital_id", "险种": "scheme", "出院日期": "discharge_date",
                 "主诊断编码": "dx_code", "主要手术及操作编码": "proc_codes", "总费用（元）": "total_cost",
                 "统筹基金支付": "ffs_fund", "人员编号": "patient_id", "年龄": "age", "离院方式": "transferred",
                 "admit_date": "admit_date", "备注": ""}   # 病案号, 身份证号 lose to better-ranked headers;
    #                                                       备注 is a known column the contract does not use
    user = Mapping(columns={"备注": "aux_type", "结算ID": ""})
    m = recognise(header, user)
    assert m["备注"] == "aux_type" and m["结算ID"] == "" and m["病案号"] == "case_id"


def test_values_and_codes():
    plan = Plan.make(["险种类型", "离院方式", "质控结果", "主要诊断编码", "主要手术及操作编码", "出院日期", "年龄",
                      "医疗机构编码", "病案号", "身份证号"], None)
    import pyarrow as pa
    cols = {"险种类型": ["职工基本医疗保险", "城乡居民基本医疗保险", "390", " 职工 ", "离休"],
            "离院方式": ["1", "2", "医嘱转院", "5", None], "质控结果": ["通过", "不通过", "是", "否", None],
            "主要诊断编码": ["K80.100x001", "k801", "Ｉ６３．９", None, "J18.9"],
            "主要手术及操作编码": ["51.2300x001", "51.23，45.1300", "", None, "99.0401;99.04"],
            "出院日期": ["2024-01-05", "2024/1/5", "20240105", "45296", "2024-01-05 10:30:00"],
            "年龄": ["45", "45岁", "3月", "10天", None], "医疗机构编码": ["H1"] * 5, "病案号": ["1", "2", "3", "4", "5"],
            "身份证号": ["510500199001011234"] * 2 + [None] * 3}
    out = plan.apply({k: pa.array(v, pa.string()) for k, v in cols.items()}, np.arange(2, 7))
    got = {k: v.to_pylist() for k, v in out.items()}
    assert got["scheme"] == ["employee", "resident", "resident", "职工", "离休"]    # 职工 is a contract spelling
    assert got["transferred"] == ["false", "true", "true", "false", None]
    assert got["qc_pass"] == ["true", "false", "是", "否", None]
    assert got["dx_code"] == ["K80.100x001", "K80.1", "I63.9", None, "J18.9"]
    assert got["proc_codes"] == ["51.23", "51.23;45.13", None, None, "99.04"]
    assert got["discharge_date"] == ["2024-01-05"] * 5
    assert got["age"] == ["45", "45", "0", "0", None]
    assert got["case_id"] == ["H1-1", "H1-2", "H1-3", "H1-4", "H1-5"]          # 病案号: unique per hospital only
    assert got["patient_id"][0] == got["patient_id"][1] != "510500199001011234"   # pseudonymised
    assert dx_code("K80.100x001")[:5] == "K80.1"
    assert proc_codes("51.2300x001", short=False) == "51.2300x001"
    assert iso_date("2024年1月5日") == "2024-01-05" and iso_date("2024-02-30") == "2024-02-30"
    assert age_text("abc") == "abc"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_detected(tmp_path, encoding):
    path = _write(tmp_path / "x.csv", EXPORT, encoding)
    assert detect_encoding(path.read_bytes()[:1000]) == encoding
    res = run_import([path], tmp_path / "out")
    assert res.quality["files"][0]["encoding"] == encoding
    assert res.quality["rows_used"] == 3
    text = (tmp_path / "out" / "cases.csv").read_text(encoding="utf-8")
    assert "employee" in text and "K80.100x001" in text


def test_blocks_cut_between_records(tmp_path, monkeypatch):
    """CSV is read in blocks of whole records: tiny blocks (cutting inside quoted fields) give the
    same rows, row numbers and reasons as one block."""
    path = _write(tmp_path / "e.csv", EXPORT.replace("张三", '"张\n三"'), "gb18030")
    ref = run_import([path], tmp_path / "one")
    import dip_model.data.importer.read as ir
    monkeypatch.setattr(ir, "CSV_BLOCK", 16)
    monkeypatch.setattr(ir, "ARROW_BLOCK", 16)
    tiny = run_import([path], tmp_path / "tiny")
    for f in ("cases.csv", "rejected_rows.csv"):
        a = pd.read_csv(tmp_path / "one" / f, dtype=str).sort_values(list(pd.read_csv(tmp_path / "one" / f).columns[:2]))
        b = pd.read_csv(tmp_path / "tiny" / f, dtype=str).sort_values(list(a.columns[:2]))
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    assert tiny.quality["rejected_by_rule"] == ref.quality["rejected_by_rule"]


def test_reader_stopped_midway_exits_cleanly(tmp_path, city_export):
    """A reader left after its first chunk (as the preview does) lets the process end normally."""
    code = ("import sys; from dip_model.data.importer.read import open_source; "
            "c = next(open_source(sys.argv[1]).chunks(100)); print(c.n)")
    done = subprocess.run([sys.executable, "-c", code, str(city_export)], cwd=ROOT, timeout=60,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr


def test_not_a_table(tmp_path):
    (tmp_path / "x.csv").write_bytes(bytes(range(128, 256)) * 50)
    with pytest.raises(DipError, match="not UTF-8 or GB18030"):
        run_import([tmp_path / "x.csv"], tmp_path / "out")


# ------------------------------------------------------------------ the quality report
def test_quality_counts(tmp_path):
    path = _write(tmp_path / "export.csv", EXPORT, "gb18030")
    res = run_import([path], tmp_path / "out")
    q = res.quality
    assert q["rows_read"] == 11 and q["rows_used"] == 3 and q["rows_rejected"] == 8
    assert q["rows_used"] + q["rows_rejected"] == q["rows_read"]
    rej = pd.read_csv(res.rejected_path, dtype=str, encoding="utf-8-sig")
    assert len(rej) == q["rows_rejected"]
    got = dict(zip(rej["source_row"].astype(int), rej["reasons"]))
    assert set(got) == set(REJECTS)
    for row, rule in REJECTS.items():
        assert got[row].startswith(rule.split(" (")[0].replace("row: malformed line", "row: the line has")), row
    assert "admit_date after discharge_date" in got[7]            # every reason of a row is listed
    assert rej.loc[rej["source_row"] == "5", "姓名"].item() == "赵六"   # the row as read
    by_rule = {r["rule"]: r["rows"] for r in q["rejected_by_rule"]}
    assert by_rule["row: empty row"] == 1 and by_rule["total_cost: negative value"] == 1
    assert sum(by_rule.values()) == 9                              # row 7 breaks two rules
    used = pd.read_csv(tmp_path / "out" / "cases.csv", dtype=str)
    assert list(used["case_id"]) == ["S1", "S2", "S9"]
    assert q["cases_by_scheme"] == {"employee": 2, "resident": 1}
    assert {h["hospital_id"]: h["cases"] for h in q["cases_by_hospital"]} == {"H1": 2, "H3": 1}
    assert q["qc_fail_rate"] == pytest.approx(1 / 3) and q["grouping_rate"] is None
    assert q["derived"] == {"hospitals": True, "fund": "template", "catalogue": "missing"}
    hosp = pd.read_csv(tmp_path / "out" / "hospitals.csv", dtype=str)
    assert hosp.set_index("hospital_id")[["name", "level", "reimb_level"]].to_dict("index") == {
        "H1": {"name": "一院", "level": "3A", "reimb_level": "3"}, "H3": {"name": "三院", "level": "1", "reimb_level": "1"}}
    assert any("template" in p for p in q["problems"])
    problems, _ = dip_model.validate(tmp_path / "out")
    assert any("revenue" in str(p) for p in problems)             # the fund template must be filled


def test_grouping_rate_and_outliers(tmp_path):
    rows = ["case_id,hospital_id,scheme,discharge_date,dx_code,total_cost,ffs_fund"]
    costs = [100, 110, 90, 100, 105, 1000, 5]                      # median 100: one above 5×, one below 0.1×
    rows += [f"A{i},H1,employee,2024-05-0{i + 1},K80.1,{c},1" for i, c in enumerate(costs)]
    rows += ["B1,H1,resident,2024-05-01,Z99.9,50,1", "B2,H1,resident,2024-05-01,,50,1"]
    path = _write(tmp_path / "e.csv", "\n".join(rows) + "\n", "utf-8")
    cat = _write(tmp_path / "catalogue.csv", "group_id,group_type,rw\nK80.1|conservative,core,1.2\n", "utf-8")
    q = run_import([path], tmp_path / "out", catalogue=cat).quality
    assert q["grouping_rate"] == pytest.approx(7 / 9) and q["grouped_cases"] == 7
    assert q["outliers"]["high"] == 1 and q["outliers"]["low"] == 1 and q["outliers"]["groups_checked"] == 1
    out = pd.read_csv(tmp_path / "out" / "outliers.csv", dtype={"case_id": str})
    assert out.set_index("case_id")["kind"].to_dict() == {"A5": "high", "A6": "low"}
    assert {r["rule"]: r["rows"] for r in q["warnings_by_rule"]} == {
        "group_id: neither group_id nor dx_code given (the case is unmatched)": 1}
    assert (tmp_path / "out" / "catalogue.csv").is_file()


def test_round_trip_of_a_city(city, city_export, tmp_path):
    """A synthetic city exported with Chinese headers, 医保版 codes and GB18030 comes back as the same
    cases, and the folder passes the contract's checks."""
    res = run_import([city_export], tmp_path / "out", hospitals=city / "hospitals.csv", fund=city / "fund.csv",
                     catalogue=city / "catalogue.csv")
    q = res.quality
    assert q["rows_rejected"] == 0 and q["rows_used"] == 3000
    problems, _ = dip_model.validate(tmp_path / "out")
    assert problems == []
    a = dip_model.load_data(tmp_path / "out").cases.set_index("case_id")
    b = dip_model.load_data(city).cases.set_index("case_id").loc[a.index]
    for c in ("hospital_id", "scheme", "discharge_date", "admit_date", "total_cost", "ffs_fund", "self_pay", "age",
              "qc_pass", "transferred", "patient_id", "proc_codes"):
        pd.testing.assert_series_equal(a[c], b[c], check_dtype=False, check_names=False)
    assert (a["dx_code"].str[:5] == b["dx_code"]).all()
    assert q["grouping_rate"] > 0.8
    assert q["qc_fail_cases"] == int((~b["qc_pass"]).sum())


def test_hospitals_file_with_chinese_headers(tmp_path):
    path = _write(tmp_path / "e.csv", EXPORT, "utf-8")
    hosp = _write(tmp_path / "h.csv", "医疗机构编码,医疗机构名称,医院等级,报销级别\nH1,一院,三甲,3\nH2,二院,二级甲等,2\n",
                  "gb18030")
    q = run_import([path], tmp_path / "out", hospitals=hosp).quality
    assert q["derived"]["hospitals"] is False
    assert {r["rule"]: r["rows"] for r in q["rejected_by_rule"]}["hospital_id: hospital_id not in the hospitals file"] == 3
    h = pd.read_csv(tmp_path / "out" / "hospitals.csv", dtype=str)
    assert list(h["level"]) == ["3A", "2A"]
    bad = _write(tmp_path / "h2.csv", "hospital_id,level\nH1,3A\n", "utf-8")
    with pytest.raises(InputError, match="reimb_level"):
        run_import([path], tmp_path / "out2", hospitals=bad)


def test_excel_and_parquet(tmp_path):
    """XLSX (with a title line above the header, real dates and serials) and Parquet (typed columns)
    give the same cases as the CSV."""
    csv = _write(tmp_path / "e.csv", EXPORT, "utf-8")
    run_import([csv], tmp_path / "ref")                  # the CSV path, read back below
    df = pd.read_csv(csv, dtype=str, keep_default_na=False, on_bad_lines="skip")
    df = df[df["结算ID"] != ""]
    typed = df.copy()
    typed["入院日期"] = pd.to_datetime(typed["入院日期"].str.replace("/", "-"), format="mixed", errors="coerce")
    typed["医疗总费用（元）"] = pd.to_numeric(typed["医疗总费用（元）"].str.replace(",", ""), errors="coerce")
    typed.to_parquet(tmp_path / "e.parquet")
    with pd.ExcelWriter(tmp_path / "e.xlsx") as xw:
        pd.DataFrame([["医保结算清单导出（2024年）"]]).to_excel(xw, index=False, header=False)
        typed.to_excel(xw, index=False, startrow=2)
    want = pd.read_csv(tmp_path / "ref" / "cases.csv", dtype=str)
    for f in ("e.parquet", "e.xlsx"):
        res = run_import([tmp_path / f], tmp_path / f"out_{f}")
        got = pd.read_csv(tmp_path / f"out_{f}" / "cases.csv", dtype=str)
        pd.testing.assert_frame_equal(got, want)
    info = inspect(tmp_path / "e.xlsx")
    assert info["kind"] == "excel" and info["header_row"] == 3 and info["missing"] == []
    rej = pd.read_csv(res.rejected_path, dtype=str, encoding="utf-8-sig")
    assert rej["source_row"].astype(int).min() >= 4                 # Excel's own row numbers


# ------------------------------------------------------------------ mappings saved and reused
def test_saved_mapping_reused(tmp_path):
    text = "编号,机构,类别,离院日期,诊断,金额,基金\nX1,H1,甲,2024-03-01,K80.1,100,80\nX2,H2,乙,2024-03-02,I63.9,200,120\n"
    path = _write(tmp_path / "odd.csv", text, "gb18030")
    with pytest.raises(MappingError, match="hospital_id"):
        run_import([path], tmp_path / "out")
    info = inspect(path)
    assert "hospital_id" in info["missing"] and info["mapped"]["机构"] == ""
    m = Mapping(columns={"编号": "case_id", "机构": "hospital_id", "类别": "scheme", "离院日期": "discharge_date",
                         "诊断": "dx_code", "金额": "total_cost", "基金": "ffs_fund"},
                values={"scheme": {"甲": "employee", "乙": "resident"}})
    m.save(tmp_path / "my.yaml")
    first = run_import([path], tmp_path / "out", mapping=tmp_path / "my.yaml")
    assert first.quality["rows_used"] == 2
    again = run_import([path], tmp_path / "out2", mapping=Mapping.load(tmp_path / "out" / "mapping.yaml"))
    assert (tmp_path / "out2" / "cases.csv").read_bytes() == (tmp_path / "out" / "cases.csv").read_bytes()
    assert again.quality["cases_by_scheme"] == {"employee": 1, "resident": 1}
    (tmp_path / "bad.yaml").write_text("columns: {机构: hospital}\n", encoding="utf-8")
    with pytest.raises(MappingError, match="unknown contract column"):
        Mapping.load(tmp_path / "bad.yaml")


def test_command_line(tmp_path, capsys, city, city_export, monkeypatch):
    monkeypatch.setenv("DIP_STORE", str(tmp_path / "store.duckdb"))
    ap = argparse.ArgumentParser()
    add_import_parser(ap.add_subparsers())
    a = ap.parse_args(["import", str(city_export), "--out", str(tmp_path / "out"), "--fund", str(city / "fund.csv"),
                       "--catalogue", str(city / "catalogue.csv"), "--save-mapping", str(tmp_path / "m.yaml"),
                       "--store", "泸州 2024"])
    assert a.fn(a) == 0
    out = capsys.readouterr()
    assert "imported 3,000 of 3,000 rows" in out.out and "hospitals.csv was derived" in out.err
    from dip_model.data.store import Store
    stored = Store.default().list_datasets()
    assert list(stored["name"]) == ["泸州 2024"] and list(stored["n_cases"]) == [3000]
    assert Mapping.load(tmp_path / "m.yaml").columns["定点医药机构编号"] == "hospital_id"
    assert read_quality(tmp_path / "out")["rows_used"] == 3000
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(DipError, match="not an imported data folder"):
        run_import([city_export], tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


# ------------------------------------------------------------------ atomic output
KILLED_RUN = """
import sys, time
from pathlib import Path
from dip_model.data.importer import run_import
def progress(done, rows):
    Path(sys.argv[3]).write_text(str(rows))       # the first chunk is written: now the test kills us
    time.sleep(60)
run_import([sys.argv[1]], sys.argv[2], progress=progress)
"""


def test_interrupted_import_leaves_previous_folder(tmp_path, city_export):
    out = tmp_path / "out"
    run_import([_write(tmp_path / "small.csv", EXPORT, "utf-8")], out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    marker = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(city_export), str(out), str(marker)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        for _ in range(300):
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the import did not start"
        assert any(p.name.startswith(".out.importing-") for p in tmp_path.iterdir())   # half-written, aside
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # a run killed between its two renames: the previous folder is put back on the next start
    os.rename(out, tmp_path / ".out.old-999999")
    res = run_import([city_export], out)
    assert res.quality["rows_used"] == 3000
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_failed_import_cleans_up(tmp_path, monkeypatch):
    out = tmp_path / "out"
    path = _write(tmp_path / "e.csv", EXPORT, "utf-8")
    run_import([path], out)
    before = (out / "cases.csv").read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run_import([path], out, progress=boom)
    assert (out / "cases.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
