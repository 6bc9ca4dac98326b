"""The bureau's published tables, as published, into the data contract (importer): the disease-group catalogue
病种分值目录 into catalogue.csv and the prior-year level costs 各级别次均费用 into group_level_costs.csv.

    imp = read_catalogue("病种分值目录.xlsx")          # or read_level_costs(path, groups)
    imp.table      # the accepted rows, typed, in the contract's columns (catalogue: plus tcm_advantage)
    imp.report     # the quality report: file, layout, columns mapped and ignored, rows read / used / rejected,
                   # the rules broken with their counts, the warnings, and a summary of what was read
    imp.rejected   # rejected rows: source_file, source_row, rules, reasons, raw_line and the row as read

The level costs may also be columns of the catalogue file itself, one per level headed by the level
(三级甲等次均费用 …): `report["level_cost_columns"]` names them, and the import reads them from the same file
when no level-cost file is given.

A file is read as the exports are (read: CSV in UTF-8 or GB18030, XLSX, Parquet; a title above the header
allowed); its headers are recognised by the `catalogue:` / `level_costs:` sections of
rulesets/import_mapping.yaml (a user mapping may name columns in sections of the same name); values are
translated there too (核心病种 → core, 是 → true, 三甲 → 3A …), and every row is checked by the contract's own
checks (dip_model.data.load): a row breaking one (RW ≤ 0 or missing, a code met before, an unknown type word …)
is rejected with its file row and reasons, the others are used. A file in which no code column or no score
(cost) column is recognised is refused before anything is written, naming the file and the columns it has.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ... import yamlio
from ...messages import Items, Message, Template
from ..files import Raw
from ..load import normalise
from ..schema import BOOL_WORDS, CATALOGUE, GROUP_LEVEL_COSTS, LEVEL_WORDS, Table
from .mapping import BUILTIN, Mapping, MappingError, _number_text, _strip, builtin, fold, per_value, \
    value_key
from .quality import rule_at
from .read import BadLine, Source, open_source
from .rows import REJECT_FIXED, _Capture, _Hit

CATALOGUE_REJECTED = "rejected_catalogue_rows.csv"
LEVEL_COSTS_REJECTED = "rejected_level_cost_rows.csv"
REQUIRED = {"catalogue": ("group_id", "rw"), "level_costs": ("group_id", "mean_cost")}
TABLES: dict[str, Table] = {"catalogue": CATALOGUE, "level_costs": GROUP_LEVEL_COSTS}
NUMBERS = {"rw", "policy_factor", "tcm_standard", "mean_cost", "history_cases"}
SMALL_RW = 20.0            # a median score below this looks like a relative weight, not points (A-16: ×1000)


@dataclass
class Spec:
    """The built-in recognition of one published table (import_mapping.yaml, its section)."""
    aliases: dict[str, tuple[int, str]]      # folded header -> (priority, column)
    values: dict[str, dict[str, str]]        # column -> {folded published word: contract value}
    grassroots_types: frozenset = frozenset()
    wide_suffixes: tuple = ()


@lru_cache(maxsize=None)
def spec(kind: str) -> Spec:
    with open(BUILTIN, encoding="utf-8") as f:
        d = (yamlio.safe_load(f) or {})[kind]
    aliases: dict[str, tuple[int, str]] = {}
    for target, names in d["headers"].items():
        for prio, n in enumerate(names):
            aliases.setdefault(fold(str(n)), (prio, target))
    values = {t: {value_key(k): str(v) for k, v in (m or {}).items()} for t, m in (d.get("values") or {}).items()}
    return Spec(aliases, values, frozenset(value_key(w) for w in d.get("grassroots_types") or ()),
                tuple(fold(str(w)) for w in d.get("wide_suffixes") or ()))


def recognise_side(kind: str, header: list[str], user: Mapping | None = None) -> dict[str, str]:
    """source column -> column of the published table `kind` (catalogue / level_costs): the user's mapping
    first, then the built-in headers, the better-ranked header winning; unrecognised columns are left out."""
    chosen = {fold(k): v for k, v in ((user.side.get(kind) if user else None) or {}).items()}
    out: dict[str, str] = {}
    taken = set()
    for col in header:
        if fold(col) in chosen:
            out[col] = chosen[fold(col)]
            taken.add(out[col])
    best: dict[str, tuple[int, int, str]] = {}
    for i, col in enumerate(header):
        if col in out:
            continue
        hit = spec(kind).aliases.get(fold(col))
        if hit and hit[1] not in taken and (hit[1] not in best or (hit[0], i) < best[hit[1]][:2]):
            best[hit[1]] = (hit[0], i, col)
    for target, (_, _, col) in best.items():
        out[col] = target
    return {c: out[c] for c in header if out.get(c)}


def level_words() -> dict[str, str]:
    """Published level words (三甲, 三级甲等, 3A …) -> the contract's level."""
    words = {k: LEVEL_WORDS.get(value_key(v), v) for k, v in builtin().mapping.values.get("hospital_level", {}).items()}
    return {**words, **{value_key(k): v for k, v in LEVEL_WORDS.items()}}


