"""The tables a user gives beside the exports (hospitals, fund, catalogue): read and checked by the
contract's checks before any row is imported, and the hospitals / fund files the import writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ...errors import InputError, Problem
from ...messages import Message
from ..cells import as_text
from ..load import Ctx, normalise, read_table
from ..schema import CATALOGUE, FUND, FUND_MONEY, HOSPITALS
from .mapping import builtin, fold, per_value, value_key

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
    catalogue: Path | None = None
    catalogue_ids: pd.Index | None = None
    fund_schemes: set = field(default_factory=set)


def side_tables(hospitals, fund, catalogue) -> Side:
    """Read and check the tables given beside the exports (any problem stops the import first)."""
    side = Side()
    problems: list[Problem] = []
    if hospitals:
        df, probs = _read_table(HOSPITALS, Path(hospitals), _hospital_headers)
        side.hospitals, problems = df, problems + probs
    if fund:
        df, probs = _read_table(FUND, Path(fund))
        side.fund, problems = Path(fund), problems + probs
        if df is not None:
            side.fund_schemes = set(df["scheme"])
    if catalogue:
        df, probs = _read_table(CATALOGUE, Path(catalogue))
        side.catalogue, problems = Path(catalogue), problems + probs
        if df is not None:
            side.catalogue_ids = pd.Index(df["group_id"])
    if problems:
        raise InputError(problems)
    return side


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

