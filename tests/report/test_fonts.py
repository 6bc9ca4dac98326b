"""Chinese output never depends on a system font: the bundled font covers every character the product can
print, and the PDF report, a statement and a chart image carry Chinese glyphs on a machine whose
fontconfig knows no font at all."""
import io
import unicodedata
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader

import dip_model
from dip_model.report import Scenario, build, fonts
from dip_model.report.render import to_png
from dip_model.report.statements import statements_pdf

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ("ui/locales/**/*.yaml", "dip_model/**/*.yaml", "dip_model/**/*.py")  # as scripts/subset_font.py


def _gb2312() -> set[str]:
    out = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def _printable(text: str) -> set[str]:
    """Characters that draw something (not spaces, controls or variation selectors)."""
    return {c for c in text if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf", "Mn", "Zs")}


def _what_the_product_prints() -> dict[str, set[str]]:
    sets = {"GB 2312": _gb2312(), "Latin, digits, punctuation": _printable("".join(map(chr, range(0x20, 0x7F))))}
    for pattern in TEXTS:
        for path in ROOT.glob(pattern):
            sets[str(path.relative_to(ROOT))] = _printable(path.read_text(encoding="utf-8"))
    return sets


@pytest.mark.parametrize("face", fonts.BUNDLED, ids=lambda p: p.name)
def test_the_bundled_font_has_every_character_the_product_prints(face):
    cmap = TTFont(face, lazy=True).getBestCmap()
    sets = _what_the_product_prints()
    assert len(sets["GB 2312"]) == 7445 and any("articles.yaml" in k for k in sets)
    missing = {where: "".join(sorted(c for c in chars if ord(c) not in cmap)) for where, chars in sets.items()}
    missing = {k: v for k, v in missing.items() if v}
    assert not missing, f"not in {face.name} (rebuild it with scripts/subset_font.py): {missing}"


def test_the_licence_and_the_family_name_travel_with_the_font():
    licence = (fonts.ASSETS / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Noto Sans CJK SC" in licence
    for face in fonts.BUNDLED:
        names = TTFont(face, lazy=True)["name"]
        assert names.getDebugName(1) == fonts.FAMILY
        assert "Open Font License" in names.getDebugName(13)


def test_dip_cjk_font_wins_then_the_bundled_font(monkeypatch, tmp_path):
    monkeypatch.delenv("DIP_CJK_FONT", raising=False)
    assert fonts.cjk_font() == fonts.CjkFont(str(fonts.BUNDLED[0]), str(fonts.BUNDLED[1]), 0, 0)
    mine = tmp_path / "mine.ttc"
    mine.write_bytes(fonts.BUNDLED[0].read_bytes())
    monkeypatch.setenv("DIP_CJK_FONT", f"{mine}:3")
    assert fonts.cjk_font() == fonts.CjkFont(str(mine), str(mine), 3, 3)
    monkeypatch.setenv("DIP_CJK_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(dip_model.DipError, match="DIP_CJK_FONT names no file"):
        fonts.cjk_font()


def test_the_finder_knows_the_windows_and_macos_fonts():
    win = fonts.system_paths("Windows", {"WINDIR": r"D:\Win"})
    assert win[0][:2] == (str(Path(r"D:\Win") / "Fonts" / "msyh.ttc"), str(Path(r"D:\Win") / "Fonts" / "msyhbd.ttc"))
    assert any("simsun.ttc" in r for r, *_ in win)
    mac = fonts.system_paths("Darwin", {})
    assert any("Hiragino Sans GB" in r for r, *_ in mac) and any("STHeiti" in r for r, *_ in mac)
    assert any("NotoSansCJK-Regular.ttc" in r for r, *_ in fonts.system_paths("Linux", {}))


# ---------------------------------------------------------------- a machine without any font
@pytest.fixture
def no_fonts(monkeypatch, tmp_path):
    """fontconfig pointed at an empty font folder, DIP_CJK_FONT unset: no system font anywhere."""
    (tmp_path / "empty").mkdir()
    conf = tmp_path / "empty.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<fontconfig><dir>{tmp_path / "empty"}</dir>'
                    f'<cachedir>{tmp_path / "cache"}</cachedir></fontconfig>\n', encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    monkeypatch.delenv("DIP_CJK_FONT", raising=False)
    fonts._system_font_cached.cache_clear()
    yield tmp_path
    fonts._system_font_cached.cache_clear()


def _latin_only_fontconfig(folder: Path) -> Path:
    """A fontconfig file whose only font is the bundled one cut to ASCII: Chinese in it is drawn as boxes."""
    (folder / "latin").mkdir()
    font = TTFont(fonts.BUNDLED[0])
    sub = subset.Subsetter(subset.Options())
    sub.populate(unicodes=range(0x20, 0x7F))
    sub.subset(font)
    for rec in font["name"].names:
        if rec.nameID in (1, 4, 16):
            rec.string = "Latin Only"
    font.save(folder / "latin" / "LatinOnly.ttf")
    conf = folder / "latin.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<fontconfig><dir>{folder / "latin"}</dir>'
                    f'<cachedir>{folder / "cache-latin"}</cachedir></fontconfig>\n', encoding="utf-8")
    return conf


def _figure(title: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
    fig.update_layout(title={"text": title, "font": {"size": 40}}, width=700, height=300, font={"family": "sans-serif"},
                      margin={"t": 90, "b": 20, "l": 20, "r": 20})
    return fig


def _title_strip(png: bytes) -> np.ndarray:
    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int16)
    return img[: img.shape[0] // 3]


@pytest.mark.skipif(not fonts.uses_fontconfig(), reason="fontconfig is how Linux finds fonts")
def test_a_chart_image_draws_chinese_glyphs_without_any_system_font(no_fonts):
    a, b = "医保基金结算点值", "病种分值付费考核"           # two texts of the same length
    ours = to_png([_figure(a), _figure(b)], scale=1)
    boxes = to_png([_figure(a), _figure(b)], scale=1, fontconfig=str(_latin_only_fontconfig(no_fonts)))
    # a font that lacks the glyphs draws both texts as the same row of boxes ...
    assert np.array_equal(_title_strip(boxes[0]), _title_strip(boxes[1]))
    # ... the bundled font draws each its own characters, and not as boxes
    assert np.abs(_title_strip(ours[0]) - _title_strip(ours[1])).sum() > 255 * 200
    assert np.abs(_title_strip(ours[0]) - _title_strip(boxes[0])).sum() > 255 * 200


def test_the_default_fontconfig_sets_nothing_where_the_browser_does_not_read_fontconfig(monkeypatch):
    """Windows and macOS: the default (True) means no FONTCONFIG_FILE, not the value True (which os.environ
    refuses, so every chart image failed there)."""
    from dip_model.report import render
    seen = []

    async def fake_render(specs, browser, conf):
        seen.append(conf)
        return [render.PNG_SIGNATURE] * len(specs)

    monkeypatch.setattr(render.fonts, "uses_fontconfig", lambda: False)
    monkeypatch.setattr(render, "browser_or_error", lambda: "browser")
    monkeypatch.setattr(render, "_render", fake_render)
    assert to_png([_figure("a")]) == [render.PNG_SIGNATURE]
    assert seen == [None]


def _embedded_fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


@pytest.fixture(scope="module")
def runs(city):
    data = dip_model.load_data(city)
    return dip_model.simulate(data, dip_model.load_params({"budget": {"growth_rate": 0.03}})), \
        dip_model.simulate(data, dip_model.load_params())


def test_the_pdf_report_and_a_statement_embed_the_bundled_font_without_any_system_font(no_fonts, runs):
    res, base = runs
    sc = Scenario(res, base, name="无系统字体")
    report = PdfReader(io.BytesIO(build(sc, "pdf", "r.pdf")))
    statement = PdfReader(io.BytesIO(statements_pdf(sc, ["H001"])))
    for reader, words in ((report, "无系统字体"), (statement, "医院结算单")):
        assert any("DIPNotoSansSC" in n for n in _embedded_fonts(reader)), _embedded_fonts(reader)
        text = "".join(reader.pages[0].extract_text().replace("\x00", "").split())
        assert words in text
