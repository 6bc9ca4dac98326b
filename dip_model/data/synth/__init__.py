"""Synthetic city: a complete data folder (docs/data-contract.md) that looks like a Luzhou-sized city.

`make_city(n_cases, seed)` returns the tables as DataFrames; `write_city(out_dir, ...)` writes
hospitals, cases, catalogue, group_level_costs, history, fund and aux as UTF-8 CSV.

Everything comes from one numpy Generator, so a seed fixes every byte and the order of the draws
(`_build`) is part of the output. The generator is vectorised (no per-case Python loop): a
1.1M-case city with its three years of history is generated and written in a few seconds.

How the city is built
- a universe of ~380 ICD-10 diagnoses and ~220 ICD-9-CM-3 procedures (diagnoses.py,
  procedures.py), combined into diagnosis x treatment keys with a long-tailed popularity;
- ~150 hospitals (scaled with the city), case volume heavily skewed toward 3A;
- three prior years of history (volume -5 %/yr, cost -4 %/yr) and the 2024 cases;
- the catalogue is then built from the history exactly as A-15/A-16 describe: a key with
  >= 15 history cases is a core group, the rest fold into comprehensive groups
  `dx3|comp|proc_class`; RW = group mean / overall mean x 1000; a group whose cost CV
  exceeds 1 is `monitored`. The level-cost table is the 2023 mean per group and level.
- fund.csv is calibrated so that the DIP payable F is ~100-105 % of the scheme's ffs_fund.

Costs: within a group and hospital level, log cost is a mixture (body, a short-stay low tail,
a thin high tail), so ~3-5 % of cases exceed twice their level mean and ~10 % fall below half,
while the SD of log(cost / group mean) is ~0.6. Calibration figures: the project's domain
notes (mean inpatient cost ~10k yuan, fund ratios ~0.8 employee / ~0.65 resident).
All hospital names are generic patterns; none is a real hospital.

Where it lives
- calibration: the figures the city is tuned to (years, levels, per-level factors, cost mixture)
- diagnoses, procedures: the ICD-10 and ICD-9-CM-3 tables and the treatment families
- universe: the diagnosis x treatment keys and their popularity
- hospitals: hospitals.csv, and which hospitals treat which diagnoses
- cases: the stays of one year (cases.csv, history.csv): costs, dates, fund shares, flags, readmissions
- catalogue: catalogue.csv from the history, and group_level_costs.csv
- fund: fund.csv
- tables: the Arrow tables in the contract's column order
- here: the draws in order (`_build`), make_tables, make_city and write_city
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .calibration import AUX, HISTORY_YEARS, MEAN_COST_TARGET, VOLUME_SHRINK, YEAR
from .cases import fund_share, tcm_cases, year_stays
from .catalogue import history_catalogue, level_costs
from .fund import fund_table
from .hospitals import hospital_table, violations
from .tables import cases_table, frame_table
from .universe import draw_universe, option_sampler

__all__ = ["make_city", "make_tables", "write_city"]


def _context(n_cases: int, rng) -> dict:
    """What every step reads: diagnoses and their popularity, keys, each diagnosis's conservative key,
    hospitals, the option sampler (history_catalogue adds label, key_group and groups)."""
    dx, p_dx, keys, cons = draw_universe(rng)
    hosp = hospital_table(n_cases, rng)
    return {"dx": dx, "p_dx": p_dx, "keys": keys, "cons": cons, "hosp": hosp,
            "sampler": option_sampler(keys)}


def _build(n_cases: int, seed: int) -> dict:
    """Draw the whole city: context, history, current year, catalogue, fund."""
    if not 100 <= n_cases <= 50_000_000:
        from ...errors import ParameterError
        from ...messages import Message
        raise ParameterError(Message("synth_cases", low=100, high=50_000_000, got=n_cases))
    rng = np.random.default_rng(seed)
    ctx = _context(n_cases, rng)
    sizes = {y: max(1, round(n_cases * VOLUME_SHRINK ** (YEAR - y))) for y in (*HISTORY_YEARS, YEAR)}
    years, pid = {}, 0
    for y, n in sizes.items():
        years[y] = year_stays(n, y, ctx, pid, rng)
        pid += n
    scale = MEAN_COST_TARGET * rng.lognormal(0, 0.02) / years[YEAR]["cost"].mean()
    for st in years.values():
        st["cost"] = np.round(st["cost"] * scale, 2)
        fund_share(st, ctx, rng)
    cat = history_catalogue(years, ctx, rng)
    tcm_cases(years[YEAR], ctx, cat, rng)
    violations(ctx["hosp"], years[YEAR], rng)
    return {"ctx": ctx, "years": years, "catalogue": cat, "pid_width": max(7, len(str(pid))),
            "level_costs": level_costs(years[HISTORY_YEARS[-1]], ctx), "fund": fund_table(years[YEAR], rng)}


def make_tables(n_cases: int = 1_100_000, seed: int = 0) -> dict[str, pa.Table]:
    """The data folder as Arrow tables (the fast path used by write_city)."""
    b = _build(n_cases, seed)
    ctx, years = b["ctx"], b["years"]
    hosp = ctx["hosp"][[c for c in ctx["hosp"].columns if not c.startswith("_")]]
    history = pa.concat_tables([cases_table(years[y], ctx, b) for y in HISTORY_YEARS])
    return {
        "hospitals": frame_table(hosp),
        "cases": cases_table(years[YEAR], ctx, b),
        "catalogue": frame_table(b["catalogue"]),
        "group_level_costs": frame_table(b["level_costs"]),
        "history": history,
        "fund": frame_table(b["fund"]),
        "aux": pa.table({"aux_type": [a for a, _ in AUX], "aux_coef": [c for _, c in AUX]}),
    }


def make_city(n_cases: int = 1_100_000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The data folder as DataFrames, by table name (hospitals, cases, catalogue, ...)."""
    return {name: t.to_pandas(date_as_object=False) for name, t in make_tables(n_cases, seed).items()}


def write_city(out_dir: str | Path, n_cases: int = 1_100_000, seed: int = 0) -> dict:
    """Write a complete data folder (UTF-8 CSV) and return a short summary."""
    t0 = time.perf_counter()
    tables = make_tables(n_cases, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    opts = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
    for name, table in tables.items():
        pacsv.write_csv(table, out / f"{name}.csv", write_options=opts)
    return _summary(tables, out, time.perf_counter() - t0)


def _summary(tables: dict[str, pa.Table], out: Path, seconds: float) -> dict:
    """Counts a user wants to see after generating a city."""
    h, c, cat = tables["hospitals"], tables["cases"], tables["catalogue"]
    levels = pc.value_counts(h["level"]).to_pylist()
    gtypes = pc.value_counts(cat["group_type"]).to_pylist()
    return {
        "out_dir": str(out), "seconds": round(seconds, 2),
        "cases": c.num_rows, "history_cases": tables["history"].num_rows,
        "hospitals": h.num_rows, "hospitals_by_level": {d["values"]: d["counts"] for d in levels},
        "groups": cat.num_rows, "groups_by_type": {d["values"]: d["counts"] for d in gtypes},
        "employee_share": round(pc.mean(pc.cast(pc.equal(c["scheme"], "employee"), pa.float64())).as_py(), 4),
        "mean_cost": round(pc.mean(c["total_cost"]).as_py(), 2),
    }
