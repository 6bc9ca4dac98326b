"""Read and check a data folder (DATA.md) into a normalised DataSet.

`load_data(path)` returns a DataSet or raises InputError listing every problem;
`validate(path)` returns (problems, warnings) and never raises for bad data.
Each table may be NAME.parquet, NAME.csv or NAME.xlsx (preferred in that order).
Cells are read as text first and then converted column by column (vectorised),
so a wrong cell is reported with its file, row (header = row 1) and column.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .dataset import SCHEMES, DataSet
from .errors import InputError, Problem

SUFFIXES = (".parquet", ".csv", ".xlsx")   # preference order when several exist
ROWS_SHOWN = 10                             # offending rows listed per problem
_CHUNK = 1 << 20

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
    """A file that cannot be read as a table (the message says why, `row` where)."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


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
    warnings: list[str] = field(default_factory=list)
    digest: object = field(default_factory=hashlib.sha256)   # over file names and bytes

    def problem(self, file, message, row=None, column=None):
        self.problems.append(Problem(file, message, row=row, column=column))

    def rows(self, file, column, mask, message, values=None, warn=False):
        """One problem (or warning) for all rows where `mask` holds; `{v}` = first value."""
        idx = np.flatnonzero(_bool(mask))
        if idx.size == 0:
            return
        first = values.iloc[idx[0]] if values is not None else ""
        rows = tuple(int(i) + 2 for i in idx[:ROWS_SHOWN])
        p = Problem(file, message.format(v=first), row=rows[0], column=column,
                    rows=rows, count=int(idx.size))
        if warn:
            self.warnings.append(str(p))
        else:
            self.problems.append(p)


def _bool(mask) -> np.ndarray:
    """A boolean mask as a numpy array, missing = False."""
    if isinstance(mask, pd.Series):
        return mask.to_numpy(dtype=bool, na_value=False)
    return np.asarray(mask, dtype=bool)


def _check(folder: Path) -> _Ctx:
    ctx = _Ctx(folder)
    if not folder.is_dir():
        ctx.problem(str(folder), "data folder not found")
        return ctx
    listing = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    for spec in TABLES:
        raw = _read_table(ctx, spec, listing)
        if raw is not None:
            ctx.tables[spec.name] = _normalise(ctx, spec, raw)
    _cross_check(ctx)
    return ctx


# ---------------------------------------------------------------- reading
def _read_table(ctx: _Ctx, spec: Table, listing: dict[str, Path]) -> pd.DataFrame | None:
    """The raw frame of one table (text or typed columns), or None if absent/unreadable."""
    found = [listing[n] for n in (spec.name + s for s in SUFFIXES) if n in listing]
    if not found:
        if spec.needed:
            ctx.problem(f"{spec.name}.csv", "required file missing (.csv, .xlsx or .parquet)")
        return None
    path = found[0]
    if len(found) > 1:
        others = ", ".join(p.name for p in found[1:])
        ctx.warnings.append(f"{path.name}: several files for {spec.name}; using {path.name}, "
                            f"ignoring {others}")
    ctx.files[spec.name] = path.name
    try:
        return _clean_header(ctx, path.name, _read_file(ctx, path))
    except Exception as exc:        # readers raise many types on corrupt files
        ctx.problem(path.name, *_read_error(exc))
        return None


def _read_error(exc: Exception) -> tuple[str, int | None]:
    """Message and row of a reading failure."""
    text = re.sub(r"^Error tokenizing data\. C error: ", "", str(exc).strip())
    line = re.search(r"line (\d+)", text)     # pandas names the malformed line
    row = getattr(exc, "row", None) or (int(line[1]) if line else None)
    return f"cannot read the file: {text}", row


def _read_file(ctx: _Ctx, path: Path) -> pd.DataFrame:
    ctx.digest.update(path.name.encode() + b"\0")
    if path.suffix.lower() == ".csv":
        data = path.read_bytes()
        ctx.digest.update(data)
        return _read_csv(data)
    _hash_file(ctx.digest, path)
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return _read_xlsx(path)


def _hash_file(h, path: Path) -> None:
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)


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
    raise _Unreadable("not UTF-8 or GB18030 text", row=data.count(b"\n", 0, reached) + 1)


