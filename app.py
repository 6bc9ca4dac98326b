"""DIP what-if dashboard: navigation, sidebar and language live here; pages draw results."""
import streamlit as st

from ui import state
from ui.i18n import LANGS, t
from ui.sidebar import sidebar

st.set_page_config(page_title="DIP 点数法付费模拟", page_icon="📊", layout="wide")
state.init_state()
link_error = state.restore_from_query()

PAGES = [  # (file, title key, icon)
    ("pages/overview.py", "nav_overview", "🏠"),
    ("pages/budget.py", "nav_budget", "💰"),
    ("pages/groups.py", "nav_groups", "🗂️"),
    ("pages/coefficients.py", "nav_coefficients", "⚖️"),
    ("pages/hospitals.py", "nav_hospitals", "🏥"),
    ("pages/bands.py", "nav_bands", "📈"),
    ("pages/fund.py", "nav_fund", "🏦"),
    ("pages/scenarios.py", "nav_scenarios", "🗃️"),
    ("pages/data.py", "nav_data", "📂"),
    ("pages/rules.py", "nav_rules", "📜"),
]
pg = st.navigation([st.Page(f, title=t(k), icon=i, default=(n == 0)) for n, (f, k, i) in enumerate(PAGES)])
sidebar()
if link_error:
    st.warning(t("link_invalid", err=link_error))
pg.run()
state.sync_query()
