"""What a user reads is in the user's language: data problems, import failures, store and parameter
errors in Chinese (their place too), the same objects still English as strings; the command line's
--lang; and the pages showing Chinese errors for bad data and bad input."""
from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import dip_model
from dip_model.errors import InputError, ParameterError, Problem
from dip_model.data.importer import rule_text, run_import
from dip_model.data.importer.mapping import MappingError
from dip_model.data.importer.read import ReadError
from dip_model.messages import Items, Message, Template, dump, load, localise
from dip_model.data.store import Store, StoreError

ROOT = Path(__file__).resolve().parent.parent
HOSPITALS = "hospital_id,level,reimb_level\nH1,3A,3\nH2,2A,2\n"
HEADER = "case_id,hospital_id,scheme,discharge_date,group_id,total_cost,ffs_fund\n"
FUND = "scheme,prior_expenditure,revenue,prior_revenue\nemployee,1000,1100,1000\nresident,1000,1100,1000\n"
CATALOGUE = "group_id,group_type,rw\nG1,core,1000\n"


def folder(tmp_path: Path, cases: str | bytes, **files) -> Path:
    d = tmp_path / "data"
    d.mkdir(parents=True, exist_ok=True)
    content = {"hospitals.csv": HOSPITALS, "fund.csv": FUND, "catalogue.csv": CATALOGUE, "cases.csv": cases, **files}
    for name, text in content.items():
        (d / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return d


def case(i: int, hospital="H1", cost="100") -> str:
    return f"C{i},{hospital},employee,2024-03-01,G1,{cost},50\n"


def problem(tmp_path, cases, column) -> Problem:
    problems, _ = dip_model.validate(folder(tmp_path, cases))
    return next(p for p in problems if p.column == column)


# ---------------------------------------------------------------- the data check
def test_negative_cost_on_many_rows_names_place_count_and_rows_in_chinese(tmp_path):
    rows = "".join(case(i, cost="-5" if i in range(10, 47) else "100") for i in range(1, 60))
    p = problem(tmp_path, HEADER + rows, "total_cost")
    assert (p.row, p.count) == (11, 37)
    assert p.text("zh") == ("cases.csv 第 11 行，列 total_cost：不能为负数：-5"
                            "（共 37 行：第 11、12、13、14、15、16、17、18、19、20、… 行）")
    assert str(p) == ("cases.csv, row 11, column total_cost: negative value: -5 "
                      "(37 rows in all; rows 11, 12, 13, 14, 15, 16, 17, 18, 19, 20…)")
    assert localise(p, "en") == str(p) and localise(p, "zh") == p.text("zh")


def test_missing_column_and_unknown_hospital_in_chinese(tmp_path):
    p = problem(tmp_path, HEADER.replace(",total_cost", "") + "C1,H1,employee,2024-03-01,G1,50\n", "total_cost")
    assert p.text("zh") == "cases.csv，列 total_cost：缺少必需的列 total_cost"
    assert str(p) == "cases.csv, column total_cost: required column 'total_cost' is missing"
    p = problem(tmp_path / "b", HEADER + case(1) + case(2, hospital="H9"), "hospital_id")
    assert p.text("zh") == "cases.csv 第 3 行，列 hospital_id：医院编码“H9”不在 hospitals.csv 中"


def test_wrong_encoding_in_chinese(tmp_path):
    d = folder(tmp_path, HEADER + case(1))
    (d / "hospitals.csv").write_bytes(b"hospital_id,level,reimb_level\nH1,\xff\xfe,3\n")
    with pytest.raises(InputError) as err:
        dip_model.load_data(d)
    p = next(p for p in err.value.problems if p.file == "hospitals.csv")
    assert p.text("zh") == "hospitals.csv 第 2 行：无法读取文件：不是 UTF-8 或 GB18030 编码的文本"
    assert str(p) == "hospitals.csv, row 2: cannot read the file: not UTF-8 or GB18030 text"
    zh = err.value.text("zh")
    assert zh.startswith("数据有 1 个问题：\n  - hospitals.csv 第 2 行") and str(err.value).startswith("1 input problem(s):")


def test_unknown_scheme_and_validator_warnings_in_chinese(tmp_path):
    p = problem(tmp_path, HEADER + case(1).replace("employee", "farmer"), "scheme")
    assert p.text("zh") == "cases.csv 第 2 行，列 scheme：无法识别的险种“farmer”（应为 职工、居民，或 employee、resident）"
    assert str(p) == "cases.csv, row 2, column scheme: unknown value 'farmer' (expected employee, resident)"
    hist = HEADER + case(1, hospital="H7")
    _, warnings = dip_model.validate(folder(tmp_path / "w", HEADER + case(1), **{"history.csv": hist}))
    assert [localise(w, "zh") for w in warnings] == [
        "history.csv 第 2 行，列 hospital_id：医院编码“H7”不在 hospitals.csv 中（保留该行，但不计入分级费用统计）"]


# ---------------------------------------------------------------- import, store, parameters
def test_import_failures_in_chinese(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ReadError) as err:
        run_import([tmp_path / "empty.csv"], tmp_path / "out")
    assert err.value.text("zh") == "empty.csv：文件是空的" and str(err.value) == "empty.csv: the file is empty"
    (tmp_path / "odd.csv").write_text("甲,乙\n1,2\n", encoding="utf-8")
    with pytest.raises(MappingError) as err:
        run_import([tmp_path / "odd.csv"], tmp_path / "out")
    zh = err.value.text("zh")
    assert zh.startswith("odd.csv：没有识别出对应 ") and "（甲、乙）" in zh
    assert str(err.value).startswith("odd.csv: no column recognised for ")


def test_import_report_rules_and_reasons_in_chinese(tmp_path):
    (tmp_path / "x.csv").write_text("结算ID,医疗机构编码,险种类型,出院日期,主要诊断编码,医疗总费用,统筹基金支付\n"
                                     "S1,H1,职工基本医疗保险,2024-01-09,K80.1,-5,0\n", encoding="utf-8")
    res = run_import([tmp_path / "x.csv"], tmp_path / "out", lang="zh")
    rule = res.quality["rejected_by_rule"][0]
    assert rule["rule"] == "total_cost: negative value"                     # the report's key stays English
    assert rule_text(rule, "zh") == "total_cost：不能为负数" and rule_text(rule, "en") == rule["rule"]
    rejected = (res.out / "rejected_rows.csv").read_text(encoding="utf-8-sig")
    assert "total_cost：不能为负数：-5" in rejected
    notes = {n["code"]: n for n in res.quality["notes"]}
    assert "fund.csv is a template" in notes["fund_template"]["text"]


def test_store_error_in_chinese(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    with pytest.raises(StoreError) as err:
        store.delete_scenario("不存在的方案")
    assert err.value.text("zh") == "没有名为“不存在的方案”的已保存情景"
    assert str(err.value) == "no saved scenario named '不存在的方案'" and err.value.code == "no_scenario"
    with pytest.raises(StoreError) as err:
        store.save_scenario("  ", {})
    assert err.value.text("zh") == "情景名称不能为空"


def test_bad_parameter_in_chinese():
    with pytest.raises(ParameterError) as err:
        dip_model.load_params({"budget": {"growth_rate": "快"}})
    assert err.value.text("zh") == "参数“budget.growth_rate”应为数字，实际为 '快'"
    assert str(err.value) == "parameter 'budget.growth_rate' must be a number, got '快'"
    with pytest.raises(ParameterError) as err:
        dip_model.load_params({"sharing": {"employee": {"retained": []}}})
    assert err.value.text("zh") == "参数“sharing.employee.retained”应为非空的分段列表"


def test_budget_error_nested_in_a_projection_year_in_chinese():
    from dip_model.errors import BudgetError
    inner = BudgetError(Message("budget_no_expenditure", scheme="resident"))
    outer = BudgetError(Message("projection_year_failed", year=3, error=inner))
    assert outer.text("zh") == "预测第 3 年：fund.csv，居民医保（resident）：须填写上年基金支出 prior_expenditure（A-10）"
    assert str(outer) == "projection year 3: fund.csv, scheme resident: prior_expenditure is required (A-10)"


# ---------------------------------------------------------------- the objects themselves
def test_errors_and_problems_pickle_with_their_translation():
    err = ParameterError(Message("param_unknown", path="a.b"))
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == "unknown parameter 'a.b'" and back.text("zh") == "未知参数“a.b”"
    p = Problem("cases.csv", Template("negative_value").fill("-1"), row=3, column="total_cost")
    assert pickle.loads(pickle.dumps(InputError([p]))).text("zh").endswith("cases.csv 第 3 行，列 total_cost：不能为负数：-1")


def test_plain_text_falls_back_to_itself():
    assert localise("plain", "zh") == "plain" and localise(ValueError("x"), "zh") == "x"
    err = dip_model.DipError("an old-style message")
    assert str(err) == err.text("zh") == "an old-style message"
    assert Problem("f.csv", "text", row=2).text("zh") == "f.csv 第 2 行：text"


def test_dump_and_load_keep_nested_messages():
    m = Message("unknown_scheme", v="x", known=Items(["employee", "resident"]))
    back = load(dump([m, "plain"]))
    assert back[0] == m and back[0].text("zh") == m.text("zh") and back[1] == "plain"


def test_template_rule_without_the_value():
    assert Template("not_a_number").rule("en") == "not a number"
    assert Template("not_a_number").rule("zh") == "不是数字"
    assert Template("duplicate", columns="case_id").rule("zh") == "case_id 重复"
    assert Template("hospital_unknown", file="hospitals.csv").rule("zh") == "医院编码不在 hospitals.csv 中"


# ---------------------------------------------------------------- command line
def _validate(data: Path, *lang: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dip_model", "validate", "--data", str(data), *lang],
                          capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=120)


def test_validate_prints_in_the_language_asked(tmp_path):
    bad = folder(tmp_path, HEADER + case(1, cost="-5") + case(2, hospital="H9"))
    zh = _validate(bad, "--lang", "zh")
    assert zh.returncode == 1
    assert "错误：cases.csv 第 2 行，列 total_cost：不能为负数：-5" in zh.stdout
    assert "共 2 个问题，0 条提示" in zh.stdout and "error" not in zh.stdout
    en = _validate(bad)                                               # English by default
    assert "error: cases.csv, row 2, column total_cost: negative value: -5" in en.stdout
    assert "2 problem(s), 0 warning(s)" in en.stdout
    assert _validate(bad, "--lang", "en").stdout == en.stdout


def test_every_command_takes_lang_and_errors_follow_it(tmp_path, capsys):
    from dip_model.cli.main import build_parser, main
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    defaults = {name: p.get_default("lang") for name, p in sub.choices.items()}
    assert set(defaults.values()) == {"zh", "en"}
    assert {n for n, d in defaults.items() if d == "zh"} == {"explain", "params", "report", "statements"}
    bad = folder(tmp_path, HEADER + case(1, cost="-5"))
    assert main(["run", "--data", str(bad), "--out", str(tmp_path / "o"), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：数据有 1 个问题：") and "不能为负数" in err
    assert main(["explain", "--data", str(bad), "--hospital", "H1", "--scheme", "employee", "--lang", "en"]) == 2
    assert capsys.readouterr().err.startswith("error: 1 input problem(s):")


# ---------------------------------------------------------------- pages
def test_data_page_shows_a_bad_folder_in_chinese(tmp_path, monkeypatch, city):
    from apptest import open_page
    bad = folder(tmp_path, HEADER + case(1, cost="-5"))
    at = open_page(city, monkeypatch, "data", state={"dataset_path": str(bad)})
    shown = " ".join(e.value for e in at.error)
    assert "数据有 1 个问题" in shown and "cases.csv 第 2 行，列 total_cost：不能为负数：-5" in shown
    assert "negative value" not in shown and "input problem" not in shown
    check = " ".join(c.value for c in at.code)
    assert "cases.csv 第 2 行，列 total_cost：不能为负数：-5" in check


def test_data_page_bad_mapping_upload_in_chinese(tmp_path, monkeypatch, city):
    from apptest import open_page
    monkeypatch.setenv("DIP_IMPORTS", str(tmp_path / "imports"))
    at = open_page(city, monkeypatch, "data")
    at.file_uploader(key="dat_files").set_value(("x.csv", "结算ID,医疗机构编码\nS1,H1\n".encode(), "text/csv"))
    at.file_uploader(key="dat_up_m").set_value(("m.yaml", b"colums: {}\n", "application/x-yaml")).run()
    assert not at.exception
    assert any("m.yaml：无法识别的部分 colums" in e.value for e in at.error), [e.value for e in at.error]


def test_pages_show_a_bad_parameter_in_the_ui_language(monkeypatch, city):
    from apptest import open_page
    bad = {"budget": {"growth_rate": "快"}}
    zh = " ".join(e.value for e in open_page(city, monkeypatch, "overview", values=bad).error)
    assert "参数“budget.growth_rate”应为数字，实际为 '快'" in zh and "must be a number" not in zh
    en = " ".join(e.value for e in open_page(city, monkeypatch, "overview", lang="en", values=bad).error)
    assert "parameter 'budget.growth_rate' must be a number, got '快'" in en
