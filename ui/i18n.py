"""Dictionary catalogs for the two languages; `t(key, **kw)` reads the session's language."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dip_model.messages import Localisable, localise
from dip_model.report import labels
from dip_model.report.labels import LANGS  # noqa: F401  (the languages of app and exports alike)
from dip_model.report.labels import money as _money

LOCALES = Path(__file__).resolve().parent / "locales"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict:
    """The texts of charts and exports (dip_model/report/locales, read by dip_model.report.labels) and the
    dashboard's own (ui/locales/<lang>/*.yaml) in one catalog; a key defined twice, in two files or in
    both places, is refused."""
    return labels.read_folder(LOCALES / lang, f"ui/locales/{lang}", labels.catalog(lang))


def current_lang() -> str:
    try:
        import streamlit as st
        return st.session_state.get("lang", "zh")
    except Exception:
        return "zh"


def t(key: str, lang: str | None = None, **kw) -> str:
    """The page text `key`; a value that is an error or a message (dip_model.messages) is put in in the
    same language."""
    lang = lang or current_lang()
    text = catalog(lang).get(key) or catalog("zh").get(key) or key
    if not kw:
        return text
    return text.format(**{k: localise(v, lang) if isinstance(v, Localisable) else v for k, v in kw.items()})


def tr(message, lang: str | None = None) -> str:
    """An error, data problem or engine warning (DipError, Problem, Message; or any text) in the page's
    language: what every page shows instead of str(exc)."""
    return localise(message, lang or current_lang())


def money(v: float, lang: str | None = None, unit: str = "yuan") -> str:
    """Chinese conventions (万, 亿) in Chinese; thousands separators in English (one implementation,
    shared with the exports)."""
    return _money(v, lang or current_lang(), unit)


def unit_label(unit: str, lang: str | None = None) -> str:
    """A rule-set unit in the current language (falls back to the unit as written)."""
    key = "u_" + unit.replace(" ", "_").replace("/", "_per_")
    text = t(key, lang)
    return unit if text == key else text
