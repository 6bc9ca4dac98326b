"""DIP what-if dashboard: navigation, sidebar and language live here; pages draw results."""
import streamlit as st

from ui import state
from ui.i18n import t
from ui.sidebar import scenario_line, sidebar

st.set_page_config(page_title="DIP 点数法付费模拟", page_icon=":material/monitoring:", layout="wide")
state.init_state()
# figures on cards: a size at which '2,232.30 万元' fits a quarter-width card
st.html("<style>[data-testid='stMetricValue'] > div {font-size: 1.7rem;}</style>")
link_error = state.restore_from_query()

SECTIONS = {  # section title key → (file, title key, icon)
    "sec_settlement": [
        ("pages/overview.py", "nav_overview", ":material/dashboard:"),
        ("pages/budget.py", "nav_budget", ":material/account_balance_wallet:"),
        ("pages/groups.py", "nav_groups", ":material/category:"),
        ("pages/coefficients.py", "nav_coefficients", ":material/balance:"),
        ("pages/hospitals.py", "nav_hospitals", ":material/local_hospital:"),
        ("pages/bands.py", "nav_bands", ":material/show_chart:"),
        ("pages/fund.py", "nav_fund", ":material/savings:"),
    ],
    "sec_analysis": [
        ("pages/projection.py", "nav_projection", ":material/trending_up:"),
        ("pages/sensitivity.py", "nav_sensitivity", ":material/tune:"),
        ("pages/uncertainty.py", "nav_uncertainty", ":material/ssid_chart:"),
        ("pages/hospital_forecast.py", "nav_hospital_forecast", ":material/query_stats:"),
    ],
    "sec_present": [
        ("pages/reports.py", "nav_reports", ":material/description:"),
        ("pages/present.py", "nav_present", ":material/slideshow:"),
    ],
    "sec_manage": [
        ("pages/scenarios.py", "nav_scenarios", ":material/bookmarks:"),
        ("pages/data.py", "nav_data", ":material/folder_open:"),
        ("pages/rules.py", "nav_rules", ":material/gavel:"),
    ],
}
PAGES = [p for pages in SECTIONS.values() for p in pages]
pg = st.navigation({t(sec): [st.Page(f, title=t(k), icon=i, default=(f == PAGES[0][0])) for f, k, i in pages]
                    for sec, pages in SECTIONS.items()}, expanded=True)
line = sidebar()
if link_error:
    st.warning(t("link_invalid", err=link_error))
state.run_page(pg.run)            # the one guard: a data problem as its message, a bug as a short notice
scenario_line(line)                # counts a change the page itself made
state.sync_query()
