"""DIP what-if dashboard: navigation, sidebar and language live here; pages draw results."""
import streamlit as st

from ui.i18n import LANGS, t

st.set_page_config(page_title="DIP 点数法付费模拟", page_icon="📊", layout="wide")
st.session_state.setdefault("lang", "zh")

with st.sidebar:
    lang = st.radio(t("language"), LANGS, index=LANGS.index(st.session_state["lang"]),
                    format_func=lambda x: {"zh": "中文", "en": "English"}[x], horizontal=True)
    st.session_state["lang"] = lang

pages = [st.Page("pages/overview.py", title=t("overview"), icon="🏠", default=True)]
st.navigation(pages).run()
