"""Sensitivity of one output to the parameters: tornado (each parameter moved down and up, by default
±10 %), one-way sweep (the output against one parameter over N points) and grid sweep (the cartesian
product of a YAML grid). Runs go through `parallel.map_tasks` (Dask); a parameter that leaves the case
rules alone re-runs only the hospital-level stage on the shared case stage, a case-rule parameter
re-scores the cases (engine.CASE_KEYS).

A parameter is named by a *slot*: a rule-set path, optionally into a mapping or list
(`budget.growth_rate.employee`, `coefficients.level.2A`, `sharing.employee.overspend[0].rate`), or one of
the derived slots of the sharing bands:
- `sharing.<scheme>.retained_edge_low`  the edge between the first two retained bands (0.7; A-36);
- `sharing.<scheme>.retained_edge_high` the upper edge of the retained bands (0.9; A-36);
- `sharing.<scheme>.overspend_width`    how far the overspend bands reach above 100 % (0.4: every edge
  1 + (to − 1) scaled together; A-36).
A slot whose rule-set value is null takes the value the engine derived (the budget growth = g_R, the
computed level coefficient, ρ, PV_b, M), so it can be moved like any other."""
from __future__ import annotations

import copy
import itertools
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .. import yamlio
from ..data.dataset import SCHEMES, DataSet
from ..errors import DipError, ParameterError
from ..messages import Items, Message
from ..params import Params, load_params
from ..rules.pipeline import CASE_KEYS, Results, case_stage, require_city, settle
from .parallel import map_tasks

METRICS = ("point_value", "total_payouts", "closing_balance", "final_payment", "year_end_settlement")
DEFAULT_SLOTS = (
    "budget.growth_rate.employee", "budget.growth_rate.resident", "budget.growth_cap",
    "budget.adjustment_fund_cap", "assessment_share",
    "sharing.employee.retained_edge_low", "sharing.employee.retained_edge_high",
    "sharing.resident.retained_edge_low", "sharing.employee.retained[1].ratio",
    "sharing.employee.overspend[0].rate", "sharing.resident.overspend[0].rate",
    "sharing.employee.overspend_width", "sharing.resident.overspend_width",
    "cases.high_ratio", "cases.low_ratio", "cases.low_factor", "cases.special_rate",
    "coefficients.level.2A", "coefficients.level.1", "coefficients.bonus_cap",
)
MAX_GRID_RUNS = 5000
_DERIVED = re.compile(r"^sharing\.(employee|resident)\.(retained_edge_low|retained_edge_high|overspend_width)$")
_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_CASE_LOCK = threading.Lock()      # the DataSet's stage cache is not meant for concurrent writers


