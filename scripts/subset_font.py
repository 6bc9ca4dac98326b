"""Rebuild the bundled CJK font (dip_model/report/assets/) from Noto Sans CJK SC, cut to what the product
can print: GB 2312, every text of the app, the rule set and the article texts, plus Latin, digits and
punctuation.

    python scripts/subset_font.py NotoSansCJK-Regular.ttc NotoSansCJK-Bold.ttc [--index 2]

The sources are the OFL-licensed Noto Sans CJK collections (Debian: fonts-noto-cjk; upstream:
github.com/notofonts/noto-cjk); index 2 is the Simplified Chinese face. Run it again whenever a text
gains a character the font lacks (tests/report/test_fonts.py says which).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "dip_model" / "report" / "assets"
FAMILY = "DIP Noto Sans SC"
# subscripts the source lacks, drawn as its own glyphs scaled down and lowered (composite glyphs)
SUBSCRIPTS = {**{chr(0x2080 + d): str(d) for d in range(10)}, "\u208b": "\u2212", "\u1d62": "i", "\u2095": "h",
              "\u2098": "m", "\u2090": "a", "\u2091": "e", "\u2093": "x", "\u2099": "n", "\u209c": "t"}
SUB_SCALE, SUB_DROP = 0.62, -0.14                     # of the em
FILE_STEM = "DIPNotoSansSC"
# texts the product prints: UI and report catalogues, rule set, articles, messages, and the literals of the core
TEXT_GLOBS = ("ui/locales/**/*.yaml", "dip_model/**/*.yaml", "dip_model/**/*.py")
RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x2010, 0x205E), (0x2070, 0x209F), (0x20A0, 0x20BF), (0x2100, 0x218F),
          (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x25FF), (0x2600, 0x26FF),
          (0x3000, 0x303F), (0xFF00, 0xFFEF))


def gb2312() -> set[str]:
    """Every character of GB 2312 (rows 0xA1–0xF7, cells 0xA1–0xFE)."""
    out = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def project_text(root: Path = ROOT) -> set[str]:
    chars: set[str] = set()
    for pattern in TEXT_GLOBS:
        for path in root.glob(pattern):
            if ".venv" not in path.parts:
                chars |= set(path.read_text(encoding="utf-8"))
    return {c for c in chars if c.isprintable() and not c.isspace()}


def wanted() -> set[str]:
    chars = gb2312() | project_text()
    for lo, hi in RANGES:
        chars |= {chr(c) for c in range(lo, hi + 1)}
    return chars


def _face(path: str, index: int) -> TTFont:
    return TTCollection(path).fonts[index] if path.lower().endswith((".ttc", ".otc")) else TTFont(path)


def to_truetype(font: TTFont) -> None:
    """CFF outlines to TrueType (quadratic) ones, so that glyphs can be added as composites."""
    order = font.getGlyphOrder()
    gs = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(gs)
        gs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, glyphs
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints", "maxContours",
                  "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def add_subscripts(font: TTFont) -> list[str]:
    """The SUBSCRIPTS the font lacks, as composites of their base glyphs."""
    cmap = font.getBestCmap()
    em = font["head"].unitsPerEm
    order = list(font.getGlyphOrder())
    glyf, hmtx = font["glyf"], font["hmtx"]
    vmtx = font["vmtx"] if "vmtx" in font else None
    added = []
    for sub, base in SUBSCRIPTS.items():
        if ord(sub) in cmap or ord(base) not in cmap:
            continue
        bname = cmap[ord(base)]
        adv, _ = hmtx[bname]
        name = f"uni{ord(sub):04X}"
        pen = TTGlyphPen(glyf)
        pen.addComponent(bname, (SUB_SCALE, 0, 0, SUB_SCALE, round(adv * 0.04), round(SUB_DROP * em)))
        glyf[name] = pen.glyph()
        hmtx[name] = (round(adv * (SUB_SCALE + 0.08)), 0)
        if vmtx is not None:
            vmtx[name] = (em, 0)
        order.append(name)
        added.append((ord(sub), name))
    font.setGlyphOrder(order)
    glyf.glyphOrder = order
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap.update(dict(added))
    return [chr(c) for c, _ in added]


def _rename(font: TTFont, style: str) -> None:
    names = font["name"]
    full = f"{FAMILY} {style}" if style != "Regular" else FAMILY
    for rec in list(names.names):
        if rec.nameID in (1, 3, 4, 6, 16, 17, 18):
            names.removeNames(nameID=rec.nameID)
    ps = f"{FILE_STEM}-{style}"
    for nid, text in ((1, FAMILY), (2, style), (3, f"{ps};subset"), (4, full), (6, ps)):
        names.setName(text, nid, 3, 1, 0x409)
        names.setName(text, nid, 1, 0, 0)


def build(source: str, index: int, style: str, chars: set[str]) -> Path:
    font = _face(source, index)
    cmap = font.getBestCmap()
    keep = sorted(ord(c) for c in chars if ord(c) in cmap)
    opts = subset.Options()
    opts.layout_features = ["kern", "liga", "locl", "palt", "halt", "vert", "vrt2"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.hinting = False
    opts.desubroutinize = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=keep)
    sub.subset(font)
    _rename(font, style)
    to_truetype(font)
    drawn = add_subscripts(font)
    cmap = font.getBestCmap()
    out = ASSETS / f"{FILE_STEM}-{style}.ttf"
    ASSETS.mkdir(parents=True, exist_ok=True)
    font.save(out)
    missing = sorted(c for c in chars if ord(c) not in cmap and (c in gb2312() or c in project_text()))
    print(f"{out.name}: {len(keep) + len(drawn)} characters ({len(drawn)} subscripts drawn), "
          f"{out.stat().st_size / 1e6:.2f} MB"
          + (f"; not in the source font: {''.join(missing)}" if missing else ""))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("regular")
    ap.add_argument("bold")
    ap.add_argument("--index", type=int, default=2, help="face in a collection (Noto Sans CJK: 2 = SC)")
    a = ap.parse_args()
    chars = wanted()
    build(a.regular, a.index, "Regular", chars)
    build(a.bold, a.index, "Bold", chars)


if __name__ == "__main__":
    main()
