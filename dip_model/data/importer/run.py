"""Import real settlement-list (医保结算清单) / front-page (病案首页) exports into a data folder.

    run_import(["export.csv"], "data/imports/city", hospitals=..., fund=..., catalogue=...)

reads each export in chunks (read), maps its columns and values to the contract (mapping), checks
every row with the contract checks of dip_model.data.load (rows), and writes a data folder: cases.csv,
hospitals.csv and fund.csv (the given tables (side), or derived / a template, with a warning), the given catalogue,
plus the quality report quality.json (quality), rejected_rows.csv, outliers.csv and the mapping used
(mapping.yaml). Every input row is either in cases.csv or in rejected_rows.csv with its file row and
reasons. The folder is written under a temporary name and renamed at the end, so an interrupted
import leaves the previous folder as it was. The `import` command is in dip_model.cli.data.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ...errors import DipError
from ...messages import Items, Message
from .mapping import Mapping, MappingError, Plan, header_score, missing_targets, recognise
from .read import Source, open_source
from .rows import REJECTED, Job
from .side import side_tables

QUALITY = "quality.json"
MAPPING = "mapping.yaml"
Progress = Callable[[float, int], None]                        # (share done 0..1, rows read)


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
               force: bool = False, names: list[str] | None = None, lang: str = "en",
               hospital: bool = False, level_costs=None, side_names: dict | None = None) -> ImportResult:
    """Import `files` into the data folder `out` (replaced whole, atomically). `names` are the
    file names shown in the report (default: the files' own names); `lang` is the language of the
    reasons written in rejected_rows.csv (the report's rules carry their message key for any language).
    `hospital`: a hospital's own export, for a hospital folder (docs/data-contract.md): without `fund`
    no fund.csv template is written.

    `hospitals`: a hospitals file, or the hospital's own row(s) as a DataFrame, a mapping or a list of
    mappings (contract or Chinese headers: hospital_id / 医疗机构编码, level / 医院等级, reimb_level …).
    `catalogue`, `level_costs`: the bureau's published 病种分值目录 and 各级别次均费用 files as published
    (CSV, XLSX or Parquet; contract or Chinese headers, importer/published.py), written as catalogue.csv and
    group_level_costs.csv with their rejected rows and their reports (quality["catalogue"],
    quality["level_costs"]); a file in an unknown layout is refused (MappingError) before anything is
    written. `side_names`: the names shown for them (keys catalogue, level_costs; default the files' names)."""
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
        side = side_tables(hospitals, fund, catalogue, level_costs, mapping, lang, side_names)
        job = Job(tmp, sources, shown, plans, side, progress, chunk_rows, lang, hospital=hospital)
        quality = job.run()
        quality["seconds"] = round(time.perf_counter() - t0, 2)
        used = _used_mapping(mapping, sources, plans, quality)
        (tmp / MAPPING).write_text(used.to_yaml(), encoding="utf-8")
        (tmp / QUALITY).write_text(json.dumps(quality, ensure_ascii=False, indent=1), encoding="utf-8")
        _commit(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ImportResult(out, quality)


def inspect_catalogue(path, mapping: Mapping | None = None, rows: int = 50) -> dict:
    """inspect() of a published catalogue file (importer/published.inspect_side): columns, the catalogue
    column each maps to, the required ones missing, a preview."""
    from .published import inspect_side
    return inspect_side(path, "catalogue", mapping, rows)


def inspect_level_costs(path, mapping: Mapping | None = None, rows: int = 50) -> dict:
    """inspect() of a published level-cost file (long or wide layout, `wide_levels`)."""
    from .published import inspect_side
    return inspect_side(path, "level_costs", mapping, rows)


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


def _used_mapping(user: Mapping | None, sources: list[Source], plans: list[Plan], quality: dict) -> Mapping:
    """The user's mapping plus the column choices made for these files and the published tables (saved for
    reuse)."""
    cols = {}
    for src, plan in zip(sources, plans):
        for c in src.header:
            cols[c] = next((t for t, s in plan.columns.items() if s == c), "")
    side = {}
    for kind in ("catalogue", "level_costs"):
        rep = quality.get(kind)
        if rep:
            side[kind] = {**{c: "" for c in rep["ignored"]}, **rep["mapped"]}
    m = Mapping(columns=cols, side=side)
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

