"""The exports opened as a reader would open them (python-pptx, pypdf, openpyxl): the Chinese text is
there, every chart is a real PNG image, the figures are the engine's for the same scenario, and the
command written into a file makes the same figures again."""
import io
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from fontTools.ttLib import TTFont
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader

import dip_model
from dip_model.report import Scenario, build, charts
from dip_model.report.fonts import cjk_font
from dip_model.report.render import PNG_SIGNATURE
from dip_model.report.statements import statements_pdf, statements_zip

ROOT = Path(__file__).resolve().parents[2]
CHANGES = {"budget": {"growth_rate": 0.03}, "interpretations": {"I-1": "city"},
           "sharing": {"employee": {"overspend": [{"to": 1.1, "rate": 0.5}, {"to": 1.2, "rate": 0.5},
                                                  {"to": 1.3, "rate": 0.4}, {"to": 1.4, "rate": 0.3}]}}}


@pytest.fixture(scope="module")
def runs(city):
    data = dip_model.load_data(city)
    return dip_model.simulate(data, dip_model.load_params(CHANGES)), dip_model.simulate(data, dip_model.load_params())


@pytest.fixture(scope="module")
def sc(runs, city):
    res, base = runs
    return Scenario(res, base, name="压力测试情景", data_arg=str(city), trace_hospital="H002")


@pytest.fixture(scope="module")
def pdf(sc):
    return PdfReader(io.BytesIO(build(sc, "pdf", "r.pdf")))


@pytest.fixture(scope="module")
def deck(sc):
    return Presentation(io.BytesIO(build(sc, "pptx", "r.pptx")))


@pytest.fixture(scope="module")
def book(sc):
    return openpyxl.load_workbook(io.BytesIO(build(sc, "xlsx", "r.xlsx")))


def _flat(text: str) -> str:
    """Text without white space; pypdf reads fpdf2's two-byte CID text with a NUL before each character
    (poppler's pdftotext does not), so NULs go too."""
    return "".join(text.replace("\x00", "").split())


def _pv(res, s):
    return f"{res.summary['schemes'][s]['settlement_point_value']:.3f}"


def _top_row(res):
    """The hospital × scheme with the largest final payment (first in any table sorted by it)."""
    return res.hospitals.sort_values("final_payment").iloc[-1]


def test_pdf_report_text_images_and_figures(pdf, sc, runs):
    res, base = runs
    text = _flat("\n".join(p.extract_text() for p in pdf.pages))
    for words in ("DIP点数法付费情景报告", "压力测试情景", "关键数字", "解释选项", "附录：医院结算表", "职工医保",
                  "条款原文", sc.data_fingerprint, sc.params_fingerprint, dip_model.__version__):
        assert _flat(words) in text, words
    for s in sc.schemes:                                           # the key-figure table is the engine's
        assert _pv(res, s) in text and _pv(base, s) in text
    h = _top_row(res)
    assert f"{h['final_payment']:,.2f}" in text                     # appendix row
    assert "A-36" in text and "全市统一" in text                      # a changed parameter's article; I-1 as set
    images = [im for p in pdf.pages for im in p.images]
    assert len(images) == len(sc.figures())
    for im in images:
        w, h_px = im.image.size
        assert w >= 1400 and 500 <= h_px <= w
    # the reproduce command, in the document's metadata and on the title page
    assert pdf.metadata["/Subject"] == sc.command("pdf", "r.pdf")


def test_pptx_report_text_images_and_figures(deck, sc, runs):
    res, _ = runs
    texts, pictures = [], []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [c.text for row in shape.table.rows for c in row.cells]
            if shape.shape_type == 13:                               # picture
                pictures.append(shape)
                assert shape.left >= 0 and shape.top >= 0
                assert shape.left + shape.width <= deck.slide_width and shape.top + shape.height <= deck.slide_height
    text = "\n".join(texts)
    assert "DIP 点数法付费情景报告" in text and "压力测试情景" in text and "关键数字（对比基准）" in text
    assert len(pictures) == len(sc.figures())
    for pic in pictures:
        blob = pic.image.blob
        assert blob.startswith(PNG_SIGNATURE)
        with Image.open(io.BytesIO(blob)) as im:
            assert im.size[0] >= 1400 and im.size[1] >= 500
    for s in sc.schemes:
        assert _pv(res, s) in texts
    h = _top_row(res)
    assert f"{h['final_payment']:,.2f}" in texts
    notes = deck.slides[0].notes_slide.notes_text_frame.text
    assert sc.command("pptx", "r.pptx") in notes and "growth_rate: 0.03" in notes