# --- outputs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    """One output of a year's results: `point_value` (scheme), `total_payouts` (scheme or both),
    `closing_balance` (scheme or both), `final_payment` / `year_end_settlement` (hospital and scheme)."""
    name: str
    scheme: str | None = None
    hospital: str | None = None

    def __post_init__(self):
        if self.name not in METRICS:
            raise ParameterError(Message("metric_unknown", name=self.name, choices=Items(METRICS)))
        if self.scheme is not None and self.scheme not in SCHEMES:
            raise ParameterError(Message("metric_scheme_unknown", scheme=self.scheme))
        if self.name == "point_value" and self.scheme is None:
            raise ParameterError(Message("metric_pv_scheme"))
        if self.name in ("final_payment", "year_end_settlement") and (self.hospital is None or self.scheme is None):
            raise ParameterError(Message("metric_hospital", name=self.name))

    @property
    def label(self) -> str:
        return ":".join(x for x in (self.name, self.hospital, self.scheme) if x)

    def check(self, res: Results) -> None:
        if self.hospital is not None:
            h = res.hospitals
            if not ((h["hospital_id"] == self.hospital) & (h["scheme"] == self.scheme)).any():
                raise ParameterError(Message("metric_no_cases", hospital=self.hospital, scheme=self.scheme))
        elif self.scheme is not None and self.scheme not in res.summary["schemes"]:
            raise ParameterError(Message("metric_scheme_absent", scheme=self.scheme))

    def value(self, res: Results) -> float:
        sch = res.summary["schemes"]
        pick = [self.scheme] if self.scheme else list(sch)
        if self.name == "point_value":
            return float(sch[self.scheme]["settlement_point_value"])
        if self.name == "total_payouts":
            return float(sum(sch[s]["total_final_payment"] for s in pick))                 # A-36 final payments
        if self.name == "closing_balance":
            require_city(res.data, "what_closing_balance")
            return float(sum(sch[s]["fund_closing_balance"] for s in pick))                # docs/rules.md, A-3
        h = res.hospitals
        row = h[(h["hospital_id"] == self.hospital) & (h["scheme"] == self.scheme)]
        col = "final_payment" if self.name == "final_payment" else "year_end_settlement"
        return float(row[col].iloc[0]) if len(row) else math.nan


def parse_metric(text: str, scheme: str | None = None, hospital: str | None = None) -> Metric:
    """'point_value' with scheme, or 'point_value:resident'."""
    parts = text.split(":")
    if len(parts) > 1 and parts[-1] in SCHEMES and scheme is None:
        scheme = parts[-1]
    return Metric(parts[0], scheme, hospital)


def summary_outputs(res: Results) -> dict:
    """The standard outputs of one run, for sweeps: per scheme and in total."""
    out = {}
    for s, v in res.summary["schemes"].items():
        out[f"point_value_{s}"] = v["settlement_point_value"]
        out[f"budget_total_{s}"] = v["budget_total"]
        out[f"total_final_payment_{s}"] = v["total_final_payment"]
        out[f"cap_deduction_{s}"] = v["cap_deduction"]
        out[f"fund_closing_balance_{s}"] = v["fund_closing_balance"]
        out[f"months_of_payment_{s}"] = v["months_of_payment"]
    out["total_payouts"] = sum(v["total_final_payment"] for v in res.summary["schemes"].values())
    closing = [v["fund_closing_balance"] for v in res.summary["schemes"].values()]
    out["closing_balance_total"] = None if None in closing else sum(closing)   # a hospital folder: not applicable
    return out


# --- slots ------------------------------------------------------------------------------------

def _split(p: Params, slot: str) -> tuple[str, list]:
    """(leaf path, steps into the leaf's value) of a slot; steps are str keys or int indices."""
    for leaf in sorted(p.leaves(), key=len, reverse=True):
        if slot == leaf or slot.startswith(leaf + ".") or slot.startswith(leaf + "["):
            rest = slot[len(leaf):]
            steps, pos = [], 0
            for m in _STEP.finditer(rest):
                if m.start() != pos:
                    break
                steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
                pos = m.end()
            if pos != len(rest):
                break
            return leaf, steps
    raise ParameterError(Message("param_unknown", path=slot))


def _derived_value(slot: str, leaf: str, steps: list, res: Results) -> float | None:
    """What the engine used for a null parameter."""
    sch = res.summary["schemes"]
    if leaf == "budget.growth_rate" and steps and steps[0] in sch:
        return sch[steps[0]]["growth_rate"]
    if leaf == "payment_rate" and steps and steps[0] in sch:
        return sch[steps[0]]["payment_rate"]
    if leaf == "budget_point_value" and steps and steps[0] in sch:
        return sch[steps[0]]["budget_point_value"]
    if leaf == "coefficients.level" and len(steps) == 1:
        v = res.stage.ref.level_coef_computed.get(str(steps[0]))
        return 1.0 if v is None else float(v)                        # no coefficient → 1.0
    if leaf == "mean_cost_all":
        return res.stage.ref.mean_cost
    if leaf.startswith("point_value.given.") and leaf.rsplit(".", 1)[1] in sch:
        return sch[leaf.rsplit(".", 1)[1]]["settlement_point_value"]      # as computed
    return None


def current_value(p: Params, slot: str, res: Results | None = None) -> float:
    """The slot's value in `p` (or what the engine derived for it from `res` when the parameter is null)."""
    m = _DERIVED.match(slot)
    if m:
        s, kind = m.groups()
        if kind == "overspend_width":
            bands = p.get(f"sharing.{s}.overspend")
            if not bands:
                raise ParameterError(Message("slot_no_overspend", slot=slot))
            return float(bands[-1]["to"]) - 1.0
        bands = p.get(f"sharing.{s}.retained")
        if kind == "retained_edge_low":
            if len(bands) < 2:
                raise ParameterError(Message("slot_one_band", slot=slot))
            return float(bands[0]["to"])
        return float(bands[-1]["to"])
    leaf, steps = _split(p, slot)
    v: Any = p.get(leaf)
    for st in steps:
        if isinstance(v, Mapping):
            v = v.get(st)
        elif isinstance(v, list) and isinstance(st, int) and st < len(v):
            v = v[st]
        elif v is None or isinstance(v, (int, float)) and not isinstance(v, bool):
            break                                            # a per-scheme parameter given as one value
        else:
            raise ParameterError(Message("param_unknown", path=slot))
    if v is None and res is not None:
        v = _derived_value(slot, leaf, steps, res)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ParameterError(Message("slot_not_numeric", path=slot, got=repr(v)))
    return float(v)


def with_slot(p: Params, slot: str, value: float) -> Params:
    """A copy of `p` with the slot set to `value` (validated: an impossible value raises ParameterError)."""
    m = _DERIVED.match(slot)
    if m:
        s, kind = m.groups()
        if kind == "overspend_width":
            bands = copy.deepcopy(p.get(f"sharing.{s}.overspend"))
            k = value / (float(bands[-1]["to"]) - 1.0)
            for b in bands:
                b["to"] = 1.0 + (float(b["to"]) - 1.0) * k
            return p.with_values({"sharing": {s: {"overspend": bands}}})
        bands = copy.deepcopy(p.get(f"sharing.{s}.retained"))
        if kind == "retained_edge_low":
            bands[0]["to"] = bands[1]["from"] = value
        else:
            bands[-1]["to"] = value
        return p.with_values({"sharing": {s: {"retained": bands}}})
    leaf, steps = _split(p, slot)
    if not steps:
        new: Any = value
    else:
        new = copy.deepcopy(p.get(leaf))
        if steps and isinstance(steps[0], str) and not isinstance(new, (Mapping, list)):
            new = {s: new for s in SCHEMES} if leaf in _PER_SCHEME else {}
        node = new
        for st in steps[:-1]:
            node = node[st]
        node[steps[-1]] = value
    parts = leaf.split(".")
    change: dict = {}
    cur = change
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = new
    return p.with_values(change)


_PER_SCHEME = ("budget.growth_rate", "budget.growth_cap", "budget.adjustment", "payment_rate", "budget_point_value")


def slot_label(p: Params, slot: str, lang: str = "zh") -> str:
    """The rule set's label of the slot's parameter, with the part moved."""
    m = _DERIVED.match(slot)
    names = {"zh": {"employee": "职工", "resident": "居民", "retained_edge_low": "结余留用下沿",
                    "retained_edge_high": "结余留用上沿", "overspend_width": "超支分担区间宽度"},
             "en": {"employee": "employee", "resident": "resident", "retained_edge_low": "retained band, lower edge",
                    "retained_edge_high": "retained band, upper edge", "overspend_width": "overspend bands' reach"}}
    if m:
        s, kind = m.groups()
        return f"{names[lang][kind]}（{names[lang][s]}）" if lang == "zh" else f"{names[lang][kind]} ({names[lang][s]})"
    leaf, steps = _split(p, slot)
    label = p.info(leaf)["label"][lang]
    if leaf == "coefficients.level":
        label = "机构等级系数" if lang == "zh" else "Level coefficient"          # the override of one category
    words = {"zh": {"rate": "分担比例", "ratio": "留用比例", "to": "上沿", "from": "下沿"},
             "en": {"rate": "rate", "ratio": "ratio", "to": "upper edge", "from": "lower edge"}}[lang]
    parts = [(f"第{x + 1}档" if lang == "zh" else f"band {x + 1}") if isinstance(x, int)
             else names[lang].get(x, words.get(x, str(x))) for x in steps]
    if not parts:
        return label
    return f"{label}（{' '.join(parts)}）" if lang == "zh" else f"{label} ({', '.join(parts)})"


def slot_article(p: Params, slot: str) -> str:
    m = _DERIVED.match(slot)
    if m:
        return "A-36"
    return str(p.info(_split(p, slot)[0]).get("article", ""))


def is_case_slot(p: Params, slot: str) -> bool:
    """Does the slot change the case stage (engine.CASE_KEYS)?"""
    if _DERIVED.match(slot):
        return False
    leaf = _split(p, slot)[0]
    return any(leaf == k or leaf.startswith(k + ".") for k in CASE_KEYS)


# --- runs -------------------------------------------------------------------------------------

def _run(shared, p: Params) -> Results:
    data, base_st, base_digest = shared
    if p.digest(*CASE_KEYS) == base_digest:
        return settle(data, base_st, p)                       # hospital-level stage only
    with _CASE_LOCK:
        st = case_stage(data, p)                              # case rules changed: re-score the cases
    return settle(data, st, p)


def _metric_task(shared, item):
    (data, base_st, base_digest, metric), (key, p) = shared, item
    if isinstance(p, str):
        return key, math.nan, p
    try:
        return key, metric.value(_run((data, base_st, base_digest), p)), None
    except DipError as err:
        return key, math.nan, str(err)


def _shared(data: DataSet, p: Params):
    with _CASE_LOCK:
        st = case_stage(data, p)
    return data, st, p.digest(*CASE_KEYS)


def _tidy(x: float) -> float:
    """12 significant digits: 0.003 × 1.2 is 0.0036, not 0.0036000000000000003 (the value is written into
    the parameters, shown and exported as it is)."""
    return float(f"{float(x):.12g}")


def _params_or_error(p: Params, slot: str, value: float):
    try:
        return with_slot(p, slot, value)
    except DipError as err:
        return str(err)


def tornado(data: DataSet, params: Params | dict | str | None, metric: Metric, slots=None,
            rel: float = 0.10, ranges: Mapping | None = None, *, scheduler: str = "threads",
            address: str | None = None) -> pd.DataFrame:
    """One row per slot: its current value, the low and high values (current × (1 ∓ rel), or
    ranges[slot] = (low, high)), the output at each, and the bars (output − base output). A run whose
    parameters are invalid gets NaN and its message in `error`. Sorted by the wider bar first."""
    p = params if isinstance(params, Params) else load_params(params)
    slots = list(slots or DEFAULT_SLOTS)
    shared = _shared(data, p)
    base_res = settle(data, shared[1], p)
    metric.check(base_res)
    base = metric.value(base_res)
    rows, items = [], []
    for slot in slots:
        try:
            cur = current_value(p, slot, base_res)
        except DipError as err:
            rows.append({"slot": slot, "current": math.nan, "low": math.nan, "high": math.nan, "error": str(err)})
            continue
        lo, hi = (_tidy(x) for x in (ranges or {}).get(slot, (cur * (1 - rel), cur * (1 + rel))))
        rows.append({"slot": slot, "current": cur, "low": lo, "high": hi, "error": None})
        items += [((slot, "low"), _params_or_error(p, slot, lo)), ((slot, "high"), _params_or_error(p, slot, hi))]
    done = map_tasks(_metric_task, items, (*shared, metric), scheduler=scheduler, address=address)
    got = {key: (v, err) for key, v, err in done}
    out = []
    for r in rows:
        v_lo, e_lo = got.get((r["slot"], "low"), (math.nan, None))
        v_hi, e_hi = got.get((r["slot"], "high"), (math.nan, None))
        out.append({"slot": r["slot"], "label_zh": slot_label(p, r["slot"], "zh"),
                    "label_en": slot_label(p, r["slot"], "en"), "article": slot_article(p, r["slot"]),
                    "case_stage": is_case_slot(p, r["slot"]), "current": r["current"], "low": r["low"],
                    "high": r["high"], "metric": metric.label, "base_output": base, "output_low": v_lo,
                    "output_high": v_hi, "bar_low": v_lo - base, "bar_high": v_hi - base,
                    "error": r["error"] or e_lo or e_hi})
    df = pd.DataFrame(out)
    df["error"] = _errors([o["error"] for o in out])
    df["swing"] = (df["bar_high"] - df["bar_low"]).abs()
    return df.sort_values("swing", ascending=False, kind="stable", na_position="last").reset_index(drop=True)


def one_way(data: DataSet, params: Params | dict | str | None, metric: Metric, slot: str, points: int = 11,
            rel: float = 0.10, low: float | None = None, high: float | None = None, *,
            scheduler: str = "threads", address: str | None = None) -> pd.DataFrame:
    """The output at `points` values of one slot, evenly from low to high (default current × (1 ∓ rel)),
    the current value included and marked (`is_current`)."""
    p = params if isinstance(params, Params) else load_params(params)
    shared = _shared(data, p)
    base_res = settle(data, shared[1], p)
    metric.check(base_res)
    cur = current_value(p, slot, base_res)
    lo = cur * (1 - rel) if low is None else float(low)
    hi = cur * (1 + rel) if high is None else float(high)
    xs = np.unique([_tidy(x) for x in np.append(np.linspace(lo, hi, max(2, int(points))), cur)])
    items = [(float(x), _params_or_error(p, slot, float(x))) for x in xs]
    done = map_tasks(_metric_task, items, (*shared, metric), scheduler=scheduler, address=address)
    return pd.DataFrame({"slot": slot, "value": [k for k, _, _ in done], "output": [v for _, v, _ in done],
                         "is_current": [k == cur for k, _, _ in done], "metric": metric.label,
                         "error": _errors([e for _, _, e in done])})


# --- grid sweep -------------------------------------------------------------------------------

def read_grid(path: str | Path) -> dict:
    """A grid file: `grid: {slot: [values…], …}` (or the mapping alone)."""
    doc = yamlio.read_file(path, Message("what_grid_file"))
    grid = doc.get("grid", doc) if isinstance(doc, Mapping) else None
    if not isinstance(grid, Mapping) or not grid:
        raise ParameterError(Message("grid_shape", path=str(path)))
    out = {}
    for k, v in grid.items():
        vals = v if isinstance(v, list) else [v]
        if not vals or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in vals):
            raise ParameterError(Message("grid_entry", path=str(path), entry=k))
        out[str(k)] = [float(x) for x in vals]
    return out


