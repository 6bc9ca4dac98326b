"""The hospital workbook: the views as sheets in the scenario workbook's style (frozen Chinese header row,
money as #,##0.00), department and doctor sheets only when the cases carry those columns."""
from __future__ import annotations

import io

import openpyxl
import pytest

import dip_model
from dip_model.analysis.hospital_margins import group_margins
from dip_model.report.hospital_workbook import build_hospital_xlsx


@pytest.fixture(scope="module")
def res(data):
    return dip_model.simulate(data, dip_model.load_params())


def test_sheets_headers_and_formats(res):
    hid = str(res.hospitals["hospital_id"].iloc[0])
    book = openpyxl.load_workbook(io.BytesIO(build_hospital_xlsx(res, hid, "zh")))
    assert book.sheetnames == ["病种盈亏", "偏差预警", "特殊病例候选", "CMI与结构", "说明"]
    ws = book["病种盈亏"]
    assert hid in ws["A1"].value and ws.freeze_panes == "A4"              # a title, then the frozen header
    head = [c.value for c in ws[3]]
    assert head[:8] == ["排名", "病种编码", "病种名称", "病例数", "医疗总费用（元）", "DIP支付（元）", "盈亏（元）",
                        "例均盈亏（元）"]
    g = group_margins(res, hid)
    assert ws.max_row == 3 + len(g)
    margin_col = head.index("盈亏（元）") + 1
    assert ws.cell(4, margin_col).number_format == "#,##0.00"
    assert ws.cell(4, margin_col).value == pytest.approx(g["margin"].iloc[0])
    notes = [r for r in book["说明"].iter_rows(values_only=True)]
    assert any("没有 department 列" in str(r[1]) for r in notes)
    assert book["偏差预警"].freeze_panes == "A2"


def test_english_workbook(res):
    hid = str(res.hospitals["hospital_id"].iloc[1])
    book = openpyxl.load_workbook(io.BytesIO(build_hospital_xlsx(res, hid, "en")))
    assert book.sheetnames[:3] == ["Group margins", "Deviation warnings", "Special candidates"]
    zones = {r[3] for r in book["Deviation warnings"].iter_rows(min_row=2, values_only=True)}
    assert zones <= {"Near the low threshold", "Near the high threshold", "Just below the low threshold",
                     "Just above the high threshold", "Low cases", "High cases"}