def wide_levels(header: list[str], mapped: dict[str, str]) -> dict[str, str]:
    """Columns of a wide level-cost table (one cost column per level, headed by the level) -> level."""
    words = level_words()
    out = {}
    for col in header:
        if col in mapped:
            continue
        h = fold(col)
        for _ in range(3):                     # 三级甲等医院次均费用 -> 三级甲等医院 -> 三级甲等
            for suffix in spec("level_costs").wide_suffixes:
                if h.endswith(suffix) and len(h) > len(suffix):
                    h = h[: -len(suffix)]
        if h in words:
            out[col] = words[h]
    return out


def score(kind: str):
    """How many names of a candidate header line are recognised (finds the header under a title)."""
    return lambda names: sum(fold(n) in spec(kind).aliases for n in names if n)


def inspect_side(path, kind: str = "catalogue", user: Mapping | None = None, rows: int = 50) -> dict:
    """What a page needs about a published table before importing it: kind, encoding, header row, columns
    with the column each maps to ("" = not used), a level-cost table's level columns (`wide_levels`), a
    catalogue's own level-cost columns (`level_cost_columns`, read as the level costs when no level-cost file
    is given), the required columns still missing, a preview."""
    src = open_source(path, score(kind))
    mapped = recognise_side(kind, src.header, user)
    levels = wide_levels(src.header, mapped) if kind == "level_costs" and "level" not in mapped.values() else {}
    return {"kind": src.kind, "encoding": src.encoding, "header_row": src.header_row, "columns": src.header,
            "mapped": {c: mapped.get(c, "") for c in src.header}, "wide_levels": levels,
            "level_cost_columns": wide_levels(src.header, mapped) if kind == "catalogue" else {},
            "missing": _missing(kind, mapped, levels), "preview": src.preview(rows)}


def _missing(kind: str, mapped: dict[str, str], levels: dict[str, str]) -> list[str]:
    have = set(mapped.values())
    need = [t for t in REQUIRED[kind] if t not in have and not (t == "mean_cost" and levels)]
    if kind == "level_costs" and "level" not in have and not levels:
        need.append("level")
    return need


@dataclass
class SideImport:
    """A published table read and checked (module docstring)."""
    kind: str                                   # catalogue | level_costs
    table: pd.DataFrame
    report: dict
    rejected: pd.DataFrame
    notes: list = field(default_factory=list)   # (code, level, params) for the import's notes


def read_catalogue(path, name: str | None = None, mapping: Mapping | None = None, lang: str = "en") -> SideImport:
    """The bureau's catalogue as published (module docstring) -> the contract's catalogue rows."""
    return _read("catalogue", Path(path), name, mapping, lang)


