"""Import real settlement-list (医保结算清单) / front-page (病案首页) exports into a data folder.

    run_import(["export.csv"], "data/imports/city", hospitals=..., fund=..., catalogue=...)

reads each export in chunks (import_read), maps its columns and values to the contract (import_map),
checks every row with the contract checks of dip_model.data.load, and writes a data folder: cases.csv,
hospitals.csv and fund.csv (given, or derived / a template, with a warning), the given catalogue,
plus the quality report quality.json, rejected_rows.csv, outliers.csv and the mapping used
(mapping.yaml). Every input row is either in cases.csv or in rejected_rows.csv with its file row and
reasons. The folder is written under a temporary name and renamed at the end, so an interrupted
import leaves the previous folder as it was.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .. import load as dio
from ..dataset import SCHEMES
from ...errors import DipError, InputError
from ...rules.grouping import assign_groups, core_keys
from .mapping import (CASE_TARGETS, HOSPITAL_TARGETS, Mapping, MappingError, Plan, per_value, value_key, builtin,
    fold, header_score, missing_targets, recognise)
from .read import BadLine, Chunk, Source, open_source
from ...messages import Items, Message, Template, load

QUALITY = "quality.json"
REJECTED = "rejected_rows.csv"
OUTLIERS = "outliers.csv"
MAPPING = "mapping.yaml"
OUTLIER_HIGH, OUTLIER_LOW, OUTLIER_MIN_CASES = 5.0, 0.1, 5     # × group median; cases a group needs
REJECT_FIXED = ("source_file", "source_row", "rules", "reasons", "raw_line")
Progress = Callable[[float, int], None]                        # (share done 0..1, rows read)

# side tables a user may give, with the headers recognised for them (besides the contract's own)
HOSPITAL_HEADERS = {"hospital_id": ("医疗机构编码", "定点医药机构编号", "定点医药机构编码", "定点医疗机构编码", "机构编码",
                                    "医院编码"),
                    "name": ("医疗机构名称", "定点医药机构名称", "定点医疗机构名称", "医院名称", "机构名称"),
                    "district": ("区县", "所属区县"), "level": ("医院等级", "医疗机构等级", "机构等级", "医院级别"),
                    "reimb_level": ("报销级别", "报销等级"), "type": ("机构类型", "医院类型")}
LEVEL_REIMB = {"3A": 3, "3B": 3, "2A": 2, "2B": 2}          # derived reimb_level; others 1


@dataclass
class ImportResult:
    out: Path
    quality: dict

    @property
    def rejected_path(self) -> Path:
        return self.out / REJECTED


# ------------------------------------------------------------------ public API
def inspect(path, mapping: Mapping | None = None, rows: int = 200) -> dict:
    """What the mapping screen needs about one file: kind, encoding, header row, columns with the
    contract column each maps to ("" = not recognised), required columns still unmapped, a preview."""
    src = open_source(path, header_score)
    mapped = recognise(src.header, mapping)
    return {"kind": src.kind, "encoding": src.encoding, "header_row": src.header_row, "columns": src.header,
            "mapped": {c: mapped.get(c, "") for c in src.header}, "missing": missing_targets(mapped),
            "preview": src.preview(rows)}


def run_import(files, out, mapping: Mapping | str | Path | None = None, hospitals=None, fund=None,
               catalogue=None, progress: Progress | None = None, chunk_rows: int = 200_000,
               force: bool = False, names: list[str] | None = None, lang: str = "en") -> ImportResult:
    """Import `files` into the data folder `out` (replaced whole, atomically). `names` are the
    file names shown in the report (default: the files' own names); `lang` is the language of the
    reasons written in rejected_rows.csv (the report's rules carry their message key for any language)."""
    t0 = time.perf_counter()
    if isinstance(mapping, (str, Path)):
        mapping = Mapping.load(mapping)
    out = Path(out)
    sources = [open_source(f, header_score) for f in files]
    shown = list(names) if names else [s.name for s in sources]
    plans = [Plan.make(s.header, mapping, i + 1) for i, s in enumerate(sources)]
    _check_plans(sources, plans, shown)
    _prepare_out(out, force)
    tmp = out.parent / f".{out.name}.importing-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        side = _side_tables(hospitals, fund, catalogue)
        job = _Job(tmp, sources, shown, plans, side, progress, chunk_rows, lang)
        quality = job.run()
        quality["seconds"] = round(time.perf_counter() - t0, 2)
        used = _used_mapping(mapping, sources, plans)
        (tmp / MAPPING).write_text(used.to_yaml(), encoding="utf-8")
        (tmp / QUALITY).write_text(json.dumps(quality, ensure_ascii=False, indent=1), encoding="utf-8")
        _commit(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ImportResult(out, quality)


def read_quality(folder) -> dict | None:
    """The quality report of an imported folder (None when the folder was not imported)."""
    p = Path(folder) / QUALITY
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _check_plans(sources: list[Source], plans: list[Plan], shown: list[str]) -> None:
    for src, plan, name in zip(sources, plans, shown):
        need = missing_targets({s: t for t, s in plan.columns.items()})
        if need:
            unmapped = [c for c in src.header if c not in plan.columns.values()]
            raise MappingError(Message("no_column_for", file=name, need=Items(need),
                                       unmapped=Items(unmapped) if unmapped else Message("nothing")))


def _used_mapping(user: Mapping | None, sources: list[Source], plans: list[Plan]) -> Mapping:
    """The user's mapping plus the column choices made for these files (saved for reuse)."""
    cols = {}
    for src, plan in zip(sources, plans):
        for c in src.header:
            cols[c] = next((t for t, s in plan.columns.items() if s == c), "")
    m = Mapping(columns=cols)
    return m.merged(user) if user else m


# ------------------------------------------------------------------ output folder
def _prepare_out(out: Path, force: bool) -> None:
    """Undo a half-finished swap of an earlier run; refuse to replace a folder that is not an import."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.*-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
            continue
        if ".old-" in stale.name and not out.exists():
            os.rename(stale, out)               # the previous folder, moved aside when the run died
        else:
            shutil.rmtree(stale, ignore_errors=True)
    if out.exists() and not force:
        if not out.is_dir() or (any(out.iterdir()) and not (out / QUALITY).exists()):
            raise DipError(Message("out_not_import", out=str(out)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _commit(tmp: Path, out: Path) -> None:
    """Put the finished folder in place: the old one is moved aside first and removed last."""
    for f in tmp.iterdir():
        if f.is_file():
            with f.open("rb") as fh:
                os.fsync(fh.fileno())
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)


# ------------------------------------------------------------------ side tables
@dataclass
class _Side:
    hospitals: pd.DataFrame | None = None   # normalised (io) when given
    fund: Path | None = None
    catalogue: Path | None = None
    catalogue_ids: pd.Index | None = None
    fund_schemes: set = field(default_factory=set)


def _side_tables(hospitals, fund, catalogue) -> _Side:
    """Read and check the tables given beside the exports (any problem stops the import first)."""
    side = _Side()
    problems = []
    if hospitals:
        df, probs = _read_table(dio.HOSPITALS, Path(hospitals), _hospital_headers)
        side.hospitals, problems = df, problems + probs
    if fund:
        df, probs = _read_table(dio.FUND, Path(fund))
        side.fund, problems = Path(fund), problems + probs
        if df is not None:
            side.fund_schemes = set(df["scheme"])
    if catalogue:
        df, probs = _read_table(dio.CATALOGUE, Path(catalogue))
        side.catalogue, problems = Path(catalogue), problems + probs
        if df is not None:
            side.catalogue_ids = pd.Index(df["group_id"])
    if problems:
        raise InputError(problems)
    return side


def _read_table(spec, path: Path, rename=None):
    """One contract table read and checked by dip_model.data.load (typed frame, problems)."""
    ctx = dio._Ctx(path.parent)
    if not path.is_file():
        ctx.problem(path.name, Message("file_not_found"))
        return None, ctx.problems
    raw = dio._read_table(ctx, spec, [path])
    df = None
    if raw is not None:
        if rename:
            rename(raw)
        df = dio._normalise(ctx, spec, raw)
    return df, ctx.problems


def _hospital_headers(raw) -> None:
    """Chinese headers of a hospitals file renamed to the contract's (in place), and 三甲-style levels."""
    for target, names in HOSPITAL_HEADERS.items():
        if target in raw:
            continue
        for n in names:
            hit = next((k for k in list(raw) if fold(k) == fold(n)), None)
            if hit is not None:
                raw[target] = raw.pop(hit)
                break
    if "level" in raw:
        words = builtin().mapping.values.get("hospital_level", {})
        raw["level"] = pa.chunked_array([_map_words(dio._as_text(raw["level"]), words)])


def _map_words(a: pa.Array, words: dict) -> pa.Array:
    return per_value(a, lambda v: words.get(value_key(v), v))


# ------------------------------------------------------------------ the row checks
@dataclass
class _Hit:
    column: str
    message: Template                       # io's message, `v` = the row's value
    mask: np.ndarray
    values: object                          # Series, function of the row, or None
    warn: bool
    _around: dict = field(default_factory=dict, repr=False)     # lang -> the reason's text before / after v

    @functools.cached_property
    def rule(self) -> str:
        """The rule in English ("column: text without the value"), as the report and the list count it."""
        text = self.message.rule("en")
        return f"{self.column}: {text}" if self.column else text

    def reason(self, i: int, lang: str = "en") -> str:
        """The reason of row i with its value, in `lang` (the message is rendered once per language)."""
        v = "" if self.values is None else self.values(i) if callable(self.values) else self.values.iloc[i]
        if lang not in self._around:
            self._around[lang] = _at(self.column, self.message.fill(_VALUE)).text(lang).split(_VALUE)
        return str(v).join(self._around[lang])


_VALUE = "\x00v\x00"                        # where the value goes in a reason rendered once


def _at(column: str, message: Message | Template) -> Message:
    """A rule or reason with its column ("row" for the whole row)."""
    if not column:
        return message
    return Message("rule_at", column=Message("whole_row") if column == "row" else column, message=message)


class _Capture(dio._Ctx):
    """io's check context, keeping each rule's row mask instead of a summary."""

    def __init__(self):
        super().__init__(Path("."))
        self.files = {"cases": "cases.csv"}
        self.hits: list[_Hit] = []

    def rows(self, file, column, mask, message, values=None, warn=False):
        m = dio._bool(mask)
        if m.any():
            self.hits.append(_Hit(column or "", message, m, values, warn))


def _check(text: dict[str, pa.Array], n: int) -> tuple[pd.DataFrame, list[_Hit]]:
    """The contract's checks on one chunk of contract text columns: typed frame and the rules hit."""
    raw = dio._Raw({t: pa.chunked_array([a]) for t, a in text.items() if t in CASE_TARGETS}, n)
    ctx = _Capture()
    df = dio._normalise(ctx, dio.CASES, raw)
    if ctx.problems:                        # file-level: cannot happen once the plan is complete
        raise InputError(ctx.problems)
    return df, ctx.hits


# ------------------------------------------------------------------ the job
class _Job:
    """One import run: streams every source, writes cases.csv and rejected_rows.csv, gathers the report."""

    def __init__(self, folder: Path, sources, shown, plans, side: _Side, progress, chunk_rows, lang="en"):
        self.folder, self.sources, self.shown, self.plans, self.side = folder, sources, shown, plans, side
        self.progress, self.chunk_rows, self.lang = progress, chunk_rows, lang
        self.columns = [c.name for c in dio.CASE_COLS
                        if c.name == "case_id" or any(c.name in p.columns for p in plans)]
        self.schema = pa.schema([(c.name, _arrow_type(c.kind)) for c in dio.CASE_COLS if c.name in self.columns])
        self.reject_cols = list(REJECT_FIXED) + list(dict.fromkeys(c for s in sources for c in s.header))
        self.seen = np.zeros(0, np.uint64)            # hashes of case ids met so far
        self.stats = _Stats(side.catalogue_ids, "qc_pass" in self.columns)
        self.rules: dict[str, int] = {}
        self.warn_rules: dict[str, int] = {}
        self.rule_msgs: dict[str, tuple[str, Template]] = {}      # rule -> its column and message
        self.rows_read = self.rows_used = self.rows_rejected = 0
        self.per_file: list[dict] = []
        self.known = pd.Index(side.hospitals["hospital_id"]) if side.hospitals is not None else None

    def run(self) -> dict:
        weights = np.array([max(s.size, 1) for s in self.sources], float)
        weights /= weights.sum()
        with open(self.folder / "cases.csv", "wb") as fc, open(self.folder / REJECTED, "wb") as fr:
            fr.write(b"\xef\xbb\xbf")               # BOM: Excel opens the list in the right encoding
            self.cases_out = pacsv.CSVWriter(fc, self.schema, write_options=_WRITE)
            self.rej_schema = pa.schema([(c, pa.string()) for c in self.reject_cols])
            self.rej_out = pacsv.CSVWriter(fr, self.rej_schema, write_options=_WRITE)
            for i, (src, plan, name) in enumerate(zip(self.sources, self.plans, self.shown)):
                before = (self.rows_read, self.rows_used, self.rows_rejected)
                for chunk in src.chunks(self.chunk_rows):
                    self._chunk(chunk, src, plan, name)
                    if self.progress:
                        self.progress(float(weights[:i].sum() + weights[i] * chunk.done), self.rows_read)
                self.per_file.append(self._file_info(src, name, before))
            self.cases_out.close()
            self.rej_out.close()
        return self._finish()

    # -- one chunk
    def _chunk(self, chunk: Chunk, src: Source, plan: Plan, name: str) -> None:
        n = chunk.n
        self.rows_read += n + len(chunk.bad_lines)
        if chunk.bad_lines:
            self._reject_lines(chunk.bad_lines, src, name)
        if n == 0:
            return
        blank = _all_null(chunk.columns, n)
        text = plan.apply(chunk.columns, chunk.rows)
        df, hits = _check(text, n)
        hits += self._cross_chunk(df, hits)
        if blank.any():
            hits = [_Hit(h.column, h.message, h.mask & ~blank, h.values, h.warn) for h in hits]
            hits.append(_Hit("row", Template("empty_row"), blank, None, False))
        bad = np.zeros(n, bool)
        for h in hits:
            if not h.warn:
                bad |= h.mask
        ok = ~bad
        for h in hits:
            counts = self.warn_rules if h.warn else self.rules
            k = int((h.mask & ok).sum()) if h.warn else int(h.mask.sum())
            if k:
                counts[h.rule] = counts.get(h.rule, 0) + k
                self.rule_msgs.setdefault(h.rule, (h.column, h.message))
        if bad.any():
            self._reject_rows(chunk, np.flatnonzero(bad), hits, name)
        if ok.all():
            good, good_text = df, text
        else:
            idx = np.flatnonzero(ok)
            good = df.iloc[idx].reset_index(drop=True)
            good_text = {t: a.take(pa.array(idx)) for t, a in text.items() if t in _STAT_TEXT}
        if len(good):
            self.cases_out.write_table(_to_arrow(good, self.schema))
            self.stats.add(good, good_text)
        self.rows_used += len(good)
        self.rows_rejected += int(bad.sum())

    def _cross_chunk(self, df: pd.DataFrame, hits: list[_Hit]) -> list[_Hit]:
        """Case ids already met in earlier chunks (io checks duplicates within the chunk), and
        hospitals missing from the given hospitals file."""
        out = []
        ids = df["case_id"]
        present = ids.notna().to_numpy()
        h = pd.util.hash_pandas_object(ids, index=False).to_numpy()
        pos = np.minimum(np.searchsorted(self.seen, h), max(len(self.seen) - 1, 0))
        earlier = present & (self.seen[pos] == h) if len(self.seen) else np.zeros(len(h), bool)
        within = next((x.mask for x in hits if x.column == "case_id" and x.message.key == "duplicate"), None)
        if within is not None:
            earlier &= ~within
        if earlier.any():
            out.append(_Hit("case_id", Template("duplicate", columns="case_id"), earlier, ids, False))
        # two sorted runs: the stable sort (timsort) merges them in linear time
        self.seen = np.sort(np.concatenate([self.seen, np.sort(h[present])]), kind="stable")
        if self.known is not None:
            unknown = df["hospital_id"].notna().to_numpy() & ~df["hospital_id"].isin(self.known).to_numpy()
            if unknown.any():
                out.append(_Hit("hospital_id", Template("hospital_unknown_side"), unknown,
                                df["hospital_id"], False))
        return out

    def _reject_rows(self, chunk: Chunk, idx: np.ndarray, hits: list[_Hit], name: str) -> None:
        reasons, rules = [], []
        for i in idx:
            broken = [h for h in hits if not h.warn and h.mask[i]]
            reasons.append(("；" if self.lang == "zh" else "; ").join(h.reason(int(i), self.lang) for h in broken))
            rules.append(" | ".join(h.rule for h in broken))
        take = pa.array(idx)
        n = len(idx)
        cols = {"source_file": pa.array([name] * n, pa.string()),
                "source_row": pa.array(chunk.rows[idx].astype(str), pa.string()),
                "rules": pa.array(rules, pa.string()), "reasons": pa.array(reasons, pa.string()),
                "raw_line": pa.nulls(n, pa.string())}
        for c in self.reject_cols[len(REJECT_FIXED):]:
            a = chunk.columns.get(c)
            cols[c] = a.take(take) if a is not None else pa.nulls(n, pa.string())
        self.rej_out.write_table(pa.table(cols, schema=self.rej_schema))

    def _reject_lines(self, lines: list[BadLine], src: Source, name: str) -> None:
        n = len(lines)
        malformed = Template("malformed_line")
        rule = f"row: {malformed.rule()}"
        self.rules[rule] = self.rules.get(rule, 0) + n
        self.rule_msgs.setdefault(rule, ("row", malformed))
        self.rows_rejected += n
        reasons = [_at("row", Message("line_fields", fields=b.fields, header=len(src.header))).text(self.lang)
                   for b in lines]
        cols = {"source_file": pa.array([name] * n, pa.string()),
                "source_row": pa.array([str(b.row) for b in lines], pa.string()),
                "rules": pa.array([rule] * n, pa.string()), "reasons": pa.array(reasons, pa.string()),
                "raw_line": pa.array([b.text for b in lines], pa.string())}
        cols.update({c: pa.nulls(n, pa.string()) for c in self.reject_cols[len(REJECT_FIXED):]})
        self.rej_out.write_table(pa.table(cols, schema=self.rej_schema))

    def _file_info(self, src: Source, name: str, before) -> dict:
        plan = self.plans[self.sources.index(src)]
        mapped = {s: t for t, s in plan.columns.items()}
        return {"file": name, "kind": src.kind, "encoding": src.encoding, "header_row": src.header_row,
                "rows_read": self.rows_read - before[0], "rows_used": self.rows_used - before[1],
                "rows_rejected": self.rows_rejected - before[2], "mapped": mapped,
                "ignored": [c for c in src.header if c not in mapped],
                "case_id": plan.case_id_scope, "patient_id_hashed": plan.hash_patient}

    # -- the end
    def _ranked(self, counts: dict[str, int]) -> list[dict]:
        """Rules by rows, most first: the rule in English, its column, and its message (key and values)."""
        return [{"rule": r, "column": r.split(":")[0], "rows": n, "message": self.rule_msgs[r][1].to_json()}
                for r, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def _finish(self) -> dict:
        notes: list[dict] = []              # code, level, params, text (the page words them by code)

        def note(code: str, level: str, **params) -> None:
            notes.append({"code": code, "level": level, "params": params, "text": note_message(code, params)})

        outliers = self.stats.outliers(self.folder / OUTLIERS)
        derived = self.side.hospitals is None
        hospitals = self.stats.hospital_table() if derived else self.side.hospitals
        _write_hospitals(self.folder / "hospitals.csv", hospitals)
        self.stats.names = dict(zip(hospitals["hospital_id"], hospitals["name"]))
        if derived:
            note("hospitals_derived", "warning")
        schemes = [s for s in SCHEMES if self.stats.scheme_counts.get(s)]
        if self.side.fund is not None:
            shutil.copyfile(self.side.fund, self.folder / ("fund" + self.side.fund.suffix.lower()))
            for s in schemes:
                if s not in self.side.fund_schemes:
                    note("fund_scheme_missing", "problem", scheme=s, cases=self.stats.scheme_counts[s])
        else:
            _write_fund_template(self.folder / "fund.csv", schemes or list(SCHEMES))
            note("fund_template", "problem")
        if self.side.catalogue is not None:
            shutil.copyfile(self.side.catalogue, self.folder / ("catalogue" + self.side.catalogue.suffix.lower()))
        else:
            note("no_catalogue", "problem")
        years = self.stats.years()
        if len(years) > 1:
            note("several_years", "warning", years=", ".join(years))
        if any(f["patient_id_hashed"] for f in self.per_file):
            note("ids_pseudonymised", "warning")
        for f in self.per_file:
            if f["case_id"] in ("generated", "hospital"):
                note(f"case_id_{f['case_id']}", "warning", file=f["file"])
        assert self.rows_used + self.rows_rejected == self.rows_read
        return {
            "format": 1, "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "row_numbering": "file line, header = its line",
            "files": self.per_file, "rows_read": self.rows_read, "rows_used": self.rows_used,
            "rows_rejected": self.rows_rejected,
            "rejected_by_rule": self._ranked(self.rules), "warnings_by_rule": self._ranked(self.warn_rules),
            **self.stats.report(), "outliers": outliers,
            "derived": {"hospitals": derived, "fund": "template" if self.side.fund is None else "given",
                        "catalogue": "given" if self.side.catalogue is not None else "missing"},
            "notes": notes,
            "warnings": [n["text"] for n in notes if n["level"] == "warning"],
            "problems": [n["text"] for n in notes if n["level"] == "problem"],
        }


def note_message(code: str, params: dict) -> Message:
    """What the report says besides the counts, by code (catalogue key note_<code>; a note of level
    "problem" must be fixed before the engine runs)."""
    return Message(f"note_{code}", **params)
_STAT_TEXT = ("case_id", "group_id", "dx_code", "proc_codes", "proc_class") + HOSPITAL_TARGETS
_WRITE = pacsv.WriteOptions(include_header=True, quoting_style="needed")


def rule_template(entry: dict) -> Template | None:
    """The message of a rule of the report ({"rule", "column", "message", …}); its text(lang) is the rule
    without the value. None for a report written before the rules carried their message."""
    m = entry.get("message")
    try:
        return Template(m["key"], **load(m.get("values") or {}))
    except (TypeError, KeyError):           # no message, or a key this version does not know
        return None


def rule_text(entry: dict, lang: str) -> str | None:
    """A rule of the report in `lang`, with its column ("total_cost: negative value"); None as rule_template."""
    tpl = rule_template(entry)
    return None if tpl is None else _at(entry.get("column", ""), tpl).text(lang)


def _all_null(columns: dict[str, pa.Array], n: int) -> np.ndarray:
    m = np.ones(n, bool)
    for a in columns.values():
        m &= a.is_null().to_numpy(zero_copy_only=False)
    return m


def _arrow_type(kind: str) -> pa.DataType:
    return {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "date": pa.date32()}.get(kind, pa.string())


def _to_arrow(df: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    cols = []
    for f in schema:
        s = df[f.name]
        if f.type == pa.date32():
            cols.append(pa.array(s.to_numpy(), pa.timestamp("ns"), from_pandas=True).cast(pa.date32()))
        elif f.type == pa.string():
            cols.append(pa.array(s.to_numpy(dtype=object, na_value=None), pa.string(), from_pandas=True))
        else:
            cols.append(pa.array(s.to_numpy(), f.type, from_pandas=True))
    return pa.Table.from_arrays(cols, schema=schema)


# ------------------------------------------------------------------ statistics
class _Stats:
    """Running counts over the rows used: hospitals, schemes, months, QC, groups, and per-case keys
    and costs for the outlier check (a few bytes per case)."""

    def __init__(self, catalogue_ids: pd.Index | None, has_qc: bool):
        self.catalogue_ids, self.has_qc = catalogue_ids, has_qc
        self.dx_len = int(_dx_key_length())
        self.hosp_code: dict[str, int] = {}
        self.key_code: dict[str, int] = {}
        self.hosp_rows: list[np.ndarray] = []
        self.key_rows: list[np.ndarray] = []
        self.costs: list[np.ndarray] = []
        self.ffs: list[np.ndarray] = []
        self.schemes: list[np.ndarray] = []
        self.ids: list[pa.Array] = []
        self.months: dict[tuple[str, str], int] = {}
        self.scheme_counts: dict[str, int] = {}
        self.qc_fail = self.grouped = self.n = 0
        self.attrs: dict[str, dict] = {}        # hospital id -> name / level / district seen first
        self.names: dict[str, str] = {}         # hospital id -> name, for the report

    def add(self, df: pd.DataFrame, text: dict[str, pa.Array]) -> None:
        """Count the rows used of one chunk (`text`: their contract text columns)."""
        n = len(df)
        self.n += n
        hosp = df["hospital_id"]
        self.hosp_rows.append(_codes(hosp, self.hosp_code))
        scheme = (df["scheme"] == "resident").to_numpy().astype(np.int8)
        self.schemes.append(scheme)
        self.costs.append(df["total_cost"].to_numpy(float))
        self.ffs.append(df["ffs_fund"].to_numpy(float))
        self.ids.append(text["case_id"])
        for s, k in zip(SCHEMES, np.bincount(scheme, minlength=2)):
            self.scheme_counts[s] = self.scheme_counts.get(s, 0) + int(k)
        month = df["discharge_date"].to_numpy().astype("datetime64[M]").astype(np.int64)
        u, k = np.unique(month * 2 + scheme, return_counts=True)
        for v, c in zip(u.tolist(), k.tolist()):
            m = str(np.datetime64(v // 2, "M"))
            self.months[(m, SCHEMES[v % 2])] = self.months.get((m, SCHEMES[v % 2]), 0) + c
        if self.has_qc:
            self.qc_fail += int((~df["qc_pass"]).sum())
        codes, combos = _combos(text, n)
        key = self._keys(combos)
        self.key_rows.append(_codes(key.fillna("(none)"), self.key_code)[codes])
        if any(t in text for t in HOSPITAL_TARGETS):
            self._attrs(hosp, text)

    def _keys(self, combos: pd.DataFrame) -> pd.Series:
        """The group of each distinct (group_id, dx_code, proc_codes, proc_class): the catalogue's
        group when a catalogue is given and it matches (counted for the grouping rate), else the
        group id given, else the core key (principal diagnosis × procedures)."""
        core = core_keys(combos["dx_code"], combos["proc_codes"], self.dx_len).where(combos["dx_code"].notna(), None)
        key = combos["group_id"].where(combos["group_id"].notna(), core)
        if self.catalogue_ids is not None:
            group = assign_groups(combos, self.catalogue_ids, self.dx_len)
            self.grouped += int(combos["rows"][group.notna()].sum())
            key = group.where(group.notna(), key)
        return key

    def _attrs(self, hosp: pd.Series, text: dict[str, pa.Array]) -> None:
        """The first name / level / district met for each hospital (for a derived hospitals.csv)."""
        frame = pd.DataFrame({"hospital_id": hosp.to_numpy(),
                              **{t: text[t].to_pandas() for t in HOSPITAL_TARGETS if t in text}})
        first = frame.groupby("hospital_id", sort=False).first()
        for hid, row in first.iterrows():
            have = self.attrs.setdefault(hid, {})
            for t, v in row.items():
                if t not in have and isinstance(v, str):
                    have[t] = v

    def years(self) -> list[str]:
        return sorted({m[:4] for m, _ in self.months})

    def _hospital_frame(self) -> pd.DataFrame:
        codes = np.concatenate(self.hosp_rows) if self.hosp_rows else np.zeros(0, np.int32)
        res = np.concatenate(self.schemes) if self.schemes else np.zeros(0, np.int8)
        n = len(self.hosp_code)
        ids = list(self.hosp_code)
        cost = np.concatenate(self.costs) if self.costs else np.zeros(0)
        ffs = np.concatenate(self.ffs) if self.ffs else np.zeros(0)
        return pd.DataFrame({
            "hospital_id": ids,
            "cases": np.bincount(codes, minlength=n),
            "employee": np.bincount(codes[res == 0], minlength=n),
            "resident": np.bincount(codes[res == 1], minlength=n),
            "total_cost": np.bincount(codes, weights=cost, minlength=n),
            "ffs_fund": np.bincount(codes, weights=ffs, minlength=n)})

    def hospital_table(self) -> pd.DataFrame:
        """Derived hospitals.csv rows: one per hospital id of the used cases."""
        ids = list(self.hosp_code)
        levels = builtin().mapping.values.get("hospital_level", {})
        rows = []
        for hid in sorted(ids):
            a = self.attrs.get(hid, {})
            raw = a.get("hospital_level")
            level = "other"
            if raw:
                v = levels.get(raw.strip().lower(), raw)
                level = dio.LEVEL_WORDS.get(v.strip().lower(), "other")
            rows.append({"hospital_id": hid, "name": a.get("hospital_name", hid),
                         "district": a.get("hospital_district", ""), "level": level,
                         "reimb_level": LEVEL_REIMB.get(level, 1), "type": "general"})
        return pd.DataFrame(rows, columns=["hospital_id", "name", "district", "level", "reimb_level", "type"])

    def report(self) -> dict:
        h = self._hospital_frame().sort_values("cases", ascending=False, kind="stable")
        h.insert(1, "name", [self.names.get(i, i) for i in h["hospital_id"]])
        months = sorted({m for m, _ in self.months})
        return {
            "grouping_rate": (self.grouped / self.n if self.n else None) if self.catalogue_ids is not None else None,
            "grouped_cases": self.grouped if self.catalogue_ids is not None else None,
            "qc_fail_rate": (self.qc_fail / self.n if self.n else None) if self.has_qc else None,
            "qc_fail_cases": self.qc_fail if self.has_qc else None,
            "cases_by_scheme": {s: self.scheme_counts.get(s, 0) for s in SCHEMES},
            "cases_by_hospital": h.to_dict(orient="records"),
            "cases_by_month": [{"month": m, **{s: self.months.get((m, s), 0) for s in SCHEMES}} for m in months],
            "groups": len(self.key_code),
        }

    def outliers(self, path: Path) -> dict:
        """Cases costing over OUTLIER_HIGH × or under OUTLIER_LOW × their group's median (groups with
        at least OUTLIER_MIN_CASES cases), listed in outliers.csv."""
        rule = {"high": OUTLIER_HIGH, "low": OUTLIER_LOW, "min_group_cases": OUTLIER_MIN_CASES}
        cols = ["case_id", "hospital_id", "scheme", "group", "total_cost", "group_median", "ratio", "kind"]
        if not self.n:
            pd.DataFrame(columns=cols).to_csv(path, index=False)
            return {"rule": rule, "high": 0, "low": 0, "groups_checked": 0}
        key = np.concatenate(self.key_rows)
        cost = np.concatenate(self.costs)
        f = pd.DataFrame({"key": key, "cost": cost})
        g = f.groupby("key")["cost"]
        med = g.transform("median").to_numpy()
        size = g.transform("size").to_numpy()
        checked = (size >= OUTLIER_MIN_CASES) & (med > 0)
        high = checked & (cost > OUTLIER_HIGH * med)
        low = checked & (cost < OUTLIER_LOW * med)
        idx = np.flatnonzero(high | low)
        keys = np.array(list(self.key_code), dtype=object)
        hosp = np.array(list(self.hosp_code), dtype=object)
        ids = pa.chunked_array(self.ids, pa.string()).take(pa.array(idx)).to_pylist() if len(idx) else []
        res = np.concatenate(self.schemes)
        table = pd.DataFrame({
            "case_id": ids, "hospital_id": hosp[np.concatenate(self.hosp_rows)[idx]],
            "scheme": np.where(res[idx] == 1, "resident", "employee"), "group": keys[key[idx]],
            "total_cost": cost[idx], "group_median": med[idx], "ratio": cost[idx] / med[idx],
            "kind": np.where(high[idx], "high", "low")}, columns=cols)
        table.sort_values("ratio", ascending=False).to_csv(path, index=False, encoding="utf-8-sig")
        return {"rule": rule, "high": int(high.sum()), "low": int(low.sum()),
                "groups_checked": int(pd.unique(key[checked]).size)}


KEY_COLS = ("group_id", "dx_code", "proc_codes", "proc_class")


def _combos(text: dict[str, pa.Array], n: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's code into the distinct combinations of the grouping columns, and those
    combinations (with their row counts), so grouping runs once per combination, not per row."""
    parts = [text[c] if c in text else pa.nulls(n, pa.string()) for c in KEY_COLS]
    joined = pc.binary_join_element_wise(*parts, "\x1f", null_handling="replace", null_replacement="\x00")
    d = pc.dictionary_encode(joined)
    codes = d.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    split = [u.split("\x1f") for u in d.dictionary.to_pylist()]
    combos = pd.DataFrame([[None if v == "\x00" else v for v in row] for row in split],
                          columns=list(KEY_COLS), dtype=object)
    combos["rows"] = np.bincount(codes, minlength=len(combos))
    return codes, combos


def _codes(s: pd.Series, table: dict[str, int]) -> np.ndarray:
    """Running integer codes of a text column (new values appended to `table`)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=False)
    look = np.array([table.setdefault(u, len(table)) for u in uniq], dtype=np.int32)
    return look[codes]


def _dx_key_length() -> int:
    from ...params import load_params
    return load_params().get("catalogue.dx_key_length") or 5


# ------------------------------------------------------------------ side-table writers
def _write_hospitals(path: Path, df: pd.DataFrame) -> None:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].map({True: "true", False: "false"})
    out.to_csv(path, index=False, encoding="utf-8")


def _write_fund_template(path: Path, schemes: list[str]) -> None:
    cols = ["scheme", *dio.FUND_MONEY, "revenue_growth", "opening_balance"]
    pd.DataFrame([{"scheme": s} for s in schemes], columns=cols).to_csv(path, index=False, encoding="utf-8")


# ------------------------------------------------------------------ command line
def add_import_parser(sub) -> None:
    """The `import` subcommand (added to dip_model.cli.main's parser)."""
    p = sub.add_parser("import", help="import settlement-list / front-page exports (CSV, XLSX, Parquet) "
                                      "into a data folder with a quality report")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--out", required=True, help="data folder to write (replaced whole when the import succeeds)")
    p.add_argument("--mapping", default=None, help="YAML mapping of columns / values / options (see "
                                                    "dip_model/rulesets/import_mapping.yaml)")
    p.add_argument("--save-mapping", default=None, help="write the mapping used to this YAML file")
    p.add_argument("--hospitals", default=None, help="hospitals table (else derived from the export, with a warning)")
    p.add_argument("--fund", default=None, help="fund table (else a template to fill is written)")
    p.add_argument("--catalogue", default=None, help="disease-group catalogue (for the grouping rate and the folder)")
    p.add_argument("--chunk-rows", type=int, default=200_000, help=argparse.SUPPRESS)
    p.add_argument("--force", action="store_true", help="replace --out even if it is not an imported folder")
    p.add_argument("--lang", default="en", choices=["zh", "en"],
                   help="language of the errors, warnings and the reasons in rejected_rows.csv (default en)")
    p.add_argument("--store", default=None, metavar="NAME",
                   help="also save the imported dataset under NAME in the embedded store (needs a complete folder)")
    p.set_defaults(fn=cli_import)


def cli_import(a) -> int:
    last = [-1.0]

    def progress(done: float, rows: int) -> None:
        if done - last[0] >= 0.05 or done >= 1:
            last[0] = done
            print(f"  {done:4.0%}  {rows:,} rows read", file=sys.stderr, flush=True)

    res = run_import(a.files, a.out, mapping=a.mapping, hospitals=a.hospitals, fund=a.fund,
                     catalogue=a.catalogue, progress=progress, chunk_rows=a.chunk_rows, force=a.force,
                     lang=a.lang)
    q = res.quality
    if a.save_mapping:
        shutil.copyfile(res.out / MAPPING, a.save_mapping)
    print(f"imported {q['rows_used']:,} of {q['rows_read']:,} rows into {res.out} in {q['seconds']:.1f} s; "
          f"{q['rows_rejected']:,} rejected (listed in {REJECTED})")
    for r in q["rejected_by_rule"]:
        print(f"  rejected  {r['rows']:>9,}  {rule_text(r, a.lang) or r['rule']}")
    if q["grouping_rate"] is not None:
        print(f"grouping rate {q['grouping_rate']:.1%}")
    if q["qc_fail_rate"] is not None:
        print(f"QC-fail rate {q['qc_fail_rate']:.1%}")
    print("cases by scheme: " + ", ".join(f"{s} {n:,}" for s, n in q["cases_by_scheme"].items()))
    o = q["outliers"]
    print(f"cost outliers: {o['high']:,} above {o['rule']['high']:g}× and {o['low']:,} below "
          f"{o['rule']['low']:g}× their group median (listed in {OUTLIERS})")
    for level, key in (("warning", "cli_warning"), ("problem", "cli_todo")):
        for n in q["notes"]:
            if n["level"] == level:
                print(Message(key, message=note_message(n["code"], n["params"])).text(a.lang), file=sys.stderr)
    if a.store:
        from ..load import load_data
        from ..store import Store
        ds_id = Store.default().save_dataset(load_data(res.out), a.store, quality=q)
        print(f"saved in the store as '{a.store}' (id {ds_id})")
    return 0
