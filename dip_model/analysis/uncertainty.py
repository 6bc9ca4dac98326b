"""The assumptions of the Monte Carlo draws and the hospital forecast, as data
(rulesets/uncertainty.yaml: value, unit, range, zh/en label, note); a user's file or mapping gives only
what it changes and is checked against the names and ranges there."""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .. import yamlio
from ..errors import ParameterError
from ..messages import Message

FILE = Path(__file__).parents[1] / "rulesets" / "uncertainty.yaml"
# the spreads a zero-variance run sets to 0 (and poisson off)
SPREADS = ("volume.city_sd", "volume.dispersion", "cost.city_sd", "cost.hospital_sd", "case_mix.tilt_sd")


def _leaf(node) -> bool:
    return isinstance(node, dict) and "value" in node and "label" in node


@dataclass(frozen=True)
class Uncertainty:
    meta: dict
    values: dict            # path → value

    def get(self, path: str) -> Any:
        return self.values[path]

    def info(self, path: str) -> dict:
        node: Any = self.meta
        for part in path.split("."):
            node = node[part]
        return {k: v for k, v in node.items() if k in ("unit", "label", "note", "range")} | {"value": self.get(path)}

    def leaves(self) -> list[str]:
        return list(self.values)

    def with_values(self, changes: Mapping) -> "Uncertainty":
        return load_uncertainty(changes, base=self)

    def zero(self) -> "Uncertainty":
        """No spread at all: every draw is the year in the data (× the expected growths)."""
        return self.with_values({**{p: 0.0 for p in SPREADS}, "volume.poisson": False})

    def user_values(self) -> dict:
        """Values that differ from the file's, as a flat path → value mapping."""
        builtin = load_uncertainty()
        return {p: v for p, v in self.values.items() if builtin.values[p] != v}

    def digest(self) -> str:
        blob = json.dumps(self.values, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _read_meta() -> dict:
    with open(FILE, encoding="utf-8") as f:
        return yamlio.safe_load(f)


def _flatten(meta: dict, prefix: str = "") -> dict:
    out = {}
    for k, node in meta.items():
        if k in ("id", "title"):
            continue
        if _leaf(node):
            out[prefix + k] = copy.deepcopy(node["value"])
        elif isinstance(node, dict):
            out.update(_flatten(node, prefix + k + "."))
    return out


def _user_paths(user: Mapping, prefix: str = "") -> dict:
    """A nested or dotted mapping as path → value."""
    out = {}
    for k, v in user.items():
        path = prefix + str(k)
        if isinstance(v, Mapping):
            out.update(_user_paths(v, path + "."))
        else:
            out[path] = v
    return out


def _check(path: str, value: Any, node: dict) -> Any:
    if node.get("unit") == "switch":
        if not isinstance(value, bool):
            raise ParameterError(Message("uncertainty_switch", path=path, got=repr(value)))
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ParameterError(Message("uncertainty_not_number", path=path, got=repr(value)))
    lo, hi = node.get("range", (None, None))
    if lo is not None and value < lo or hi is not None and value > hi:
        raise ParameterError(Message("uncertainty_outside", path=path, value=value, low=lo, high=hi))
    return int(value) if isinstance(node["value"], int) and not isinstance(node["value"], bool) else float(value)


def load_uncertainty(source: str | Path | Mapping | None = None, base: Uncertainty | None = None) -> Uncertainty:
    """The built-in assumptions with a file (YAML) or mapping merged over them; unknown names and values
    out of range are refused with the parameter's name."""
    meta = base.meta if base is not None else _read_meta()
    values = dict(base.values) if base is not None else _flatten(meta)
    user = yamlio.read_mapping(source, Message("what_uncertainty_file"))
    for path, v in _user_paths(user).items():
        if path not in values:
            raise ParameterError(Message("uncertainty_unknown", path=path))
        node: Any = meta
        for part in path.split("."):
            node = node[part]
        values[path] = _check(path, v, node)
    return Uncertainty(meta, values)
