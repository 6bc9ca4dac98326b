"""Monte Carlo uncertainty bands: many plausible versions of the year, each settled by the engine, summarised
as P10 / P50 / P90 (and the mean) of each scheme's point value, payouts and fund balance, of each hospital's
final payment and year-end settlement, and of the fund-balance path through the year.

A draw perturbs the cells (dip_model.analysis.cells) instead of the million case rows:
- case volume per hospital × group: an overdispersed count (gamma–Poisson = negative binomial) around the
  cell's count × (1 + expected growth) × a city-wide lognormal shock;
- case mix: a city-wide tilt of volume toward heavier or lighter groups by their RW (A-16);
- cost per case: a city-wide and a per-hospital lognormal multiplier on cost, FFS fund, self pay and other
  insurance (scores that follow cost move with it, dip_model.analysis.cells);
then rebuilds the hospital × scheme aggregates and runs engine.settle (A-32 … A-37, fund balance A-3): about
20 ms a draw whatever the size of the city. The assumptions are data: rulesets/uncertainty.yaml.

The fund-balance path is that of the settlement year, in 14 steps: the opening balance (step 0), the
balance after each month's pre-settlement (steps 1–12: revenue and the non-DIP budget lines in twelfths,
the month's A-32 pre-payments), and the closing balance after the year-end settlement (step 13, A-37),
which is the fund_closing_balance of the summary. Years are not chained here (that is the projection's job).

Reproducible: draw i uses numpy's SeedSequence(seed, spawn_key=(i,)), the i-th child of
SeedSequence(seed).spawn(...), so the same seed gives the same draws whatever the scheduler or batching.
Draws run through dip_model.analysis.parallel.map_tasks (Dask: local scheduler, or a cluster address)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..data.dataset import SCHEMES, DataSet
from ..data.results import write_csv
from ..errors import ParameterError
from ..messages import Message
from ..params import Params, load_params
from ..rules.case_scores import SPECIAL
from ..rules.pipeline import CASE_KEYS, CaseStage, Results, case_stage, require_city, settle
from .cells import Cells, build_cells, case_cells, light_stage, rebuild
from .uncertainty import Uncertainty, load_uncertainty

SCHEME_METRICS = ("settlement_point_value", "cases", "total_score", "total_final_payment",
                  "total_year_end_settlement", "cap_deduction", "fund_closing_balance", "months_of_payment")
HOSPITAL_METRICS = ("final_payment", "year_end_settlement", "usage_rate")
PATH_STEPS = 14                      # opening, months 1–12, after the year-end settlement
QUANTILES = (0.1, 0.5, 0.9)


# --- the year's fund-balance path ---------------------------------------------------------------

def fund_path(res: Results) -> np.ndarray:
    """(schemes, 14): opening balance, balance after months 1…12, closing after the year-end settlement
    (A-3 balance; A-32 monthly pre-settlement; A-37 year-end). NaN for a scheme not settled."""
    out = np.full((len(SCHEMES), PATH_STEPS), np.nan)
    scheme = res.monthly["scheme"].to_numpy()
    months = res.monthly[[f"{m:02d}" for m in range(1, 13)]].to_numpy(float)
    for si, s in enumerate(SCHEMES):
        v = res.summary["schemes"].get(s)
        if v is None:
            continue
        pre = months[scheme == s].sum(axis=0)
        other = v["fund_expenditure"] - v["total_final_payment"]        # budget lines + adjustment fund
        steps = np.arange(1, 13)
        out[si, 0] = v["fund_opening_balance"]
        out[si, 1:13] = v["fund_opening_balance"] + (v["fund_revenue"] - other) * steps / 12.0 - np.cumsum(pre)
        out[si, 13] = v["fund_closing_balance"]
    return out


# --- one draw ------------------------------------------------------------------------------------

@dataclass
class Context:
    """What every draw needs, compact enough to send to a worker (no case rows)."""
    data: DataSet
    stage: CaseStage
    params: Params
    cells: Cells
    unc: Uncertainty
    seed: int
    z_rw: np.ndarray                  # per group code + 1: standardised log RW (0 for the ungrouped cells)
    group_cases: np.ndarray           # per group code + 1: cases
    hospital_index: pd.Index


def _light_data(data: DataSet) -> DataSet:
    return DataSet(hospitals=data.hospitals, cases=data.cases.iloc[:0], fund=data.fund,
                   source=data.source, version=data.version, warnings=list(data.warnings))


def _z_rw(cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """(per group code + 1: standardised log RW, 0 for the ungrouped cells' slot 0; cases per group code + 1)."""
    gi = cells.group + 1
    n_g = np.bincount(gi, weights=cells.count)
    ok = (cells.group >= 0) & np.isfinite(cells.rw) & (cells.rw > 0)
    rw_g = np.bincount(gi[ok], weights=(cells.rw * cells.count)[ok], minlength=len(n_g))
    w_g = np.bincount(gi[ok], weights=cells.count[ok], minlength=len(n_g))
    z = np.zeros(len(n_g))
    has = w_g > 0
    has[0] = False
    if has.sum() < 2:
        return z, n_g
    lr = np.log(rw_g[has] / w_g[has])
    mean = np.average(lr, weights=w_g[has])
    sd = np.sqrt(np.average((lr - mean) ** 2, weights=w_g[has]))
    if sd > 0:
        z[has] = (lr - mean) / sd
    return z, n_g


def make_context(data: DataSet, params: Params, unc: Uncertainty, seed: int) -> Context:
    st = case_stage(data, params)
    cells = data.cached("cells", params.digest(*CASE_KEYS), lambda: build_cells(data, st, params))
    return Context(_light_data(data), light_stage(st), params, cells, unc, int(seed), *_z_rw(cells),
                   pd.Index(data.hospitals["hospital_id"]))


def _lognormal(sd: float, z):
    """A lognormal multiplier of mean 1 and log SD `sd` from a standard normal z."""
    return np.exp(sd * z - 0.5 * sd * sd)


def draw_inputs(ctx: Context, i: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Draw i's case count per cell, cost multiplier per hospital, and its city-wide factors. Special cells
    keep their count: A-20 fixes the number of special cases (3‰ of a hospital's cases, at least 1)."""
    rng = np.random.default_rng(np.random.SeedSequence(ctx.seed, spawn_key=(int(i),)))
    u, c = ctx.unc, ctx.cells
    z = rng.standard_normal(3)                                   # city volume, city cost, case-mix tilt
    z_h = rng.standard_normal(c.n_hospitals)                     # hospital cost
    vol_city = (1.0 + u.get("volume.growth")) * _lognormal(u.get("volume.city_sd"), z[0])
    cost_city = (1.0 + u.get("cost.growth")) * _lognormal(u.get("cost.city_sd"), z[1])
    tau = u.get("case_mix.tilt_sd") * z[2]
    mu = c.count * vol_city
    if tau:                                                      # per group, the expected total count kept
        tilt = np.exp(tau * ctx.z_rw)
        tilt /= np.dot(ctx.group_cases, tilt) / ctx.group_cases.sum()
        mu = mu * tilt[c.group + 1]
    phi = u.get("volume.dispersion")
    if phi > 1e-9:                                               # gamma of mean 1, variance φ per hospital × group
        # (a smaller φ is no spread at all, and its shape 1/φ would overflow the sampler)
        mu = mu * rng.gamma(1.0 / phi, phi, size=c.n_hg)[c.hg]
    count = rng.poisson(mu).astype(float) if u.get("volume.poisson") else mu
    count = np.where(c.ctype == SPECIAL, c.count, count)
    cost_mult = cost_city * _lognormal(u.get("cost.hospital_sd"), z_h)
    return count, cost_mult, {"volume_city": vol_city, "cost_city": cost_city, "case_mix_tilt": tau}


def settle_draw(ctx: Context, count: np.ndarray, cost_mult: np.ndarray) -> Results:
    """engine.settle on the cells rebuilt with these counts (per cell) and cost multipliers (per hospital)."""
    agg = rebuild(ctx.cells, count, cost_mult)
    return settle(ctx.data, replace(ctx.stage, agg=agg), ctx.params)


def outcome(ctx: Context, res: Results) -> dict:
    """The figures a draw keeps: per scheme, per hospital × scheme slot (0 where it has no case), fund path."""
    sch = np.full((len(SCHEMES), len(SCHEME_METRICS)), np.nan)
    for si, s in enumerate(SCHEMES):
        v = res.summary["schemes"].get(s)
        if v is not None:
            sch[si] = [float(v[k]) for k in SCHEME_METRICS]
    h = res.hospitals
    slot = ctx.hospital_index.get_indexer(h["hospital_id"]) * 2 + (h["scheme"].to_numpy() == "resident")
    hs = np.zeros((ctx.cells.n_hs, len(HOSPITAL_METRICS)))
    hs[slot] = h[list(HOSPITAL_METRICS)].to_numpy(float)
    return {"schemes": sch, "hospitals": hs, "path": fund_path(res)}


def run_draw(ctx: Context, i: int) -> dict:
    count, cost_mult, info = draw_inputs(ctx, i)
    out = outcome(ctx, settle_draw(ctx, count, cost_mult))
    out["inputs"] = {**info, "cases": float(count.sum())}
    return out


# --- many draws and their summaries --------------------------------------------------------------

@dataclass
class MonteCarlo:
    seed: int
    unc: Uncertainty
    params: Params
    deterministic: Results            # the year in the data, settled by simulate
    schemes: np.ndarray               # (draws, schemes, SCHEME_METRICS)
    hospitals: np.ndarray             # (draws, hs slots, HOSPITAL_METRICS)
    path: np.ndarray                  # (draws, schemes, 14)
    inputs: pd.DataFrame              # per draw: volume_city, cost_city, case_mix_tilt, cases
    timings: dict = field(default_factory=dict)

    @property
    def n_draws(self) -> int:
        return len(self.inputs)

    @property
    def scheme_list(self) -> list[str]:
        return list(self.deterministic.summary["schemes"])

    def draws_table(self) -> pd.DataFrame:
        """draws.csv: one row per draw and scheme."""
        rows = []
        for si, s in enumerate(SCHEMES):
            if s not in self.deterministic.summary["schemes"]:
                continue
            part = pd.DataFrame(self.schemes[:, si, :], columns=list(SCHEME_METRICS))
            part.insert(0, "scheme", s)
            part.insert(0, "draw", np.arange(self.n_draws))
            rows.append(pd.concat([part, self.inputs.drop(columns="cases").reset_index(drop=True)], axis=1))
        out = pd.concat(rows, ignore_index=True).sort_values(["draw", "scheme"], kind="stable")
        out = out.rename(columns={"settlement_point_value": "point_value"})
        return out.reset_index(drop=True)

    def scheme_quantiles(self) -> pd.DataFrame:
        """schemes_quantiles.csv: per scheme and metric, the deterministic value, mean, P10, P50, P90."""
        rows = []
        for si, s in enumerate(SCHEMES):
            det = self.deterministic.summary["schemes"].get(s)
            if det is None:
                continue
            for mi, m in enumerate(SCHEME_METRICS):
                rows.append({"scheme": s, "metric": m, "deterministic": float(det[m]),
                             **_summary(self.schemes[:, si, mi])})
        return pd.DataFrame(rows)

    def hospital_quantiles(self) -> pd.DataFrame:
        """hospitals_quantiles.csv: per hospital × scheme of the data, for each metric its deterministic
        value, mean, P10, P50, P90 (a draw in which it has no case counts 0)."""
        h = self.deterministic.hospitals
        slot = pd.Index(self.deterministic.data.hospitals["hospital_id"]).get_indexer(h["hospital_id"]) * 2 \
            + (h["scheme"].to_numpy() == "resident")
        out = h[["hospital_id", "name", "level", "scheme", "cases"]].copy().reset_index(drop=True)
        for mi, m in enumerate(HOSPITAL_METRICS):
            x = self.hospitals[:, slot, mi]
            out[m] = h[m].to_numpy(float)
            s = _summary(x, axis=0)
            for k in ("mean", "p10", "p50", "p90"):
                out[f"{m}_{k}"] = s[k]
        return out

    def path_quantiles(self) -> pd.DataFrame:
        """fund_path_quantiles.csv: per scheme and step 0…13 of the year, the fund balance."""
        det = fund_path(self.deterministic)
        rows = []
        for si, s in enumerate(SCHEMES):
            if s not in self.deterministic.summary["schemes"]:
                continue
            q = _summary(self.path[:, si, :], axis=0)
            for step in range(PATH_STEPS):
                rows.append({"scheme": s, "step": step, "month": min(step, 12),
                             "point": "opening" if step == 0 else "year_end" if step == 13 else "month",
                             "deterministic": det[si, step], **{k: q[k][step] for k in q}})
        return pd.DataFrame(rows)


def _summary(x: np.ndarray, axis=None) -> dict:
    """mean, P10, P50, P90 (linear interpolation between order statistics, so P10 ≤ P50 ≤ P90)."""
    x = np.asarray(x, float)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(x, QUANTILES, axis=axis if axis is not None else None)
            mean = np.nanmean(x, axis=axis)
    if axis is None:
        return {"mean": float(mean), "p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}
    return {"mean": mean, "p10": q[0], "p50": q[1], "p90": q[2]}


def run_montecarlo(data: DataSet, params: Params | dict | str | None = None, draws: int = 1000, seed: int = 0,
                   unc: Uncertainty | dict | str | None = None, scheduler: str = "threads",
                   address: str | None = None, workers: int | None = None) -> MonteCarlo:
    """`draws` draws of the year, settled in parallel (Dask), with their summaries."""
    p = params if isinstance(params, Params) else load_params(params)
    u = unc if isinstance(unc, Uncertainty) else load_uncertainty(unc)
    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 1:
        raise ParameterError(Message("draws_whole", got=repr(draws)))
    require_city(data, "what_montecarlo")             # the point value and the fund move with the city
    t0 = time.perf_counter()
    det = settle(data, case_stage(data, p), p)
    t1 = time.perf_counter()
    ctx = make_context(data, p, u, seed)
    t2 = time.perf_counter()
    from .parallel import map_tasks
    outs = map_tasks(run_draw, range(draws), ctx, scheduler=scheduler, address=address, workers=workers)
    t3 = time.perf_counter()
    inputs = pd.DataFrame([o["inputs"] for o in outs])
    return MonteCarlo(int(seed), u, p, det, np.stack([o["schemes"] for o in outs]),
                      np.stack([o["hospitals"] for o in outs]), np.stack([o["path"] for o in outs]), inputs,
                      {"deterministic_s": t1 - t0, "cells_s": t2 - t1, "draws_s": t3 - t2, "draws": draws,
                       "cells": ctx.cells.n_cells})


def write_montecarlo(mc: MonteCarlo, out) -> list:
    """draws.csv, schemes_quantiles.csv, hospitals_quantiles.csv, fund_path_quantiles.csv."""
    from pathlib import Path
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"draws.csv": mc.draws_table(), "schemes_quantiles.csv": mc.scheme_quantiles(),
             "hospitals_quantiles.csv": mc.hospital_quantiles(), "fund_path_quantiles.csv": mc.path_quantiles()}
    for name, df in files.items():
        write_csv(df, out / name)
    return [out / n for n in files]


# --- the same draw at case level (to check the cells against a full re-simulation) -------------

def case_level_draw(data: DataSet, stage: CaseStage, cells: Cells, count: np.ndarray, cost_mult: np.ndarray,
                    rng: np.random.Generator) -> DataSet:
    """The case-level dataset a draw stands for: each cell's cases resampled to its (whole) drawn count —
    a random subset when it shrinks, all of them plus random repeats when it grows — with cost, FFS fund,
    FFS amount, self pay and other insurance × the hospital's multiplier. Repeats get new case ids and no
    patient id (so they start no 14-day readmission, A-15 ¶2)."""
    k = np.asarray(np.rint(count), np.int64)
    n = cells.count.astype(np.int64)
    cell, _ = case_cells(stage)
    order = np.lexsort((rng.random(len(cell)), cell))           # cases by cell, random inside a cell
    start = np.cumsum(n) - n
    rank = np.arange(len(cell)) - start[cell[order]]
    kept = order[rank < k[cell[order]]]
    extra = np.maximum(k - n, 0)
    rep_cell = np.repeat(np.arange(len(n)), extra)
    pick = order[start[rep_cell] + np.floor(rng.random(len(rep_cell)) * n[rep_cell]).astype(np.int64)]
    idx = np.concatenate([kept, pick])
    m = np.asarray(cost_mult, float)[cells.hospital[cell[idx]]]
    cases = data.cases.iloc[idx].reset_index(drop=True).copy()
    dup = np.arange(len(idx)) >= len(kept)
    if dup.any():
        ids = cases["case_id"].astype(str).to_numpy(object, copy=True)
        ids[dup] = ids[dup] + "~r" + np.arange(int(dup.sum())).astype(str).astype(object)
        cases["case_id"] = ids
        pid = cases["patient_id"].to_numpy(object, copy=True)
        pid[dup] = None
        cases["patient_id"] = pid
    for col in ("total_cost", "ffs_fund", "ffs_amount", "self_pay", "other_insurance"):
        if col in cases:
            cases[col] = cases[col].to_numpy(float) * m
    return replace(data, cases=cases, version="", _cache={})
