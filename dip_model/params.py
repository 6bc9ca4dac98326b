"""Parameters as data: the built-in rule set (YAML with metadata) and a user's file merged over it."""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from . import yamlio
from .errors import ParameterError
from .messages import Items, Message

RULESETS = Path(__file__).with_name("rulesets")
DEFAULT_RULESET = "luzhou-2024"
_META_KEYS = {"value", "unit", "label", "article", "note", "choices"}


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and "label" in node


def load_ruleset(name: str = DEFAULT_RULESET) -> dict:
    with open(RULESETS / f"{name}.yaml", encoding="utf-8") as f:
        return yamlio.safe_load(f)


def leaf_info(meta: dict, path: str, value: Any) -> dict:
    """The metadata of one leaf of a YAML tree (rule set or assumptions) with its current value."""
    node: Any = meta
    for part in path.split("."):
        node = node[part]
    return {k: v for k, v in node.items() if k in _META_KEYS} | {"value": value}


def leaf_paths(meta: dict) -> list[str]:
    """Dotted paths of every leaf of a YAML tree, in file order."""
    out: list[str] = []

    def walk(node: dict, prefix: str) -> None:
        for k, v in node.items():
            if k in ("id", "title"):
                continue
            if _is_leaf(v):
                out.append(prefix + str(k))
            elif isinstance(v, dict):
                walk(v, prefix + str(k) + ".")

    walk(meta, "")
    return out


def _values(tree: dict) -> dict:
    """The plain value tree of a rule set (metadata stripped)."""
    out = {}
    for key, node in tree.items():
        if key in ("id", "title"):
            continue
        if _is_leaf(node):
            out[key] = copy.deepcopy(node["value"])
        elif isinstance(node, dict):
            out[key] = _values(node)
    return out


def _merge(meta: dict, values: dict, user: Mapping, path: str, given: set) -> None:
    """Merge a user mapping into `values`, following the rule set's shape in `meta`."""
    for key, val in user.items():
        key = str(key)
        where = f"{path}{key}"
        if key not in meta or key in ("id", "title"):
            raise ParameterError(Message("param_unknown", path=where))
        node = meta[key]
        if _is_leaf(node):
            old = values[key]
            if isinstance(old, dict) and isinstance(val, Mapping):
                merged = dict(old)
                merged.update({str(k): v for k, v in val.items()})
                values[key] = merged
            else:
                values[key] = copy.deepcopy(val)
            given.add(where)
        elif isinstance(val, Mapping):
            _merge(node, values[key], val, where + ".", given)
        else:
            raise ParameterError(Message("param_group", path=where, got=repr(val)))


