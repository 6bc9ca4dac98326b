"""The command line on a hospital folder: validate names the mode, run writes the results with the city
steps empty, explain marks them not applicable, and a folder without its published point value is refused
with nothing written."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from citykit import PARAMS, case, hospital, write_city
from dip_model.cli.main import main

PUBLISHED = {**PARAMS, "point_value": {"given": {"employee": 12.0}}}


@pytest.fixture
def hospital_folder(tmp_path) -> Path:
    """H1 (3A): eight G1 cases at 9 000 (ffs_fund 4 500), a violation amount of 2 000; no fund.csv."""
    cases = [case(f"C{i}", "H1", "G1", 9000, 4500, department="心内科") for i in range(8)]
    return write_city(tmp_path / "data", [hospital("H1", violation_amount=2000)], cases, fund=None)


def params_file(tmp_path: Path, values: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("lang, line", [
    ("en", "hospital folder (no fund.csv): needs hospitals, cases and the published catalogue"),
    ("zh", "医院数据（无 fund.csv）：须有 hospitals、cases 和公布的病种目录 catalogue")])
def test_validate_names_the_mode(hospital_folder, capsys, lang, line):
    assert main(["validate", "--data", str(hospital_folder), "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert line in out and "point_value.given" in out and "mean_cost_all" in out


def test_validate_names_a_city_folder(tmp_path, capsys):
    city = write_city(tmp_path / "city", [hospital("H1")], [case("C1", "H1", "G1", 9000)])
    assert main(["validate", "--data", str(city)]) == 0
    assert "city folder (fund.csv given)" in capsys.readouterr().out


def test_validate_a_hospital_folder_without_catalogue(hospital_folder, capsys):
    (hospital_folder / "catalogue.csv").unlink()
    assert main(["validate", "--data", str(hospital_folder), "--lang", "zh"]) == 1
    out = capsys.readouterr().out
    assert "错误：catalogue.csv：缺少必需的文件：医院数据（无 fund.csv）须提供医保局公布的病种目录库" in out


def test_run_writes_the_results_with_the_city_steps_empty(hospital_folder, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "--data", str(hospital_folder), "--params", str(params_file(tmp_path, PUBLISHED)),
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "employee: point value 12.0 (given), budget point value 10, final payments 39,800.00, " \
           "year-end settlement -4,200.00; budget, cap and fund balance not applicable (hospital folder)" in printed
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["mode"] == "hospital"
    e = summary["schemes"]["employee"]
    assert e["budget_total"] is None and e["dip_fund_payable"] is None and e["cap_deduction"] is None
    assert e["fund_closing_balance"] is None and e["months_status"] is None
    assert e["settlement_point_value"] == 12.0 and e["point_value_source"] == "given"
    assert e["total_final_payment"] == 39_800.0
    assert [s.split(":")[0] for s in e["not_applicable"]] == ["A-10 … A-13 budget (B, A, F, ρ, C)",
                                                              "A-36 global cap", "A-3 fund balance"]
    hosp = pd.read_csv(out / "hospitals.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert hosp.loc[0, "cap_deduction"] == ""                               # empty, not 0
    assert float(hosp.loc[0, "final_payment"]) == 39_800.0
    cases = pd.read_csv(out / "cases.csv", encoding="utf-8-sig")
    assert (cases["department"] == "心内科").all()


def test_run_without_the_published_point_value_is_refused_and_writes_nothing(hospital_folder, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}", encoding="utf-8")             # an earlier run's folder stays as it was
    code = main(["run", "--data", str(hospital_folder), "--params", str(params_file(tmp_path, PARAMS)),
                 "--out", str(out), "--lang", "zh"])
    assert code == 2
    err = capsys.readouterr().err
    assert "错误：医院数据（无 fund.csv）须按全市公布的数据结算，以下参数未给出：point_value.given.employee" in err
    assert [p.name for p in out.iterdir()] == ["summary.json"]
    assert (out / "summary.json").read_text(encoding="utf-8") == "{}"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_run_refuses_a_point_value_of_zero(hospital_folder, tmp_path, capsys):
    bad = {**PARAMS, "point_value": {"given": {"employee": 0}}}
    code = main(["run", "--data", str(hospital_folder), "--params", str(params_file(tmp_path, bad)),
                 "--out", str(tmp_path / "out")])
    assert code == 2
    assert "parameter 'point_value.given.employee' = 0 must be above 0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("lang, budget, cap", [
    ("zh", "可支付总额  [A-10–A-13]  = 不适用：需要全市数据", "总额控制扣减  [A-36 (I-13)]  = 不适用：需要全市数据"),
    ("en", "DIP cost payable  [A-10–A-13]  = not applicable: needs city data",
     "Global cap deduction  [A-36 (I-13)]  = not applicable: needs city data")])
def test_explain_shows_the_city_steps_not_applicable(hospital_folder, tmp_path, capsys, lang, budget, cap):
    code = main(["explain", "--data", str(hospital_folder), "--params", str(params_file(tmp_path, PUBLISHED)),
                 "--hospital", "H1", "--scheme", "employee", "--lang", lang])
    assert code == 0
    out = capsys.readouterr().out
    assert budget in out and cap in out
    assert "point_value.given.employee" in out


def test_params_lists_the_new_parameters(capsys):
    assert main(["params", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "point_value.given.employee = None  [yuan/point]  Published employee settlement point value  (A-34)" in out
    assert "point_value.budget_monthly.resident = None  [yuan/point]" in out
