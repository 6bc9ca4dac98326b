"""Dashboard helpers (no policy logic here: every figure comes from dip_model)."""


def _through_app() -> None:
    """A page opened by its own address before app.py has run once in this process would run alone
    (Streamlit's legacy `pages/` mode, without the sidebar). Switch that mode off and run again through
    app.py's navigation."""
    try:
        import streamlit as st
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return
    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        PagesManager.uses_pages_directory = False
        st.rerun()


_through_app()
