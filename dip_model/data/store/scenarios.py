"""Saved scenarios: their values checked against the rule set and kept as the changes, written as and
read from YAML a person can edit, and the number of parameters they change."""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any, Mapping

import yaml

from ... import yamlio
from ...errors import ParameterError
from ...messages import Items, Message
from ...params import DEFAULT_RULESET, Params, load_params
from .database import StoreError, _now

_DOC_KEYS = {"name", "note", "created", "updated", "ruleset", "values"}   # exported YAML


@lru_cache(maxsize=2)
def _builtin(ruleset: str) -> Params:
    return load_params(None, ruleset=ruleset)


@lru_cache(maxsize=2)
def _leaf_paths(ruleset: str) -> frozenset:
    return frozenset(_builtin(ruleset).leaves())


def _scenario_values(values: Any, ruleset: str = DEFAULT_RULESET) -> dict:
    """Validated values, reduced to what differs from the rule set (ParameterError if invalid)."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ParameterError(Message("scenario_values_mapping"))
    clean = _builtin(ruleset).with_values(values).user_values()
    try:
        json.dumps(clean, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ParameterError(Message("scenario_unsavable", reason=str(err))) from None
    return clean


def scenario_yaml(name: str, values: Mapping, note: str = "", created: datetime | None = None,
                  ruleset: str = DEFAULT_RULESET) -> str:
    """A scenario as YAML (name, note, created, ruleset, values), e.g. an unsaved one."""
    doc = {"name": name, "note": note or "", "created": (created or _now()).isoformat(sep=" "),
           "ruleset": ruleset, "values": dict(values)}
    head = ("# DIP 情景 / DIP scenario\n"
            "# values：相对规则集（ruleset）改动的参数 / the parameters changed from the rule set.\n"
            "# 在“情景”页导入 / import it on the Scenarios page.\n")
    return head + yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                            default_flow_style=False, width=100)


class _Dumper(yaml.SafeDumper):
    """Safe YAML with multi-line text (a note) written as a readable block."""


def _text(dumper: yaml.SafeDumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _text)


def _read_scenario_yaml(text: str | bytes, name: str | None) -> tuple[str, Any, str]:
    """(name, values, note) of a scenario in YAML: an exported scenario (name, note, values) or a
    plain parameter file (then `name` is needed). The values are not validated here."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise StoreError(Message("scenario_not_utf8"), code="yaml", detail=Message("text_not_utf8")) from None
    try:
        doc = yamlio.safe_load(text)
    except yaml.YAMLError as err:
        raise StoreError(Message("scenario_yaml", reason=str(err)), code="yaml", detail=str(err)) from None
    if doc is None:
        raise StoreError(Message("scenario_empty"), code="yaml_empty")
    if not isinstance(doc, Mapping):
        raise StoreError(Message("scenario_shape"), code="yaml_shape")
    note = ""
    if "values" in doc:                      # an exported scenario
        unknown = sorted(str(k) for k in doc if k not in _DOC_KEYS)
        if unknown:
            raise StoreError(Message("scenario_key", key=unknown[0], expected=Items(sorted(_DOC_KEYS))),
                             code="yaml_key", key=unknown[0])
        ruleset = doc.get("ruleset") or DEFAULT_RULESET
        if ruleset != DEFAULT_RULESET:
            raise StoreError(Message("scenario_ruleset", ruleset=str(ruleset), current=DEFAULT_RULESET),
                             code="ruleset", ruleset=str(ruleset))
        values, note = doc["values"], doc.get("note") or ""
        name = name or (None if doc.get("name") is None else str(doc["name"]))
    else:                                    # a plain parameter file
        values = doc
    if not name:
        raise StoreError(Message("scenario_no_name"), code="yaml_name")
    return name, values, str(note)


def count_changes(values: Mapping, prefix: str = "") -> int:
    """How many parameters a nested mapping changes (a mapping inside a leaf counts once)."""
    leaves = _leaf_paths(DEFAULT_RULESET)
    n = 0
    for k, v in values.items():
        path = prefix + str(k)
        if path in leaves or not isinstance(v, Mapping):
            n += 1
        else:
            n += count_changes(v, path + ".")
    return n
