"""Texts of charts and exports in Chinese or English: dip_model's own catalogue
(dip_model/report/locales/<lang>/*.yaml), read as plain YAML. The dashboard reads the same catalogue
under its own (ui/i18n.py), so a label reads the same on screen, in a slide and in a workbook; dip_model
never imports the dashboard."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .. import yamlio
from ..errors import DipError
from ..messages import Items, Message

LOCALES = Path(__file__).resolve().parent / "locales"
LANGS = ("zh", "en")


def read_folder(folder: Path, shown: str, into: dict | None = None) -> dict:
    """Every catalog file of a folder (one per page or area) merged over a copy of `into`; a key defined
    twice, in two files or in a file and `into`, is refused. `shown` names the folder in an error."""
    if not folder.is_dir():
        raise DipError(Message("labels_missing", folder=shown))
    out: dict = dict(into or {})
    for path in sorted(folder.glob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            part = yamlio.safe_load(f) or {}
        clash = set(out) & set(part)
        if clash:
            raise DipError(Message("labels_clash", file=f"{shown}/{path.name}", keys=Items(sorted(clash))))
        out.update(part)
    return out


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict:
    """The report texts of a language, every file merged; a key defined twice is refused."""
    if lang not in LANGS:
        raise DipError(Message("labels_unknown_lang", got=repr(lang)))
    return read_folder(LOCALES / lang, f"dip_model/report/locales/{lang}")


def t(key: str, lang: str = "zh", **kw) -> str:
    text = catalog(lang).get(key) or catalog("zh").get(key) or key
    return text.format(**kw) if kw else text


def has(key: str, lang: str = "zh") -> bool:
    return key in catalog(lang)


def money(v, lang: str = "zh", unit: str = "yuan") -> str:
    """Money as the dashboard writes it: 万/亿元 in Chinese, ¥ with separators in English; or in 万元."""
    if v is None or v != v:
        return "—"
    if unit == "wan":
        return f"{v / 1e4:,.2f} 万元" if lang == "zh" else f"{v / 1e4:,.2f} × 10k yuan"
    if lang == "zh":
        a = abs(v)
        if a >= 1e8:
            return f"{v / 1e8:,.2f} 亿元"
        if a >= 1e4:
            return f"{v / 1e4:,.2f} 万元"
        return f"{v:,.2f} 元"
    return f"¥{v:,.2f}"


def compact_money(v, lang: str = "zh", unit: str = "yuan") -> str:
    """Money for a summary table: as `money`, but millions in English (¥317.91m), where full yuan with
    separators would not fit a column."""
    if lang == "zh" or unit == "wan" or v is None or v != v or abs(v) < 1e6:
        return money(v, lang, unit)
    return f"¥{v / 1e6:,.2f}m"


def exact(v, lang: str = "zh") -> str:
    """Money to the fen, in yuan (statements and appendix tables)."""
    if v is None or v != v:
        return "—"
    return f"{v:,.2f}"


def scale(unit: str) -> float:
    """Divisor from yuan to the unit shown."""
    return 1e4 if unit == "wan" else 1.0


def band_text(label: str, lang: str = "zh") -> str:
    """A band label of hospitals.csv (under_70, 70_90, 90_100, over_100) in words."""
    from ..analysis.bands import band_parts
    kind, lo, hi = band_parts(label)
    return t(f"hb_band_{kind}", lang, lo=lo, hi=hi)


def choice_text(ident: str, value: str, lang: str = "zh") -> str:
    """An interpretation's choice in words (the rules page's wording)."""
    for key in (f"choice_{ident}_{value}", f"choice_{value}"):
        if has(key, lang):
            return t(key, lang)
    return str(value)


def level_text(v, lang: str = "zh") -> str:
    return t(f"hb_level_{v}", lang) if has(f"hb_level_{v}", lang) else str(v)