def read_level_costs(path, groups: pd.Index | None = None, name: str | None = None, mapping: Mapping | None = None,
                     lang: str = "en") -> SideImport:
    """The published prior-year level costs -> group_level_costs rows; `groups` (the catalogue's codes) counts
    the rows whose group is not in the catalogue (kept, not used by the engine, docs/data-contract.md)."""
    imp = _read("level_costs", Path(path), name, mapping, lang)
    if groups is not None and len(imp.table):
        outside = int((~imp.table["group_id"].isin(groups)).sum())
        imp.report["not_in_catalogue"] = outside
        if outside:
            imp.notes.append(("level_costs_unknown_groups", "warning", {"file": imp.report["file"], "rows": outside}))
    return imp


# ------------------------------------------------------------------ reading
def _read_all(src: Source) -> tuple[dict[str, pa.Array], np.ndarray, list[BadLine]]:
    cols: dict[str, list] = {c: [] for c in src.header}
    rows, bad = [], []
    for chunk in src.chunks(200_000):
        for c in src.header:
            cols[c].append(chunk.columns[c])
        rows.append(chunk.rows)
        bad += chunk.bad_lines
    text = {c: pa.concat_arrays(v) if v else pa.array([], pa.string()) for c, v in cols.items()}
    return text, np.concatenate(rows) if rows else np.zeros(0, np.int64), bad


def _translate(a: pa.Array, words: dict[str, str]) -> pa.Array:
    return per_value(a, lambda v: words.get(value_key(v), v))


def _read(kind: str, path: Path, name: str | None, mapping: Mapping | None, lang: str) -> SideImport:
    shown = name or path.name
    src = open_source(path, score(kind))
    mapped = recognise_side(kind, src.header, mapping)
    levels = wide_levels(src.header, mapped) if kind == "level_costs" and "level" not in mapped.values() else {}
    need = _missing(kind, mapped, levels)
    if need:
        raise MappingError(Message(f"{kind}_layout_unknown", file=shown, need=Items(need),
                                   found=Items(src.header) if src.header else Message("nothing")))
    text, rows, bad = _read_all(src)
    origin_rows = rows
    n = len(rows)
    cols = {t: _strip(text[s]) for s, t in mapped.items()}
    notes: list = []
    cells = None                                         # wide: the source column of each cost cell
    if kind == "level_costs" and levels:                 # wide: one row per group and level column
        cols, rows, origin, cells = _melt(cols, levels, text, rows)
        n = len(rows)
    else:
        origin = np.arange(n)
    blank = _all_null(text, origin, n)
    sp = spec(kind)
    for t, words in sp.values.items():
        if t in cols:
            cols[t] = _translate(cols[t], words)
    if kind == "catalogue":
        _catalogue_text(cols, text, mapped, n, sp, notes, shown)
    else:
        cols["level"] = _translate(cols["level"], level_words())
    for t in NUMBERS & set(cols):
        cols[t] = _number_text(cols[t])
    table = TABLES[kind]
    ctx = _Capture()
    ctx.files[table.name] = f"{table.name}.csv"
    raw = Raw({t: pa.chunked_array([a]) for t, a in cols.items() if t in {c.name for c in table.cols}}, n)
    df = normalise(ctx, table, raw)
    if df is None or ctx.problems:                       # file-level: not expected once the columns are there
        raise MappingError(Message(f"{kind}_layout_unknown", file=shown, need=Items(REQUIRED[kind]),
                                   found=Items(src.header)))
    hits = list(ctx.hits)
    if kind == "catalogue" and "tcm_advantage" in cols:
        df["tcm_advantage"], flag_hit = _flags(cols["tcm_advantage"])
        if flag_hit is not None:
            hits.append(flag_hit)
    if kind == "catalogue" and "history_cases" in cols:
        df["history_cases"] = pd.to_numeric(pd.Series(cols["history_cases"].to_pandas()), errors="coerce")
    hits = _repeats_among_good(hits, df, table, ~blank)
    if blank.any():                                      # an empty row (Excel's trailing ones) is skipped
        hits = [_Hit(h.column, h.message, h.mask & ~blank, h.values, h.warn) for h in hits]
    rejected_mask = np.zeros(n, bool)
    for h in hits:
        if not h.warn:
            rejected_mask |= h.mask
    ok = ~rejected_mask & ~blank
    used = df[ok].reset_index(drop=True)
    rejected = _rejected(shown, src, text, rows, origin, rejected_mask, hits, bad, lang,
                         _headers(mapped, cells))
    # a catalogue often carries the level costs too, one column per level (三级甲等次均费用 …): read by
    # read_level_costs from the same file (side.side_tables), so not ignored
    costs = wide_levels(src.header, mapped) if kind == "catalogue" else {}
    report = {
        "file": shown, "kind": src.kind, "encoding": src.encoding, "header_row": src.header_row,
        "layout": "wide" if levels else "long", "mapped": dict(mapped), "wide_levels": levels,
        "ignored": [c for c in src.header if c not in mapped and c not in levels and c not in costs],
        "rows_read": len(origin_rows) + len(bad), "rows_used": int(ok.sum()),
        "rows_rejected": int(rejected_mask.sum()) + len(bad), "rows_blank": int(blank.sum()),
        "rejected_by_rule": _ranked(hits, ok, warn=False, bad=len(bad)),
        "warnings_by_rule": _ranked(hits, ok, warn=True),
    }
    if levels:                          # wide: rows_used + rows_rejected = cells_read (the cost cells given)
        report["cells_read"] = n
        report["rows_without_cost"] = int(len(origin_rows) - len(np.unique(origin)))
    if kind == "catalogue":
        report["level_cost_columns"] = costs
        report.update(_catalogue_summary(used))
        _catalogue_notes(used, report, notes, shown)
    if report["rows_rejected"]:
        notes.append((f"{kind}_rows_rejected", "warning", {"file": shown, "rows": report["rows_rejected"]}))
    if not len(used):
        notes.append((f"{kind}_empty", "problem", {"file": shown}))
    table_out = used[[c.name for c in table.cols] + [c for c in ("tcm_advantage", "history_cases") if c in used]]
    return SideImport(kind, table_out, report, rejected, notes)


