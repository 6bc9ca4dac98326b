"""Money in the unit the sidebar chose: on metric cards (overview, budget, fund …), and the unit's name
in headers and axes."""
from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from . import state
from .i18n import current_lang, money, t


def unit() -> str:
    return st.session_state.get(state.K_UNIT, "yuan")


def scale() -> float:
    """Divisor from yuan to the unit shown."""
    return 1e4 if unit() == "wan" else 1.0


def unit_name() -> str:
    """The unit in table headers and axes (元 / 万元; "10k yuan")."""
    return t(f"hb_unit_{unit()}")


def unit_text() -> str:
    """The unit as the sidebar names it (元 / 万元; "10k yuan (万元)")."""
    return t(f"unit_{unit()}")


def metric_money(v: float) -> str:
    """A metric value: Chinese 万/亿 or ¥ in yuan; a bare number in 万元 (the label names the unit)."""
    return f"{v / 1e4:,.2f}" if unit() == "wan" else money(v)


def card_money(v: float, sign: bool = False) -> str:
    """In Chinese by money() (万/亿元); in English a bare number whose unit is in the label, to the
    yuan (a full '¥16,382,216.35' does not fit a quarter-width card)."""
    a = abs(v) if sign else v
    if current_lang() == "zh":
        txt = money(a, unit=unit())
    else:
        txt = f"{a:,.0f}" if unit() == "yuan" else f"{a / 1e4:,.2f}"
    return (("+" if v > 0 else "-") + txt) if sign else txt


def wan_label(label: str) -> str:
    """A metric label, with the unit when money is shown in 万元 (the value then carries none)."""
    return label + (t("hb_unit_suffix", unit=unit_name()) if unit() == "wan" else "")


def card_label(label: str) -> str:
    """The label of a money card: in English it carries the unit."""
    return label if current_lang() == "zh" else t("card_label_" + unit(), label=label)


def compared_metric(col: DeltaGenerator, label: str, value: str, delta: str | None, compared: bool, texts: str,
                    help: str | None = None) -> None:
    """A bordered card with its change against the baseline: the change with its arrow, "no change" when
    there is a baseline and the figure is the same, nothing without a baseline. `texts` is the page's
    prefix of the keys <texts>_no_change and <texts>_vs_baseline."""
    col.metric(label, value, delta or (t(f"{texts}_no_change") if compared else None), border=True, help=help,
               delta_color="off", delta_arrow="auto" if delta else "off",
               delta_description=t(f"{texts}_vs_baseline") if delta else None)


def not_applicable(col: DeltaGenerator, label: str, article: str) -> None:
    """A card for a step a hospital folder does not compute (it needs the whole city's data): said so,
    never a figure from part of the city."""
    col.metric(label, t("hp_na"), t("hp_na_city"), delta_color="off", delta_arrow="off",
               help=t("hp_na_help", article=article))
