"""Exports of a hospital folder (no fund.csv): the settlement statement and the workbook show the city steps
as not applicable in their language; the PPTX / PDF scenario report, built on the city's budget and fund,
is refused with a message."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from pypdf import PdfReader

import dip_model
from citykit import case, hospital, params, write_city
from dip_model.report import Scenario, build
from dip_model.report.statements import statements_pdf

PUBLISHED = {"point_value": {"given": {"employee": 12.0}}}


@pytest.fixture(scope="module")
def sc(tmp_path_factory):
    folder = write_city(tmp_path_factory.mktemp("hosp") / "data", [hospital("H1", name="一院")],
                        [case(f"C{i}", "H1", "G1", 9000, 4500) for i in range(8)], fund=None)
    res = dip_model.simulate(dip_model.load_data(folder), params(PUBLISHED))
    return Scenario(res, res, name="医院数据", data_arg=str(folder), trace_hospital="H1")


def test_the_statement_shows_the_cap_not_applicable(sc):
    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(statements_pdf(sc, ["H1"]))).pages[0].extract_text())
    assert "不适用：需要全市数据" in text
    assert "40,800.00" in text and "-3,200.00" in text            # pay, year end (no violation here)


def test_the_workbook_trace_shows_the_city_steps_not_applicable(sc):
    book = openpyxl.load_workbook(io.BytesIO(build(sc, "xlsx")))
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert cells.count("不适用：需要全市数据") == 2                   # the budget and the cap steps


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_the_scenario_report_needs_the_city(sc, fmt):
    with pytest.raises(dip_model.DipError) as err:
        build(sc, fmt)
    assert "needs city data" in str(err.value) and "需要全市数据" in err.value.text("zh")
