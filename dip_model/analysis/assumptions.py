"""Projection assumptions as data (rulesets/projection.yaml): growth of volumes, costs and revenue, the
drift of the payment ratio and the points-race response. Model assumptions, not articles; each leaf has
value, unit, zh/en label, article ("projection assumption", with the article it feeds) and note.

A growth leaf holds one number for every year or a list of up to 5 numbers, one per projected year
(entry 1 = year 1 → year 2); a shorter list repeats its last entry. `revenue_growth` may also be a mapping
per scheme."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .. import yamlio
from ..errors import ParameterError
from ..messages import Message
from ..params import RULESETS, _merge, _values, leaf_info, leaf_paths

MAX_YEARS = 5
LEVELS = ("3A", "3B", "2A", "2B", "1")          # the levels with their own volume growth; others: `other`


def _load_meta() -> dict:
    with open(RULESETS / "projection.yaml", encoding="utf-8") as f:
        return yamlio.safe_load(f)


@dataclass
class Assumptions:
    values: dict
    meta: dict

    def get(self, path: str) -> Any:
        node: Any = self.values
        for part in path.split("."):
            node = node[part]
        return node

    def info(self, path: str) -> dict:
        return leaf_info(self.meta, path, self.get(path))

    def leaves(self) -> list[str]:
        return leaf_paths(self.meta)

    @property
    def years(self) -> int:
        return int(self.get("years"))

    def at(self, path: str, year: int, scheme: str | None = None) -> float | None:
        """The value that applies to the change from year `year − 1` to `year` (year ≥ 2)."""
        return value_at(self.get(path), year, scheme)

    def volume_growth(self, level: str, year: int) -> float:
        key = str(level) if str(level) in LEVELS else "other"
        g = self.at(f"volume_growth.{key}", year)
        assert g is not None            # validate_assumptions: a number or a non-empty per-year list
        return g

    def with_values(self, changes: Mapping) -> "Assumptions":
        return load_assumptions(changes, base=self)

    def user_values(self) -> dict:
        builtin = _values(self.meta)
        out: dict = {}
        for path in self.leaves():
            new = self.get(path)
            node = builtin
            for part in path.split("."):
                node = node[part]
            if new != node:
                cur = out
                parts = path.split(".")
                for part in parts[:-1]:
                    cur = cur.setdefault(part, {})
                cur[parts[-1]] = new
        return out


def value_at(v: Any, year: int, scheme: str | None = None) -> float | None:
    """A scalar, a per-year list (entry 1 = into year 2; the last entry repeats) or a per-scheme mapping."""
    if isinstance(v, Mapping):
        v = v.get(scheme)
    if isinstance(v, list):
        return float(v[min(max(year - 2, 0), len(v) - 1)]) if v else None
    return None if v is None else float(v)


def load_assumptions(source: str | Path | Mapping | None = None, base: Assumptions | None = None) -> Assumptions:
    """Merge a user's assumption file (or mapping) over rulesets/projection.yaml, then validate."""
    meta = base.meta if base is not None else _load_meta()
    values = copy.deepcopy(base.values) if base is not None else _values(meta)
    user = yamlio.read_mapping(source, Message("what_assumption_file"))
    _merge(meta, values, _str_keys(user), "", set())
    a = Assumptions(values, meta)
    validate_assumptions(a)
    return a


def _str_keys(m: Mapping) -> dict:
    """YAML reads the level key 1 as an integer: use the string, as the rule set does."""
    return {str(k): (_str_keys(v) if isinstance(v, Mapping) and str(k) != "revenue_growth" else v)
            for k, v in m.items()}


def _number(path: str, v: Any, lo: float | None, allow_none: bool) -> None:
    if v is None and allow_none:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ParameterError(Message("assumption_not_number", path=path, got=repr(v)))
    if lo is not None and v <= lo:
        raise ParameterError(Message("assumption_above", path=path, value=v, low=lo))


def _per_year(path: str, v: Any, lo: float | None, allow_none: bool = False) -> None:
    if isinstance(v, list):
        if not 1 <= len(v) <= MAX_YEARS:
            raise ParameterError(Message("assumption_per_year", path=path, max=MAX_YEARS))
        for i, x in enumerate(v):
            _number(f"{path}[{i}]", x, lo, False)
    else:
        _number(path, v, lo, allow_none)


def validate_assumptions(a: Assumptions) -> None:
    y = a.get("years")
    if isinstance(y, bool) or not isinstance(y, int) or not 1 <= y <= MAX_YEARS:
        raise ParameterError(Message("assumption_years", max=MAX_YEARS, got=repr(y)))
    for lv in (*LEVELS, "other"):
        _per_year(f"volume_growth.{lv}", a.get(f"volume_growth.{lv}"), -1)
    _per_year("cost_growth", a.get("cost_growth"), -1)
    _per_year("other_lines_growth", a.get("other_lines_growth"), -1)
    _per_year("ratio_drift", a.get("ratio_drift"), None)
    rg = a.get("revenue_growth")
    if isinstance(rg, Mapping):
        for k, x in rg.items():
            if k not in ("employee", "resident"):
                raise ParameterError(Message("assumption_unknown_scheme", path="revenue_growth", scheme=k))
            _per_year(f"revenue_growth.{k}", x, -1, allow_none=True)
    else:
        _per_year("revenue_growth", rg, -1, allow_none=True)
    e = a.get("points_race.elasticity")
    _number("points_race.elasticity", e, None, False)
    if e < 0:
        raise ParameterError(Message("assumption_not_negative", path="points_race.elasticity", value=e))
    _number("points_race.max_volume_growth", a.get("points_race.max_volume_growth"), -1, True)
    _number("points_race.initial_point_value_change", a.get("points_race.initial_point_value_change"), -1, False)
    for name in ("volume_growth_sd", "cost_growth_sd", "revenue_growth_sd"):
        v = a.get(f"spread.{name}")
        _number(f"spread.{name}", v, None, False)
        if not 0 <= v <= 0.5:
            raise ParameterError(Message("assumption_between", path=f"spread.{name}", value=v, low=0, high=0.5))
