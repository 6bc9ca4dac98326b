"""Filtered views: the DataSet and Results a user may hold. Every attribute has a decision here (KEEP, CASE
rows, HOSPITAL rows, HS = hospital × scheme rows, or a special rule); an attribute without one is refused
(AccessDenied naming it), so a new attribute cannot leak by default.

bureau            the objects themselves, no copy
hospital:H        its own case, history and hospital rows; the city's published aggregates (catalogue, level
                  costs, M, budget point values, the summary's city figures); the dataset becomes H's
                  hospital folder (fund None: simulating it needs the published point values, never treating
                  one hospital as the city); the run's city and category figures for CMI与结构 computed
                  beforehand (a category of fewer than MIN_CELL hospitals is not shown)
viewer            hospital-level rows kept (a published scenario's presentation shows the winners and losers
                  among hospitals: settlement figures, no patient data); no case or history row

Filtering takes the rows of numpy arrays by index (a few ms for a hospital of a 1.1 M-case city)."""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import DataSet
from ..errors import DipError
from ..messages import Message
from ..analysis.hospital_cases import memo
from ..rules.pipeline import Aggregates, CaseStage, Results, prepared
from ..rules.case_scores import CaseScores
from ..rules.catalogue import Reference
from ..rules.prepare import Prepared
from .rights import check_hospital, may_see_hospital, require
from .roles import User

MIN_CELL = 3           # hospitals a category figure must cover to be shown to a hospital user

# DataSet fields
DATASET = {"hospitals": "hospital", "cases": "case", "history": "history", "fund": "city_fund",
           "catalogue": "keep", "group_level_costs": "keep", "aux": "keep", "source": "keep",
           "version": "version", "warnings": "warnings", "_cache": "new", "_lock": "new"}
PREPARED = {"hosp": "hosp", "year": "keep", "group_ids": "keep", "aux_types": "keep", "warnings": "warnings"}
SCORES = {"level_cost_missing": "keep", "aux_unknown": "keep"}
AGGREGATES = {"n_hs": "n_hs", "metrics": "hospital", "parts": "hs", "monthly_parts": "hs"}
REFERENCE = {"catalogue": "keep", "mean_cost": "keep", "level_costs": "keep", "level_coef_computed": "keep",
             "budget_point_value": "keep", "source": "keep", "history_groups": "history", "warnings": "keep"}
STAGE = {"prep": "prep", "ref": "ref", "categories": "hospital", "scores": "scores", "agg": "agg",
         "warnings": "warnings"}
RESULTS = {"summary": "summary", "hospitals": "rows", "monthly": "rows", "data": "data", "stage": "stage",
           "params": "keep", "hospital_data": "hospital", "cases": "drop", "_hospital_views": "drop",
           "_access_views": "drop"}


class Cut:
    """What one user keeps of one dataset: hospital rows, case rows, history rows (ascending indices)."""

    def __init__(self, data: DataSet, user: User):
        ids = data.hospitals["hospital_id"].astype(str)
        self.kind = user.role.kind
        self.hosp = np.flatnonzero(ids.map(lambda h: may_see_hospital(user, h)).to_numpy(bool))
        self.ids = set(ids.iloc[self.hosp])
        self.others = set(ids) - self.ids
        cases_ok = self.kind == "hospital"
        prep, hprep = prepared(data)          # the engine's hospital codes, built once per dataset
        self.case = np.flatnonzero(np.isin(prep.hosp, self.hosp)) if cases_ok else np.zeros(0, np.int64)
        self.history = None if hprep is None or not cases_ok else np.flatnonzero(np.isin(hprep.hosp, self.hosp))
        self.n_cases = len(data.cases)
        self.n_hosp = len(data.hospitals)
        self.n_history = 0 if data.history is None else len(data.history)
        self.recode = np.full(self.n_hosp + 1, -1, np.int64)      # old hospital row → new (-1 stays -1)
        self.recode[self.hosp] = np.arange(len(self.hosp))
        self.hs = (self.hosp[:, None] * 2 + np.arange(2)).ravel()


def _undecided(what: str, attribute: str) -> DipError:
    return DipError(Message("access_undecided", what=what, attribute=attribute))


