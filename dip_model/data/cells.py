"""Cells and columns as read turned into typed columns of the contract (text, numbers, dates, yes/no,
known words), each column checked against its Col (data.schema).

A column is converted by Arrow's strict casts or once per distinct value; any cell the strict cast
refuses sends that column through the per-value parsers, so messages do not depend on the path.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..messages import Items, Template
from .schema import BOOL_WORDS, Col


@functools.cache
def memory_pool() -> pa.MemoryPool:
    """Where the large Arrow arrays of a load live: jemalloc when the build has it.

    The default mimalloc pool keeps pages freed by other threads (Arrow's reader threads,
    our converter threads) resident until those threads allocate again, so the text of a
    large file, though dropped column by column, would stay in memory (~0.3 GB more peak
    for 1.1 M cases plus 3 M history rows); jemalloc hands them back. Arrays remember
    their pool, so mixing pools is safe."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.default_memory_pool()



# ---------------------------------------------------------------- cell conversion
def cell_text(v) -> str | None:
    """One spreadsheet / parquet cell as text; None when empty."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d") if v.time() == time(0) else v.isoformat(" ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v).strip() or None


def cells_to_text(s: pd.Series) -> pd.Series:
    """Any column as str dtype, computed once per distinct value."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    texts = np.array([cell_text(u) for u in uniq] + [None], dtype=object)
    return pd.Series(texts[codes], dtype="str")


def as_text(s: pd.Series | pa.ChunkedArray) -> pa.Array:
    """Any column as one Arrow text array (zero-copy for the str dtype), not yet stripped."""
    if isinstance(s, pd.Series):
        if s.dtype != "str":
            s = s.astype("str") if pd.api.types.is_integer_dtype(s) else cells_to_text(s)
        s = pa.array(s.array)
    if isinstance(s, pa.ChunkedArray):
        s = s.chunk(0) if s.num_chunks == 1 else s.combine_chunks(memory_pool())
    return s


def _strip(a: pa.Array) -> pa.Array:
    """Text without surrounding white space, empty -> missing (as Series.str.strip)."""
    t = pc.utf8_trim_whitespace(a, memory_pool=memory_pool())
    empty = pc.equal(pc.binary_length(t), 0)
    if pc.any(empty).as_py():
        t = pc.if_else(empty, pa.scalar(None, t.type), t, memory_pool=memory_pool())
    return t


def str_series(a: pa.Array | pa.ChunkedArray) -> pd.Series:
    """Arrow text as a str-dtype Series (index 0..n-1)."""
    return a.to_pandas() if len(a) else pd.Series([], dtype="str")


def _stripped_cell(a: pa.Array):
    """Row i of `a`, stripped as in _strip (for messages: built for one row only)."""
    return lambda i: pc.utf8_trim_whitespace(a.slice(i, 1))[0].as_py()


_BAD = object()


@dataclass
class _Codes:
    """A text column as codes into its distinct stripped values (None = empty), -1 = missing."""

    codes: np.ndarray
    uniq: list

    @classmethod
    def of(cls, a: pa.Array) -> "_Codes":
        d = pc.dictionary_encode(a, memory_pool=memory_pool())
        uniq = [u or None for u in pc.utf8_trim_whitespace(d.dictionary).to_pylist()]
        return cls(pc.fill_null(d.indices, -1).to_numpy(), uniq)

    def per_row(self, per_value, fill, dtype) -> np.ndarray:
        """Map a value per distinct text to rows (-1 picks the appended `fill`)."""
        return np.array(list(per_value) + [fill], dtype=dtype)[self.codes]

    def missing(self) -> np.ndarray:
        return self.per_row((u is None for u in self.uniq), True, bool)

    def text(self, i: int):
        return self.uniq[self.codes[i]] if self.codes[i] >= 0 else None

    def parse(self, parse, fill, dtype) -> tuple[np.ndarray, np.ndarray]:
        """parse() each distinct text once; returns (values, bad mask); missing -> fill."""
        parsed = [None if u is None else parse(u) for u in self.uniq]
        bad = self.per_row((p is _BAD for p in parsed), False, bool)
        values = self.per_row((fill if p is None or p is _BAD else p for p in parsed), fill, dtype)
        return values, bad


