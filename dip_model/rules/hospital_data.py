"""Scenario values of hospital data: assessment scores (K-9) and violation amounts (A-35, A-36) set per
hospital in the parameters (`hospital_data.*`) instead of hospitals.csv, so a what-if can move them."""
from __future__ import annotations

import pandas as pd

from ..errors import ParameterError
from ..messages import Items, Message
from ..params import Params

COLUMNS = ("assessment_score", "violation_amount")


def with_overrides(hospitals: pd.DataFrame, p: Params) -> pd.DataFrame:
    """hospitals.csv with the scenario's per-hospital values in place (the frame itself when none)."""
    given = {c: p.get(f"hospital_data.{c}") or {} for c in COLUMNS}
    if not any(given.values()):
        return hospitals
    ids = pd.Index(hospitals["hospital_id"].astype(str))
    out = hospitals.copy()
    for col, values in given.items():
        if not values:
            continue
        keys = [str(k) for k in values]
        pos = ids.get_indexer(keys)
        unknown = [k for k, i in zip(keys, pos) if i < 0]
        if unknown:
            raise ParameterError(Message("hospital_data_unknown", path=f"hospital_data.{col}",
                                         hospitals=Items(unknown[:5], more=len(unknown) > 5)))
        vals = [float(v) for v in values.values()]
        if col == "assessment_score":
            top = out["assessment_max"].to_numpy(float)[pos]
            over = [k for k, v, m in zip(keys, vals, top) if v > m]
            if over:
                raise ParameterError(Message("hospital_data_score_above", path="hospital_data.assessment_score",
                                             hospital=over[0]))
        column = out[col].to_numpy(float, copy=True)
        column[pos] = vals
        out[col] = column
    return out
