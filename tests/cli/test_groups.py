"""python -m dip_model groups: one hospital's group margins, deviation warnings, special-case candidates, CMI
and mix (and departments / doctors) as CSV files and a workbook, on the tiny city of
tests/analysis/test_hospital_views.py."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from citykit import case, fund_row, hospital, write_city
from dip_model.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
HOSPITALS = [hospital("H1", "2A", 2), hospital("H2")]
FUND = [fund_row("employee", prior_expenditure=100_000, prior_revenue=100_000, revenue=105_000)]
PARAMS = """mean_cost_all: 10000
budget_point_value: 10
budget: {growth_rate: 0.0, growth_cap: null}
coefficients: {level: {3A: 1.0, 3B: 0.9, 2A: 0.8, 2B: 0.7, "1": 0.6}}
"""
S_H1 = 9753.6
FINAL_H1 = 58947.262478          # hand-worked in tests/analysis/test_hospital_views.py


def cases(with_departments: bool) -> list[dict]:
    rows = [case("S1", "H1", "G3", 60000), case("A1", "H1", "G1", 9000), case("A2", "H1", "G1", 25000),
            case("A3", "H1", "G2", 2400), case("A4", "H1", "G2", 5500), case("A5", "H1", "G1", 19000),
            case("A6", "H1", "G2", 2750), case("B1", "H2", "G1", 10000), case("B2", "H2", "G2", 5000),
            case("B3", "H2", "G3", 61000)]
    if with_departments:
        for r in rows:
            r["department"] = "外科" if r["case_id"] in ("S1", "A2") else "内科"
            r["doctor"] = "张" if r["case_id"] in ("S1", "A1") else "李"
    return rows


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("groups")
    plain = write_city(folder / "plain", HOSPITALS, cases(False), fund=FUND)
    wards = write_city(folder / "wards", HOSPITALS, cases(True), fund=FUND)
    (folder / "params.yaml").write_text(PARAMS, encoding="utf-8")
    return {"plain": plain, "wards": wards, "params": folder / "params.yaml"}


def run(city, kind, out, *extra) -> int:
    return main(["groups", "--data", str(city[kind]), "--params", str(city["params"]), "--hospital", "H1",
                 "--out", str(out), *extra])


def test_groups_writes_the_views(city, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(city, "plain", out) == 0
    printed = capsys.readouterr().out
    assert "H1: 7 cases in 3 groups" in printed and "deviation warnings: 1 cases just above the low" in printed
    assert sorted(p.name for p in out.iterdir()) == ["deviation.csv", "groups.csv", "mix.csv", "special.csv"]
    raw = (out / "groups.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfrank,group_id,name,")                   # UTF-8 with BOM
    g = pd.read_csv(out / "groups.csv", encoding="utf-8-sig").set_index("group_id")
    for col in ("cases", "total_cost", "payment", "margin", "margin_per_case", "score_fund", "sharing",
                "cap_deduction", "reason", "reason_text"):
        assert col in g.columns
    assert g.at["G1", "payment"] == pytest.approx(FINAL_H1 * 2800 / S_H1 + 26_500, rel=1e-9)
    assert g["payment"].sum() == pytest.approx(FINAL_H1 + 0.5 * 123_650, rel=1e-12)
    assert g.at["G1", "reason"] == "cost_level" and "non-deviation cases cost 8,000.00 yuan more" in g.at["G1", "reason_text"]
    d = pd.read_csv(out / "deviation.csv", encoding="utf-8-sig")
    assert list(d["case_id"]) == ["A6", "A5", "A3", "A2"]
    s = pd.read_csv(out / "special.csv", encoding="utf-8-sig")
    assert list(s["case_id"]) == ["S1", "A2", "A5", "A4"]


def test_groups_in_chinese_by_department_with_the_workbook(city, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(city, "wards", out, "--by", "department", "--xlsx", "--lang", "zh") == 0
    printed = capsys.readouterr().out
    assert "H1：7 例，3 个病种" in printed and "已写入" in printed
    dep = pd.read_csv(out / "department.csv", encoding="utf-8-sig").set_index("department")
    assert dep.at["外科", "cases"] == 2 and dep["cases"].sum() == 7
    g = pd.read_csv(out / "groups.csv", encoding="utf-8-sig").set_index("group_id")
    assert "非偏差病例多花 8,000.00 元" in g.at["G1", "reason_text"]
    book = openpyxl.load_workbook(out / "hospital.xlsx")
    assert book.sheetnames == ["病种盈亏", "偏差预警", "特殊病例候选", "科室", "医生", "CMI与结构", "说明"]


def test_by_department_without_the_column_is_refused_with_a_message(city, tmp_path, capsys):
    assert run(city, "plain", tmp_path / "o", "--by", "department", "--lang", "zh") == 2
    assert "错误：病例数据没有 department 列" in capsys.readouterr().err
    assert run(city, "plain", tmp_path / "o", "--by", "doctor") == 2
    assert "error: the cases have no doctor column" in capsys.readouterr().err


def test_unknown_hospital_and_bad_city_averages(city, tmp_path, capsys):
    assert main(["groups", "--data", str(city["plain"]), "--params", str(city["params"]), "--hospital", "H9",
                 "--out", str(tmp_path / "o")]) == 2
    assert "hospital H9 is not a hospital of this dataset" in capsys.readouterr().err
    bad = tmp_path / "city.yaml"
    bad.write_text("cmi: 1.0\nshares: {low: 0.1}\n", encoding="utf-8")
    assert run(city, "plain", tmp_path / "o", "--city-averages", str(bad)) == 2
    assert "unknown entry shares" in capsys.readouterr().err
    good = tmp_path / "good.yaml"
    good.write_text("cmi: 1.0\ncase_types: {low: 0.1}\n", encoding="utf-8")
    assert run(city, "plain", tmp_path / "o2", "--city-averages", str(good), "--scheme", "employee") == 0
    m = pd.read_csv(tmp_path / "o2" / "mix.csv", encoding="utf-8-sig").set_index("measure")
    assert m.at["cmi", "city"] == 1.0 and m.at["cmi", "city_source"] == "published"


def test_the_command_runs_as_a_module(city, tmp_path):
    done = subprocess.run([sys.executable, "-m", "dip_model", "groups", "--data", str(city["plain"]), "--params",
                           str(city["params"]), "--hospital", "H2", "--out", str(tmp_path / "o")],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "groups.csv").exists()


def documented_columns() -> dict[str, set[str]]:
    """file -> the column names in backticks of the first column of its table in docs/data-contract.md,
    section 6 (the groups command)."""
    import re
    text = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8").split("## 6. Hospital views", 1)[1]
    out: dict[str, set[str]] = {}
    for part in text.split("\n### ")[1:]:
        files = re.findall(r"`(\w+\.csv)`", part.splitlines()[0])
        rows = [line for line in part.splitlines() if line.startswith("| `")]
        names = {n for line in rows for n in re.findall(r"`([^`]+)`", line.split("|")[1])}
        for f in files:
            out[f] = names
    return out


def test_the_written_columns_are_documented(city, tmp_path):
    out = tmp_path / "out"
    assert run(city, "wards", out, "--by", "doctor") == 0
    doc = documented_columns()
    for name in ("groups.csv", "deviation.csv", "special.csv", "mix.csv"):
        written = set(pd.read_csv(out / name, encoding="utf-8-sig", nrows=0).columns)
        assert written == doc[name], (name, written ^ doc[name])
    by = set(pd.read_csv(out / "doctor.csv", encoding="utf-8-sig", nrows=0).columns)
    assert by - {"doctor", "groups"} <= set(doc["groups.csv"])
