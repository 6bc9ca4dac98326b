"""Placeholder until the page is built."""
import streamlit as st

from ui.i18n import t

st.title(t("nav_hospitals"))
st.info(t("coming_soon"))
