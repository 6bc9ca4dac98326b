"""Stored frames: a pandas DataFrame as an Arrow table plus its column list [[name, pandas dtype], ...],
and back, so a dataset comes back with exactly the dtypes it was saved with."""
from __future__ import annotations

import math
from contextlib import suppress

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...messages import Message


def _to_arrow(df: pd.DataFrame, where: str, warnings: list[str]) -> tuple[pa.Table, list]:
    """A frame as an Arrow table plus its column list [[name, pandas dtype], ...].

    A column Arrow cannot hold (mixed Python objects) is stored as text, with a warning."""
    cols, arrays = [], []
    for name in df.columns:
        s = df[name]
        dtype = str(s.dtype)
        try:
            arr = _arrow_column(s)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            arr = pa.array(s.map(lambda v: None if v is None or v is pd.NA or
                                 (isinstance(v, float) and math.isnan(v)) else str(v)),
                           type=pa.string())
            dtype = "object"
            warnings.append(Message("store_mixed_column", where=where, column=str(name)))
        cols.append([str(name), dtype])
        arrays.append(arr)
    table = pa.Table.from_arrays(arrays, names=[c[0] for c in cols]) if cols else \
        pa.table({"_empty": pa.nulls(len(df))})
    return table, cols


def _arrow_column(s: pd.Series) -> pa.Array:
    """Arrow array of a column; an object column of texts is typed as text even when empty."""
    if s.dtype == object:
        try:
            return pa.array(s, from_pandas=True, type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return pa.array(s, from_pandas=True)


def _few_distinct(a: pa.Array, sample: int = 65536) -> bool:
    """Whether a text column repeats its values enough to share one Python string per value."""
    head = a.slice(0, sample)
    return len(a) <= sample or pc.count_distinct(head).as_py() <= len(head) // 2


def _series(a: pa.ChunkedArray, dtype: str) -> pd.Series:
    """One stored column back in its recorded pandas dtype (the dtypes load_data gives are
    built directly; anything else goes through Arrow's own conversion)."""
    text = pa.types.is_string(a.type) or pa.types.is_large_string(a.type) \
        or pa.types.is_string_view(a.type)
    if dtype == "str" and text:
        return pc.cast(a.combine_chunks(), pa.large_string()).to_pandas()
    if dtype == "object" and text:
        arr = a.combine_chunks()
        if _few_distinct(arr):            # one shared Python string per distinct value
            d = pc.dictionary_encode(arr)
            uniq = np.array(d.dictionary.to_pylist() + [None], dtype=object)
            values = uniq[pc.fill_null(d.indices, -1).to_numpy(zero_copy_only=False)]
        else:
            values = arr.to_numpy(zero_copy_only=False)
        return pd.Series(values, dtype=object, copy=False)
    if dtype == "object":
        return pd.Series(a.to_pylist(), dtype=object)
    if dtype in ("float64", "datetime64[ns]") or \
            (dtype in ("int64", "bool") and a.null_count == 0):
        values = a.to_numpy() if a.num_chunks != 1 else a.chunk(0).to_numpy(zero_copy_only=False)
        values = np.asarray(values, dtype=dtype)
        if not values.flags.writeable:    # a view of Arrow's buffer: own it, as load_data does
            values = values.copy()
        return pd.Series(values, copy=False)
    s = a.to_pandas()
    with suppress(TypeError, ValueError):
        s = s.astype(pd.api.types.pandas_dtype(dtype))
    return s


def _frame(table: pa.Table, cols: list) -> pd.DataFrame:
    n = table.num_rows
    out = {name: _series(table.column(name), dtype) for name, dtype in cols}
    return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)
