"""医院结算单 Hospital settlement statements: one A4 page per hospital with a column per scheme — cases and
scores by bucket, then the settlement step by step in short form (Results.explain: coefficient,
assessment, point value, score fund, use rate and band, retained or sharing, cap deduction, violations,
final payment, monthly prepaid, year-end settlement), each with its article. One PDF, or a zip of one
PDF per hospital."""
from __future__ import annotations

import io
import re
import zipfile

from ..messages import localise
from .labels import band_text, level_text, t
from .pdfdoc import GREY, Doc
from .scenario import Scenario

TYPES = (("normal", "high"), ("low", "special"), ("unmatched", "grassroots", "tcm"))
BUCKETS = (("score_core_raw", "A-34.1"), ("score_grassroots", "A-15"), ("score_tcm", "A-24"),
           ("score_special", "A-20"))
SKIP = {"cases"}                                # covered by the first section
BOLD = {"final", "year_end"}


def _value(unit: str, key: str, v, lang: str = "zh") -> str:
    if isinstance(v, str):
        return localise(v, lang)             # "not applicable: needs city data" in a hospital folder
    if v is None or v != v:
        return "—"
    if unit == "yuan":
        return f"{v:,.2f}"
    if unit == "points":
        return f"{v:,.2f}"
    if unit == "yuan/point":
        return f"{v:.3f}" if key == "point_value" else f"{v:.4f}"
    if unit == "ratio":
        return f"{v:.2%}"
    return f"{v:.4f}"


def statement_rows(sc: Scenario, hospital_id: str) -> tuple[list[str], list[list[str]], list[list[str]], set]:
    """(schemes, case rows, settlement rows, bold row numbers) of one hospital's statement."""
    L = sc.lang
    h = sc.res.hospitals
    part = h[h["hospital_id"] == hospital_id]
    schemes = [s for s in sc.schemes if (part["scheme"] == s).any()]
    rows = {s: part[part["scheme"] == s].iloc[0] for s in schemes}
    cases = [[t("stm_cases", L), "A-18–A-21"] + [f"{int(rows[s]['cases']):,}" for s in schemes],
             *[[_types_label(kinds, L), "A-19–A-24"]
               + [" / ".join(f"{int(rows[s][f'n_{k}']):,}" for k in kinds) for s in schemes] for kinds in TYPES]]
    for key, article in BUCKETS:
        cases.append([t(f"hsp_in_{key}", L), article] + [f"{rows[s][key]:,.2f}" for s in schemes])
    steps = {s: sc.res.explain(hospital_id, s) for s in schemes}
    settle, bold = [], set()
    for i, step in enumerate(steps[schemes[0]] if schemes else []):
        if step.key in SKIP:
            continue
        settle.append([step.title[L], step.article, step.formula[L]]
                      + [_value(step.unit, step.key, steps[s][i].result, L) for s in schemes])
        if step.key in BOLD:
            bold.add(len(settle) - 1)
        if step.key == "usage_rate":           # where the rate falls, and what it retains or shares
            settle.append([t("stm_band", L), "A-36", ""] + [band_text(rows[s]["band"], L) for s in schemes])
            settle.append([t("stm_retained", L), "A-36", ""]
                          + [f"{rows[s]['retained']:,.2f}" for s in schemes])
            settle.append([t("stm_sharing", L), "A-36", ""]
                          + [f"{rows[s]['sharing']:,.2f}" for s in schemes])
    return schemes, cases, settle, bold


def _types_label(kinds, lang: str) -> str:
    """'其中 正常/偏高/偏低/特殊' from the page's case-type names."""
    names = "/".join(t(f"gc_type_{k}", lang) for k in kinds)
    return (f"其中 {names}" if lang == "zh" else f"of which {names}")