def _take(value, idx: np.ndarray | None):
    if value is None or idx is None:
        return None
    if isinstance(value, pd.DataFrame):
        return value.take(idx).reset_index(drop=True)
    if isinstance(value, pd.Series):
        return value.take(idx).reset_index(drop=True)
    return np.asarray(value)[idx]


def _fine_warning(w: Any, cut: Cut) -> bool:
    """A warning a non-bureau user may read: not a located data problem (it points at rows of the city's
    files) and naming no hospital it may not see."""
    key = getattr(w, "key", "")
    if key.startswith("problem") or not isinstance(w, Message):
        return False
    text = str(w)
    return not any(h in text for h in cut.others)


def _warnings(ws, cut: Cut):
    return None if ws is None else [w for w in ws if _fine_warning(w, cut)]


def _digest(version: str, role: str) -> str:
    return hashlib.sha256(f"{version}|{role}".encode()).hexdigest()


def _fields(obj) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _rows(value, n: int) -> bool:
    return isinstance(value, np.ndarray) and value.ndim >= 1 and len(value) == n


def _cut_dataclass(obj, table: dict[str, str], cut: Cut, what: str, rows: str, **rules) -> Any:
    """A copy of a dataclass: fields named in `rules` by their function, those in `table` by its rule, the
    other arrays by `rows`: "case" (one row per case) or "hs" (one per hospital × scheme)."""
    out = {}
    for name, value in _fields(obj).items():
        rule = table.get(name)
        if name in rules:
            out[name] = rules[name](value)
        elif rule == "keep":
            out[name] = value
        elif rule == "warnings":
            out[name] = _warnings(value, cut)
        elif rule == "hospital":
            out[name] = _take(value, cut.hosp)
        elif rule == "hs":
            out[name] = {k: _take(v, cut.hs) for k, v in value.items()}
        elif rule is None and rows == "case" and _rows(value, cut.n_cases):
            out[name] = value[cut.case]
        elif rule is None and rows == "hs" and _rows(value, 2 * cut.n_hosp):
            out[name] = value[cut.hs]
        else:
            raise _undecided(what, name)
    return type(obj)(**out)


# ---------------------------------------------------------------- the dataset
def visible_dataset(data: DataSet, user: User) -> DataSet:
    """The dataset as `user` may hold it (module docstring); the same object for the bureau."""
    if user.role.kind == "bureau":
        return data
    return _visible_dataset(data, user, None)


def _visible_dataset(data: DataSet, user: User, cut: Cut | None) -> DataSet:
    return data.cached("access_view", str(user.role), lambda: _dataset(data, cut or Cut(data, user), user),
                       keep=256)


def _dataset(data: DataSet, cut: Cut, user: User) -> DataSet:
    extra = set(data.__dict__) - set(DATASET)
    if extra:
        raise _undecided("DataSet", sorted(extra)[0])
    cases = data.cases.take(cut.case).reset_index(drop=True)
    history = None if data.history is None else \
        (data.history.take(cut.history).reset_index(drop=True) if cut.history is not None else None)
    return DataSet(hospitals=data.hospitals.take(cut.hosp).reset_index(drop=True), cases=cases,
                   fund=data.fund if cut.kind == "viewer" else None, catalogue=data.catalogue,
                   group_level_costs=data.group_level_costs, history=history, aux=data.aux, source=data.source,
                   version=_digest(data.version, str(user.role)), warnings=_warnings(data.warnings, cut) or [])


# ---------------------------------------------------------------- the results
def visible_results(res: Results, user: User) -> Results:
    """The results as `user` may hold them (module docstring); the same object for the bureau. A hospital
    user's copy works with the hospital views (analysis.hospital_*), explain and its statements."""
    if user.role.kind == "bureau":
        return res
    views = res.__dict__.setdefault("_access_views", {})
    key = str(user.role)
    if key not in views:
        views[key] = _results(res, user)
    return views[key]


