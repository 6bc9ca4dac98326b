"""An fpdf2 document with the CJK font and the few building blocks the PDF exports share: headings,
wrapped paragraphs, tables and images."""
from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import lru_cache

from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode

from .fonts import CjkFont, cjk_font, fallback_font

INK = (33, 37, 41)
GREY = (110, 117, 125)
ACCENT = (43, 108, 176)
HEAD_FILL = (226, 236, 247)
ZEBRA = (246, 248, 250)


# subscripts written plainly when the chosen font lacks them (the bundled font has them all)
SUBSCRIPTS = {**{chr(0x2080 + d): str(d) for d in range(10)}, "₋": "-", "ᵢ": "i", "ₕ": "h", "ₘ": "m"}


@lru_cache(maxsize=4)
def _plain_table(font: CjkFont) -> dict:
    from fontTools.ttLib import TTCollection, TTFont
    path = font.regular
    face = (TTCollection(path, lazy=True).fonts[font.index] if path.lower().endswith((".ttc", ".otc"))
            else TTFont(path, lazy=True))
    cmap = face.getBestCmap()
    return str.maketrans({k: v for k, v in SUBSCRIPTS.items() if ord(k) not in cmap})


def plain(text: str) -> str:
    return str(text).translate(_plain_table(cjk_font()))



_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def wrap_for(*texts) -> WrapMode:
    """Chinese wraps at any character; mostly Latin text (an English report quoting a Chinese term)
    wraps between words."""
    joined = "".join(str(x) for x in texts)
    letters = sum(1 for ch in joined if not ch.isspace())
    return WrapMode.CHAR if letters and len(_CJK.findall(joined)) >= 0.3 * letters else WrapMode.WORD

class Doc(FPDF):
    """A4 with the CJK font as "cjk" (regular and bold) and a footer line on every page."""

    def __init__(self, orientation: str = "L", footer: str = "", page_label: str = "{n}"):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        f = cjk_font()
        self.add_font("cjk", fname=f.regular, collection_font_number=f.index)
        self.add_font("cjk", style="B", fname=f.bold, collection_font_number=f.bold_index)
        fb = fallback_font()            # a system CJK font for a rare character the chosen one lacks
        if fb is not None:
            self.add_font("cjkfb", fname=fb.regular, collection_font_number=fb.index)
            self.add_font("cjkfb", style="B", fname=fb.bold, collection_font_number=fb.bold_index)
            self.set_fallback_fonts(["cjkfb"], exact_match=False)
        self.set_margins(14, 12, 14)
        self.set_auto_page_break(True, margin=14)
        self.footer_text = footer
        self.page_label = page_label
        self.set_font("cjk", size=12)
        self.set_text_color(*INK)

    def footer(self):
        if not self.footer_text and not self.page_label:
            return
        self.set_y(-10)
        self.set_font("cjk", size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, self.page_label.format(n=self.page_no()), align="R")
        self.set_text_color(*INK)

    # --- blocks ----------------------------------------------------------------------------------
    def normalize_text(self, text):
        return super().normalize_text(plain(text))

    def fit(self, text: str, width: float, size: float) -> str:
        """The text cut with … so that it fits on one line of `width` mm at `size` pt."""
        self.set_font("cjk", "", size)
        text = plain(text)
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text + "…"

    def heading(self, text: str, size: float = 20, colour=ACCENT, gap: float = 3) -> None:
        """A section heading (wraps between words in Latin text, anywhere in Chinese)."""
        self.set_font("cjk", "B", size)
        self.set_text_color(*colour)
        self.multi_cell(0, size * 0.5, text, wrapmode=wrap_for(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_text_color(*INK)
        self.ln(gap)

    def para(self, text: str, size: float = 12, colour=INK, bold: bool = False, h: float | None = None,
             align: str = "L") -> None:
        self.set_font("cjk", "B" if bold else "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, h or size * 0.5, text, wrapmode=wrap_for(text), new_x="LMARGIN", new_y="NEXT", align=align)
        self.set_text_color(*INK)

    def pairs(self, rows: list[tuple[str, str]], size: float = 12, key_w: float = 45) -> None:
        """Label: value lines, the label in grey (the label column as wide as its longest label)."""
        self.set_font("cjk", "", size)
        key_w = max([key_w] + [self.get_string_width(k) + 4 for k, _ in rows])
        for k, v in rows:
            self.set_font("cjk", "", size)
            self.set_text_color(*GREY)
            self.cell(key_w, size * 0.55, k)
            self.set_text_color(*INK)
            self.multi_cell(0, size * 0.55, v, wrapmode=wrap_for(v), new_x="LMARGIN", new_y="NEXT", align="L")

    def data_table(self, header: list[str], rows: list[list[str]], widths: Sequence[float], size: float = 10,
                   aligns: list[str] | None = None, line_height: float | None = None, bold_rows: set | None = None,
                   padding=(1.2, 1.5)) -> None:
        """A table over the page width (widths in fractions), header repeated on every page."""
        self.set_font("cjk", "", size)
        aligns = aligns or ["L"] * len(header)
        heading = FontFace(emphasis="BOLD", color=INK, fill_color=HEAD_FILL, family="cjk")
        with super().table(col_widths=widths, line_height=line_height or size * 0.55, headings_style=heading,
                           wrapmode=wrap_for(*header, *(c for r in rows for c in r)), text_align=aligns, cell_fill_color=ZEBRA,
                           cell_fill_mode="ROWS", padding=padding, v_align="MIDDLE",
                           borders_layout="HORIZONTAL_LINES") as tab:
            r = tab.row()
            for h in header:
                r.cell(h)
            for i, row in enumerate(rows):
                style = FontFace(emphasis="BOLD", family="cjk") if bold_rows and i in bold_rows else None
                r = tab.row(style=style)
                for c in row:
                    r.cell("" if c is None else str(c))

    def image_fit(self, png: bytes, max_h: float | None = None) -> None:
        """An image as wide as the page allows (and no taller than max_h), centred."""
        from PIL import Image
        with Image.open(io.BytesIO(png)) as im:
            w_px, h_px = im.size
        avail_w = self.w - self.l_margin - self.r_margin
        avail_h = max_h or (self.h - self.get_y() - self.b_margin)
        w = min(avail_w, avail_h * w_px / h_px)
        x = self.l_margin + (avail_w - w) / 2
        self.image(io.BytesIO(png), x=x, y=self.get_y(), w=w)
        self.set_y(self.get_y() + w * h_px / w_px + 2)
