"""Dictionary catalogs for the two languages; `t(key, **kw)` reads the session's language."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dip_model import yamlio

LOCALES = Path(__file__).with_name("locales")
LANGS = ("zh", "en")


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict:
    """All catalog files of a language (ui/locales/<lang>/*.yaml, one per page or area), merged."""
    out: dict = {}
    for path in sorted((LOCALES / lang).glob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            part = yamlio.safe_load(f) or {}
        clash = set(out) & set(part)
        if clash:
            raise ValueError(f"{path.name}: keys already defined elsewhere: {sorted(clash)}")
        out.update(part)
    return out


def current_lang() -> str:
    try:
        import streamlit as st
        return st.session_state.get("lang", "zh")
    except Exception:
        return "zh"


def t(key: str, lang: str | None = None, **kw) -> str:
    text = catalog(lang or current_lang()).get(key) or catalog("zh").get(key) or key
    return text.format(**kw) if kw else text


def money(v: float, lang: str | None = None, unit: str = "yuan") -> str:
    """Chinese conventions (万, 亿) in Chinese; thousands separators in English (one implementation,
    shared with the exports)."""
    from dip_model.report.labels import money as _money
    return _money(v, lang or current_lang(), unit)


def unit_label(unit: str, lang: str | None = None) -> str:
    """A rule-set unit in the current language (falls back to the unit as written)."""
    key = "u_" + unit.replace(" ", "_").replace("/", "_per_")
    text = t(key, lang)
    return unit if text == key else text
