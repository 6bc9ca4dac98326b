"""The scenario report as a 16:9 slide deck (python-pptx): the same sections as the PDF, the charts as
PNG images of the dashboard's figures, the parameter file and reproduce command in the notes of the
title slide and on the last slides."""
from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from .labels import t
from .pdf_report import hospital_columns, hospital_rows, reproduce_pairs, unique_quotes
from .render import to_png
from .scenario import Scenario

FONT = "Noto Sans CJK SC"
ACCENT = RGBColor(0x2B, 0x6C, 0xB0)
INK = RGBColor(0x21, 0x25, 0x29)
GREY = RGBColor(0x6E, 0x75, 0x7D)
W, H = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
BODY_TOP = Inches(1.25)


def _font(run, size: float, bold: bool = False, colour: RGBColor = INK) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = colour
    run.font.name = FONT
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):                     # the East Asian face, so Chinese uses the same font
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", FONT)


def text_box(slide, x, y, w, h, lines, size: float = 16, colour: RGBColor = INK, bold: bool = False):
    """A wrapped text box; `lines` are strings or (text, size, bold, colour) tuples, one paragraph each."""
    box = slide.shapes.add_textbox(x, y, w, h)
    tf = box.text_frame
    tf.word_wrap = True
    for i, line in enumerate(lines):
        text, sz, b, c = line if isinstance(line, tuple) else (line, size, bold, colour)
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        r = p.add_run()
        r.text = text
        _font(r, sz, b, c)
    return box


def new_slide(prs, title: str | None):
    slide = prs.slides.add_slide(prs.slide_layouts[6])            # blank
    if title:
        text_box(slide, MARGIN, Inches(0.35), W - 2 * MARGIN, Inches(0.8), [title], size=30, bold=True, colour=ACCENT)
    return slide


def table(slide, header: list[str], rows: list[list[str]], widths: list[float], size: float = 14,
          top=BODY_TOP, aligns: list[str] | None = None):
    """A table over the slide width (widths in fractions); row height follows the font."""
    from pptx.enum.text import PP_ALIGN
    n_rows = len(rows) + 1
    row_h = Pt(size * 2.0)
    shape = slide.shapes.add_table(n_rows, len(header), MARGIN, top, W - 2 * MARGIN, Emu(row_h * n_rows))
    tab = shape.table
    total = sum(widths)
    for j, w in enumerate(widths):
        tab.columns[j].width = Emu(int((W - 2 * MARGIN) * w / total))
    for i in range(n_rows):
        tab.rows[i].height = Emu(row_h)
        for j in range(len(header)):
            cell = tab.cell(i, j)
            cell.margin_top = cell.margin_bottom = Pt(2)
            text = header[j] if i == 0 else rows[i - 1][j]
            tf = cell.text_frame
            tf.word_wrap = True
            p = tf.paragraphs[0]
            if aligns and i > 0:
                p.alignment = {"R": PP_ALIGN.RIGHT, "C": PP_ALIGN.CENTER}.get(aligns[j], PP_ALIGN.LEFT)
            r = p.add_run()
            r.text = "" if text is None else str(text)
            _font(r, size, bold=i == 0, colour=RGBColor(0xFF, 0xFF, 0xFF) if i == 0 else INK)
    return shape


def picture(slide, png: bytes, top=BODY_TOP):
    """An image as large as the body of the slide allows, centred."""
    from PIL import Image
    with Image.open(io.BytesIO(png)) as im:
        w_px, h_px = im.size
    max_w, max_h = W - 2 * MARGIN, H - top - Inches(0.3)
    w = min(max_w, int(max_h * w_px / h_px))
    h = int(w * h_px / w_px)
    return slide.shapes.add_picture(io.BytesIO(png), int((W - w) / 2), top, Emu(w), Emu(h))


def chunks(items: list, n: int) -> list[list]:
    return [items[i:i + n] for i in range(0, len(items), n)] or [[]]


def text_pages(texts: list[tuple[str, str]], per_page: int = 900) -> list[list[tuple[str, str]]]:
    """(heading, text) items packed into slides of about per_page characters; a long text is split."""
    pages: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    size = 0
    for head, text in texts:
        text = text.strip()
        while text:
            room = max(per_page - size, 0)
            if room < 120 and cur:
                pages.append(cur)
                cur, size = [], 0
                room = per_page
            part, text = text[:room], text[room:]
            cur.append((head, part))
            size += len(part) + 40
    if cur:
        pages.append(cur)
    return pages