def _float(t: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Stripped text to float64: fast Arrow cast, pandas to locate the bad cells when it fails."""
    try:
        v = pc.cast(pa.array(t, from_pandas=True), pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        v = pd.to_numeric(t, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    v = np.asarray(v, dtype=float)
    bad = t.notna().to_numpy() & ~np.isfinite(v)
    return np.where(bad, np.nan, v), bad


_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?")


def _parse_date(text: str):
    m = _DATE.fullmatch(text)
    if not m:
        return _BAD
    try:
        return np.datetime64(date(*map(int, m.groups())), "D")
    except ValueError:              # e.g. 2024-02-30
        return _BAD


def _parse_bool(text: str):
    v = BOOL_WORDS.get(text.lower())
    return _BAD if v is None else float(v)


def _cast(a: pa.Array, to: pa.DataType) -> pa.Array | None:
    """Arrow's strict cast of raw text (no white space, no other spelling), None if it fails.

    Every text it accepts means the same to the slower per-value parsers, so when it
    succeeds the result is theirs; when it fails those parsers decide (and name the cells)."""
    try:
        return pc.cast(a, to, memory_pool=memory_pool())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _nulls(a: pa.Array) -> np.ndarray:
    return a.is_null().to_numpy(zero_copy_only=False)


def _numpy(a: pa.Array) -> np.ndarray:
    """A numeric Arrow array as a numpy array of its own (writable, unlike a view on Arrow
    memory, so the engine may set values in the tables); missing = NaN / NaT."""
    return a.to_numpy(zero_copy_only=False, writable=True)


# ---------------------------------------------------------------- one column
@dataclass
class _Conv:
    values: np.ndarray | pd.Series | None   # before defaults; None: a text column not given (_absent)
    bad: np.ndarray                 # present but unusable
    missing: np.ndarray             # absent (empty cell)
    raw: pd.Series | Callable[[int], object] | None   # the text, for messages: Series or function of the row


_KIND_MSG = {"float": "not_a_number", "int": "not_whole", "bool": "not_yes_no", "date": "not_date"}
# columns of known words whose unknown values have their own wording (in Chinese)
_UNKNOWN_MSG = {"scheme": "unknown_scheme", "level": "unknown_level", "prev_level": "unknown_level",
                "type": "unknown_type", "group_type": "unknown_group_type", "category": "unknown_category",
                "proc_class": "unknown_proc_class"}


def _convert(s: pd.Series | pa.ChunkedArray, col: Col) -> _Conv:
    """Parse one column by its kind; typed (parquet) columns skip the text step."""
    if isinstance(s, pa.ChunkedArray):
        pass                        # CSV text
    elif col.kind in ("float", "int") and pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(v) & ~np.isnan(v)
        return _finish_int(_Conv(np.where(bad, np.nan, v), bad, s.isna().to_numpy(), s), col)
    elif col.kind == "bool" and pd.api.types.is_bool_dtype(s) and not s.hasnans:
        return _Conv(s.to_numpy(dtype=float), np.zeros(len(s), bool), np.zeros(len(s), bool), s)
    elif col.kind == "date" and pd.api.types.is_datetime64_any_dtype(s):
        d = s.dt.tz_localize(None) if s.dt.tz is not None else s
        v = d.dt.normalize().to_numpy().astype("datetime64[ns]")
        return _Conv(v, np.zeros(len(s), bool), s.isna().to_numpy(), s)
    a = as_text(s)
    del s
    if col.kind in ("float", "int"):
        return _finish_int(_to_float(a), col)
    if col.kind == "bool":
        v = _cast(a, pa.bool_())
        if v is None:
            c = _Codes.of(a)
            return _Conv(*c.parse(_parse_bool, np.nan, float), c.missing(), c.text)
        missing = _nulls(v)
        values = np.where(missing, np.nan, pc.fill_null(v, False).to_numpy(zero_copy_only=False))
        return _Conv(values, np.zeros(len(a), bool), missing, _stripped_cell(a))
    if col.kind == "date":
        v = _cast(a, pa.date32())
        if v is None:
            c = _Codes.of(a)
            v, bad = c.parse(_parse_date, np.datetime64("NaT"), "datetime64[D]")
            return _Conv(v.astype("datetime64[ns]"), bad, c.missing(), c.text)
        values = _numpy(pc.cast(v, pa.timestamp("ns"), memory_pool=memory_pool()))
        return _Conv(values, np.zeros(len(a), bool), _nulls(v), _stripped_cell(a))
    if col.words:
        return _words(_Codes.of(a), col)
    if col.kind == "opt" and _few_distinct(a):
        c = _Codes.of(a)            # equal texts share one Python string
        return _Conv(c.per_row(c.uniq, None, object), np.zeros(len(a), bool), c.missing(), c.text)
    t = _strip(a)
    del a
    missing = _nulls(t)
    if col.kind == "opt":
        return _Conv(t.to_numpy(zero_copy_only=False), np.zeros(len(t), bool), missing, None)
    return _Conv(str_series(t), np.zeros(len(t), bool), missing, None)


def _to_float(a: pa.Array) -> _Conv:
    """Text to float64: Arrow's cast when every cell is a plain number, else the careful path."""
    v = _cast(a, pa.float64())
    if v is None:
        t = str_series(_strip(a))
        return _Conv(*_float(t), t.isna().to_numpy(), t)
    missing = _nulls(v)
    values = _numpy(v)
    bad = ~missing & ~np.isfinite(values)       # nan, inf
    if bad.any():
        values = np.where(bad, np.nan, values)
    return _Conv(values, bad, missing, _stripped_cell(a))


def _few_distinct(a: pa.Array, sample: int = 65536) -> bool:
    """Whether a column repeats its values enough to be worth encoding (judged on a sample)."""
    head = a.slice(0, sample)
    return len(a) <= sample or pc.count_distinct(head).as_py() <= len(head) // 2


def _finish_int(c: _Conv, col: Col) -> _Conv:
    """For int columns, a fraction is bad too."""
    if col.kind == "int":
        assert c.values is not None     # numbers are converted to an array (only text may be absent)
        frac = ~np.isnan(c.values) & (c.values != np.round(c.values))
        c.values = np.where(frac, np.nan, c.values)
        c.bad = c.bad | frac
    return c


def _words(c: _Codes, col: Col) -> _Conv:
    """Map accepted spellings to canonical values; an unknown one is kept as written."""
    assert col.words is not None        # called only for columns of known words
    canon = [None if u is None else col.words.get(u.lower(), _BAD) for u in c.uniq]
    bad = c.per_row((w is _BAD for w in canon), False, bool)
    out = [u if w is _BAD else w for u, w in zip(c.uniq, canon)]
    if col.kind == "opt":
        values = c.per_row(out, None, object)
    else:
        idx = pa.array(c.codes, mask=c.codes < 0)
        values = str_series(pc.take(pa.array(out, pa.large_string()), idx, memory_pool=memory_pool()))
    return _Conv(values, bad, c.missing(), c.text)



def convert_column(col: Col, s, n: int) -> tuple[pd.Series, np.ndarray, list[tuple]]:
    """Converted, checked and default-filled column (a column not given is all default),
    which of its cells were empty, and the rules it breaks as ctx.rows arguments
    (mask, Template, values, warn), in reporting order. Touches no shared state."""
    if s is None:
        c = _absent(col, n)
        return _fill(col, c), c.missing, []
    c = _convert(s, col)
    del s
    found: list[tuple[np.ndarray, Template, pd.Series | Callable[[int], object] | None, bool]] = []
    if col.need:
        found.append((c.missing, Template("missing_value"), None, False))
    msg = _unknown_msg(col) if col.words else Template(_KIND_MSG.get(col.kind, "bad_value"))
    found.append((c.bad, msg, c.raw, bool(col.words) and not col.strict))
    if col.low:
        v = np.asarray(c.values, dtype=float)
        low = v < 0 if col.low == "nonneg" else v <= 0
        msg = Template("negative_value" if col.low == "nonneg" else "not_positive")
        found.append((low, msg, c.raw, False))
    if col.span:
        v = np.asarray(c.values, dtype=float)
        out = (v < col.span[0]) | (v > col.span[1])
        found.append((out, Template("out_of_span", low=col.span[0], high=col.span[1]), c.raw, False))
    found = [f for f in found if f[0].any()]
    return _fill(col, c), c.missing, found


def _absent(col: Col, n: int) -> _Conv:
    """A column not given: every cell missing."""
    if col.kind == "date":
        values = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    elif col.kind in ("float", "int", "bool"):
        values = np.full(n, np.nan)
    else:
        values = None               # text: built directly by _fill
    none = np.zeros(n, bool)
    return _Conv(values, none, ~none, None)


def _unknown_msg(col: Col) -> Template:
    assert col.words is not None        # called only for columns of known words
    known = Items(sorted(set(col.words.values())))
    return Template(_UNKNOWN_MSG.get(col.name, "unknown_value"), known=known)


def _fill(col: Col, c: _Conv) -> pd.Series:
    """Final dtype with defaults for missing cells."""
    k = col.kind
    if k in ("float", "int"):
        v = c.values
        assert v is not None            # numbers are an array even when absent (_absent)
        if col.default is not None:
            v = np.where(np.isnan(v), col.default, v)
        return pd.Series(v, dtype="float64", copy=False) if k == "float" else \
            pd.Series(np.nan_to_num(v), dtype="int64")
    if k == "bool":
        assert c.values is not None     # yes/no is an array even when absent (_absent)
        v = np.where(np.isnan(c.values), bool(col.default), c.values)
        return pd.Series(v.astype(bool), copy=False)
    if k == "date":
        return pd.Series(np.asarray(c.values, dtype="datetime64[ns]"), copy=False)
    if c.values is None:            # column not given
        fill = None if k == "opt" else col.default
        return pd.Series(np.full(len(c.missing), fill, dtype=object),
                         dtype=object if k == "opt" else "str")
    if k == "opt":
        v = c.values
        if isinstance(v, pd.Series):
            v = v.to_numpy(dtype=object, na_value=None)
        return pd.Series(v, dtype=object, copy=False)
    assert isinstance(c.values, pd.Series)  # other text: a str Series (str_series)
    s = c.values.reset_index(drop=True)
    return s.fillna(col.default) if col.default is not None else s

