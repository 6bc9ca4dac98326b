"""Tiny cities for hand-checked tests: write data-contract CSVs into a folder, load, simulate.

The default reference data is chosen so that numbers are easy by hand:

* M (mean_cost_all) = 10 000, so a cost X converts to X / 10 points;
* every group's prior-year cost is the same in every category: m_i = RW_i × 10,
  so R = cost / (10 · RW) and the special-case difference d = RW · (R − 1):
  d ≥ 0 exactly when R ≥ 1 (no auxiliary coefficient);
* level coefficients are fixed: 3A 1.0, 3B 0.9, 2A 0.8, 2B 0.7, 1 0.6;
* the budget point value PV_b = 10; budget growth 0, no growth cap.
"""
from __future__ import annotations

import copy
import csv
from pathlib import Path

import dip_model

LEVELS = ("3A", "3B", "2A", "2B", "1")
LEVEL_COEF = {"3A": 1.0, "3B": 0.9, "2A": 0.8, "2B": 0.7, "1": 0.6}

CATALOGUE = [
    {"group_id": "G1", "group_type": "core", "rw": 1000},
    {"group_id": "G2", "group_type": "core", "rw": 500},
    {"group_id": "G3", "group_type": "comprehensive", "rw": 2000},
    {"group_id": "G4", "group_type": "core", "rw": 300, "grassroots": True},
]
LEVEL_COSTS = [{"group_id": g, "level": lv, "mean_cost": cost}
               for g, cost in (("G1", 10000), ("G2", 5000), ("G3", 20000), ("G4", 3000))
               for lv in LEVELS]


def fund_row(scheme: str, **kw) -> dict:
    """A balanced prior year, no other budget lines, no adjustment fund."""
    row = {"scheme": scheme, "prior_expenditure": 1_000_000, "prior_revenue": 1_000_000,
           "revenue": 1_050_000, "revenue_growth": 0.05, "prior_adjustment_fund": 0,
           "out_of_area": 0, "local_outpatient": 0, "maternity": 0, "critical_illness_premium": 0,
           "non_dip_items": 0, "other_rigid": 0, "opening_balance": 0}
    row.update(kw)
    return row


FUND = [fund_row("employee"), fund_row("resident")]

PARAMS = {
    "mean_cost_all": 10000,
    "budget_point_value": 10,
    "budget": {"growth_rate": 0.0, "growth_cap": None},
    "coefficients": {"level": dict(LEVEL_COEF)},
}


def hospital(hid: str, level: str = "3A", reimb_level: int = 3, **kw) -> dict:
    return {"hospital_id": hid, "level": level, "reimb_level": reimb_level, **kw}


def case(cid: str, hid: str, group: str | None, cost: float, ffs: float | None = None,
         scheme: str = "employee", date: str = "2024-03-15", **kw) -> dict:
    """One discharge; ffs_fund defaults to half the cost."""
    return {"case_id": cid, "hospital_id": hid, "scheme": scheme, "discharge_date": date,
            "group_id": group, "total_cost": cost, "ffs_fund": cost / 2 if ffs is None else ffs, **kw}


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_table(path: Path, rows: list[dict]) -> None:
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow([_text(r.get(c)) for c in cols])


def write_city(folder, hospitals, cases, catalogue=CATALOGUE, level_costs=LEVEL_COSTS, fund=FUND,
               aux=None, history=None) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"hospitals": hospitals, "cases": cases, "catalogue": catalogue,
              "group_level_costs": level_costs, "fund": fund, "aux": aux, "history": history}
    for name, rows in tables.items():
        if rows is not None:
            write_table(folder / f"{name}.csv", rows)
    return folder


def load_city(folder, hospitals, cases, **tables) -> dip_model.DataSet:
    return dip_model.load_data(write_city(folder, hospitals, cases, **tables))


def merged(base: dict, changes: dict | None) -> dict:
    """Nested mapping merge (changes win); lists and scalars replace."""
    out = copy.deepcopy(base)
    for k, v in (changes or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merged(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


_BUILTIN: list = []


def params(changes: dict | None = None, base: dict = PARAMS) -> dip_model.Params:
    """The built-in rule set with `base` and then `changes` merged over it (validated).
    The rule set's YAML is parsed once per test session."""
    if not _BUILTIN:
        _BUILTIN.append(dip_model.load_params({}))
    return _BUILTIN[0].with_values(merged(base, changes))


# PARAMS without the fixed level coefficients: A-22 computes them from history
COMPUTED_LEVELS = {k: v for k, v in PARAMS.items() if k != "coefficients"}


def run(folder, hospitals, cases, changes: dict | None = None, base: dict = PARAMS,
        **tables) -> dip_model.Results:
    """Load the tiny city and simulate it with `base` (PARAMS) merged with `changes`."""
    return dip_model.simulate(load_city(folder, hospitals, cases, **tables), params(changes, base))


def case_of(res, cid: str) -> dict:
    rows = res.cases[res.cases["case_id"] == cid]
    assert len(rows) == 1, f"case {cid}: {len(rows)} rows"
    return rows.iloc[0].to_dict()


def hosp_of(res, hid: str, scheme: str = "employee") -> dict:
    h = res.hospitals
    rows = h[(h["hospital_id"] == hid) & (h["scheme"] == scheme)]
    assert len(rows) == 1, f"hospital {hid}/{scheme}: {len(rows)} rows"
    return rows.iloc[0].to_dict()


def kinds(res, cid: str) -> tuple[str, str]:
    row = case_of(res, cid)
    return row["case_type"], row["bucket"]