def build_pptx(sc: Scenario, out_name: str | None = None, pngs: list[bytes] | None = None) -> bytes:
    L = sc.lang
    figs = sc.figures()
    if pngs is None:
        pngs = to_png([(fig, size) for _, _, fig, size in figs])
    prs = Presentation()
    prs.slide_width, prs.slide_height = W, H
    prs.core_properties.title = f"{t('rep_title', L)} · {sc.title_name}"
    prs.core_properties.subject = sc.command("pptx", out_name)
    prs.core_properties.comments = f"dip_model {sc.version}; data {sc.data_fingerprint}; parameters {sc.params_fingerprint}"
    colon = "：" if L == "zh" else ": "

    # title
    s = new_slide(prs, None)
    text_box(s, MARGIN, Inches(0.9), W - 2 * MARGIN, Inches(1.2), [t("rep_title", L)], size=40, bold=True, colour=ACCENT)
    text_box(s, MARGIN, Inches(1.9), W - 2 * MARGIN, Inches(0.6), [t("rep_subtitle", L)], size=18, colour=GREY)
    text_box(s, MARGIN, Inches(2.6), W - 2 * MARGIN, Inches(0.8), [f"{t('rep_scenario', L)}{colon}{sc.title_name}"],
             size=30, bold=True)
    pairs = reproduce_pairs(sc, "pptx", out_name)
    text_box(s, MARGIN, Inches(3.6), W - 2 * MARGIN, Inches(3.4),
             [(f"{k}{colon}{v}", 13 if k == t("rep_command", L) else 16, False, GREY if k == t("rep_command", L) else INK)
              for k, v in pairs])
    base_yaml = sc.baseline_yaml()                  # None without a baseline
    notes = s.notes_slide.notes_text_frame
    notes.text = "\n".join([f"{k}{colon}{v}" for k, v in pairs]
                           + ["", f"{t('rep_params_file', L)} ({sc.params_file}):", sc.params_yaml()]
                           + ([f"{t('rep_baseline_file', L)} ({sc.baseline_file}):", base_yaml]
                              if base_yaml is not None else []))

    # key figures
    s = new_slide(prs, t("rep_key_figures", L))
    header, rows = sc.key_figure_table()
    n = len(header) - 2
    table(s, header, rows, [19, 7] + [(100 - 26) / n] * n, size=14 if n <= 3 else 13,
          aligns=["L", "L"] + ["R"] * n)

    # charts
    for (_, head, _, _), png in zip(figs, pngs):
        s = new_slide(prs, head)
        picture(s, png)

    # parameter changes and the articles they cite
    changes = sc.param_changes()
    if not changes:
        s = new_slide(prs, t("rep_param_changes", L))
        text_box(s, MARGIN, BODY_TOP, W - 2 * MARGIN, Inches(1), [t("rep_no_param_changes", L)], size=20)
    for part in chunks(changes, 7):
        s = new_slide(prs, t("rep_param_changes", L))
        table(s, [t("rep_col_param", L), t("rep_col_baseline", L), t("rep_col_current", L), t("rep_col_article", L)],
              [[f"{c['label']}\n{c['path']}", c["old"], c["new"], c["article"]] for c in part], [36, 27, 27, 10], size=13)
    for page in text_pages(unique_quotes(changes)) if changes else []:
        s = new_slide(prs, t("rep_col_quote", L))
        lines = []
        for head, text in page:
            lines += [(head, 16, True, ACCENT), (text, 13, False, INK)]
        text_box(s, MARGIN, BODY_TOP, W - 2 * MARGIN, H - BODY_TOP - Inches(0.3), lines)

    # interpretation choices
    s = new_slide(prs, t("rep_interpretations", L))
    rows = [[r["id"], r["label"], r["article"],
             r["choice"] + (f"（{t('rep_changed_mark', L)}）" if r["changed"] else ""), r["default"]]
            for r in sc.interpretations()]
    table(s, [t("rep_col_id", L), t("rep_col_question", L), t("rep_col_article", L), t("rep_col_choice", L),
              t("rep_col_default", L)], rows, [7, 42, 12, 21, 18], size=12)

    # appendix: hospitals, then the parameter file and the command
    columns = hospital_columns(sc)
    for part in chunks(hospital_rows(sc), 15):
        s = new_slide(prs, t("rep_appendix_hospitals", L))
        table(s, columns, part, [8, 18, 9, 7, 10, 8, 9, 12, 12, 10], size=12,
              aligns=["L", "L", "L", "R", "R", "R", "L", "R", "R", "R"])
    s = new_slide(prs, t("rep_appendix_params", L))
    text_box(s, MARGIN, BODY_TOP, W - 2 * MARGIN, H - BODY_TOP - Inches(0.3),
             [(f"{k}{colon}{v}", 15, False, INK) for k, v in pairs[1:]] + [(t("rep_command_note", L), 13, False, GREY)])
    yamls = [(f"{t('rep_params_file', L)} — {sc.params_file}", sc.params_yaml())]
    if base_yaml is not None:
        yamls.append((f"{t('rep_baseline_file', L)} — {sc.baseline_file}", base_yaml))
    for head_text, text in yamls:
        for part in chunks(text.splitlines(), 24):
            s = new_slide(prs, head_text)
            text_box(s, MARGIN, BODY_TOP, W - 2 * MARGIN, H - BODY_TOP - Inches(0.3),
                     [(ln, 13, False, INK) for ln in part])
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
