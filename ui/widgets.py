"""Inputs bound to rule-set parameters: label, unit, article and note come from the rule set's metadata,
the value from the working scenario, and a validation message appears next to the input at fault."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import streamlit as st

from . import state
from .i18n import current_lang, t, tr


def digest(obj: Any) -> str:
    """A short fingerprint of a value, for a widget key that must change when the value does."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:10]


def param_meta(path: str) -> dict:
    return state.builtin_params().info(path)


def param_label(path: str) -> str:
    return param_meta(path)["label"][current_lang()]


def param_help(path: str) -> str:
    m = param_meta(path)
    lang = current_lang()
    parts = [f"{t('article')}: {m.get('article', '')}", f"{t('unit')}: {m.get('unit', '')}",
             f"{t('rule_value')}: {m['value'] if m['value'] is not None else t('derived')}"]
    note = m.get("note", {}).get(lang)
    if note:
        parts.append(note)
    return " · ".join(parts)


def show_error_for(path: str, scheme: str | None = None) -> None:
    """If the working scenario is invalid because of this parameter (or this scheme's entry of it),
    say so right here."""
    _, err = state.params_or_error()
    where = state.error_path(err)
    if not where:
        return
    if scheme is not None:
        hit = where in (path, f"{path}.{scheme}")
    else:
        hit = where == path or where.startswith(path + ".") or where.startswith(path + "[")
    if hit:
        st.error(tr(err), icon="⚠️")


def number(path: str, *, step: float = 0.01, fmt: str | None = None, min_value: float | None = None,
           max_value: float | None = None, percent: bool = False, key: str | None = None,
           scheme: str | None = None) -> Any:
    """A number input for one parameter (or one scheme's entry of a per-scheme parameter).
    `percent` shows a rate as a percentage while storing the fraction."""
    cur = state.get_value(path)
    if scheme is not None and isinstance(cur, dict):
        cur = cur.get(scheme)
    shown = None if cur is None else (cur * 100.0 if percent else cur)
    paren = ("（{}）" if current_lang() == "zh" else " ({})")
    label = param_label(path) + (paren.format(t(scheme)) if scheme else "") + (paren.format("%") if percent else "")
    new = st.number_input(label, value=shown, step=step, format=fmt, min_value=min_value, max_value=max_value,
                          help=param_help(path), key=key or state.widget_key(path, scheme))
    new = None if new is None else (new / 100.0 if percent else new)
    if new != cur and not (new is not None and cur is not None and abs(new - cur) < 1e-15):
        if scheme is not None:
            whole = state.get_value(path)
            whole = dict(whole) if isinstance(whole, dict) else {s: whole for s in ("employee", "resident")}
            whole[scheme] = new
            state.set_value(path, whole)
        else:
            state.set_value(path, new)
    show_error_for(path, scheme)
    return new


def choice(path: str, *, key: str | None = None, labels: dict | None = None) -> Any:
    """A select box over the choices of a switch parameter (interpretations, methods)."""
    m = param_meta(path)
    options = m["choices"]
    cur = state.get_value(path)
    new = st.selectbox(param_label(path), options, index=options.index(cur) if cur in options else 0,
                       format_func=lambda x: (labels or {}).get(x, x), help=param_help(path),
                       key=key or state.widget_key(path))
    if new != cur:
        state.set_value(path, new)
    return new


def scheme_list() -> list[str]:
    f = st.session_state.get(state.K_SCHEME, "all")
    return ["employee", "resident"] if f == "all" else [f]