def statement_page(doc: Doc, sc: Scenario, hospital_id: str) -> None:
    """One hospital on one page."""
    L = sc.lang
    hosp = sc.res.data.hospitals
    info = hosp[hosp["hospital_id"] == hospital_id]
    if info.empty:
        from ..errors import DipError
        from ..messages import Message
        raise DipError(Message("report_unknown_hospital", hospital=repr(hospital_id)))
    info = info.iloc[0]
    colon = "：" if L == "zh" else ": "
    doc.add_page()
    doc.heading(t("stm_title", L), size=22, gap=1)
    doc.para(f"{hospital_id}  {info['name']}", size=16, bold=True, h=8)
    doc.para(f"{t('stm_level', L)}{colon}{level_text(info['level'], L)}　{t('stm_district', L)}{colon}{info.get('district', '') or '—'}"
             f"　{t('stm_scenario', L)}{colon}{sc.title_name}", size=11, colour=GREY, h=6)
    doc.ln(2)
    schemes, cases, settle, bold = statement_rows(sc, hospital_id)
    if not schemes:
        doc.para(t("stm_none", L), size=13)
        return
    heads = [t(s, L) for s in schemes]
    n = len(schemes)
    vw = 21 if n == 2 else 26
    doc.para(t("stm_section_cases", L), size=13, bold=True, h=7)
    doc.data_table([t("stm_col_item", L), t("stm_col_article", L)] + heads, cases, [100 - 14 - vw * n, 14] + [vw] * n,
                   size=10.5, aligns=["L", "L"] + ["R"] * n, padding=(0.7, 1.5), line_height=4.9)
    doc.ln(2)
    doc.para(t("stm_section_settlement", L), size=13, bold=True, h=7)
    doc.para(t("stm_units", L), size=9.5, colour=GREY, h=4.5)
    item_w = 21 if L == "zh" else 30                 # English step names are longer
    widths = [item_w, 16, 100 - item_w - 16 - vw * n] + [vw] * n
    fw = (doc.w - doc.l_margin - doc.r_margin) * widths[2] / 100 - 3.5
    doc.data_table([t("stm_col_item", L), t("stm_col_article", L), t("stm_col_formula", L)] + heads,
                   [[r[0], r[1], doc.fit(_short(r[2]), fw, 10 if L == "zh" else 9.5)] + r[3:] for r in settle], widths,
                   size=10 if L == "zh" else 9.5, aligns=["L", "L", "L"] + ["R"] * n, bold_rows=bold,
                   padding=(0.7, 1.5), line_height=4.7)
    doc.ln(2)
    doc.para(t("stm_year_end_note", L), size=10, colour=GREY, h=5)
    doc.ln(6)
    doc.para(t("stm_sign", L), size=11, h=6)


def _short(formula: str) -> str:
    """A formula cut to its first clause (the full trace is in the dashboard and the workbook)."""
    first = re.split(r"[；;]", formula)[0]
    return first if len(first) <= 70 else first[:68] + "…"


def _doc(sc: Scenario) -> Doc:
    L = sc.lang
    doc = Doc("P", footer=t("stm_footer", L, pfp=sc.params_fingerprint, dfp=sc.data_fingerprint, ver=sc.version,
                            date=sc.created.strftime("%Y-%m-%d")), page_label="")
    doc.set_margins(14, 10, 14)
    doc.set_auto_page_break(True, margin=12)
    doc.set_title(t("stm_title", L))
    doc.set_creator(f"dip_model {sc.version}")
    doc.set_subject(sc.statements_command())
    return doc


def statements_pdf(sc: Scenario, hospital_ids: list[str] | None = None) -> bytes:
    """The statements of the given hospitals (all when None), one page each, in one PDF."""
    ids = list(hospital_ids) if hospital_ids else list(sc.res.data.hospitals["hospital_id"])
    doc = _doc(sc)
    for hid in ids:
        before = doc.page_no()
        statement_page(doc, sc, hid)
        if doc.page_no() != before + 1:
            from ..errors import DipError
            from ..messages import Message
            raise DipError(Message("statement_too_long", hospital=hid))
    return bytes(doc.output())


def statements_zip(sc: Scenario, hospital_ids: list[str] | None = None) -> bytes:
    """A zip of one PDF per hospital (<id>.pdf). The pages are laid out in one document, so the font is
    read once, then split page by page."""
    from pypdf import PdfReader, PdfWriter
    ids = list(hospital_ids) if hospital_ids else list(sc.res.data.hospitals["hospital_id"])
    reader = PdfReader(io.BytesIO(statements_pdf(sc, ids)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for hid, page in zip(ids, reader.pages):
            w = PdfWriter()
            w.add_page(page)
            w.add_metadata({"/Title": f"{t('stm_title', sc.lang)} {hid}", "/Creator": f"dip_model {sc.version}"})
            one = io.BytesIO()
            w.write(one)
            zf.writestr(f"{_safe_name(hid)}.pdf", one.getvalue())
    return buf.getvalue()


def _safe_name(hid: str) -> str:
    return re.sub(r"[^\w.-]+", "_", str(hid)) or "hospital"