def _catalogue_text(cols: dict, text: dict, mapped: dict, n: int, sp: Spec, notes: list, shown: str) -> None:
    """Catalogue columns before the checks: a type word that names a grassroots group (基层病种) makes the group
    grassroots; without a type column the type is the engine's own rule for keys (|comp| = comprehensive)."""
    if "group_type" in cols:
        src = next(s for s, t in mapped.items() if t == "group_type")
        raw = _strip(text[src])
        marks = pc.is_in(per_value(raw, value_key), pa.array(sorted(sp.grassroots_types), pa.string()))
        marks = pc.fill_null(marks, False)
        if pc.any(marks).as_py():
            given = cols.get("grassroots", pa.nulls(n, pa.string()))
            cols["grassroots"] = pc.if_else(pc.and_(marks, pc.is_null(given)), pa.scalar("true"), given)
    else:
        ids = cols["group_id"]
        comp = pc.fill_null(pc.match_substring(ids, "|comp|"), False)
        cols["group_type"] = pc.if_else(comp, pa.scalar("comprehensive"), pa.scalar("core"))
        notes.append(("catalogue_type_inferred", "warning", {"file": shown}))


def _melt(cols: dict, levels: dict, text: dict, rows: np.ndarray):
    """A wide level-cost table as one row per group and level column (empty cost cells left out)."""
    ids = cols["group_id"]
    parts_id, parts_level, parts_cost, parts_origin, parts_col = [], [], [], [], []
    for col, level in levels.items():
        cost = _strip(text[col])
        keep = np.flatnonzero(~cost.is_null().to_numpy(zero_copy_only=False))
        take = pa.array(keep)
        parts_id.append(ids.take(take))
        parts_level.append(pa.array([level] * len(keep), pa.string()))
        parts_cost.append(cost.take(take))
        parts_origin.append(keep)
        parts_col.append(np.full(len(keep), col, dtype=object))
    origin = np.concatenate(parts_origin) if parts_origin else np.zeros(0, np.int64)
    order = np.argsort(origin, kind="stable")                   # in file order
    def cat(parts):
        return pa.concat_arrays(parts).take(pa.array(order)) if parts else pa.array([], pa.string())
    out = {"group_id": cat(parts_id), "level": cat(parts_level), "mean_cost": cat(parts_cost)}
    cells = np.concatenate(parts_col)[order] if parts_col else np.zeros(0, object)
    return out, rows[origin[order]], origin[order], cells