def test_workbook_sheets_formats_and_figures(book, sc, runs):
    res, base = runs
    assert book.sheetnames == ["汇总", "医院", "病种", "病例类型", "参数与条款", "计算过程", "复现"]
    ws = book["医院"]
    assert ws.freeze_panes == "A2"
    head = [c.value for c in ws[1]]
    col = head.index("年度支付总额（元）") + 1
    ids = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    got = [ws.cell(r, col).value for r in range(2, ws.max_row + 1)]
    assert ids == list(res.hospitals["hospital_id"])
    assert got == pytest.approx(list(res.hospitals["final_payment"]), rel=1e-15)   # xlsx keeps 16 digits
    assert ws.cell(2, col).number_format == "#,##0.00"
    diff = [ws.cell(r, head.index("变化（元）") + 1).value for r in range(2, ws.max_row + 1)]
    assert diff == pytest.approx(list(res.hospitals["final_payment"] - base.hospitals["final_payment"]), abs=1e-6)
    summ = book["汇总"]
    rows = list(summ.iter_rows(min_row=4, values_only=True))
    pv = [r for r in rows if r[1] == "结算点值"]
    assert [r[4] for r in pv] == pytest.approx([res.summary["schemes"][s]["settlement_point_value"] for s in sc.schemes])
    assert [r[5] for r in pv] == pytest.approx([base.summary["schemes"][s]["settlement_point_value"] for s in sc.schemes])
    counts = {r[0]: r[3] for r in book["病例类型"].iter_rows(min_row=2, values_only=True)}
    assert sum(counts.values()) == int(res.hospitals["cases"].sum())
    params = {r[0]: r for r in book["参数与条款"].iter_rows(min_row=2, values_only=True)}
    assert params["budget.growth_rate"][2] == "0.03" and params["budget.growth_rate"][5] == "✓"
    assert params["interpretations.I-1"][4] == "A-20"
    trace = list(book["计算过程"].iter_rows(min_row=4, values_only=True))
    final = [r for r in trace if r[2] == "年度支付总额"]
    row = res.hospitals[res.hospitals["hospital_id"] == "H002"]
    assert [r[5] for r in final] == pytest.approx(list(row["final_payment"]), rel=1e-15)


