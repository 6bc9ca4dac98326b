"""Dictionary catalogs for the two languages; `t(key, **kw)` reads the session's language."""
from __future__ import annotations

from dip_model.report.labels import LANGS, catalog  # noqa: F401  (one reader of ui/locales for app and exports)
from dip_model.report.labels import money as _money


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
    return _money(v, lang or current_lang(), unit)


def unit_label(unit: str, lang: str | None = None) -> str:
    """A rule-set unit in the current language (falls back to the unit as written)."""
    key = "u_" + unit.replace(" ", "_").replace("/", "_per_")
    text = t(key, lang)
    return unit if text == key else text
