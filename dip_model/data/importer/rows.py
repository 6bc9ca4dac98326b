"""Every row of the exports through the contract's checks (dip_model.data.load) into cases.csv or, with
its file row and reasons, into rejected_rows.csv; the quality report gathered on the way.
"""
from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ...errors import InputError
from ...messages import Message, Template
from ..dataset import SCHEMES
from ..files import Raw
from ..load import Ctx, as_mask, normalise
from ..schema import CASE_COLS, CASES
from .mapping import CASE_TARGETS, HOSPITAL_TARGETS, Plan
from .quality import OUTLIERS, Stats, note_message, rule_at
from .read import BadLine, Chunk, Source
from .side import Side, write_fund_template, write_hospitals

REJECTED = "rejected_rows.csv"
REJECT_FIXED = ("source_file", "source_row", "rules", "reasons", "raw_line")
_STAT_TEXT = ("case_id", "group_id", "dx_code", "proc_codes", "proc_class") + HOSPITAL_TARGETS
_WRITE = pacsv.WriteOptions(include_header=True, quoting_style="needed")


# ------------------------------------------------------------------ the row checks
@dataclass
class _Hit:
    column: str
    message: Template                       # the contract check's message, `v` = the row's value
    mask: np.ndarray
    values: pd.Series | Callable[[int], object] | None   # Series, function of the row, or None
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
            self._around[lang] = rule_at(self.column, self.message.fill(_VALUE)).text(lang).split(_VALUE)
        return str(v).join(self._around[lang])


_VALUE = "\x00v\x00"                        # where the value goes in a reason rendered once


class _Capture(Ctx):
    """The contract's check context (data.load), keeping each rule's row mask instead of a summary."""

    def __init__(self):
        super().__init__(Path("."))
        self.files = {"cases": "cases.csv"}
        self.hits: list[_Hit] = []

    def rows(self, file, column, mask, message, values=None, warn=False):
        m = as_mask(mask)
        if m.any():
            self.hits.append(_Hit(column or "", message, m, values, warn))


def _check(text: dict[str, pa.Array], n: int) -> tuple[pd.DataFrame, list[_Hit]]:
    """The contract's checks on one chunk of contract text columns: typed frame and the rules hit."""
    raw = Raw({t: pa.chunked_array([a]) for t, a in text.items() if t in CASE_TARGETS}, n)
    ctx = _Capture()
    df = normalise(ctx, CASES, raw)
    if ctx.problems:                        # file-level: cannot happen once the plan is complete
        raise InputError(ctx.problems)
    return df, ctx.hits


# ------------------------------------------------------------------ the job
class Job:
    """One import run: streams every source, writes cases.csv and rejected_rows.csv, gathers the report."""

    def __init__(self, folder: Path, sources, shown, plans, side: Side, progress, chunk_rows, lang="en",
                 hospital: bool = False):
        self.folder, self.sources, self.shown, self.plans, self.side = folder, sources, shown, plans, side
        self.hospital = hospital                      # a hospital folder: no fund.csv, not even a template
        self.progress, self.chunk_rows, self.lang = progress, chunk_rows, lang
        self.columns = [c.name for c in CASE_COLS
                        if c.name == "case_id" or any(c.name in p.columns for p in plans)]
        self.schema = pa.schema([(c.name, _arrow_type(c.kind)) for c in CASE_COLS if c.name in self.columns])
        self.reject_cols = list(REJECT_FIXED) + list(dict.fromkeys(c for s in sources for c in s.header))
        self.seen = np.zeros(0, np.uint64)            # hashes of case ids met so far
        self.stats = Stats(side.catalogue_ids, "qc_pass" in self.columns)
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
        """Case ids already met in earlier chunks (the contract check finds duplicates within the chunk), and
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
        reasons = [rule_at("row", Message("line_fields", fields=b.fields, header=len(src.header))).text(self.lang)
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
        hospitals = self.side.hospitals
        derived = hospitals is None
        if hospitals is None:
            hospitals = self.stats.hospital_table()
        write_hospitals(self.folder / "hospitals.csv", hospitals)
        self.stats.names = dict(zip(hospitals["hospital_id"], hospitals["name"]))
        if derived:
            note("hospitals_derived", "warning")
        schemes = [s for s in SCHEMES if self.stats.scheme_counts.get(s)]
        if self.side.fund is not None:
            shutil.copyfile(self.side.fund, self.folder / ("fund" + self.side.fund.suffix.lower()))
            for s in schemes:
                if s not in self.side.fund_schemes:
                    note("fund_scheme_missing", "problem", scheme=s, cases=self.stats.scheme_counts[s])
        elif self.hospital:
            note("hospital_folder", "warning")
        else:
            write_fund_template(self.folder / "fund.csv", schemes or list(SCHEMES))
            note("fund_template", "problem")
        from .published import write_side          # published.py uses this module's row checks
        published = [imp for imp in (self.side.catalogue, self.side.level_costs) if imp is not None]
        for imp in published:                       # the bureau's tables as read (importer/published.py)
            write_side(self.folder, imp)
            for code, level, params in imp.notes:
                note(code, level, **params)
        if self.side.catalogue is None:
            note("no_catalogue_hospital" if self.hospital and self.side.fund is None else "no_catalogue", "problem")
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
            "catalogue": self.side.catalogue.report if self.side.catalogue is not None else None,
            "level_costs": self.side.level_costs.report if self.side.level_costs is not None else None,
            "derived": {"hospitals": derived,
                        "fund": "given" if self.side.fund is not None else "none" if self.hospital else "template",
                        "catalogue": "given" if self.side.catalogue is not None else "missing"},
            "notes": notes,
            "warnings": [n["text"] for n in notes if n["level"] == "warning"],
            "problems": [n["text"] for n in notes if n["level"] == "problem"],
        }


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

