"""Bad input to a hospital's commands (issue 12, item 8): each refusal names the file, row and column where
there is one, says what to do, and writes nothing — an earlier results folder stays as it was. Then the
whole path as a user runs it: `python -m dip_model validate` and `run` on a hospital folder, in a process
of their own. (A catalogue file in an unknown layout: tests/data/test_import_published.py.)"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from citykit import PARAMS, case, hospital, write_city
from dip_model.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = {**PARAMS, "point_value": {"given": {"employee": 12.0}}}


def write_params(folder: Path, values: dict, name: str = "published.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    return path


def hospital_folder(root: Path, groups=("G1", "G2", "G1", "G1")) -> Path:
    cases = [case(f"C{i}", "H1", g, 9000 if g == "G1" else 5000) for i, g in enumerate(groups)]
    return write_city(root / "data", [hospital("H1")], cases, fund=None)


@pytest.fixture
def earlier(tmp_path) -> Path:
    """A results folder of an earlier run: a refusal must leave it as it was."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"mode": "hospital"}', encoding="utf-8")
    return out


def untouched(out: Path) -> bool:
    return [p.name for p in out.iterdir()] == ["summary.json"] and \
        (out / "summary.json").read_text(encoding="utf-8") == '{"mode": "hospital"}' and \
        not [p for p in out.parent.iterdir() if p.name.startswith(".out")]


COMMANDS = {
    "run": ["run"],
    "outlook": ["outlook", "--hospital", "H1"],
    "groups": ["groups", "--hospital", "H1"],
}


def command(name: str, data: Path, params: Path | None, out: Path, *extra: str) -> list[str]:
    return [*COMMANDS[name], "--data", str(data), *(["--params", str(params)] if params else []), "--out", str(out),
            *extra]


# ---------------------------------------------------------------- a catalogue that does not match the cases
@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_catalogue_matching_no_case_is_refused(tmp_path, earlier, capsys, name):
    data = hospital_folder(tmp_path, ("X9", "X7", "X9", "Q1", "X9", "X7", "X5", "X4", "X3"))
    assert main(command(name, data, write_params(tmp_path, PUBLISHED), earlier)) == 2
    err = capsys.readouterr().err
    assert "cases.csv, row 2, column group_id: no case's group is in catalogue.csv (9 case(s) with a group or " \
           "diagnosis; wrong catalogue or coding version?); the codes most often not found: X9, X7, Q1, X5, X4… " \
           "(9 rows in all; rows 2, 3, 4, 5, 6, 7, 8, 9, 10)" in err
    assert untouched(earlier)


def test_validate_lists_the_codes_not_in_the_catalogue(tmp_path, capsys):
    data = hospital_folder(tmp_path, ("X9", "X7", "X9"))
    assert main(["validate", "--data", str(data), "--lang", "zh"]) == 1
    out = capsys.readouterr().out
    assert "错误：cases.csv 第 2 行，列 group_id：没有一例病例的病种在 catalogue.csv 中（共 3 例有病种或诊断编码；目录或编码版本是否有误？）；" \
           "最常见的未找到编码：X9、X7（共 3 行：第 2、3、4 行）" in out


def test_a_catalogue_matching_part_of_the_cases_is_a_warning_with_the_share(tmp_path, capsys):
    data = hospital_folder(tmp_path, ("G1", "X9", "G2", "X7", "X9"))
    out = tmp_path / "res"
    assert main(command("run", data, write_params(tmp_path, PUBLISHED), out)) == 0
    err = capsys.readouterr().err
    assert "warning: cases.csv, row 3, column group_id: 3 of 5 case(s) (60.0%) have a group not in catalogue.csv: " \
           "each scores as an unmatched case (A-21); the codes most often not found: X9, X7 (3 rows in all; " \
           "rows 3, 5, 6)" in err
    assert (out / "summary.json").exists()