def _results(res: Results, user: User) -> Results:
    data = res.data
    cut = Cut(data, user)
    extra = set(res.__dict__) - set(RESULTS)
    if extra:
        raise _undecided("Results", sorted(extra)[0])
    out = Results.__new__(Results)
    ids = cut.ids
    out.summary = {**res.summary, "warnings": _warnings(res.summary.get("warnings"), cut) or [],
                   "schemes": {s: dict(v) for s, v in res.summary.get("schemes", {}).items()}}
    extra_keys = set(res.summary) - {"mode", "schemes", "warnings"}
    if extra_keys:
        raise _undecided("Results.summary", sorted(extra_keys)[0])
    for name in ("hospitals", "monthly"):
        frame = getattr(res, name)
        setattr(out, name, frame[frame["hospital_id"].astype(str).isin(list(ids))].reset_index(drop=True))
    out.data = _visible_dataset(data, user, cut)
    out.stage = _stage(res.stage, cut)
    out.params = res.params
    out.hospital_data = res.hospital_data.take(cut.hosp).reset_index(drop=True)
    return out


def _stage(st: CaseStage, cut: Cut) -> CaseStage:
    new = _cut_dataclass(
        st, STAGE, cut, "CaseStage", "none",
        prep=lambda p: _cut_dataclass(p, PREPARED, cut, "Prepared", "case", hosp=lambda h: cut.recode[h[cut.case]]),
        ref=lambda r: _cut_dataclass(r, REFERENCE, cut, "Reference", "none",
                                     history_groups=lambda g: None if g is None or cut.history is None
                                     else g[cut.history]),
        scores=lambda s: _cut_dataclass(s, SCORES, cut, "CaseScores", "case"),
        agg=lambda a: _cut_dataclass(a, AGGREGATES, cut, "Aggregates", "hs", n_hs=lambda _: 2 * len(cut.hosp)))
    new.__dict__["partial"] = True                 # not the whole city: analyses that need it refuse
    if cut.kind == "hospital":
        new.__dict__["city_figures"] = _city_figures(st, cut)
    return new


def _city_figures(st: CaseStage, cut: Cut) -> dict:
    """The run's city figures and each kept hospital's category figures (hospital_mix._figures), computed on
    the whole city before it is cut; a category of fewer than MIN_CELL hospitals is left out."""
    from ..analysis.hospital_mix import _figures
    hosp = st.prep.hosp
    city = memo(st, "access:city", lambda: _figures(st, hosp >= 0))         # shared by every user of the run
    out: dict = {"run": {}, "category": {}}
    cats = st.categories.astype(str)
    for new_row, old_row in enumerate(cut.hosp):
        out["run"][new_row] = city if bool((hosp != old_row).any()) else {}
        same = np.flatnonzero(cats == cats[old_row])
        if len(same) >= MIN_CELL:
            out["category"][new_row] = memo(st, f"access:category:{cats[old_row]}",
                                            lambda: _figures(st, np.isin(hosp, same)))
    return out


def visible_hospital_ids(obj: Results | DataSet, user: User) -> list[str]:
    """The hospital ids `user` may see in a Results or DataSet, in table order."""
    data = obj.data if isinstance(obj, Results) else obj
    ids = data.hospitals["hospital_id"].astype(str)
    return [h for h in ids if may_see_hospital(user, h)]


def visible_forecast(fc, user: User):
    """A hospital forecast (analysis.hospital_forecast, computed on the whole city) as `user` may hold it:
    AccessDenied for another hospital's or without see_cases; its settled city run cut like visible_results."""
    require(user, "see_cases")
    check_hospital(user, fc.hospital_id)
    if user.role.kind == "bureau":
        return fc
    return dataclasses.replace(fc, settled=visible_results(fc.settled, user))


def visible_outlook(ol, user: User):
    """A year-end outlook (analysis.hospital_outlook, computed on the whole city) as `user` may hold it:
    AccessDenied for another hospital's or without see_cases; its runs at each point value cut likewise."""
    require(user, "see_cases")
    check_hospital(user, ol.hospital_id)
    if user.role.kind == "bureau":
        return ol
    return dataclasses.replace(ol, runs={k: visible_results(r, user) for k, r in ol.runs.items()})


__all__ = ["MIN_CELL", "visible_dataset", "visible_forecast", "visible_hospital_ids", "visible_outlook",
           "visible_results"]


# the classes whose fields the tables above decide (the tests walk them)
DECIDED = {DataSet: DATASET, Prepared: PREPARED, CaseScores: SCORES, Aggregates: AGGREGATES, Reference: REFERENCE,
           CaseStage: STAGE}