def _repeats_among_good(hits: list[_Hit], df: pd.DataFrame, table: Table, keep: np.ndarray) -> list[_Hit]:
    """The contract's duplicate rule counted among the rows that break no other rule: a code whose first row
    is rejected for another reason keeps its next row."""
    dup = [h for h in hits if h.message.key == "duplicate"]
    if not dup:
        return hits
    rest = [h for h in hits if h.message.key != "duplicate"]
    bad = np.zeros(len(df), bool)
    for h in rest:
        if not h.warn:
            bad |= h.mask
    keys = df[list(table.unique)]
    good = keep & ~bad & keys.notna().all(axis=1).to_numpy()
    repeat = np.zeros(len(df), bool)
    repeat[good] = keys[good].duplicated().to_numpy()
    if not repeat.any():
        return rest
    return rest + [_Hit(dup[0].column, dup[0].message, repeat, dup[0].values, False)]


def _all_null(text: dict, origin: np.ndarray, n: int) -> np.ndarray:
    m = np.ones(len(next(iter(text.values()))) if text else 0, bool)
    for a in text.values():
        m &= _strip(a).is_null().to_numpy(zero_copy_only=False)
    return m[origin] if n else np.zeros(0, bool)


def _flags(a: pa.Array) -> tuple[pd.Series, _Hit | None]:
    """A yes/no column that is not a contract column (tcm_advantage): true / false / missing; an unknown word
    is a warning and left missing."""
    s = pd.Series(a.to_pandas(), dtype=object)
    words = {k: v for k, v in BOOL_WORDS.items()}
    out = s.map(lambda v: words.get(value_key(v)) if isinstance(v, str) else None)
    unknown = s.notna() & out.isna()
    hit = None
    if unknown.any():
        hit = _Hit("tcm_advantage", Template("unknown_value", known=Items(["是", "否", "true", "false"])),
                   unknown.to_numpy(), s, True)
    return out.astype(object), hit