def _read_csv(data: bytes) -> pd.DataFrame:
    """All columns as text (empty = missing); pyarrow first, pandas for a located error."""
    if not data or data.isspace():
        raise _Unreadable("the file is empty")
    data, header = _utf8(data)
    names = next(csv.reader([header.rstrip("\r")]))
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                   strings_can_be_null=True, null_values=[""],
                                   quoted_strings_can_be_null=True)
    try:
        table = pacsv.read_csv(pa.BufferReader(data), convert_options=convert)
    except pa.ArrowInvalid:
        # pandas' parser handles quoted line breaks and names the line of a malformed row
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                           na_values=[""], encoding="utf-8-sig")
    return table.to_pandas()


def _read_xlsx(path: Path) -> pd.DataFrame:
    """First sheet, every column as text (numbers, dates and booleans spelled out)."""
    df = pd.read_excel(path, engine="calamine", dtype=object, keep_default_na=False,
                       na_values=[""])
    return pd.DataFrame({str(c): _cells_to_text(df[c]) for c in df.columns})


def _clean_header(ctx: _Ctx, file: str, df: pd.DataFrame) -> pd.DataFrame:
    """Strip column names; drop unnamed columns (Excel's trailing commas)."""
    names = [str(c).strip() for c in df.columns]
    unnamed = [not n or n.startswith("Unnamed:") for n in names]
    if any(u and df.iloc[:, i].notna().any() for i, u in enumerate(unnamed)):
        ctx.warnings.append(f"{file}: a column with data but no header name was ignored")
    keep = [i for i, u in enumerate(unnamed) if not u]
    dup = {names[i] for i in keep if [names[j] for j in keep].count(names[i]) > 1}
    if dup:
        raise _Unreadable(f"column '{sorted(dup)[0]}' appears twice in the header")
    out = df.iloc[:, keep].reset_index(drop=True)
    out.columns = [names[i] for i in keep]
    return out


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


def _text(s: pd.Series) -> pd.Series:
    """Stripped str column; empty strings become missing."""
    if s.dtype != "str":
        s = s.astype("str") if pd.api.types.is_integer_dtype(s) else _cells_to_text(s)
    s = s.str.strip()
    return s.mask(s == "")


_BAD = object()


def _by_unique(t: pd.Series, parse, fill, dtype) -> tuple[np.ndarray, np.ndarray]:
    """parse() each distinct text once; returns (values, bad mask); missing -> fill."""
    codes, uniq = pd.factorize(t, use_na_sentinel=True)
    parsed = [parse(u) for u in uniq]
    bad = np.array([p is _BAD for p in parsed] + [False], dtype=bool)
    values = np.array([fill if p is _BAD else p for p in parsed] + [fill], dtype=dtype)
    return values[codes], bad[codes]


