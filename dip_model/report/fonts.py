"""The CJK font of the PDF files and the chart images.

The project carries its own font (assets/: Noto Sans CJK SC cut to what the product prints, SIL OFL 1.1),
so Chinese output never depends on a system font. Order:
1. DIP_CJK_FONT=/path/to/font.ttc[:index] — the user's choice wins;
2. the bundled font;
3. a system CJK font (fontconfig, then the usual Windows, macOS and Linux paths), which also serves the
   PDFs as a fallback for a rare character (a hospital's name, say) that the bundled font lacks.
Chromium draws the chart images; on Linux it is pointed at the bundled font by a fontconfig file of the
project's own (`fontconfig_file`), which adds the bundled folder to the fonts the system already has.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from ..errors import DipError
from ..messages import Message

ASSETS = Path(__file__).parent / "assets"
FAMILY = "DIP Noto Sans SC"                       # the bundled font's family name
BUNDLED = (ASSETS / "DIPNotoSansSC-Regular.ttf", ASSETS / "DIPNotoSansSC-Bold.ttf")
FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Microsoft YaHei", "PingFang SC",
            "Hiragino Sans GB", "WenQuanYi Zen Hei")


@dataclass(frozen=True)
class CjkFont:
    regular: str
    bold: str
    index: int            # the face in a font collection (.ttc); Noto Sans CJK: 2 = Simplified Chinese
    bold_index: int


def _split(spec: str) -> tuple[str, int]:
    head, sep, tail = spec.rpartition(":")
    return (head, int(tail)) if sep and tail.isdigit() else (spec, 0)


def system_paths(system: str | None = None, environ: dict | None = None) -> list[tuple[str, str, int, int]]:
    """(regular, bold, index, bold index) of the CJK fonts a system usually has, best first."""
    system = system or platform.system()
    env = os.environ if environ is None else environ
    if system == "Windows":
        fonts = Path(env.get("WINDIR") or env.get("SystemRoot") or r"C:\Windows") / "Fonts"
        return [(str(fonts / r), str(fonts / b), 0, 0) for r, b in
                (("msyh.ttc", "msyhbd.ttc"), ("Deng.ttf", "Dengb.ttf"), ("simhei.ttf", "simhei.ttf"),
                 ("simsun.ttc", "simsun.ttc"))]
    if system == "Darwin":
        return [("/System/Library/Fonts/Hiragino Sans GB.ttc", "/System/Library/Fonts/Hiragino Sans GB.ttc", 0, 1),
                ("/System/Library/Fonts/STHeiti Light.ttc", "/System/Library/Fonts/STHeiti Medium.ttc", 0, 0),
                ("/Library/Fonts/Arial Unicode.ttf", "/Library/Fonts/Arial Unicode.ttf", 0, 0)]
    return [(f"{d}/NotoSansCJK-Regular.ttc", f"{d}/NotoSansCJK-Bold.ttc", 2, 2)
            for d in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts/noto-cjk",
                      "/usr/share/fonts/google-noto-cjk")] + [
        ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, 0)]


def _fc_match(pattern: str) -> tuple[str, int, str] | None:
    if platform.system() == "Windows" or not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}\t%{index}\t%{family}", pattern], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split("\t")
    if len(parts) < 3 or not parts[0]:
        return None
    return parts[0], int(parts[1] or 0), parts[2]


def system_font() -> CjkFont | None:
    """A CJK font installed on this machine, or None."""
    for family in FAMILIES:
        reg = _fc_match(family)
        if reg and family.lower() in reg[2].lower() and Path(reg[0]).is_file():
            bold = _fc_match(f"{family}:bold")
            if bold and family.lower() in bold[2].lower() and Path(bold[0]).is_file():
                return CjkFont(reg[0], bold[0], reg[1], bold[1])
            return CjkFont(reg[0], reg[0], reg[1], reg[1])
    for reg_path, bold_path, idx, bidx in system_paths():
        if Path(reg_path).is_file():
            ok = Path(bold_path).is_file()
            return CjkFont(reg_path, bold_path if ok else reg_path, idx, bidx if ok else idx)
    return None


def bundled_font() -> CjkFont | None:
    reg, bold = BUNDLED
    return CjkFont(str(reg), str(bold), 0, 0) if reg.is_file() and bold.is_file() else None


def cjk_font() -> CjkFont:
    """The regular and bold faces the PDFs use (DIP_CJK_FONT, else the bundled font, else a system one)."""
    env = os.environ.get("DIP_CJK_FONT")
    if env:
        path, idx = _split(env)
        if not Path(path).is_file():
            raise DipError(Message("font_env_missing", path=path))
        return CjkFont(path, path, idx, idx)
    found = bundled_font() or _system_font_cached()
    if found is None:
        raise DipError(Message("font_missing"))
    return found


def fallback_font() -> CjkFont | None:
    """A system CJK font for the characters the chosen font lacks (None when there is none)."""
    sys_font = _system_font_cached()
    return sys_font if sys_font and sys_font.regular != cjk_font().regular else None


@lru_cache(maxsize=1)
def _system_font_cached() -> CjkFont | None:
    return system_font()


def fontconfig_file(base: str | None = None) -> Path:
    """A fontconfig file that adds the bundled font to the fonts of `base` (the caller's FONTCONFIG_FILE,
    else the system's) and prefers it for sans-serif text; written once per base into the temp folder."""
    base = base if base is not None else os.environ.get("FONTCONFIG_FILE", "")
    return _fontconfig_file(base or "/etc/fonts/fonts.conf")


@lru_cache(maxsize=8)
def _fontconfig_file(base: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="dip-fontconfig-"))
    (folder / "cache").mkdir()
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f'  <include ignore_missing="yes">{escape(base)}</include>\n'
        f"  <dir>{escape(str(ASSETS))}</dir>\n"
        f"  <cachedir>{escape(str(folder / 'cache'))}</cachedir>\n"
        '  <alias binding="same"><family>sans-serif</family>'
        f"<prefer><family>{FAMILY}</family></prefer></alias>\n"
        "</fontconfig>\n", encoding="utf-8")
    return conf


def uses_fontconfig() -> bool:
    """Chromium reads fontconfig on Linux and the other Unix systems, not on Windows or macOS."""
    return platform.system() not in ("Windows", "Darwin")
