"""Small texts the pages share: a band label in words, and format functions for select boxes whose
labels are fixed in the language of this run (AppTest, and Streamlit on a later redraw, call a
format function after the session's language may have changed)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dip_model.report import labels

from .i18n import current_lang, t


def band_text(label: str) -> str:
    """A band label of the results (under_70, 70_90, 90_100, over_100, …) in words."""
    return labels.band_text(label, current_lang())


def level_text(level: Any) -> str:
    """A hospital level code (3A, 2B …) in words (三级甲等 …); any other value as it is."""
    return labels.level_text(level, current_lang())


def labeller(prefix: str = "", **kw: Any) -> Callable[[Any], str]:
    """A format function: the page text `prefix + option`, in this run's language."""
    lang = current_lang()
    return lambda option: t(f"{prefix}{option}", lang, **kw)


def scheme_labeller() -> Callable[[Any], str]:
    """A format function over the schemes, "all" being both."""
    lang = current_lang()
    return lambda scheme: t("all_schemes" if scheme == "all" else scheme, lang)


def fixed(table: Mapping[Any, str]) -> Callable[[Any], str]:
    """A format function over labels written now (an option not in the table shows as itself)."""
    return lambda option: table.get(option, str(option))
