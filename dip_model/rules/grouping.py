"""Group keys (A-15): principal diagnosis sub-category × treatment, and the comprehensive fallback."""
from __future__ import annotations

import numpy as np
import pandas as pd

PROC_CLASSES = ("conservative", "diagnostic", "therapeutic", "surgical")


def _clean(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().str.upper().fillna("")


def sorted_procs(proc_codes: pd.Series) -> pd.Series:
    """The sorted set of main procedure codes joined by '+', or 'conservative' when none."""
    s = proc_codes.astype("string").fillna("").str.replace(" ", "", regex=False).str.strip(";")
    multi = s.str.contains(";", regex=False)
    out = s.copy()
    if multi.any():
        out[multi] = [
            "+".join(sorted({p for p in v.split(";") if p})) for v in s[multi].tolist()
        ]
    return out.mask(out == "", "conservative").astype(object)


def derive_proc_class(proc_codes: pd.Series) -> pd.Series:
    """ICD-9-CM-3: 00–86 operations (surgical), 87–91 diagnostic, 92–99 therapeutic; none = conservative."""
    first = proc_codes.astype("string").fillna("").str.replace(" ", "", regex=False).str.strip(";").str.split(";").str[0]
    head = pd.to_numeric(first.str[:2], errors="coerce")
    cls = np.select(
        [first.fillna("") == "", head <= 86, head <= 91, head <= 99],
        ["conservative", "surgical", "diagnostic", "therapeutic"],
        default="surgical",
    )
    return pd.Series(cls, index=proc_codes.index, dtype=object)


def core_keys(dx: pd.Series, procs: pd.Series, dx_len: int) -> pd.Series:
    return (_clean(dx).str[:dx_len] + "|" + sorted_procs(procs)).astype(object)


def comprehensive_keys(dx: pd.Series, proc_class: pd.Series) -> pd.Series:
    return (_clean(dx).str[:3] + "|comp|" + proc_class.astype("string").fillna("conservative")).astype(object)


def proc_classes(frame: pd.DataFrame) -> pd.Series:
    given = frame["proc_class"] if "proc_class" in frame else pd.Series(None, index=frame.index, dtype=object)
    derived = derive_proc_class(frame.get("proc_codes", pd.Series("", index=frame.index)))
    ok = given.isin(PROC_CLASSES)
    return given.where(ok, derived).astype(object)


def assign_groups(frame: pd.DataFrame, groups: pd.Index, dx_len: int) -> pd.Series:
    """Each row's group id: its given group_id, else its core key, else its comprehensive key
    when those exist in the catalogue; None when none does (the case is unmatched, A-21)."""
    out = pd.Series(None, index=frame.index, dtype=object)
    gid = frame["group_id"] if "group_id" in frame else pd.Series(None, index=frame.index, dtype=object)
    has = gid.notna()
    out[has] = gid[has]
    todo = ~has & frame.get("dx_code", pd.Series(None, index=frame.index)).notna()
    if todo.any():
        sub = frame.loc[todo]
        core = core_keys(sub["dx_code"], sub.get("proc_codes", pd.Series("", index=sub.index)), dx_len)
        comp = comprehensive_keys(sub["dx_code"], proc_classes(sub))
        pick = core.where(core.isin(groups), comp.where(comp.isin(groups), None))
        out[todo] = pick
    return out
