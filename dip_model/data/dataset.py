"""The in-memory data folder (docs/data-contract.md): typed, validated tables plus integer codes for the engine.

`load_data` (dip_model.data.load) returns a DataSet whose tables are normalised as below, so the
engine never re-checks or re-parses them:

hospitals  one row per hospital, index 0..n-1, columns
           hospital_id (str), name (str, default = id), district (str, default ""),
           level (str), reimb_level (int64), type (str: general|tcm|specialty),
           assessment_score (float64, default = assessment_max), assessment_max (float64, default 100),
           is_new, suspended, fraud_penalized (bool), level_change_date (datetime64[ns], NaT),
           prev_level (object str or None), violation_amount (float64, default 0),
           bonus (float64, NaN = not given), key_specialty_national/provincial/city (int64, default 0)
           plus any extra columns, kept as read.
cases      one row per case, index 0..n-1, columns
           case_id, hospital_id, scheme ("employee"|"resident") (str),
           discharge_date, admit_date (datetime64[ns], NaT when missing),
           patient_id, group_id, dx_code, proc_codes, proc_class, aux_type (object: str or None),
           total_cost, ffs_fund, ffs_amount (float64; ffs_amount defaults to total_cost),
           self_pay (float64, NaN = not given), other_insurance (float64, default 0),
           age (float64, NaN = not given),
           qc_pass, uploaded_on_time (bool, default True), tcm_advantage, transferred,
           readmission_elsewhere (bool, default False), department, doctor (object: str or None)
history    same columns as cases (None when no history.csv)
catalogue  group_id (str), name (str), group_type (core|comprehensive), rw (float64),
           policy_factor (float64, default 1), grassroots (bool, default False),
           category (str: normal|monitored|ambiguous, default normal), tcm_standard (float64, NaN)
           (None when no catalogue.csv)
group_level_costs  group_id (str), level (str), mean_cost (float64)   (None when absent)
fund       one row per scheme present: scheme plus the money columns of docs/data-contract.md as float64
           (NaN when not given; revenue / revenue_growth may be derived from each other, see budget);
           None in a hospital folder (mode "hospital": one or a few hospitals, no city fund table)
aux        aux_type (str), aux_coef (float64)   (None when absent)
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SCHEMES = ("employee", "resident")
MODES = ("city", "hospital")      # a folder with fund.csv (the whole city) or without (one or a few hospitals)


@dataclass(eq=False)
class DataSet:
    hospitals: pd.DataFrame
    cases: pd.DataFrame
    fund: pd.DataFrame | None
    catalogue: pd.DataFrame | None = None
    group_level_costs: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    aux: pd.DataFrame | None = None
    source: str = ""                       # folder or store id, for messages
    version: str = ""                      # content hash (sha256 of the files' bytes), for caching
    warnings: list[str] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: Any = field(default_factory=threading.RLock, repr=False)

    @property
    def mode(self) -> str:
        """"city" when the folder has the city's fund table, else "hospital": the steps that need the
        whole city (A-10 … A-13 budget, A-36 cap, A-3 balance) are then not applicable and the
        settlement point value must be given (docs/data-contract.md, Hospital folders)."""
        return "city" if self.fund is not None else "hospital"

    def __getstate__(self):
        """Pickled (e.g. to a worker process) without its caches and lock."""
        state = dict(self.__dict__)
        state["_cache"], state["_lock"] = {}, None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def cached(self, stage: str, key: str, build, keep: int = 3):
        """Reuse a stage's result for the same key; the `keep` most recent keys of each stage are kept,
        so a scenario and its baseline can differ in a stage without rebuilding it on every run."""
        with self._lock:                             # sessions and analysis threads share one DataSet
            entries = self._cache.setdefault(stage, {})
            if key in entries:
                entries[key] = entries.pop(key)      # most recent last
                return entries[key]
        value = build()                              # built outside the lock; a twin build is harmless
        with self._lock:
            entries[key] = value
            while len(entries) > keep:
                entries.pop(next(iter(entries)))
        return value
