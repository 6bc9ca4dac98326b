"""Shared AppTest helpers for the page tests: open a page through app.py's navigation on a data folder,
and read plotly arrays from a chart's spec."""
import base64
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_page(city, monkeypatch, page, lang="zh", values=None, state=None, timeout=120):
    """pages/<page>.py after a first run of app.py, with the language, working scenario and any session
    state given; fails on an exception."""
    monkeypatch.setenv("DIP_DATA", str(city))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["lang"] = lang
    if values is not None:
        at.session_state["scenario_values"] = values
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def decode(arr):
    """A plotly spec array: a list, or numpy's base64 form {dtype, bdata}."""
    if isinstance(arr, dict):
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
    return np.asarray(arr, dtype=float)
