"""The drawn city as Arrow tables, in the column order of docs/data-contract.md."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .calibration import AUX, CLASSES, SCHEMES, YEAR


def cases_table(st: dict, ctx: dict, b: dict) -> pa.Table:
    """cases.csv / history.csv rows of one year, in the column order of docs/data-contract.md."""
    keys, dx = ctx["keys"], ctx["dx"]
    key = pa.array(st["key"])
    n = len(st["key"])
    prefix = "C" if st["year"] == YEAR else f"C{st['year']}-"
    aux_names = pa.array([None] + [a for a, _ in AUX])
    return pa.table({
        "case_id": _ids(prefix, np.arange(1, n + 1), max(7, len(str(n)))),
        "patient_id": _ids("P", st["patient"] + 1, b["pid_width"]),
        "hospital_id": _strs(ctx["hosp"]["hospital_id"]).take(pa.array(st["hosp"])),
        "scheme": pa.array(list(SCHEMES)).take(pa.array(st["scheme"])),
        "admit_date": pa.array(st["admit"]), "discharge_date": pa.array(st["discharge"]),
        "group_id": _strs(ctx["label"]).take(key),
        "dx_code": _strs(dx["code"]).take(pa.array(keys["dx"].to_numpy()).take(key)),
        "proc_codes": _strs(keys["proc_codes"]).take(key),
        "proc_class": pa.array(list(CLASSES)).take(pa.array(keys["cls"].to_numpy()).take(key)),
        "total_cost": pa.array(st["cost"]), "ffs_fund": pa.array(st["ffs_fund"]),
        "self_pay": pa.array(st["self_pay"]), "age": pa.array(st["age"]),
        "aux_type": aux_names.take(pa.array(st["aux"])),
        "qc_pass": pa.array(st["qc_pass"]), "uploaded_on_time": pa.array(st["uploaded_on_time"]),
        "tcm_advantage": pa.array(st["tcm_advantage"]), "transferred": pa.array(st["transferred"])})


def frame_table(df: pd.DataFrame) -> pa.Table:
    """A small DataFrame as an Arrow table (dates as date32, missing values as nulls)."""
    cols = {}
    for c in df.columns:
        v = df[c]
        if c.endswith("_date"):
            cols[c] = pa.array(v.to_numpy(dtype="datetime64[D]"), type=pa.date32())
        elif v.dtype == object or pd.api.types.is_string_dtype(v):
            cols[c] = _strs(v)
        else:
            cols[c] = pa.array(v.to_numpy(), from_pandas=True)
    return pa.table(cols)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """'C0000001'-style ids, built in Arrow."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _strs(values) -> pa.Array:
    """A string array from a small column; NaN / None become nulls."""
    v = pd.Series(values, dtype=object)
    return pa.array(v.where(v.notna(), None).tolist(), type=pa.string())
