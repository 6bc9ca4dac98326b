"""The CJK font the PDF files embed: found at run time through fontconfig (fc-match), else at the paths
Debian's fonts-noto-cjk installs; DIP_CJK_FONT=/path/to/font.ttc[:index] overrides both."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import DipError

FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei")
KNOWN = (("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
         ("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc", 2),
         ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", 2))
MISSING = ("no Chinese (CJK) font found for the PDF: install Noto Sans CJK (Debian: apt-get install fonts-noto-cjk) "
           "or set DIP_CJK_FONT=/path/to/font.ttc[:index]")


@dataclass(frozen=True)
class CjkFont:
    regular: str
    bold: str
    index: int            # the face in a font collection (.ttc); Noto Sans CJK: 2 = Simplified Chinese
    bold_index: int


def _split(spec: str) -> tuple[str, int]:
    head, sep, tail = spec.rpartition(":")
    return (head, int(tail)) if sep and tail.isdigit() else (spec, 0)


def _fc_match(pattern: str) -> tuple[str, int, str] | None:
    if not shutil.which("fc-match"):
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


@lru_cache(maxsize=1)
def cjk_font() -> CjkFont:
    """The regular and bold faces of a CJK font, or a DipError saying how to install one."""
    env = os.environ.get("DIP_CJK_FONT")
    if env:
        path, idx = _split(env)
        if not Path(path).is_file():
            raise DipError(f"DIP_CJK_FONT names no file: {path}")
        return CjkFont(path, path, idx, idx)
    for family in FAMILIES:
        reg = _fc_match(family)
        if reg and family.lower() in reg[2].lower() and Path(reg[0]).is_file():
            bold = _fc_match(f"{family}:bold")
            ok = bold and family.lower() in bold[2].lower() and Path(bold[0]).is_file()
            return CjkFont(reg[0], bold[0] if ok else reg[0], reg[1], bold[1] if ok else reg[1])
    for reg, bold, idx in KNOWN:
        if Path(reg).is_file():
            return CjkFont(reg, bold if Path(bold).is_file() else reg, idx, idx)
    raise DipError(MISSING)