@dataclass
class Params:
    """Merged parameter values plus the rule set's metadata."""

    values: dict
    meta: dict
    given: frozenset = frozenset()

    def get(self, path: str, default: Any = None) -> Any:
        node: Any = self.values
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def info(self, path: str) -> dict:
        """Metadata of one leaf: value, unit, label, article, note, choices."""
        return leaf_info(self.meta, path, self.get(path))

    def leaves(self) -> list[str]:
        return leaf_paths(self.meta)

    def interpretation(self, ident: str) -> str:
        return self.values["interpretations"][ident]

    def digest(self, *paths: str) -> str:
        """A stable hash of the values under the given paths (all when none)."""
        part = {p: self.get(p) for p in paths} if paths else self.values
        blob = json.dumps(part, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def with_values(self, changes: Mapping) -> "Params":
        """A copy with a nested mapping of changes merged in (validated)."""
        return load_params(changes, base=self)

    def user_values(self) -> dict:
        """The parameters that differ from the built-in rule set, as a nested mapping."""
        builtin = _values(self.meta)
        out: dict = {}
        for path in self.leaves():
            new, old = self.get(path), _get(builtin, path)
            if new != old:
                _set(out, path, new)
        return out


def _get(tree: dict, path: str) -> Any:
    for part in path.split("."):
        tree = tree[part]
    return tree


def _set(tree: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        tree = tree.setdefault(part, {})
    tree[parts[-1]] = value


def load_params(source: str | Path | Mapping | None = None, ruleset: str = DEFAULT_RULESET,
                base: Params | None = None) -> Params:
    """Merge a parameter file (or mapping) over the built-in rule set, then validate."""
    meta = base.meta if base is not None else load_ruleset(ruleset)
    values = copy.deepcopy(base.values) if base is not None else _values(meta)
    given = set(base.given) if base is not None else set()
    user = yamlio.read_mapping(source, Message("what_parameter_file"))
    try:
        _merge(meta, values, user, "", given)
        params = Params(values, meta, frozenset(given))
        _reconcile(params, user)
        validate_params(params)
    except ParameterError as err:
        if isinstance(source, (str, Path)):           # a user's file: say which one
            raise ParameterError(Message("param_in_file", message=err.message, file=str(source))) from None
        raise
    return params


def _reconcile(params: Params, user: Mapping) -> None:
    """I-8 has two spellings: point_value.per_scheme and interpretations.I-8."""
    v = params.values
    said_flag = "point_value.per_scheme" in params.given
    said_i8 = "interpretations.I-8" in params.given
    if said_flag and not said_i8:
        v["interpretations"]["I-8"] = "per_scheme" if v["point_value"]["per_scheme"] else "city"
    elif said_i8 and not said_flag:
        v["point_value"]["per_scheme"] = v["interpretations"]["I-8"] == "per_scheme"
    elif said_i8 and said_flag and (v["interpretations"]["I-8"] == "per_scheme") != bool(v["point_value"]["per_scheme"]):
        raise ParameterError(Message("param_i8_contradiction"))


# --- validation -------------------------------------------------------------------------------

def _num(path: str, v: Any, lo: float | None = None, hi: float | None = None, allow_none=False) -> None:
    if v is None and allow_none:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ParameterError(Message("param_not_number", path=path, got=repr(v)))
    if lo is not None and v < lo or hi is not None and v > hi:
        rng = f"[{lo if lo is not None else '-∞'}, {hi if hi is not None else '∞'}]"
        raise ParameterError(Message("param_outside", path=path, value=v, range=rng))


def _positive(path: str, v: Any, allow_none=False) -> None:
    """A number above 0 (a point value: 0 or less is refused with the parameter's name)."""
    if v is None and allow_none:
        return
    _num(path, v)
    if not v > 0:
        raise ParameterError(Message("param_positive", path=path, value=v))


def _monthly(path: str, v: Any) -> None:
    """null, or 12 numbers above 0 (January … December)."""
    if v is None:
        return
    if not isinstance(v, list) or len(v) != 12:
        raise ParameterError(Message("param_monthly", path=path, got=repr(v)))
    for i, x in enumerate(v):
        _positive(f"{path}[{i}]", x)


def _per_scheme(path: str, v: Any, lo: float | None, hi: float | None, positive: bool = False) -> None:
    """One value or one per scheme, each None or a number in [lo, hi] (`positive`: above 0)."""
    def check(where: str, x: Any) -> None:
        if positive:
            _positive(where, x, allow_none=True)
        else:
            _num(where, x, lo, hi, allow_none=True)
    if isinstance(v, Mapping):
        for k, x in v.items():
            if k not in ("employee", "resident"):
                raise ParameterError(Message("param_unknown_scheme", path=path, scheme=k))
            check(f"{path}.{k}", x)
    else:
        check(path, v)


def _bands(path: str, retained: Any, overspend: Any) -> None:
    if not isinstance(retained, list) or not retained:
        raise ParameterError(Message("param_bands_list", path=f"{path}.retained"))
    edge = 0.0
    for i, b in enumerate(retained):
        where = f"{path}.retained[{i}]"
        if not isinstance(b, Mapping) or not {"from", "to", "ratio"} <= set(b):
            raise ParameterError(Message("param_needs", path=where, fields=Items(("from", "to", "ratio"))))
        _num(where + ".from", b["from"], 0)
        _num(where + ".to", b["to"], 0, 1)
        if abs(b["from"] - edge) > 1e-12 or b["to"] <= b["from"]:
            raise ParameterError(Message("param_bands_gap", path=where, low=b["from"], high=b["to"]))
        edge = b["to"]
        r = b["ratio"]
        if isinstance(r, Mapping):
            if set(r) != {"slope", "intercept"}:
                raise ParameterError(Message("param_ratio_shape", path=f"{where}.ratio"))
            _num(where + ".ratio.slope", r["slope"])
            _num(where + ".ratio.intercept", r["intercept"])
        else:
            _num(where + ".ratio", r, 0, 1)
    if not isinstance(overspend, list):
        raise ParameterError(Message("param_overspend_list", path=f"{path}.overspend"))
    edge = 1.0
    for i, b in enumerate(overspend):
        where = f"{path}.overspend[{i}]"
        if not isinstance(b, Mapping) or not {"to", "rate"} <= set(b):
            raise ParameterError(Message("param_needs", path=where, fields=Items(("to", "rate"))))
        _num(where + ".to", b["to"])
        _num(where + ".rate", b["rate"], 0, 1)
        if b["to"] <= edge:
            raise ParameterError(Message("param_must_rise", path=f"{where}.to", value=b["to"], edge=edge))
        edge = b["to"]


def validate_params(p: Params) -> None:
    """Check every value's type and range, so the engine never meets a nonsensical parameter."""
    g = p.get
    _per_scheme("budget.growth_rate", g("budget.growth_rate"), -1, None)
    _per_scheme("budget.growth_cap", g("budget.growth_cap"), -1, None)
    _per_scheme("budget.adjustment", g("budget.adjustment"), None, None)
    _num("budget.adjustment_fund_cap", g("budget.adjustment_fund_cap"), 0, 1)
    if g("budget.prior_year_balanced") not in (None, True, False):
        raise ParameterError(Message("param_true_false_null", path="budget.prior_year_balanced"))
    _num("mean_cost_all", g("mean_cost_all"), 1e-9, None, allow_none=True)
    _per_scheme("payment_rate", g("payment_rate"), 1e-9, 1)
    _per_scheme("budget_point_value", g("budget_point_value"), None, None, positive=True)   # a point value: > 0
    _num("catalogue.core_min_cases", g("catalogue.core_min_cases"), 1)
    _num("catalogue.dx_key_length", g("catalogue.dx_key_length"), 3, 10)
    _num("catalogue.cv_monitor", g("catalogue.cv_monitor"), 0)
    _num("catalogue.grassroots_min_share", g("catalogue.grassroots_min_share"), 0, 1)
    _num("catalogue.dominance_share", g("catalogue.dominance_share"), 0, 1)
    yw = g("catalogue.year_weights")
    if yw is not None and (not isinstance(yw, list) or not yw or any(isinstance(x, bool) or not isinstance(x, (int, float)) or x < 0 for x in yw)):
        raise ParameterError(Message("param_year_weights", path="catalogue.year_weights"))
    pf = g("catalogue.policy_factors")
    if not isinstance(pf, Mapping):
        raise ParameterError(Message("param_mapping_of", path="catalogue.policy_factors", what="group_id → factor"))
    for k, x in pf.items():
        _num(f"catalogue.policy_factors.{k}", x, 0)
    for name in ("unmatched_factor", "low_factor"):
        _num(f"cases.{name}", g(f"cases.{name}"), 0)
    _num("cases.low_ratio", g("cases.low_ratio"), 0)
    _num("cases.high_ratio", g("cases.high_ratio"), 0)
    if g("cases.high_ratio") <= g("cases.low_ratio"):
        raise ParameterError(Message("param_above", path="cases.high_ratio", other="cases.low_ratio"))
    _num("cases.special_rate", g("cases.special_rate"), 0, 1)
    _num("cases.special_min", g("cases.special_min"), 0)
    _num("cases.readmit_days", g("cases.readmit_days"), 0)
    lv = g("coefficients.level")
    if not isinstance(lv, Mapping):
        raise ParameterError(Message("param_mapping_of", path="coefficients.level", what="category → coefficient"))
    for k, x in lv.items():
        _num(f"coefficients.level.{k}", x, 0)
    _num("coefficients.bonus_cap", g("coefficients.bonus_cap"), 0)
    _num("assessment_share", g("assessment_share"), 0, 1)
    for name in ("assessment_score", "violation_amount"):
        m = g(f"hospital_data.{name}")
        if not isinstance(m, Mapping):
            raise ParameterError(Message("param_mapping_of", path=f"hospital_data.{name}", what="hospital_id → value"))
        for k, x in m.items():
            _num(f"hospital_data.{name}.{k}", x, 0)
    _num("point_value.decimals", g("point_value.decimals"), 0, 10)
    _num("point_value.quality_iqr_k", g("point_value.quality_iqr_k"), 0)
    for scheme in ("employee", "resident"):
        _positive(f"point_value.given.{scheme}", g(f"point_value.given.{scheme}"), allow_none=True)
        _monthly(f"point_value.budget_monthly.{scheme}", g(f"point_value.budget_monthly.{scheme}"))
    for scheme in ("employee", "resident"):
        _bands(f"sharing.{scheme}", g(f"sharing.{scheme}.retained"), g(f"sharing.{scheme}.overspend"))
    _num("fund_balance.guidance_months_low", g("fund_balance.guidance_months_low"), 0)
    _num("fund_balance.guidance_months_high", g("fund_balance.guidance_months_high"), 0)
    # every choice parameter must name one of its choices
    for path in p.leaves():
        choices = p.info(path).get("choices")
        if choices and g(path) not in choices:
            raise ParameterError(Message("param_not_choice", path=path, value=repr(g(path)), choices=Items(map(str, choices))))
    cut = str(g("coefficients.level_change_cutoff"))
    try:
        m, d = (int(x) for x in cut.split("-"))
        assert 1 <= m <= 12 and 1 <= d <= 31
    except (ValueError, AssertionError):
        raise ParameterError(Message("param_cutoff", path="coefficients.level_change_cutoff")) from None
    _validate_bonus_rules(g("coefficients.bonus_rules"))


def _validate_tiers(path: str, tiers: Any) -> None:
    if not isinstance(tiers, list):
        raise ParameterError(Message("param_tiers", path=path))
    for i, t in enumerate(tiers):
        if not isinstance(t, Mapping) or not {"min", "add"} <= set(t):
            raise ParameterError(Message("param_needs", path=f"{path}[{i}]", fields=Items(("min", "add"))))
        _num(f"{path}[{i}].min", t["min"])
        _num(f"{path}[{i}].add", t["add"])


def _validate_bonus_rules(rules: Mapping) -> None:
    base = "coefficients.bonus_rules"
    for name in ("cmi", "elderly_share", "child_share"):
        _validate_tiers(f"{base}.{name}", rules[name])
    for k, v in rules["key_specialty"].items():
        _num(f"{base}.key_specialty.{k}", v)
    for k, v in rules["tcm_hospital"].items():
        _validate_tiers(f"{base}.tcm_hospital.{k}", v)


def per_scheme(value: Any, scheme: str) -> Any:
    """A parameter that may be one value or a mapping per scheme."""
    if isinstance(value, Mapping):
        return value.get(scheme)
    return value
