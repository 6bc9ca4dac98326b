"""演示模式 Presentation mode: the key figures and the report's charts (the same figure builders), one at a
time, full screen with large type, stepped through with previous / next; the sidebar and the app's
controls are hidden, a link leads back."""
from __future__ import annotations

import streamlit as st

from dip_model.report import Scenario, charts
from ui import state
from ui.access import may_open
from ui.cards import unit
from ui.i18n import current_lang, t

K_STEP = "prs_step"
CSS = """<style>
[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stSidebarNav'],
header[data-testid='stHeader'], [data-testid='stToolbar'], [data-testid='stDecoration'],
[data-testid='stStatusWidget'], footer {display: none !important;}
[data-testid='stMainBlockContainer'] {padding: 1.2rem 2.5rem 1rem 2.5rem; max-width: 100%;}
[data-testid='stMain'] h1 {font-size: 2.6rem;}
[data-testid='stMain'] p, [data-testid='stMain'] button p {font-size: 1.35rem;}
[data-testid='stMetricLabel'] p {font-size: 1.6rem !important;}
[data-testid='stMetricValue'], [data-testid='stMetricValue'] * {font-size: 3.4rem !important; line-height: 1.25;}
</style>"""


def slides(sc: Scenario) -> list[tuple[str, object]]:
    """(heading, figure or None for the key figures) in the report's order."""
    return [(t("prs_keyfig_title"), None)] + [(head, fig) for _, head, fig, _ in sc.figures()]


def go_to(n: int, total: int) -> None:
    st.session_state[K_STEP] = max(0, min(total - 1, n))


def key_figures(sc: Scenario) -> None:
    for s in sc.schemes:
        cur = sc.res.summary["schemes"][s]
        b = sc.base.summary["schemes"].get(s) if sc.base is not None else None
        st.markdown(f"### {t(s)}")
        cols = st.columns(3)
        last = ("months_of_payment", "months") if sc.res.mode != "hospital" else ("total_year_end_settlement", "money")
        for col, (key, kind) in zip(cols, (("settlement_point_value", "pv"), ("total_final_payment", "money"), last)):
            delta = sc.fmt_change(kind, cur[key], b[key]) if b else None
            if b and delta not in (None, "", "0"):
                # the change is written with a typographic minus, which Streamlit does not read as negative
                col.metric(t(key), sc.fmt(kind, cur[key]), delta, delta_color="off", border=True,
                           delta_arrow="up" if cur[key] > b[key] else "down")
            else:
                col.metric(t(key), sc.fmt(kind, cur[key]), None, delta_color="off", delta_arrow="off", border=True)


def page() -> None:
    st.html(CSS)
    with st.spinner(t("loading")):
        res, base, err, _ = state.results_and_baseline()     # no baseline: no changes shown
    back = "pages/overview.py" if may_open("overview") else "pages/scenarios.py"     # a viewer: its scenarios
    st.page_link(back, label=t("prs_exit"), icon=":material/close:")
    if res is None:
        st.error(t("prs_invalid", err=err), icon="⚠️")
        return
    ss = st.session_state
    state.prime_projection(res)
    sc = Scenario(res, base, name=ss.get(state.K_NAME), lang=current_lang(), unit=unit())
    items = slides(sc)
    total = len(items)
    step = max(0, min(total - 1, int(ss.get(K_STEP, 0))))
    ss[K_STEP] = step
    head, fig = items[step]
    top = st.columns([8, 1.2, 1.2, 1])
    top[0].title(head)
    top[1].button(t("prs_prev"), key="prs_prev", on_click=go_to, args=(step - 1, total), disabled=step == 0,
                  width="stretch", icon=":material/chevron_left:")
    top[2].button(t("prs_next"), key="prs_next", on_click=go_to, args=(step + 1, total), disabled=step == total - 1,
                  width="stretch", icon=":material/chevron_right:")
    top[3].markdown(f"**{t('prs_step', n=step + 1, total=total)}**")
    if fig is None:
        st.caption(f"{t('rep_scenario')}：{sc.title_name} · {t('rep_baseline')}：{sc.baseline_title}"
                   if sc.lang == "zh" else f"{t('rep_scenario')}: {sc.title_name} · {t('rep_baseline')}: {sc.baseline_title}")
        key_figures(sc)
    else:
        big = charts.enlarge(fig, size=22, height=720)
        # theme=None: the figure's own (large) fonts, not the app theme's
        st.plotly_chart(big, width="stretch", key=f"prs_fig_{step}", theme=None, config={"displayModeBar": False})


state.run_page(page)
