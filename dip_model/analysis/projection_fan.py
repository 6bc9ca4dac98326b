"""Projection bands: the multi-year projection drawn many times with year-to-year shocks to the growth
rates (spread.* in rulesets/projection.yaml), giving P10/P50/P90 per year and scheme of the point value,
the closing balance and the months of payment, and the share of draws in which the balance leaves the
6–9-month guidance band (A-3) or turns negative. Every draw is a full `project` run: A-10 re-applied each
year, so a shock that leaves a year short switches the deficit branch on in that draw."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.dataset import DataSet
from ..errors import ParameterError
from ..messages import Message
from ..params import Params, load_params
from ..rules.pipeline import case_stage
from .assumptions import Assumptions, load_assumptions
from .parallel import map_tasks
from .projection import Projection, project

METRICS = ("settlement_point_value", "fund_closing_balance", "months_of_payment")
QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}


@dataclass
class ProjectionFan:
    central: Projection            # the projection without shocks
    draws: pd.DataFrame            # draw, year, scheme, METRICS, status
    bands: pd.DataFrame            # year, scheme, metric, central, mean, p10, p50, p90
    risk: pd.DataFrame             # year, scheme, share_below, share_above, share_negative, share_out_of_band
    seed: int


def draw_shocks(a: Assumptions, n_years: int, seed: int, draw: int) -> dict:
    """One draw's shocks for years 2..n: independent normal amounts per year (seeded by draw index)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(draw,)))
    k = max(n_years - 1, 0)
    return {key: rng.normal(0.0, float(a.get(f"spread.{key}_growth_sd")), k) for key in ("volume", "cost", "revenue")}


def _one(shared, draw: int) -> pd.DataFrame:
    data, p, a, n_years, seed = shared
    pr = project(data, p, a, n_years, shocks=draw_shocks(a, n_years, seed, draw))
    out = pr.years[["year", "scheme", *METRICS, "status"]].copy()
    out.insert(0, "draw", draw)
    return out


def projection_fan(data: DataSet, params: Params | dict | str | None = None,
                   assumptions: Assumptions | dict | str | None = None, years: int | None = None,
                   draws: int = 200, seed: int = 0, scheduler: str = "threads",
                   address: str | None = None) -> ProjectionFan:
    p = params if isinstance(params, Params) else load_params(params)
    a = assumptions if isinstance(assumptions, Assumptions) else load_assumptions(assumptions)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ParameterError(Message("draws_whole", got=repr(draws)))
    n_years = int(years if years is not None else a.years)
    central = project(data, p, a, n_years)
    case_stage(data, p)                       # built once here, shared by every draw
    runs = map_tasks(_one, range(draws), (data, p, a, n_years, int(seed)), scheduler=scheduler, address=address)
    d = pd.concat(runs, ignore_index=True)
    return ProjectionFan(central, d, _bands(d, central), _risk(d), int(seed))


def _bands(d: pd.DataFrame, central: Projection) -> pd.DataFrame:
    c = central.years.set_index(["year", "scheme"])
    rows = []
    for (year, scheme), part in d.groupby(["year", "scheme"], sort=True):
        for m in METRICS:
            v = part[m].to_numpy(float)
            q = np.nanquantile(v, list(QUANTILES.values())) if np.isfinite(v).any() else [np.nan] * 3
            rows.append({"year": int(year), "scheme": scheme, "metric": m, "central": float(c.loc[(year, scheme), m]),
                         "mean": float(np.nanmean(v)) if np.isfinite(v).any() else np.nan,
                         **dict(zip(QUANTILES, map(float, q)))})
    return pd.DataFrame(rows)


def _risk(d: pd.DataFrame) -> pd.DataFrame:
    """Share of draws per year and scheme whose closing balance is below, above or outside the band,
    or negative (statuses as projection.band_status gives them)."""
    g = d.groupby(["year", "scheme"], sort=True)["status"]
    out = pd.DataFrame({
        "share_below": g.apply(lambda s: float((s == "below").mean())),
        "share_above": g.apply(lambda s: float((s == "above").mean())),
        "share_negative": g.apply(lambda s: float((s == "negative").mean())),
    })
    out["share_out_of_band"] = out["share_below"] + out["share_above"] + out["share_negative"]
    return out.reset_index()