def _ranked(hits: list[_Hit], ok: np.ndarray, warn: bool, bad: int = 0) -> list[dict]:
    counts: dict[str, tuple[int, _Hit]] = {}
    for h in hits:
        if h.warn != warn:
            continue
        k = int((h.mask & ok).sum()) if warn else int(h.mask.sum())
        if k:
            prev = counts.get(h.rule)
            counts[h.rule] = ((prev[0] if prev else 0) + k, h)
    out = [{"rule": r, "column": h.column, "rows": k, "message": h.message.to_json()}
           for r, (k, h) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    if bad and not warn:
        tpl = Template("malformed_line")
        out.append({"rule": f"row: {tpl.rule()}", "column": "row", "rows": bad, "message": tpl.to_json()})
    return out


def _headers(mapped: dict[str, str], cells: np.ndarray | None) -> Callable[[str, int], str]:
    """(column, row) -> the column as the reasons name it: the file's own header with the contract column,
    "分值 (rw)"; a wide table's cost cell by its level column, "三级甲等次均费用 (mean_cost)"."""
    source = {t: s for s, t in mapped.items()}

    def header(column: str, i: int) -> str:
        s = str(cells[i]) if cells is not None and column in ("mean_cost", "level") else source.get(column)
        return f"{s} ({column})" if s and s != column else column
    return header


def _rejected(shown: str, src: Source, text: dict, rows: np.ndarray, origin: np.ndarray, mask: np.ndarray,
              hits: list[_Hit], bad: list[BadLine], lang: str, header: Callable[[str, int], str]) -> pd.DataFrame:
    """One row per rejected input row (a wide table's cells of one source row share it); each reason names
    the column by `header` (_headers) and the value."""
    sep = "；" if lang == "zh" else "; "
    by_row: dict[int, dict] = {}
    named: dict[tuple[int, str], _Hit] = {}
    for i in np.flatnonzero(mask):
        broken = [h for h in hits if not h.warn and h.mask[i]]
        o = int(origin[i])
        entry = by_row.setdefault(o, {"source_file": shown, "source_row": str(int(rows[i])), "rules": [],
                                      "reasons": [], "raw_line": None})
        for h in broken:
            if h.rule not in entry["rules"]:
                entry["rules"].append(h.rule)
            label = header(h.column, int(i)) if h.column and h.column != "row" else h.column
            if label != h.column:            # the same rule under the file's header (rendered once per header)
                h = named.setdefault((id(h), label), _Hit(label, h.message, h.mask, h.values, h.warn))
            entry["reasons"].append(h.reason(int(i), lang))
    out = []
    for o, entry in sorted(by_row.items()):
        out.append({**entry, "rules": " | ".join(entry["rules"]), "reasons": sep.join(entry["reasons"]),
                    **{c: text[c][o].as_py() for c in src.header}})
    for b in bad:
        reason = rule_at("row", Message("line_fields", fields=b.fields, header=len(src.header))).text(lang)
        out.append({"source_file": shown, "source_row": str(b.row), "rules": f"row: {Template('malformed_line').rule()}",
                    "reasons": reason, "raw_line": b.text, **{c: None for c in src.header}})
    return pd.DataFrame(out, columns=list(dict.fromkeys([*REJECT_FIXED, *src.header])))


def _catalogue_summary(cat: pd.DataFrame) -> dict:
    rw = cat["rw"] if len(cat) else pd.Series(dtype=float)
    return {"groups": {"total": int(len(cat)), "core": int((cat["group_type"] == "core").sum()),
                       "comprehensive": int((cat["group_type"] == "comprehensive").sum()),
                       "grassroots": int(cat["grassroots"].sum()) if len(cat) else 0,
                       "tcm_standard": int(cat["tcm_standard"].notna().sum()),
                       "monitored": int((cat["category"] == "monitored").sum()),
                       "ambiguous": int((cat["category"] == "ambiguous").sum())},
            "rw": {"min": float(rw.min()), "median": float(rw.median()), "max": float(rw.max())} if len(rw) else None}


def _catalogue_notes(cat: pd.DataFrame, report: dict, notes: list, shown: str) -> None:
    if len(cat) and float(cat["rw"].median()) < SMALL_RW:
        notes.append(("catalogue_scores_small", "warning", {"file": shown, "median": float(cat["rw"].median())}))
    if "tcm_advantage" in cat:
        flagged = cat["tcm_advantage"].map(lambda v: v is True) & cat["tcm_standard"].isna()
        report["tcm_without_standard"] = int(flagged.sum())
        if flagged.any():
            notes.append(("catalogue_tcm_without_standard", "warning", {"file": shown, "groups": int(flagged.sum())}))


def write_side(folder: Path, imp: SideImport) -> None:
    """catalogue.csv / group_level_costs.csv of the folder (the accepted rows), and the rejected rows (with a
    byte-order mark, as rejected_rows.csv) when there are any."""
    name, rejected = (("catalogue.csv", CATALOGUE_REJECTED) if imp.kind == "catalogue"
                      else ("group_level_costs.csv", LEVEL_COSTS_REJECTED))
    out = imp.table.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].map(lambda v: "true" if v is True else "false" if v is False else v)
    if "history_cases" in out:
        out["history_cases"] = out["history_cases"].astype("Int64")
    out.to_csv(folder / name, index=False, encoding="utf-8")
    if len(imp.rejected):
        imp.rejected.to_csv(folder / rejected, index=False, encoding="utf-8-sig")


__all__ = ["CATALOGUE_REJECTED", "LEVEL_COSTS_REJECTED", "SideImport", "inspect_side", "read_catalogue",
           "read_level_costs", "recognise_side", "write_side"]

