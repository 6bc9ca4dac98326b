"""The tiny city of the worked examples in docs/rules.md (run by tests/docs/test_rules_doc.py).

A thin layer over tests/citykit.py, whose reference data keeps the arithmetic easy:
M = 10 000 (a cost of X yuan is X / 10 points), every group's prior-year cost is 10 × RW in every
category, the budget point value is 10, level coefficients are fixed (3A 1.0, 3B 0.9, 2A 0.8, 2B 0.7,
1 0.6), budget growth 0 with no ceiling, and each scheme's prior year is balanced at 1 000 000 yuan.
Catalogue: G1 (RW 1 000), G2 (500), G3 (2 000, comprehensive), G4 (300, grassroots).

    settle(hospitals, cases, changes=None, **tables) -> Results
        writes the tables into a fresh temporary folder and simulates them; `changes` are parameters
        merged over citykit.PARAMS, `tables` replace citykit's catalogue, level costs, fund, aux, history
    show_cases(res, *case_ids, cols=...)      prints chosen columns of results cases.csv
    show_hospitals(res, *cols, scheme=...)    prints chosen columns of results hospitals.csv
"""
from __future__ import annotations

import atexit
import math
import shutil
import tempfile

import numpy as np

from citykit import CATALOGUE, LEVEL_COSTS, case, fund_row, hospital, params, run  # noqa: F401 (re-exported)

_ROOT: list[str] = []


def _folder() -> str:
    if not _ROOT:
        _ROOT.append(tempfile.mkdtemp(prefix="dip-rules-doc-"))
        atexit.register(shutil.rmtree, _ROOT[0], True)
    return tempfile.mkdtemp(dir=_ROOT[0])


def settle(hospitals, cases, changes=None, **tables):
    """Simulate a tiny city (a fresh folder each time, so no table is left over from another example)."""
    return run(_folder(), hospitals, cases, changes, **tables)


def num(x) -> str:
    """A number as the examples print it: up to 6 decimals, trailing zeros dropped, thousands separated."""
    if isinstance(x, str) or x is None:
        return str(x)
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    x = float(x)
    if math.isnan(x):
        return "—"
    text = f"{x:,.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _print(header, rows) -> None:
    cells = [list(map(str, header))] + [[num(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())


def show_cases(res, *case_ids, cols=("case_type", "bucket", "raw_score", "weighted_score")) -> None:
    c = res.cases.set_index("case_id")
    ids = case_ids or tuple(c.index)
    _print(("case_id", *cols), [(i, *(c.loc[i, k] for k in cols)) for i in ids])


def show_hospitals(res, *cols, scheme: str = "employee") -> None:
    h = res.hospitals[res.hospitals["scheme"] == scheme]
    _print(("hospital_id", *cols), [(r["hospital_id"], *(r[k] for k in cols)) for _, r in h.iterrows()])
