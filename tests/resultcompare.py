"""Compare a results folder with an expected one, field by field (docs/data-contract.md, "The results folder").

Every field of the expected files must exist in the actual ones and agree: numbers within a
relative tolerance (and a tiny absolute one for values that should be 0), text exactly
(case-insensitive), empty with empty. Extra fields and columns in the actual files are allowed.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

RTOL = 1e-9
ATOL = 1e-9


def _value(v):
    """None for empty, float for numbers, else the text."""
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip()
    if s == "" or s.lower() in ("nan", "none", "null"):
        return None
    try:
        return float(s)
    except ValueError:
        return s


def same(expected, actual, rtol: float = RTOL, atol: float = ATOL) -> bool:
    e, a = _value(expected), _value(actual)
    if e is None or a is None:
        return e is None and a is None
    if isinstance(e, float) and isinstance(a, float):
        if math.isinf(e) or math.isinf(a):
            return e == a
        return abs(e - a) <= max(atol, rtol * abs(e))
    return str(e).lower() == str(a).lower()


def _rows(path: Path, key: tuple[str, ...]) -> dict:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {tuple(r[k] for k in key): r for r in csv.DictReader(f)}


def compare(expected_dir, actual_dir, rtol: float = RTOL) -> tuple[int, list[str]]:
    """(number of fields that agree, list of mismatches)."""
    exp, act = Path(expected_dir), Path(actual_dir)
    bad: list[str] = []
    ok = 0
    es = json.loads((exp / "summary.json").read_text(encoding="utf-8"))
    acs = json.loads((act / "summary.json").read_text(encoding="utf-8"))
    for scheme, fields in es.get("schemes", {}).items():
        got = acs.get("schemes", {}).get(scheme)
        if got is None:
            bad.append(f"summary: scheme {scheme} missing")
            continue
        for k, v in fields.items():
            if k not in got:
                bad.append(f"summary.{scheme}.{k}: missing (expected {v})")
            elif not same(v, got[k], rtol):
                bad.append(f"summary.{scheme}.{k}: expected {v}, got {got[k]}")
            else:
                ok += 1
    if "warnings" in es:
        if es["warnings"] != acs.get("warnings"):
            bad.append(f"summary.warnings: expected {es['warnings']}, got {acs.get('warnings')}")
        else:
            ok += 1
    for name, key in (("hospitals.csv", ("hospital_id", "scheme")), ("cases.csv", ("case_id",))):
        if not (exp / name).exists():
            continue
        if not (act / name).exists():
            bad.append(f"{name}: missing")
            continue
        actual_rows = _rows(act / name, key)
        expected_rows = _rows(exp / name, key)
        for k, er in expected_rows.items():
            got = actual_rows.get(k)
            if got is None:
                bad.append(f"{name} {k}: row missing")
                continue
            for col, v in er.items():
                if col not in got:
                    bad.append(f"{name} {k}.{col}: column missing")
                elif not same(v, got[col], rtol):
                    bad.append(f"{name} {k}.{col}: expected {v}, got {got[col]}")
                else:
                    ok += 1
        extra = set(actual_rows) - set(expected_rows)
        if extra:
            bad.append(f"{name}: unexpected rows {sorted(extra)}")
    return ok, bad
