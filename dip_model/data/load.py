"""Read and check a data folder (docs/data-contract.md) into a normalised DataSet.

`load_data(path)` returns a DataSet or raises InputError listing every problem;
`validate(path)` returns (problems, warnings) and never raises for bad data.
Each table may be NAME.parquet, NAME.csv or NAME.xlsx (preferred in that order).
Cells are read as text first and then converted column by column (vectorised),
so a wrong cell is reported with its file, row (header = row 1) and column.

Large files: a CSV is read by Arrow straight from disk into Arrow text (no Python objects),
each column is converted by Arrow's strict casts or once per distinct value, two columns at
a time, and its text is freed as soon as it is converted; any cell the strict cast refuses
sends that column through the per-value parsers, so messages do not depend on the path.
The version hash streams the files on a separate thread.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .dataset import SCHEMES, DataSet
from ..errors import InputError, Problem
from ..messages import Items, Message, Template

SUFFIXES = (".parquet", ".csv", ".xlsx")   # preference order when several exist
ROWS_SHOWN = 10                             # offending rows listed per problem
_CHUNK = 64 << 20                            # bytes hashed at a time

# ---------------------------------------------------------------- vocabularies
# Accepted spellings (lower-case) -> canonical value.
BOOL_WORDS = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False,
              "yes": True, "no": False, "是": True, "否": False}
SCHEME_WORDS = {"employee": "employee", "resident": "resident", "职工": "employee", "居民": "resident"}
LEVEL_WORDS = {"3a": "3A", "3b": "3B", "2a": "2A", "2b": "2B", "1": "1", "other": "other",
               "三级甲等": "3A", "三级乙等": "3B", "二级甲等": "2A", "二级乙等": "2B",
               "一级": "1", "其他": "other"}
TYPE_WORDS = {"general": "general", "tcm": "tcm", "specialty": "specialty",
              "综合": "general", "中医": "tcm", "专科": "specialty"}
GROUP_TYPE_WORDS = {"core": "core", "comprehensive": "comprehensive",
                    "核心": "core", "综合": "comprehensive"}
CATEGORY_WORDS = {w: w for w in ("normal", "monitored", "ambiguous")}
PROC_CLASS_WORDS = {w: w for w in ("conservative", "diagnostic", "therapeutic", "surgical")}


# ---------------------------------------------------------------- schema
@dataclass(frozen=True)
class Col:
    """One known column: how to convert it and which simple rules apply."""

    name: str
    kind: str                       # text | opt (object str/None) | float | int | bool | date
    need: bool = False              # the column must exist and every row must have a value
    default: object = None          # fills missing cells (None: NaN / NaT / None)
    words: dict | None = None       # accepted values, lower-case alias -> canonical
    strict: bool = True             # unknown word: problem (True) or warning (False)
    low: str = ""                   # "" | "nonneg" | "positive"
    span: tuple[int, int] | None = None   # allowed closed range


@dataclass(frozen=True)
class Table:
    """One table of the data folder: its columns and which file-level rules apply."""

    name: str
    cols: tuple[Col, ...]
    needed: bool = False            # the file must exist
    unique: tuple[str, ...] = ()    # these columns together identify a row


def _flags(*names: str, default: bool) -> tuple[Col, ...]:
    return tuple(Col(n, "bool", default=default) for n in names)


HOSPITALS = Table("hospitals", (
    Col("hospital_id", "text", need=True),
    Col("name", "text"),                                    # default = hospital_id
    Col("district", "text", default=""),
    Col("level", "text", need=True, words=LEVEL_WORDS, strict=False),
    Col("reimb_level", "int", need=True, span=(1, 3)),
    Col("type", "text", default="general", words=TYPE_WORDS),
    Col("assessment_score", "float", low="nonneg"),         # default = assessment_max
    Col("assessment_max", "float", default=100.0, low="positive"),
    *_flags("is_new", "suspended", "fraud_penalized", default=False),
    Col("level_change_date", "date"),
    Col("prev_level", "opt", words=LEVEL_WORDS, strict=False),
    Col("violation_amount", "float", default=0.0, low="nonneg"),
    Col("bonus", "float"),
    *(Col(f"key_specialty_{k}", "int", default=0, low="nonneg")
      for k in ("national", "provincial", "city")),
), needed=True, unique=("hospital_id",))

CASE_COLS = (
    Col("case_id", "text", need=True),
    Col("hospital_id", "text", need=True),
    Col("scheme", "text", need=True, words=SCHEME_WORDS),
    Col("discharge_date", "date", need=True),
    Col("admit_date", "date"),
    *(Col(n, "opt") for n in ("patient_id", "group_id", "dx_code", "proc_codes")),
    Col("proc_class", "opt", words=PROC_CLASS_WORDS, strict=False),
    Col("aux_type", "opt"),
    Col("total_cost", "float", need=True, low="nonneg"),
    Col("ffs_fund", "float", need=True, low="nonneg"),
    Col("ffs_amount", "float", low="nonneg"),               # default = total_cost
    Col("self_pay", "float", low="nonneg"),
    Col("other_insurance", "float", default=0.0, low="nonneg"),
    Col("age", "float", low="nonneg"),
    *_flags("qc_pass", "uploaded_on_time", default=True),
    *_flags("tcm_advantage", "transferred", default=False),
)
CASES = Table("cases", CASE_COLS, needed=True, unique=("case_id",))
HISTORY = Table("history", CASE_COLS, unique=("case_id",))  # duplicates only warned

FUND_MONEY = ("prior_expenditure", "prior_revenue", "revenue", "prior_adjustment_fund",
              "out_of_area", "local_outpatient", "maternity", "critical_illness_premium",
              "non_dip_items", "other_rigid")
FUND = Table("fund", (
    Col("scheme", "text", need=True, words=SCHEME_WORDS),
    *(Col(m, "float", low="nonneg") for m in FUND_MONEY),
    Col("revenue_growth", "float"),
    Col("opening_balance", "float"),
), needed=True, unique=("scheme",))

CATALOGUE = Table("catalogue", (
    Col("group_id", "text", need=True),
    Col("name", "text", default=""),
    Col("group_type", "text", need=True, words=GROUP_TYPE_WORDS),
    Col("rw", "float", need=True, low="positive"),
    Col("policy_factor", "float", default=1.0, low="positive"),
    Col("grassroots", "bool", default=False),
    Col("category", "text", default="normal", words=CATEGORY_WORDS),
    Col("tcm_standard", "float", low="nonneg"),
), unique=("group_id",))

GROUP_LEVEL_COSTS = Table("group_level_costs", (
    Col("group_id", "text", need=True),
    Col("level", "text", need=True, words=LEVEL_WORDS, strict=False),
    Col("mean_cost", "float", need=True, low="positive"),
), unique=("group_id", "level"))

AUX = Table("aux", (
    Col("aux_type", "text", need=True),
    Col("aux_coef", "float", need=True),
), unique=("aux_type",))

TABLES = (HOSPITALS, CASES, FUND, CATALOGUE, GROUP_LEVEL_COSTS, HISTORY, AUX)


class _Unreadable(Exception):
    """A file that cannot be read as a table (the Message says why, `row` where)."""

    def __init__(self, message: Message, row: int | None = None):
        super().__init__(message)
        self.message, self.row = message, row


# ---------------------------------------------------------------- public API
def validate(path) -> tuple[list[Problem], list[str]]:
    """Every problem and warning of the data folder at `path`; never raises for bad data."""
    ctx = _check(Path(path))
    return ctx.problems, ctx.warnings


def load_data(path) -> DataSet:
    """The normalised DataSet of the folder at `path`; InputError if any problem is found."""
    ctx = _check(Path(path))
    if ctx.problems:
        raise InputError(ctx.problems)
    t = ctx.tables
    return DataSet(hospitals=t["hospitals"], cases=t["cases"], fund=t["fund"],
                   catalogue=t.get("catalogue"), group_level_costs=t.get("group_level_costs"),
                   history=t.get("history"), aux=t.get("aux"), source=str(path),
                   version=ctx.digest.hexdigest(), warnings=list(ctx.warnings))


# ---------------------------------------------------------------- context
@dataclass
class _Ctx:
    """What a check run collects: tables, their file names, problems, warnings, hash."""

    folder: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)      # Messages
    digest: object = None           # sha256 over the files' names and bytes

    def problem(self, file, message: Message, row=None, column=None):
        self.problems.append(Problem(file, message, row=row, column=column))

    def rows(self, file, column, mask, message: Template, values=None, warn=False):
        """One problem (or warning) for all rows where `mask` holds; the Template's `{v}` = first value.

        `values` is a Series, or a function of the row position (built only when needed)."""
        idx = np.flatnonzero(_bool(mask))
        if idx.size == 0:
            return
        first = "" if values is None else values(int(idx[0])) if callable(values) \
            else values.iloc[idx[0]]
        rows = tuple(int(i) + 2 for i in idx[:ROWS_SHOWN])
        p = Problem(file, message.fill(first), row=rows[0], column=column,
                    rows=rows, count=int(idx.size))
        if warn:
            self.warnings.append(p.located())
        else:
            self.problems.append(p)


def _bool(mask) -> np.ndarray:
    """A boolean mask as a numpy array, missing = False."""
    if isinstance(mask, pd.Series):
        return mask.to_numpy(dtype=bool, na_value=False)
    return np.asarray(mask, dtype=bool)


class _Raw(dict):
    """The columns of one table as read, name -> Arrow text (CSV) or Series (other readers),
    its number of rows, and the empty-cell masks of converted columns the rules need.

    A plain dict so that a column can be dropped as soon as it is converted."""

    def __init__(self, columns, n: int):
        super().__init__(columns)
        self.n = n
        self.missing: dict[str, np.ndarray] = {}

    def cell(self, name: str):
        """The raw text of column `name` by row position (for messages), None if not given."""
        col = self.get(name)
        if col is None:
            return None
        if isinstance(col, pd.Series):
            return lambda i: col.iloc[i]
        return lambda i: col[i].as_py()


def _check(folder: Path) -> _Ctx:
    ctx = _Ctx(folder)
    if not folder.is_dir():
        ctx.problem(str(folder), Message("data_folder_not_found"))
        return ctx
    listing = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    found = {spec.name: _found(spec, listing) for spec in TABLES}
    # the version hash reads the files on a second core while this one parses and checks them
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(_hash_files, [f[0] for f in found.values() if f])
        for spec in TABLES:
            raw = _read_table(ctx, spec, found[spec.name])
            if raw is not None:
                ctx.tables[spec.name] = _normalise(ctx, spec, raw)
            del raw                 # the text columns are freed before the next file is read
            _pool().release_unused()
        _cross_check(ctx)
        ctx.digest = digest.result()
    return ctx


@functools.cache
def _pool() -> pa.MemoryPool:
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


# ---------------------------------------------------------------- reading
def folder_version(path) -> str:
    """The version hash load_data would give the folder, from the bytes alone (nothing is parsed)."""
    folder = Path(path)
    listing = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    found = [_found(spec, listing) for spec in TABLES]
    return _hash_files([f[0] for f in found if f]).hexdigest()


def _found(spec: Table, listing: dict[str, Path]) -> list[Path]:
    """The files for one table, the one to use first."""
    return [listing[n] for n in (spec.name + s for s in SUFFIXES) if n in listing]


def _read_table(ctx: _Ctx, spec: Table, found: list[Path]) -> _Raw | None:
    """The raw columns of one table (text or typed), or None if absent/unreadable."""
    if not found:
        if spec.needed:
            ctx.problem(f"{spec.name}.csv", Message("file_missing"))
        return None
    path = found[0]
    if len(found) > 1:
        ctx.warnings.append(Message("several_files", file=path.name, table=spec.name,
                                    others=Items(p.name for p in found[1:])))
    ctx.files[spec.name] = path.name
    try:
        return _clean_header(ctx, path.name, _read_file(path))
    except Exception as exc:        # readers raise many types on corrupt files
        ctx.problem(path.name, *_read_error(exc))
        return None


def _read_error(exc: Exception) -> tuple[Message, int | None]:
    """Message and row of a reading failure."""
    if isinstance(exc, _Unreadable):
        return Message("cannot_read", reason=exc.message), exc.row
    text = re.sub(r"^Error tokenizing data\. C error: ", "", str(exc).strip())
    line = re.search(r"line (\d+)", text)     # pandas names the malformed line
    fields = re.fullmatch(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    reason = Message("csv_fields", expected=int(fields[1]), line=int(fields[2]), saw=int(fields[3])) \
        if fields else text                     # any other reader's own words, as it gives them
    return Message("cannot_read", reason=reason), int(line[1]) if line else None


def _read_file(path: Path) -> pd.DataFrame | pa.Table:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if _blank(path):
            raise _Unreadable(Message("file_empty"))
        return _read_csv(path)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    return _read_xlsx(path)


def _blank(path: Path) -> bool:
    """True if the file is empty or holds only white space (read only as far as needed)."""
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            if not chunk.isspace():
                return False
    return True


def _hash_files(paths: list[Path]):
    """sha256 over each file's name and bytes, streamed in large chunks (the DataSet version).

    A file that cannot be read is left for the reader to report."""
    h = hashlib.sha256()
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    for path in paths:
        h.update(path.name.encode() + b"\0")
        try:
            with path.open("rb", buffering=0) as f:
                while n := f.readinto(buf):
                    h.update(view[:n])
        except OSError:
            pass
    return h


def _utf8(data: bytes) -> tuple[bytes, str]:
    """UTF-8 bytes of a CSV in UTF-8 (BOM optional) or GB18030, and its first line."""
    reached = 0                     # the decoder that got furthest points at the bad byte
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            reached = max(reached, exc.start)
            continue
        end = text.find("\n")
        header = text if end < 0 else text[:end]
        return (data if enc == "utf-8-sig" else text.encode("utf-8")), header
    raise _Unreadable(Message("not_utf8_gb18030"), row=data.count(b"\n", 0, reached) + 1)


def _text_options(header: str) -> pacsv.ConvertOptions:
    """Every column of the header line as text, an empty cell as missing."""
    names = next(csv.reader([header.rstrip("\r")]))
    return pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                strings_can_be_null=True, null_values=[""],
                                quoted_strings_can_be_null=True)


def _read_csv(path: Path) -> pd.DataFrame | pa.Table:
    """All columns as text (empty = missing), kept as Arrow arrays (not Python objects).

    Fast path: Arrow reads the file itself, in parallel, checking that every cell is UTF-8.
    Anything else (GB18030, a bad byte, a malformed row) goes through `_read_csv_bytes`,
    which names the row."""
    with path.open("rb") as f:
        first = f.readline()
    try:
        header = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _read_csv_bytes(path.read_bytes())
    try:
        table = pacsv.read_csv(str(path), convert_options=_text_options(header.rstrip("\n")),
                               memory_pool=_pool())
    except pa.ArrowInvalid:
        return _read_csv_bytes(path.read_bytes())
    return table


def _read_csv_bytes(data: bytes) -> pd.DataFrame | pa.Table:
    """The careful reader: decodes UTF-8 or GB18030, pandas for a located parse error."""
    data, header = _utf8(data)
    try:
        table = pacsv.read_csv(pa.BufferReader(data), convert_options=_text_options(header))
    except pa.ArrowInvalid:
        # pandas' parser handles quoted line breaks and names the line of a malformed row
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                           na_values=[""], encoding="utf-8-sig")
    return table


def _read_xlsx(path: Path) -> pd.DataFrame:
    """First sheet, every column as text (numbers, dates and booleans spelled out)."""
    df = pd.read_excel(path, engine="calamine", dtype=object, keep_default_na=False,
                       na_values=[""])
    return pd.DataFrame({str(c): _cells_to_text(df[c]) for c in df.columns})


def _clean_header(ctx: _Ctx, file: str, table: pd.DataFrame | pa.Table) -> _Raw:
    """Strip column names; drop unnamed columns (Excel's trailing commas)."""
    if isinstance(table, pa.Table):
        cols, n = table.columns, table.num_rows
        names = [str(c).strip() for c in table.column_names]
        def has_data(c): return c.null_count < len(c)                  # noqa: E704
    else:
        cols = [table.iloc[:, i].reset_index(drop=True) for i in range(table.shape[1])]
        n, names = len(table), [str(c).strip() for c in table.columns]
        def has_data(c): return c.notna().any()                         # noqa: E704
    del table
    unnamed = [not name or name.startswith("Unnamed:") for name in names]
    if any(u and has_data(cols[i]) for i, u in enumerate(unnamed)):
        ctx.warnings.append(Message("column_no_header", file=file))
    keep = [i for i, u in enumerate(unnamed) if not u]
    dup = {names[i] for i in keep if [names[j] for j in keep].count(names[i]) > 1}
    if dup:
        raise _Unreadable(Message("column_twice", column=sorted(dup)[0]))
    return _Raw(((names[i], cols[i]) for i in keep), n)


# ---------------------------------------------------------------- cell conversion
def _cell_text(v) -> str | None:
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


def _cells_to_text(s: pd.Series) -> pd.Series:
    """Any column as str dtype, computed once per distinct value."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    texts = np.array([_cell_text(u) for u in uniq] + [None], dtype=object)
    return pd.Series(texts[codes], dtype="str")


def _as_text(s: pd.Series | pa.ChunkedArray) -> pa.Array:
    """Any column as one Arrow text array (zero-copy for the str dtype), not yet stripped."""
    if isinstance(s, pd.Series):
        if s.dtype != "str":
            s = s.astype("str") if pd.api.types.is_integer_dtype(s) else _cells_to_text(s)
        s = pa.array(s.array)
    if isinstance(s, pa.ChunkedArray):
        s = s.chunk(0) if s.num_chunks == 1 else s.combine_chunks(_pool())
    return s


def _strip(a: pa.Array) -> pa.Array:
    """Text without surrounding white space, empty -> missing (as Series.str.strip)."""
    t = pc.utf8_trim_whitespace(a, memory_pool=_pool())
    empty = pc.equal(pc.binary_length(t), 0)
    if pc.any(empty).as_py():
        t = pc.if_else(empty, pa.scalar(None, t.type), t, memory_pool=_pool())
    return t


def _str_series(a: pa.Array | pa.ChunkedArray) -> pd.Series:
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
        d = pc.dictionary_encode(a, memory_pool=_pool())
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
        return pc.cast(a, to, memory_pool=_pool())
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
    values: object                  # numpy array or Series, before defaults
    bad: np.ndarray                 # present but unusable
    missing: np.ndarray             # absent (empty cell)
    raw: object                     # the text, for messages: Series or function of the row


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
    a = _as_text(s)
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
        values = _numpy(pc.cast(v, pa.timestamp("ns"), memory_pool=_pool()))
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
    return _Conv(_str_series(t), np.zeros(len(t), bool), missing, None)


def _to_float(a: pa.Array) -> _Conv:
    """Text to float64: Arrow's cast when every cell is a plain number, else the careful path."""
    v = _cast(a, pa.float64())
    if v is None:
        t = _str_series(_strip(a))
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
        frac = ~np.isnan(c.values) & (c.values != np.round(c.values))
        c.values = np.where(frac, np.nan, c.values)
        c.bad = c.bad | frac
    return c


def _words(c: _Codes, col: Col) -> _Conv:
    """Map accepted spellings to canonical values; an unknown one is kept as written."""
    canon = [None if u is None else col.words.get(u.lower(), _BAD) for u in c.uniq]
    bad = c.per_row((w is _BAD for w in canon), False, bool)
    out = [u if w is _BAD else w for u, w in zip(c.uniq, canon)]
    if col.kind == "opt":
        values = c.per_row(out, None, object)
    else:
        idx = pa.array(c.codes, mask=c.codes < 0)
        values = _str_series(pc.take(pa.array(out, pa.large_string()), idx, memory_pool=_pool()))
    return _Conv(values, bad, c.missing(), c.text)


# ---------------------------------------------------------------- one table
_PARALLEL_ROWS = 100_000           # tables this long convert two columns at a time
# raw text the table rules quote in their messages (kept until the rules have run)
_RULE_RAW = {"hospitals": ("assessment_score",), "cases": ("ffs_fund", "admit_date"),
             "history": ("ffs_fund", "admit_date")}
_RULE_MISSING = ("group_id", "dx_code")      # empty-cell masks the table rules use


def _normalise(ctx: _Ctx, spec: Table, raw: _Raw) -> pd.DataFrame | None:
    """Typed table in schema order plus extra columns; problems recorded in ctx.

    Each raw column is dropped from `raw` once converted, so a large table is never held
    twice in full."""
    file = ctx.files[spec.name]
    absent = [c.name for c in spec.cols if c.need and c.name not in raw]
    for name in absent:
        ctx.problem(file, Message("column_missing", column=name), column=name)
    if spec.name in ("cases", "history") and not {"group_id", "dx_code"} & set(raw):
        absent.append("group_id")
        ctx.problem(file, Message("column_missing_group"), column="group_id")
    if absent:
        return None
    n = raw.n
    if spec.needed and (n == 0 or not raw):
        ctx.problem(file, Message("no_data_rows"))
    keep = _RULE_RAW.get(spec.name, ())
    todo = [(col, raw.get(col.name) if col.name in keep else raw.pop(col.name, None), n)
            for col in spec.cols]
    out = {}
    with ThreadPoolExecutor(max_workers=2 if n >= _PARALLEL_ROWS else 1) as pool:
        results = pool.map(_column, *zip(*todo))     # columns convert in parallel ...
        del todo
        for col in spec.cols:                        # ... and are reported in schema order
            out[col.name], missing, found = next(results)
            if col.name in _RULE_MISSING:
                raw.missing[col.name] = missing
            for mask, message, values, warn in found:
                ctx.rows(file, col.name, mask, message, values, warn=warn)
            if n >= _PARALLEL_ROWS:
                _pool().release_unused()
    extras = {c: _str_series(s) if isinstance(s, pa.ChunkedArray) else s
              for c, s in raw.items() if c not in out}
    df = pd.DataFrame({**out, **extras}, index=pd.RangeIndex(n), copy=False)
    del out, extras
    _duplicates(ctx, spec, file, df)
    ROW_RULES.get(spec.name, lambda *a: None)(ctx, file, df, raw)
    return df


def _column(col: Col, s, n: int) -> tuple[pd.Series, np.ndarray, list[tuple]]:
    """Converted, checked and default-filled column (a column not given is all default),
    which of its cells were empty, and the rules it breaks as ctx.rows arguments
    (mask, Template, values, warn), in reporting order. Touches no shared state."""
    if s is None:
        c = _absent(col, n)
        return _fill(col, c), c.missing, []
    c = _convert(s, col)
    del s
    found = []
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
    known = Items(sorted(set(col.words.values())))
    return Template(_UNKNOWN_MSG.get(col.name, "unknown_value"), known=known)


def _fill(col: Col, c: _Conv) -> pd.Series:
    """Final dtype with defaults for missing cells."""
    k = col.kind
    if k in ("float", "int"):
        v = c.values
        if col.default is not None:
            v = np.where(np.isnan(v), col.default, v)
        return pd.Series(v, dtype="float64", copy=False) if k == "float" else \
            pd.Series(np.nan_to_num(v), dtype="int64")
    if k == "bool":
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
    s = c.values.reset_index(drop=True)
    return s.fillna(col.default) if col.default is not None else s


def _duplicates(ctx: _Ctx, spec: Table, file: str, df: pd.DataFrame) -> None:
    if not spec.unique:
        return
    keys = df[list(spec.unique)]
    if len(spec.unique) == 1:
        key = keys.iloc[:, 0]
        dup = _repeats(key)
    else:                           # small tables only
        key = lambda i: " / ".join(str(v) for v in keys.iloc[i])     # noqa: E731
        dup = keys.duplicated().to_numpy() & keys.notna().all(axis=1).to_numpy()
    msg = Template("duplicate", columns=" + ".join(spec.unique))
    ctx.rows(file, spec.unique[-1], dup, msg, key, warn=spec is HISTORY)


def _repeats(key: pd.Series) -> np.ndarray:
    """True where a (non-missing) value already appeared above."""
    if key.dtype == "str" and _surely_distinct(_as_text(key)):
        return np.zeros(len(key), bool)
    codes, uniq = pd.factorize(key, use_na_sentinel=True)
    if len(uniq) == len(key):
        return np.zeros(len(key), bool)
    # factorize numbers values in order of first appearance: a first occurrence is a new maximum
    seen = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    return (codes >= 0) & (codes <= seen)


def _surely_distinct(a: pa.Array) -> bool:
    """True when the texts of `a` (missing ones left out) are certainly all different.

    A quick test for the common case of a large column of same-length ids: each text's bytes
    are folded into one 64-bit number (equal texts give equal numbers), and all numbers
    different proves all texts different. False only means "not shown": the caller then
    compares the texts themselves."""
    if a.null_count:
        a = a.drop_null()
    n = len(a)
    if n < 100_000:
        return False                # small: the exact test is quick anyway
    wide = pa.types.is_large_string(a.type)
    offsets = np.frombuffer(a.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[a.offset:a.offset + n + 1].astype(np.int64)
    width = int(offsets[1] - offsets[0])
    if not 0 < width <= 64 or int(offsets[-1] - offsets[0]) != width * n or \
            (np.diff(offsets) != width).any():
        return False
    data = np.frombuffer(a.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(n, width)
    words = -(-width // 8)
    if width % 8:
        padded = np.zeros((n, words * 8), np.uint8)
        padded[:, :width] = data
        data = padded
    w = data.view(np.uint64)
    h = w[:, 0].copy()
    for j in range(1, words):
        h *= np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
        h ^= w[:, j]
    h.sort()                        # a sort of 64-bit numbers beats hashing them here
    return not (h[1:] == h[:-1]).any()


# ---------------------------------------------------------------- table rules
def _hospital_rules(ctx: _Ctx, file: str, df: pd.DataFrame, raw: _Raw) -> None:
    df["name"] = df["name"].fillna(df["hospital_id"])
    df["assessment_score"] = df["assessment_score"].fillna(df["assessment_max"])
    score = df["assessment_score"]
    ctx.rows(file, "assessment_score", score > df["assessment_max"],
             Template("score_above_max"), raw.cell("assessment_score"))
    ctx.rows(file, "prev_level", df["level_change_date"].notna() & df["prev_level"].isna(),
             Template("change_without_prev"))


def _case_rules(ctx: _Ctx, file: str, df: pd.DataFrame, raw: _Raw) -> None:
    df["ffs_amount"] = df["ffs_amount"].fillna(df["total_cost"])
    ctx.rows(file, "ffs_fund", (df["ffs_fund"] > df["total_cost"]) & (df["total_cost"] >= 0),
             Template("ffs_above_total"), raw.cell("ffs_fund"))
    ctx.rows(file, "admit_date", df["admit_date"] > df["discharge_date"],
             Template("admit_after_discharge"), raw.cell("admit_date"))
    ctx.rows(file, "group_id", raw.missing["group_id"] & raw.missing["dx_code"],
             Template("unmatched_case"), warn=True)


def _fund_rules(ctx: _Ctx, file: str, df: pd.DataFrame, raw: _Raw) -> None:
    no_rev = df["revenue"].isna()
    ctx.rows(file, "revenue", no_rev & df["revenue_growth"].isna(),
             Template("revenue_or_growth"))
    ctx.rows(file, "prior_revenue", no_rev & df["revenue_growth"].notna()
             & df["prior_revenue"].isna(), Template("growth_needs_prior"))


ROW_RULES = {"hospitals": _hospital_rules, "cases": _case_rules, "history": _case_rules,
             "fund": _fund_rules}


# ---------------------------------------------------------------- across tables
def _cross_check(ctx: _Ctx) -> None:
    t, f = ctx.tables, ctx.files
    hospitals = t.get("hospitals")
    for name, warn in (("cases", False), ("history", True)):
        df = t.get(name)
        if df is None or hospitals is None:
            continue
        ids = df["hospital_id"]
        unknown = ids.notna() & ~ids.isin(hospitals["hospital_id"])
        msg = Template("hospital_unknown_kept" if warn else "hospital_unknown",
                       file=f.get("hospitals", "hospitals.csv"))
        ctx.rows(f[name], "hospital_id", unknown, msg, ids, warn=warn)
    _fund_coverage(ctx)
    if "history" not in f and "catalogue" not in f:     # docs/data-contract.md: one of them is needed
        ctx.problem("catalogue.csv", Message("catalogue_missing"))


def _fund_coverage(ctx: _Ctx) -> None:
    """Every scheme used by a case needs a fund row."""
    cases, fund = ctx.tables.get("cases"), ctx.tables.get("fund")
    if cases is None or fund is None:
        return
    used = cases["scheme"]
    missing = used.isin(SCHEMES) & ~used.isin(fund["scheme"])
    for scheme in pd.unique(used[missing]):
        rows = np.flatnonzero((used == scheme).to_numpy())
        ctx.problem(ctx.files["fund"], Message("fund_no_scheme", scheme=scheme, n=int(rows.size),
                                               file=ctx.files["cases"], row=int(rows[0] + 2)), column="scheme")
