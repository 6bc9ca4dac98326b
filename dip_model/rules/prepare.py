"""One-off encoding of a dataset's columns as numpy arrays and integer codes.

Nothing here depends on a parameter, so it runs once per dataset (cached on the DataSet); every
later stage works on integers and floats instead of millions of strings."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.dataset import DataSet
from ..messages import Message


def codes(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 = missing) and the distinct values of a text column."""
    c, u = pd.factorize(col, use_na_sentinel=True)
    return np.asarray(c, dtype=np.int64), pd.Index(np.asarray(u, dtype=object))


def lookup(codes_: np.ndarray, table: np.ndarray, missing=-1) -> np.ndarray:
    """table[codes] with `missing` where the code is -1."""
    if len(table) == 0:
        return np.full(len(codes_), missing, dtype=np.asarray(table).dtype if len(table) else np.int64)
    return np.where(codes_ >= 0, table[np.maximum(codes_, 0)], missing)


def _hospital_codes(col: pd.Series, hospital_ids: pd.Index) -> np.ndarray:
    c, u = codes(col)
    return lookup(c, hospital_ids.get_indexer(u))


def _days(col: pd.Series) -> np.ndarray:
    return col.to_numpy("datetime64[D]").astype(np.int64)


@dataclass
class Prepared:
    """The current year's cases."""
    hosp: np.ndarray          # hospital row index
    scheme: np.ndarray        # 0 employee, 1 resident
    month: np.ndarray         # 0..11, from discharge_date
    year: int                 # settlement year
    cost: np.ndarray
    ffs: np.ndarray
    ffs_amount: np.ndarray
    self_pay: np.ndarray
    other: np.ndarray
    qc_ok: np.ndarray         # passed QC and uploaded on time
    tcm_flag: np.ndarray
    transferred: np.ndarray
    elsewhere: np.ndarray     # readmission_elsewhere: a same-group stay at another hospital (A-15 ¶2)
    patient: np.ndarray       # patient code, -1 when unknown
    start: np.ndarray         # admission day (discharge day when missing)
    end: np.ndarray           # discharge day
    age: np.ndarray
    group_code: np.ndarray    # code of the given group_id (-1 none)
    group_ids: pd.Index       # distinct given group ids
    has_dx: np.ndarray        # a diagnosis code to group from when group_id is missing
    aux_code: np.ndarray
    aux_types: pd.Index
    warnings: list | None = None   # notes about the data found while encoding it


@dataclass
class PreparedHistory:
    hosp: np.ndarray          # -1 for hospitals not in hospitals.csv
    scheme: np.ndarray
    year: np.ndarray
    cost: np.ndarray
    group_code: np.ndarray
    group_ids: pd.Index
    has_dx: np.ndarray


def prepare_cases(data: DataSet) -> Prepared:
    c, h = data.cases, data.hospitals
    hosp = _hospital_codes(c["hospital_id"], pd.Index(h["hospital_id"]))
    dd = c["discharge_date"]
    years = dd.dt.year.to_numpy()
    year = int(pd.Series(years).mode().min()) if len(years) else 2024
    notes = []
    if len(years) and (years != year).any():
        notes.append(Message("discharges_outside_year", year=year))
    end = _days(dd)
    ad = c["admit_date"]
    start = np.where(ad.isna().to_numpy(), end, _days(ad.fillna(dd)))
    cost = c["total_cost"].to_numpy(float)
    ffs = c["ffs_fund"].to_numpy(float)
    other = c["other_insurance"].fillna(0).to_numpy(float)
    self_pay = c["self_pay"].to_numpy(float)
    self_pay = np.where(np.isnan(self_pay), cost - ffs - other, self_pay)      # A-32 default
    fa = c["ffs_amount"].to_numpy(float)
    gcode, gids = codes(c["group_id"]) if "group_id" in c else (np.full(len(c), -1), pd.Index([]))
    acode, atypes = codes(c["aux_type"])
    pcode, _ = codes(c["patient_id"])
    return Prepared(
        hosp=hosp, scheme=(c["scheme"] == "resident").to_numpy(bool).astype(np.int64),
        month=(dd.dt.month.to_numpy() - 1).astype(np.int64), year=year,
        cost=cost, ffs=ffs, ffs_amount=np.where(np.isnan(fa), cost, fa), self_pay=self_pay, other=other,
        qc_ok=c["qc_pass"].to_numpy(bool) & c["uploaded_on_time"].to_numpy(bool),
        tcm_flag=c["tcm_advantage"].to_numpy(bool), transferred=c["transferred"].to_numpy(bool),
        elsewhere=(c["readmission_elsewhere"].fillna(False).to_numpy(bool) if "readmission_elsewhere" in c
                   else np.zeros(len(c), bool)),     # absent from a dataset stored by an older version
        patient=pcode, start=start.astype(np.int64), end=end, age=c["age"].to_numpy(float),
        group_code=gcode, group_ids=gids,
        has_dx=c["dx_code"].notna().to_numpy(bool) if "dx_code" in c else np.zeros(len(c), bool),
        aux_code=acode, aux_types=atypes, warnings=notes,
    )


def prepare_history(data: DataSet) -> PreparedHistory | None:
    hist = data.history
    if hist is None:
        return None
    gcode, gids = codes(hist["group_id"]) if "group_id" in hist else (np.full(len(hist), -1), pd.Index([]))
    return PreparedHistory(
        hosp=_hospital_codes(hist["hospital_id"], pd.Index(data.hospitals["hospital_id"])),
        scheme=(hist["scheme"] == "resident").to_numpy(bool).astype(np.int64),
        year=hist["discharge_date"].dt.year.to_numpy().astype(np.int64),
        cost=hist["total_cost"].to_numpy(float), group_code=gcode, group_ids=gids,
        has_dx=hist["dx_code"].notna().to_numpy(bool) if "dx_code" in hist else np.zeros(len(hist), bool),
    )


def resolve_groups(frame: pd.DataFrame, group_code: np.ndarray, group_ids: pd.Index, has_dx: np.ndarray,
                   groups: pd.Index, dx_len: int) -> np.ndarray:
    """Catalogue code of each row: its given group_id, else its diagnosis × treatment key (A-15);
    -1 when neither is in the catalogue."""
    from .grouping import assign_groups
    out = lookup(group_code, groups.get_indexer(group_ids))
    todo = (group_code < 0) & has_dx
    if todo.any():
        sub = frame.loc[todo, [c for c in ("dx_code", "proc_codes", "proc_class") if c in frame]]
        out[todo] = groups.get_indexer(assign_groups(sub, groups, dx_len).to_numpy())
    return out
