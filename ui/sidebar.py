"""The sidebar on every page: language, scenario, baseline, scheme filter, money unit."""
from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dip_model.data.store import count_changes

from . import state
from .i18n import LANGS, t
from .texts import labeller, scheme_labeller


def scenario_line(slot) -> None:
    """The scenario's name and number of changes; written again after the page has run, so a change
    the page made (an edited band table) is counted at once."""
    ss = st.session_state
    name = ss.get(state.K_NAME)
    colon = "：" if ss["lang"] == "zh" else ": "
    n = count_changes(state.values()) if state.values() else 0
    slot.markdown(f"**{t('current_scenario')}**{colon}{name or t('unsaved_scenario')}"
                  + (f" · {t('n_changes', n=n)}" if n else ""))


def sidebar() -> DeltaGenerator:
    """Draws the sidebar; returns the slot of the scenario line (see scenario_line)."""
    ss = st.session_state
    with st.sidebar:
        lang = st.radio(t("language"), LANGS, index=LANGS.index(ss["lang"]), horizontal=True,
                        format_func=lambda x: {"zh": "中文", "en": "English"}[x], key="sb_lang")
        if lang != ss["lang"]:
            ss["lang"] = lang
            st.rerun()
        line = st.empty()
        scenario_line(line)
        changed = bool(state.values())
        st.caption(t("baseline_is", name=t("builtin_rules") if ss[state.K_BASELINE_NAME] == state.BUILTIN
                     else ss[state.K_BASELINE_NAME]))
        if changed and st.button(t("reset_scenario"), key="sb_reset", width="stretch"):
            state.set_values({})
            ss[state.K_NAME] = None
            st.rerun()
        opts = ["all", "employee", "resident"]
        ss[state.K_SCHEME] = st.selectbox(t("scheme_filter"), opts, index=opts.index(ss[state.K_SCHEME]),
                                          format_func=scheme_labeller(),
                                          key=f"sb_scheme_{lang}")
        units = ["yuan", "wan"]
        ss[state.K_UNIT] = st.radio(t("money_unit"), units, index=units.index(ss[state.K_UNIT]), horizontal=True,
                                    format_func=labeller("unit_"), key=f"sb_unit_{lang}")
    return line