# ---------------------------------------------------------------- a point value of 0 or less
@pytest.mark.parametrize("values, text", [
    ({"point_value": {"given": {"employee": 0}}}, "parameter 'point_value.given.employee' = 0 must be above 0"),
    ({"point_value": {"given": {"employee": -11.5}}}, "parameter 'point_value.given.employee' = -11.5 must be above 0"),
    ({"point_value": {"given": {"employee": 12.0}, "budget_monthly": {"employee": [10.0] * 11 + [0.0]}}},
     "parameter 'point_value.budget_monthly.employee[11]' = 0.0 must be above 0"),
    ({"point_value": {"given": {"employee": 12.0}}, "budget_point_value": {"employee": -1}},
     "parameter 'budget_point_value.employee' = -1 must be above 0"),
])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_point_value_of_zero_or_less_names_the_file_and_the_parameter(tmp_path, earlier, capsys, values, text,
                                                                        name):
    params = write_params(tmp_path, {**PARAMS, **values}, "公布点值.yaml")
    assert main(command(name, hospital_folder(tmp_path), params, earlier)) == 2
    err = capsys.readouterr().err
    assert f"error: {params}: {text}" in err and "Traceback" not in err
    assert untouched(earlier)


def test_a_point_value_of_zero_in_chinese(tmp_path, earlier, capsys):
    params = write_params(tmp_path, {**PARAMS, "point_value": {"given": {"employee": 0}}})
    assert main(command("run", hospital_folder(tmp_path), params, earlier, "--lang", "zh")) == 2
    assert f"错误：{params}：参数“point_value.given.employee” = 0，应大于 0" in capsys.readouterr().err
    assert untouched(earlier)


# ---------------------------------------------------------------- a hospital folder without its point values
@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_hospital_folder_without_the_published_figures_says_what_to_add(tmp_path, earlier, capsys, name):
    assert main(command(name, hospital_folder(tmp_path), None, earlier)) == 2
    err = capsys.readouterr().err
    assert "error: a hospital folder (no fund.csv) is settled with the city's published figures, and these are not " \
           "given: point_value.given.employee (the published employee settlement point value, A-34); mean_cost_all" in err
    assert "Add the figures the bureau published to the parameters, e.g. in a parameter file: " \
           "point_value: {given: {employee: …}}; mean_cost_all: …" in err
    assert "resident" not in err                                        # no resident case, nothing asked
    assert untouched(earlier)


def test_what_to_add_in_chinese(tmp_path, earlier, capsys):
    params = write_params(tmp_path, PARAMS)                              # M given, the point value not
    assert main(command("run", hospital_folder(tmp_path), params, earlier, "--lang", "zh")) == 2
    err = capsys.readouterr().err
    assert "以下参数未给出：point_value.given.employee（公布的职工医保结算点值，A-34）。请在参数中填入医保局公布的数值，" \
           "例如在参数文件中写：point_value: {given: {employee: …}}" in err and "mean_cost_all" not in err
    assert untouched(earlier)


# ---------------------------------------------------------------- the whole path, in a process of its own
def dip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dip_model", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_validate_and_run_a_hospital_folder_end_to_end(tmp_path):
    data = hospital_folder(tmp_path)
    done = dip("validate", "--data", str(data))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("hospital folder (no fund.csv): needs hospitals, cases and the published catalogue")
    assert "point_value.given.<scheme>" in lines[0] and "mean_cost_all" in lines[0]
    assert lines[1] == "  (the other kind: city folder (fund.csv given): needs hospitals, cases, fund and catalogue or " \
                       "history; every step is computed from the city's data)"
    assert lines[-1] == "0 problem(s), 0 warning(s)"
    out = tmp_path / "results"
    done = dip("run", "--data", str(data), "--params", str(write_params(tmp_path, PUBLISHED)), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "employee: point value 12.0 (given)" in done.stdout and "not applicable (hospital folder)" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == ["cases.csv", "hospitals.csv", "monthly.csv", "summary.json"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["mode"] == "hospital" and list(summary["schemes"]) == ["employee"]
    e = summary["schemes"]["employee"]
    assert e["budget_total"] is None and e["dip_fund_payable"] is None and e["cap_deduction"] is None
    assert e["fund_closing_balance"] is None
    assert [s.split(":")[0] for s in e["not_applicable"]] == ["A-10 … A-13 budget (B, A, F, ρ, C)", "A-36 global cap",
                                                              "A-3 fund balance"]
    assert all("not applicable: needs city data" in s for s in e["not_applicable"])
    head = (out / "hospitals.csv").read_text(encoding="utf-8-sig").splitlines()
    row = dict(zip(head[0].split(","), head[1].split(",")))
    assert row["cap_deduction"] == "" and float(row["final_payment"]) > 0
    done = dip("validate", "--data", str(tmp_path / "nowhere"), "--lang", "zh")
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
