"""The tables a user gives beside the exports (hospitals, fund, the published catalogue and level costs): read
and checked before any row is imported, and the hospitals / fund files the import writes. The hospitals and
fund tables are checked whole by the contract's checks (a problem stops the import); the bureau's catalogue
and level costs are read as published (importer/published.py: Chinese headers, a rejected row reported and
the others used).
"""
from __future__ import annotations

import tempfile
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from ...errors import InputError, Problem
from ...messages import Message
from ..cells import as_text
from ..load import Ctx, normalise, read_table
from ..schema import FUND, FUND_MONEY, HOSPITALS
from .mapping import Mapping, builtin, fold, per_value, value_key

if TYPE_CHECKING:
    from .published import SideImport

# side tables a user may give, with the headers recognised for them (besides the contract's own)
HOSPITAL_HEADERS = {"hospital_id": ("医疗机构编码", "定点医药机构编号", "定点医药机构编码", "定点医疗机构编码", "机构编码",
                                    "医院编码"),
                    "name": ("医疗机构名称", "定点医药机构名称", "定点医疗机构名称", "医院名称", "机构名称"),
                    "district": ("区县", "所属区县"), "level": ("医院等级", "医疗机构等级", "机构等级", "医院级别"),
                    "reimb_level": ("报销级别", "报销等级"), "type": ("机构类型", "医院类型")}


@dataclass
class Side:
    """The tables given beside the exports, as the import uses them."""

    hospitals: pd.DataFrame | None = None   # normalised (data.load) when given
    fund: Path | None = None
    catalogue: SideImport | None = None     # the published catalogue, read (importer/published.py)
    catalogue_ids: pd.Index | None = None
    fund_schemes: set = field(default_factory=set)
    level_costs: SideImport | None = None   # the published level costs, read


def side_tables(hospitals, fund, catalogue, level_costs=None, mapping: Mapping | None = None,
                lang: str = "en", names: dict | None = None) -> Side:
    """Read and check the tables given beside the exports (a problem of the hospitals or fund table, or a
    catalogue / level-cost file in an unknown layout, stops the import first); without a level-cost file, the
    catalogue's own level-cost columns (one per level) give group_level_costs.csv. `hospitals` is a file, or the
    hospital's own row(s) as a DataFrame, a mapping or a list of mappings (contract or Chinese headers);
    `names` are the file names shown in the report (key catalogue / level_costs)."""
    side = Side()
    problems: list[Problem] = []
    names = names or {}
    if isinstance(hospitals, (pd.DataFrame, MappingType, list)):
        df, probs = _hospital_rows(hospitals)
        side.hospitals, problems = df, problems + probs
    elif hospitals:
        df, probs = _read_table(HOSPITALS, Path(hospitals), _hospital_headers)
        side.hospitals, problems = df, problems + probs
    if fund:
        df, probs = _read_table(FUND, Path(fund))
        side.fund, problems = Path(fund), problems + probs
        if df is not None:
            side.fund_schemes = set(df["scheme"])
    if problems:
        raise InputError(problems)
    from .published import read_catalogue, read_level_costs     # published reads with rows' checks
    if catalogue:
        side.catalogue = read_catalogue(catalogue, names.get("catalogue"), mapping, lang)
        side.catalogue_ids = pd.Index(side.catalogue.table["group_id"])
    if level_costs:
        side.level_costs = read_level_costs(level_costs, side.catalogue_ids, names.get("level_costs"), mapping, lang)
        if side.catalogue is not None:            # the level-cost file wins: the catalogue's cost columns unused
            rep = side.catalogue.report
            rep["ignored"] = rep["ignored"] + [c for c in rep["level_cost_columns"] if c not in rep["ignored"]]
    elif side.catalogue is not None and side.catalogue.report["level_cost_columns"]:
        # the catalogue carries the level costs, one column per level: group_level_costs.csv from the same file
        side.level_costs = read_level_costs(catalogue, side.catalogue_ids, names.get("catalogue"), mapping, lang)
    return side


def _hospital_rows(rows) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The hospital's own row(s), given as data rather than a file, read and checked as a hospitals file."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame([rows] if isinstance(rows, MappingType) else rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hospitals.csv"
        frame.to_csv(path, index=False, encoding="utf-8")
        return _read_table(HOSPITALS, path, _hospital_headers)


def _read_table(spec, path: Path, rename=None):
    """One contract table read and checked by dip_model.data.load (typed frame, problems)."""
    ctx = Ctx(path.parent)
    if not path.is_file():
        ctx.problem(path.name, Message("file_not_found"))
        return None, ctx.problems
    raw = read_table(ctx, spec, [path])
    df = None
    if raw is not None:
        if rename:
            rename(raw)
        df = normalise(ctx, spec, raw)
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
        raw["level"] = pa.chunked_array([_map_words(as_text(raw["level"]), words)])


def _map_words(a: pa.Array, words: dict) -> pa.Array:
    return per_value(a, lambda v: words.get(value_key(v), v))


def write_hospitals(path: Path, df: pd.DataFrame) -> None:
    """hospitals.csv of the folder (the given table or the one derived from the export)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].map({True: "true", False: "false"})
    out.to_csv(path, index=False, encoding="utf-8")


def write_fund_template(path: Path, schemes: list[str]) -> None:
    """fund.csv with one empty row per scheme, for the user to fill."""
    cols = ["scheme", *FUND_MONEY, "revenue_growth", "opening_balance"]
    pd.DataFrame([{"scheme": s} for s in schemes], columns=cols).to_csv(path, index=False, encoding="utf-8")