def test_the_command_in_the_workbook_makes_the_same_figures(book, tmp_path, runs):
    res, _ = runs
    repro = {r[0]: r[1] for r in book["复现"].iter_rows(min_row=2, values_only=True)}
    cmd = shlex.split(repro["复现命令"])
    assert cmd[:4] == ["python", "-m", "dip_model", "report"] and cmd[cmd.index("--hospital") + 1] == "H002"
    (tmp_path / "scenario.yaml").write_text(repro["参数文件（与细则原值不同的参数） — scenario.yaml"], encoding="utf-8")
    (tmp_path / "baseline.yaml").write_text(repro["对比基准的参数文件 — baseline.yaml"], encoding="utf-8")
    done = subprocess.run([sys.executable] + cmd[1:], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    again = openpyxl.load_workbook(tmp_path / "r.xlsx")
    for name in ("汇总", "医院", "病例类型", "计算过程"):
        assert list(again[name].iter_rows(min_row=3, values_only=True)) == \
            list(book[name].iter_rows(min_row=3, values_only=True)), name


def test_statement_one_page_per_hospital_with_the_engines_figures(sc, runs):
    res, _ = runs
    hid = "H003"
    reader = PdfReader(io.BytesIO(statements_pdf(sc, [hid])))
    assert len(reader.pages) == 1
    text = _flat(reader.pages[0].extract_text())
    row = res.hospitals[res.hospitals["hospital_id"] == hid]
    assert _flat("医院结算单") in text and _flat(f"{hid} {row['name'].iloc[0]}") in text
    for _, r in row.iterrows():
        for k in ("final_payment", "monthly_prepaid", "year_end_settlement", "score_fund", "cap_deduction"):
            assert f"{r[k]:,.2f}" in text, k
        assert f"{r['point_value']:.3f}" in text and f"{int(r['cases']):,}" in text
    for art in ("A-34.2", "A-35", "A-36", "A-37"):
        assert art in text
    cmap = TTFont(cjk_font().regular, lazy=True).getBestCmap()     # every character drawn by the embedded font
    assert not {c for c in reader.pages[0].extract_text() if not c.isspace() and c != "\x00" and ord(c) not in cmap}


def test_statements_zip_has_one_single_page_pdf_per_hospital(sc):
    z = zipfile.ZipFile(io.BytesIO(statements_zip(sc)))
    ids = list(sc.res.data.hospitals["hospital_id"])
    assert sorted(z.namelist()) == sorted(f"{h}.pdf" for h in ids)
    for h in ids:
        r = PdfReader(io.BytesIO(z.read(f"{h}.pdf")))
        assert len(r.pages) == 1 and h in _flat(r.pages[0].extract_text())


def test_english_workbook_and_chart_labels(runs):
    res, base = runs
    sc = Scenario(res, base, lang="en")
    wb = openpyxl.load_workbook(io.BytesIO(build(sc, "xlsx")))
    assert wb.sheetnames[0] == "Summary" and "Final payment (yuan)" in [c.value for c in wb["Hospitals"][1]]
    one = PdfReader(io.BytesIO(statements_pdf(sc, ["H001", "H002"])))          # English labels still fit a page
    assert len(one.pages) == 2 and "Hospitalsettlementstatement" in _flat(one.pages[0].extract_text())
    fig = charts.point_values(res, base, sc.schemes, "en")
    assert fig.layout.title.text == "Settlement point value by scheme"
    cur = next(tr for tr in fig.data if tr.name.endswith("(current scenario)"))
    assert list(cur.y) == [res.summary["schemes"][s]["settlement_point_value"] for s in sc.schemes]


def test_charts_are_the_engines(runs):
    res, base = runs
    s = res.summary["schemes"]["resident"]
    wf = charts.waterfall(s, "resident", "zh", "wan").data[0]
    assert wf.x[-1] == pytest.approx(s["dip_fund_payable"] / 1e4) and sum(wf.x[:-1]) == pytest.approx(wf.x[-1])
    d = charts.payment_changes(res.hospitals, base.hospitals)
    fig = charts.winners_losers(d, 3, "zh")
    shown = sorted(x for tr in fig.data for x in tr.x)
    top = charts.top_changes(d, 3)["diff"]
    assert shown == pytest.approx(sorted(top)) and len(shown) <= 6
    months = charts.fund_months(res, base, ["employee", "resident"], 6, 9, "zh")
    assert (months.layout.shapes[0].y0, months.layout.shapes[0].y1) == (6, 9)
    assert list(months.data[-1].y) == [res.summary["schemes"][x]["months_of_payment"] for x in ("employee", "resident")]


def test_missing_font_is_a_clear_message(monkeypatch):
    monkeypatch.setenv("DIP_CJK_FONT", "/nonexistent/font.ttc")
    with pytest.raises(dip_model.DipError, match="DIP_CJK_FONT"):
        cjk_font()


def test_cli_statements_and_bad_arguments(city, tmp_path):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "dip_model", *a], capture_output=True, text=True,  # noqa: E731
                                    env=env, timeout=300)
    done = run("statements", "--data", str(city), "--hospital", "H001", "--out", str(tmp_path / "h1.pdf"))
    assert done.returncode == 0, done.stderr
    assert len(PdfReader(tmp_path / "h1.pdf").pages) == 1
    bad = run("statements", "--data", str(city), "--hospital", "NOPE", "--out", str(tmp_path / "x.pdf"))
    assert bad.returncode == 2 and "NOPE" in bad.stderr and "Traceback" not in bad.stderr
    bad = run("report", "--data", str(city), "--out", str(tmp_path / "x.doc"))     # errors in the report's language (zh)
    assert bad.returncode == 2 and "错误：未知的报告格式 'doc'：请指定 --format pptx、pdf 或 xlsx" in bad.stderr


def test_english_summary_money_is_compact_and_latin_text_wraps_between_words(runs):
    from fpdf.enums import WrapMode
    from dip_model.report.labels import compact_money
    from dip_model.report.pdfdoc import wrap_for
    assert compact_money(317_909_791.68, "en") == "¥317.91m" and compact_money(-1_834_094.0, "en") == "¥-1.83m"
    assert compact_money(785_529.65, "en") == "¥785,529.65"                    # below a million: to the fen
    assert compact_money(317_909_791.68, "zh") == "3.18 亿元"                   # Chinese keeps 万 / 亿
    res, base = runs
    sc = Scenario(res, base, lang="en")
    row = next(r for r in sc.key_figures() if r["key"] == "budget_total" and r["scheme"] == "resident")
    assert row["current_text"] == f"¥{res.summary['schemes']['resident']['budget_total'] / 1e6:,.2f}m"
    assert wrap_for("Employee scheme", "Current scenario") == WrapMode.WORD
    assert wrap_for("Basis of “折算分值” (converted score)", "divided by the mean cost M") == WrapMode.WORD
    assert wrap_for("泸县第一人民医院", "职工医保") == WrapMode.CHAR
