"""Read and check a data folder (docs/data-contract.md) into a normalised DataSet.

`load_data(path)` returns a DataSet or raises InputError listing every problem;
`validate(path)` returns (problems, warnings) and never raises for bad data.
The files are found and read by data.files, their columns converted by data.cells against the
tables of data.schema, so a wrong cell is reported with its file, row (header = row 1) and column;
here: the check context, the rules of each table and those across tables.

Large tables convert two columns at a time, each column's text freed as soon as it is converted;
the version hash streams the files on a separate thread.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError, Problem
from ..messages import Items, Message, Template
from .cells import as_text, convert_column, memory_pool, str_series
from .dataset import SCHEMES, DataSet
from .files import Raw, folder_files, hash_files, read_error, read_raw, table_files
from .schema import FUND, HISTORY, TABLES, Table

ROWS_SHOWN = 10                             # offending rows listed per problem
CODES_NAMED = 5                             # group codes a catalogue-coverage message names (the most frequent)


# ---------------------------------------------------------------- public API
def validate(path) -> tuple[list[Problem], list[str]]:
    """Every problem and warning of the data folder at `path`; never raises for bad data."""
    ctx = _check(Path(path))
    return ctx.problems, ctx.warnings


def load_data(path, *, match_catalogue: bool = True) -> DataSet:
    """The normalised DataSet of the folder at `path`; InputError if any problem is found.
    `match_catalogue=False` skips the check of the cases' groups against catalogue.csv (for a folder
    assembled around a cases table, whose catalogue is a stand-in)."""
    ctx = _check(Path(path), match_catalogue)
    if ctx.problems:
        raise InputError(ctx.problems)
    t = ctx.tables
    return DataSet(hospitals=t["hospitals"], cases=t["cases"], fund=t.get("fund"),
                   catalogue=t.get("catalogue"), group_level_costs=t.get("group_level_costs"),
                   history=t.get("history"), aux=t.get("aux"), source=str(path),
                   version=ctx.digest, warnings=list(ctx.warnings))


def folder_mode(path) -> str:
    """"city" when the folder holds a fund table, else "hospital" (DataSet.mode; nothing is parsed)."""
    folder = Path(path)
    if not folder.is_dir():
        return "city"
    return "city" if table_files(FUND, folder_files(folder)) else "hospital"


def folder_version(path) -> str:
    """The version hash load_data would give the folder, from the bytes alone (nothing is parsed)."""
    files = folder_files(Path(path))
    found = [table_files(spec, files) for spec in TABLES]
    return hash_files([f[0] for f in found if f]).hexdigest()


# ---------------------------------------------------------------- context
@dataclass
class Ctx:
    """What a check run collects: tables, their file names, problems, warnings, hash."""

    folder: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)      # Messages
    digest: str = ""                # sha256 over the files' names and bytes (hex)

    def problem(self, file, message: Message, row=None, column=None):
        self.problems.append(Problem(file, message, row=row, column=column))

    def rows(self, file, column, mask, message: Template, values=None, warn=False):
        """One problem (or warning) for all rows where `mask` holds; the Template's `{v}` = first value.

        `values` is a Series, or a function of the row position (built only when needed)."""
        idx = np.flatnonzero(as_mask(mask))
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


def as_mask(mask) -> np.ndarray:
    """A boolean mask as a numpy array, missing = False."""
    if isinstance(mask, pd.Series):
        return mask.to_numpy(dtype=bool, na_value=False)
    return np.asarray(mask, dtype=bool)


def _check(folder: Path, match_catalogue: bool = True) -> Ctx:
    ctx = Ctx(folder)
    if not folder.is_dir():
        ctx.problem(str(folder), Message("data_folder_not_found"))
        return ctx
    files = folder_files(folder)
    found = {spec.name: table_files(spec, files) for spec in TABLES}
    # the version hash reads the files on a second core while this one parses and checks them
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(hash_files, [f[0] for f in found.values() if f])
        for spec in TABLES:
            raw = read_table(ctx, spec, found[spec.name])
            if raw is not None:
                ctx.tables[spec.name] = normalise(ctx, spec, raw)
            del raw                 # the text columns are freed before the next file is read
            memory_pool().release_unused()
        _cross_check(ctx, match_catalogue)
        ctx.digest = digest.result().hexdigest()
    return ctx


def read_table(ctx: Ctx, spec: Table, found: list[Path]) -> Raw | None:
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
        return read_raw(path, ctx.warnings)
    except Exception as exc:        # readers raise many types on corrupt files
        ctx.problem(path.name, *read_error(exc))
        return None


# ---------------------------------------------------------------- one table
_PARALLEL_ROWS = 100_000           # tables this long convert two columns at a time
# raw text the table rules quote in their messages (kept until the rules have run)
_RULE_RAW = {"hospitals": ("assessment_score",), "cases": ("ffs_fund", "admit_date"),
             "history": ("ffs_fund", "admit_date")}
_RULE_MISSING = ("group_id", "dx_code")      # empty-cell masks the table rules use


def normalise(ctx: Ctx, spec: Table, raw: Raw) -> pd.DataFrame | None:
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
        results = pool.map(convert_column, *zip(*todo))  # columns convert in parallel ...
        del todo
        for col in spec.cols:                           # ... and are reported in schema order
            out[col.name], missing, found = next(results)
            if col.name in _RULE_MISSING:
                raw.missing[col.name] = missing
            for mask, message, values, warn in found:
                ctx.rows(file, col.name, mask, message, values, warn=warn)
            if n >= _PARALLEL_ROWS:
                memory_pool().release_unused()
    extras = {c: str_series(s) if isinstance(s, pa.ChunkedArray) else s
              for c, s in raw.items() if c not in out}
    df = pd.DataFrame({**out, **extras}, index=pd.RangeIndex(n), copy=False)
    del out, extras
    _duplicates(ctx, spec, file, df)
    ROW_RULES.get(spec.name, lambda *a: None)(ctx, file, df, raw)
    return df


def _duplicates(ctx: Ctx, spec: Table, file: str, df: pd.DataFrame) -> None:
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
    if key.dtype == "str" and _surely_distinct(as_text(key)):
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
def _hospital_rules(ctx: Ctx, file: str, df: pd.DataFrame, raw: Raw) -> None:
    df["name"] = df["name"].fillna(df["hospital_id"])
    df["assessment_score"] = df["assessment_score"].fillna(df["assessment_max"])
    score = df["assessment_score"]
    ctx.rows(file, "assessment_score", score > df["assessment_max"],
             Template("score_above_max"), raw.cell("assessment_score"))
    ctx.rows(file, "prev_level", df["level_change_date"].notna() & df["prev_level"].isna(),
             Template("change_without_prev"))


def _case_rules(ctx: Ctx, file: str, df: pd.DataFrame, raw: Raw) -> None:
    df["ffs_amount"] = df["ffs_amount"].fillna(df["total_cost"])
    ctx.rows(file, "ffs_fund", (df["ffs_fund"] > df["total_cost"]) & (df["total_cost"] >= 0),
             Template("ffs_above_total"), raw.cell("ffs_fund"))
    ctx.rows(file, "admit_date", df["admit_date"] > df["discharge_date"],
             Template("admit_after_discharge"), raw.cell("admit_date"))
    ctx.rows(file, "group_id", raw.missing["group_id"] & raw.missing["dx_code"],
             Template("unmatched_case"), warn=True)


def _fund_rules(ctx: Ctx, file: str, df: pd.DataFrame, raw: Raw) -> None:
    no_rev = df["revenue"].isna()
    ctx.rows(file, "revenue", no_rev & df["revenue_growth"].isna(),
             Template("revenue_or_growth"))
    ctx.rows(file, "prior_revenue", no_rev & df["revenue_growth"].notna()
             & df["prior_revenue"].isna(), Template("growth_needs_prior"))


ROW_RULES = {"hospitals": _hospital_rules, "cases": _case_rules, "history": _case_rules,
             "fund": _fund_rules}


# ---------------------------------------------------------------- across tables
def _cross_check(ctx: Ctx, match_catalogue: bool = True) -> None:
    t, f = ctx.tables, ctx.files
    hospitals = t.get("hospitals")
    city = "fund" in f                              # DataSet.mode: a fund table makes a city folder
    if not city and "history" in f:                 # its figures would come from one hospital's stays
        ctx.warnings.append(Message("history_ignored_hospital"))
        t.pop("history", None)
        f.pop("history")
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
    if not city and "catalogue" not in f:               # docs/data-contract.md: a hospital folder
        ctx.problem("catalogue.csv", Message("catalogue_missing_hospital"))
    elif "history" not in f and "catalogue" not in f:   # a city folder: one of them is needed
        ctx.problem("catalogue.csv", Message("catalogue_missing"))
    if match_catalogue:
        _catalogue_coverage(ctx, city)


def _catalogue_coverage(ctx: Ctx, city: bool) -> None:
    """The cases' groups against catalogue.csv: a problem when no case's group is in it; a warning with
    the share of cases whose group is not, in a hospital folder whenever there is one, in a city folder
    when they are most of the cases (a few new groups are ordinary there: A-21 scores them)."""
    cases, cat = ctx.tables.get("cases"), ctx.tables.get("catalogue")
    if cases is None or cat is None or not len(cases):
        return
    from ..rules.grouping import assign_groups
    ids = pd.Index(cat["group_id"].dropna().astype(str).unique())
    given = cases["group_id"].notna().to_numpy()
    known = given & cases["group_id"].isin(ids).to_numpy()
    by_dx = ~given & cases["dx_code"].notna().to_numpy()
    if by_dx.any():                                  # grouped from the diagnosis, as the engine does
        keys = assign_groups(cases.loc[by_dx, ["group_id", "dx_code", "proc_codes", "proc_class"]], ids, 5)
        known[by_dx] = keys.notna().to_numpy()
    base = given | by_dx
    unknown = base & ~known
    n, total = int(unknown.sum()), int(base.sum())
    if not n:
        return
    values = cases["group_id"].where(cases["group_id"].notna(), cases["dx_code"])
    seen = values[unknown].value_counts(sort=False).sort_values(ascending=False, kind="stable")  # most frequent,
                                                                                             # then first met
    codes = Items(seen.index[:CODES_NAMED], more=len(seen) > CODES_NAMED)
    file, catalogue = ctx.files["cases"], ctx.files["catalogue"]
    if n == total:
        ctx.rows(file, "group_id", unknown, Template("catalogue_matches_no_case", catalogue=catalogue, n=total),
                 lambda _: codes)
    elif not city or n * 2 > total:
        ctx.rows(file, "group_id", unknown, Template("group_not_in_catalogue", catalogue=catalogue, n=n,
                                                     total=total, share=f"{n / total:.1%}"), lambda _: codes, warn=True)


def _fund_coverage(ctx: Ctx) -> None:
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