def _float(t: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Text to float64: fast Arrow cast, pandas to locate the bad cells when it fails."""
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


# ---------------------------------------------------------------- one column
@dataclass
class _Conv:
    values: object                  # numpy array or Series, before defaults
    bad: np.ndarray                 # present but unusable
    missing: np.ndarray             # absent (empty cell)
    raw: pd.Series                  # the text, for messages


_KIND_MSG = {"float": "not a number: '{v}'", "int": "not a whole number: '{v}'",
             "bool": "not a yes/no value (true/false, 1/0, yes/no, 是/否): '{v}'",
             "date": "not a valid date (YYYY-MM-DD): '{v}'"}


def _convert(s: pd.Series, col: Col) -> _Conv:
    """Parse one column by its kind; typed (parquet) columns skip the text step."""
    if col.kind in ("float", "int") and pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(v) & ~np.isnan(v)
        return _finish_int(_Conv(np.where(bad, np.nan, v), bad, s.isna().to_numpy(), s), col)
    if col.kind == "bool" and pd.api.types.is_bool_dtype(s) and not s.hasnans:
        return _Conv(s.to_numpy(dtype=float), np.zeros(len(s), bool), np.zeros(len(s), bool), s)
    if col.kind == "date" and pd.api.types.is_datetime64_any_dtype(s):
        d = s.dt.tz_localize(None) if s.dt.tz is not None else s
        v = d.dt.normalize().to_numpy().astype("datetime64[ns]")
        return _Conv(v, np.zeros(len(s), bool), s.isna().to_numpy(), s)
    t = _text(s)
    missing = t.isna().to_numpy()
    if col.kind in ("float", "int"):
        return _finish_int(_Conv(*_float(t), missing, t), col)
    if col.kind == "bool":
        return _Conv(*_by_unique(t, _parse_bool, np.nan, float), missing, t)
    if col.kind == "date":
        v, bad = _by_unique(t, _parse_date, np.datetime64("NaT"), "datetime64[D]")
        return _Conv(v.astype("datetime64[ns]"), bad, missing, t)
    if col.words:
        return _words(t, col, missing)
    return _Conv(t, np.zeros(len(t), bool), missing, t)


def _finish_int(c: _Conv, col: Col) -> _Conv:
    """For int columns, a fraction is bad too."""
    if col.kind == "int":
        frac = ~np.isnan(c.values) & (c.values != np.round(c.values))
        c.values = np.where(frac, np.nan, c.values)
        c.bad = c.bad | frac
    return c


def _words(t: pd.Series, col: Col, missing: np.ndarray) -> _Conv:
    """Map accepted spellings to canonical values; an unknown one is kept as written."""
    def parse(u):
        return col.words.get(u.lower(), _BAD)
    v, bad = _by_unique(t, parse, None, object)
    if bad.any():
        v = np.where(bad, t.to_numpy(dtype=object, na_value=None), v)
    return _Conv(pd.Series(v, dtype="str"), bad, missing, t)


# ---------------------------------------------------------------- one table
def _normalise(ctx: _Ctx, spec: Table, raw: pd.DataFrame) -> pd.DataFrame | None:
    """Typed table in schema order plus extra columns; problems recorded in ctx."""
    file = ctx.files[spec.name]
    absent = [c.name for c in spec.cols if c.need and c.name not in raw.columns]
    for name in absent:
        ctx.problem(file, f"required column '{name}' is missing", column=name)
    if spec.name in ("cases", "history") and not {"group_id", "dx_code"} & set(raw.columns):
        absent.append("group_id")
        ctx.problem(file, "required column 'group_id' or 'dx_code' is missing", column="group_id")
    if absent:
        return None
    if spec.needed and raw.empty:
        ctx.problem(file, "the file has no data rows")
    out = {}
    for col in spec.cols:
        out[col.name] = _column(ctx, file, col, raw.get(col.name), len(raw))
    extras = {c: raw[c] for c in raw.columns if c not in out}
    df = pd.DataFrame({**out, **extras}, index=pd.RangeIndex(len(raw)))
    _duplicates(ctx, spec, file, df)
    ROW_RULES.get(spec.name, lambda *a: None)(ctx, file, df, raw)
    return df


def _column(ctx: _Ctx, file: str, col: Col, s: pd.Series | None, n: int):
    """Converted, checked and default-filled column (a column not given is all default)."""
    if s is None:
        return _fill(col, _absent(col, n))
    c = _convert(s, col)
    if col.need:
        ctx.rows(file, col.name, c.missing, "missing value")
    msg = _unknown_msg(col) if col.words else _KIND_MSG.get(col.kind, "bad value: '{v}'")
    ctx.rows(file, col.name, c.bad, msg, c.raw, warn=bool(col.words) and not col.strict)
    if col.low:
        v = np.asarray(c.values, dtype=float)
        low = v < 0 if col.low == "nonneg" else v <= 0
        msg = "negative value: {v}" if col.low == "nonneg" else "must be greater than 0: {v}"
        ctx.rows(file, col.name, low, msg, c.raw)
    if col.span:
        v = np.asarray(c.values, dtype=float)
        out = (v < col.span[0]) | (v > col.span[1])
        ctx.rows(file, col.name, out, f"must be between {col.span[0]} and {col.span[1]}: {{v}}",
                 c.raw)
    return _fill(col, c)


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


def _unknown_msg(col: Col) -> str:
    known = ", ".join(sorted(set(col.words.values())))
    return f"unknown value '{{v}}' (expected {known})"


def _fill(col: Col, c: _Conv) -> pd.Series:
    """Final dtype with defaults for missing cells."""
    k = col.kind
    if k in ("float", "int"):
        v = np.where(np.isnan(c.values), np.nan if col.default is None else col.default, c.values)
        return pd.Series(v, dtype="float64") if k == "float" else \
            pd.Series(np.nan_to_num(v), dtype="int64")
    if k == "bool":
        v = np.where(np.isnan(c.values), bool(col.default), c.values)
        return pd.Series(v.astype(bool))
    if k == "date":
        return pd.Series(np.asarray(c.values, dtype="datetime64[ns]"))
    if c.values is None:            # column not given
        fill = None if k == "opt" else col.default
        return pd.Series(np.full(len(c.missing), fill, dtype=object),
                         dtype=object if k == "opt" else "str")
    s = c.values.reset_index(drop=True)
    if k == "opt":
        return pd.Series(s.to_numpy(dtype=object, na_value=None), dtype=object)
    return s.fillna(col.default) if col.default is not None else s


def _duplicates(ctx: _Ctx, spec: Table, file: str, df: pd.DataFrame) -> None:
    if not spec.unique:
        return
    keys = df[list(spec.unique)]
    if len(spec.unique) == 1:
        key = keys.iloc[:, 0]
        dup = _repeats(key)
    else:                           # small tables only
        key = keys.astype(str).agg(" / ".join, axis=1)
        dup = keys.duplicated().to_numpy() & keys.notna().all(axis=1).to_numpy()
    msg = f"duplicate {' + '.join(spec.unique)} '{{v}}'"
    ctx.rows(file, spec.unique[-1], dup, msg, key, warn=spec is HISTORY)


def _repeats(key: pd.Series) -> np.ndarray:
    """True where a (non-missing) value already appeared above."""
    codes, uniq = pd.factorize(key, use_na_sentinel=True)
    if len(uniq) == len(key):
        return np.zeros(len(key), bool)
    # factorize numbers values in order of first appearance: a first occurrence is a new maximum
    seen = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    return (codes >= 0) & (codes <= seen)


# ---------------------------------------------------------------- table rules
def _hospital_rules(ctx: _Ctx, file: str, df: pd.DataFrame, raw: pd.DataFrame) -> None:
    df["name"] = df["name"].fillna(df["hospital_id"])
    df["assessment_score"] = df["assessment_score"].fillna(df["assessment_max"])
    score = df["assessment_score"]
    ctx.rows(file, "assessment_score", score > df["assessment_max"],
             "assessment_score above assessment_max: {v}", raw.get("assessment_score"))
    ctx.rows(file, "prev_level", df["level_change_date"].notna() & df["prev_level"].isna(),
             "level_change_date given without prev_level")


def _case_rules(ctx: _Ctx, file: str, df: pd.DataFrame, raw: pd.DataFrame) -> None:
    df["ffs_amount"] = df["ffs_amount"].fillna(df["total_cost"])
    ctx.rows(file, "ffs_fund", (df["ffs_fund"] > df["total_cost"]) & (df["total_cost"] >= 0),
             "ffs_fund greater than total_cost: {v}", raw["ffs_fund"])
    ctx.rows(file, "admit_date", df["admit_date"] > df["discharge_date"],
             "admit_date after discharge_date: {v}", raw.get("admit_date"))
    ctx.rows(file, "group_id", df["group_id"].isna() & df["dx_code"].isna(),
             "neither group_id nor dx_code given (the case is unmatched)", warn=True)


def _fund_rules(ctx: _Ctx, file: str, df: pd.DataFrame, raw: pd.DataFrame) -> None:
    no_rev = df["revenue"].isna()
    ctx.rows(file, "revenue", no_rev & df["revenue_growth"].isna(),
             "give revenue or revenue_growth")
    ctx.rows(file, "prior_revenue", no_rev & df["revenue_growth"].notna()
             & df["prior_revenue"].isna(), "revenue_growth needs prior_revenue")


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
        msg = "hospital_id '{v}' not in " + f.get("hospitals", "hospitals.csv")
        if warn:
            msg += " (rows kept; ignored for level statistics)"
        ctx.rows(f[name], "hospital_id", unknown, msg, ids, warn=warn)
    _fund_coverage(ctx)
    if "history" not in f and "catalogue" not in f:     # DATA.md: one of them is needed
        ctx.problem("catalogue.csv", "required file missing (no history.csv to build it from)")


def _fund_coverage(ctx: _Ctx) -> None:
    """Every scheme used by a case needs a fund row."""
    cases, fund = ctx.tables.get("cases"), ctx.tables.get("fund")
    if cases is None or fund is None:
        return
    used = cases["scheme"]
    missing = used.isin(SCHEMES) & ~used.isin(fund["scheme"])
    for scheme in pd.unique(used[missing]):
        rows = np.flatnonzero((used == scheme).to_numpy())
        ctx.problem(ctx.files["fund"], f"no row for scheme '{scheme}', used by {rows.size} "
                    f"case(s) (first {ctx.files['cases']} row {rows[0] + 2})", column="scheme")