def _sweep_task(shared, item):
    run, p = item
    if isinstance(p, str):
        return run, None, None, p
    try:
        res = _run(shared, p)
    except DipError as err:
        return run, None, None, str(err)
    h = res.hospitals
    return run, summary_outputs(res), h[["hospital_id", "scheme", "final_payment", "year_end_settlement"]], None


def grid_sweep(data: DataSet, params: Params | dict | str | None, grid: Mapping, *, scheduler: str = "threads",
               address: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every combination of the grid's values: (runs: one row per run with each slot's value, the
    standard outputs and an error column; hospitals: run × hospital × scheme final payment and
    year-end settlement)."""
    p = params if isinstance(params, Params) else load_params(params)
    slots = list(grid)
    for s in slots:
        _split(p, s) if not _DERIVED.match(s) else None
    combos = list(itertools.product(*(grid[s] for s in slots)))
    if len(combos) > MAX_GRID_RUNS:
        raise ParameterError(Message("grid_too_big", n=len(combos), max=MAX_GRID_RUNS))
    items = []
    for i, combo in enumerate(combos):
        q: Params | str = p
        for s, v in zip(slots, combo):
            q = _params_or_error(q, s, v) if isinstance(q, Params) else q
        items.append((i + 1, q))
    done = map_tasks(_sweep_task, items, _shared(data, p), scheduler=scheduler, address=address)
    runs, hosp = [], []
    for (run, outs, h, err), combo in zip(done, combos):
        runs.append({"run": run, **dict(zip(slots, combo)), **(outs or {}), "error": err})
        if h is not None:
            hosp.append(h.assign(run=run))
    hosp_df = (pd.concat(hosp, ignore_index=True)[["run", "hospital_id", "scheme", "final_payment", "year_end_settlement"]]
               if hosp else pd.DataFrame(columns=["run", "hospital_id", "scheme", "final_payment", "year_end_settlement"]))
    runs_df = pd.DataFrame(runs)
    runs_df["error"] = _errors(r["error"] for r in runs)
    return runs_df, hosp_df


def _errors(messages) -> pd.Series:
    """An `error` column kept as objects, so each Message keeps its translation (a str column would not)."""
    return pd.Series(list(messages), dtype=object)
