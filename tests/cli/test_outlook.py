"""python -m dip_model outlook: a hospital's year-end settlement at a low, central and high point value and its
months, as CSV files and a workbook, on the hand-worked hospital folder of
tests/analysis/test_hospital_outlook.py and on a city folder."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from citykit import PARAMS, case, fund_row, hospital, write_city
from dip_model.analysis.hospital_outlook import MONTHLY_COLUMNS, SETTLEMENT_COLUMNS
from dip_model.cli.main import main

PUBLISHED = {**PARAMS, "point_value": {"given": {"employee": 12.0}}}
CASES = [case("A1", "H1", "G1", 9000, date="2024-01-10"), case("A2", "H1", "G2", 5500, date="2024-02-10"),
         case("A3", "H1", "G1", 12000, date="2024-03-10"), case("A4", "H1", "G2", 2400, date="2024-03-20")]


def params_file(folder: Path, values: dict, name: str = "params.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("outlook_cli")
    hosp = write_city(root / "hospital", [hospital("H1", "2A", 2, assessment_score=90)], CASES, fund=None)
    city = write_city(root / "city", [hospital("H1", "2A", 2, assessment_score=90), hospital("H2")],
                      CASES + [case("B1", "H2", "G1", 10000), case("B2", "H2", "G2", 5000)],
                      fund=[fund_row("employee", prior_expenditure=100_000, prior_revenue=100_000, revenue=105_000)])
    return {"hospital": hosp, "city": city, "published": params_file(root, PUBLISHED),
            "city_params": params_file(root, PARAMS, "city.yaml"), "plain": params_file(root, PARAMS, "plain.yaml")}


def outlook(folders, out, *extra, kind="hospital", params="published") -> int:
    return main(["outlook", "--data", str(folders[kind]), "--params", str(folders[params]), "--hospital", "H1",
                 "--out", str(out), *extra])


def test_outlook_on_a_hospital_folder_writes_the_settlement_and_the_months(folders, tmp_path, capsys):
    out = tmp_path / "out"
    assert outlook(folders, out) == 0
    printed = capsys.readouterr().out
    assert "H1 employee: year-end settlement +4,113.03 yuan at point value 12 (low 11.4: +3,360.72; " \
           "high 12.6: +4,872.98); use rate 95.1%, 90–100%" in printed
    assert "pre-paid 11,086.00 yuan" in printed and "(positive: paid to the hospital" in printed
    assert sorted(p.name for p in out.iterdir()) == ["monthly.csv", "settlement.csv"]
    s = pd.read_csv(out / "settlement.csv", encoding="utf-8-sig")
    assert list(s.columns) == SETTLEMENT_COLUMNS and list(s["point"]) == ["low", "central", "high"]
    assert s["year_end_settlement"].tolist() == pytest.approx([3360.722752, 4113.0272, 4872.97856], rel=1e-9)
    assert s["cap_deduction"].isna().all()                                      # not applicable: empty
    m = pd.read_csv(out / "monthly.csv", encoding="utf-8-sig")
    assert list(m.columns) == MONTHLY_COLUMNS and len(m) == 12
    assert m["prepaid"].sum() == pytest.approx(11_086, rel=1e-12)


def test_outlook_in_chinese_with_the_workbook(folders, tmp_path, capsys):
    out = tmp_path / "out"
    assert outlook(folders, out, "--xlsx", "--lang", "zh", "--pv", "employee=11::13") == 0
    printed = capsys.readouterr().out
    assert "H1 职工医保：点值 12 时年终清算 +4,113.03 元（低点值 11：+3,208.73 元；高点值 13：+5,010.56 元）" in printed
    assert "（正数为拨付医院，负数为医院退回）" in printed and "已写入" in printed
    assert sorted(p.name for p in out.iterdir()) == ["monthly.csv", "outlook.xlsx", "settlement.csv"]
    wb = openpyxl.load_workbook(out / "outlook.xlsx")
    assert wb.sheetnames == ["年终清算预估", "逐月基金使用率", "说明"]
    ws = wb["年终清算预估"]
    rows = list(ws.iter_rows(values_only=True))
    assert "H1" in str(rows[0][0]) and "年终清算预估" in str(rows[0][0])           # the title line
    header = next(r for r in rows if r and "险种" in r)
    assert "年终清算（元，正数拨付、负数退回）" in header and "hospital_id" not in header
    body = rows[rows.index(header) + 1:]
    assert [r[header.index("点值情形")] for r in body] == ["低点值", "中点值", "高点值"]
    assert [r[header.index("结算点值（元/分）")] for r in body] == [11, 12, 13]
    assert len(list(wb["逐月基金使用率"].iter_rows(values_only=True))) >= 13
    notes = [r for r in wb["说明"].iter_rows(values_only=True)]
    assert any("A-37" in str(r[1]) for r in notes if len(r) > 1)


def test_outlook_in_english_workbook(folders, tmp_path):
    out = tmp_path / "out"
    assert outlook(folders, out, "--xlsx", "--lang", "en") == 0
    assert openpyxl.load_workbook(out / "outlook.xlsx").sheetnames == ["Year-end outlook", "Use rate by month", "Notes"]


def test_outlook_on_a_city_folder(folders, tmp_path, capsys):
    out = tmp_path / "out"
    assert outlook(folders, out, "--spread", "0.1", kind="city", params="city_params") == 0
    s = pd.read_csv(out / "settlement.csv", encoding="utf-8-sig")
    assert list(s["point_value_source"]) == ["spread", "computed", "spread"]
    lo, c, hi = s["point_value"]
    assert lo == pytest.approx(round(c * 0.9, 3)) and hi == pytest.approx(round(c * 1.1, 3))
    assert s["cap_deduction"].notna().all()                                     # a city run has its cap


@pytest.mark.parametrize("pv, text", [
    ("employee=1:2", "--pv wants SCHEME=LOW:CENTRAL:HIGH (e.g. resident=9.5:10:10.4), got 'employee=1:2'"),
    ("employee", "--pv wants SCHEME=LOW:CENTRAL:HIGH"),
    ("employee=a:b:c", "--pv wants SCHEME=LOW:CENTRAL:HIGH"),
    ("worker=1:2:3", "--pv: unknown scheme 'worker'"),
    ("employee=13::", "employee: the point-value range must be 0 < low ≤ central ≤ high, got 13.0, 12.0"),
    ("employee=0::", "employee: the point-value range must be 0 < low ≤ central ≤ high, got 0.0"),
    ("employee=-1:12:13", "the point-value range must be 0 < low ≤ central ≤ high, got -1.0"),
])
def test_a_bad_pv_is_a_message_and_nothing_is_written(folders, tmp_path, capsys, pv, text):
    out = tmp_path / "out"
    assert outlook(folders, out, "--pv", pv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and text in err and "Traceback" not in err
    assert not out.exists()


def test_a_bad_pv_in_chinese(folders, tmp_path, capsys):
    assert outlook(folders, tmp_path / "out", "--pv", "employee=1:2", "--lang", "zh") == 2
    assert "错误：--pv 的格式应为 险种=低值:中值:高值" in capsys.readouterr().err


def test_a_bad_spread_is_a_message(folders, tmp_path, capsys):
    assert outlook(folders, tmp_path / "out", "--spread", "1.5") == 2
    assert "the point-value spread must be a share from 0 to below 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_unknown_hospital_is_a_message(folders, tmp_path, capsys):
    code = main(["outlook", "--data", str(folders["hospital"]), "--params", str(folders["published"]),
                 "--hospital", "H9", "--out", str(tmp_path / "out")])
    assert code == 2 and "hospital H9 is not a hospital of this dataset" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_hospital_folder_without_its_point_value_is_a_message(folders, tmp_path, capsys):
    assert outlook(folders, tmp_path / "out", params="plain") == 2
    err = capsys.readouterr().err
    assert "point_value.given.employee" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_the_published_range(folders, tmp_path, capsys):
    """Low: the budget point value of the pre-payments (10); high: last year's settlement value (12.8)."""
    out = tmp_path / "out"
    assert outlook(folders, out, "--last-year", "employee=12.8") == 0
    s = pd.read_csv(out / "settlement.csv", encoding="utf-8-sig")
    assert s["point_value"].tolist() == [10.0, 12.0, 12.8]
    assert s["point_value_source"].tolist() == ["set", "given", "set"]
    assert outlook(folders, tmp_path / "o2", "--range", "published", "--pv", "employee=11::") == 0
    s = pd.read_csv(tmp_path / "o2" / "settlement.csv", encoding="utf-8-sig")
    assert s["point_value"].tolist() == [11.0, 12.0, 12.0]                      # --pv wins; nothing above 12
    assert outlook(folders, tmp_path / "o3", "--range", "published", "--pv", "employee=:13.5:") == 0
    s = pd.read_csv(tmp_path / "o3" / "settlement.csv", encoding="utf-8-sig")
    assert s["point_value"].tolist() == [10.0, 13.5, 13.5]                      # the range takes in the central


@pytest.mark.parametrize("value, text", [("employee=abc", "--last-year wants a point value, or SCHEME=VALUE"),
                                         ("staff=11", "--pv: unknown scheme 'staff'")])
def test_a_bad_last_year_is_a_message(folders, tmp_path, capsys, value, text):
    assert outlook(folders, tmp_path / "out", "--last-year", value) == 2
    assert text in capsys.readouterr().err and not (tmp_path / "out").exists()
