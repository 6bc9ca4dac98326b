"""Benchmark of the Monte Carlo uncertainty bands and the hospital forecast on a 1.1-million-case city.

    python scripts/benchmark_uncertainty.py [--data DIR] [--draws 1000] [--check 5]

Without --data a city is synthesised into a temporary folder (synth --cases 1100000 --seed 1). Each
measurement is one function; the bar is 1,000 draws in < 60 s including the one-off cell aggregation."""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dip_model  # noqa: E402
from dip_model.rules import pipeline as engine  # noqa: E402
from dip_model.analysis.montecarlo import (  # noqa: E402
    case_level_draw, draw_inputs, make_context, run_montecarlo, settle_draw)
from dip_model.analysis.uncertainty import load_uncertainty  # noqa: E402


def timed(fn, *a, **kw):
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t0


def measure_load(folder):
    data, s = timed(dip_model.load_data, folder)
    print(f"load_data: {s:.1f} s ({len(data.cases):,} cases, {len(data.hospitals)} hospitals)")
    return data


def measure_deterministic(data, params):
    """simulate, empty cache (the case stage every draw starts from)."""
    res, s = timed(dip_model.simulate, data, params)
    print(f"deterministic simulate (incl. one-off encoding): {s:.2f} s; point values "
          + ", ".join(f"{k} {v['settlement_point_value']}" for k, v in res.summary["schemes"].items()))
    return s


def measure_cells(data, params):
    """The one-off cell aggregation, with its 11 re-scorings of every case on the cost grid."""
    ctx, s = timed(make_context, data, params, load_uncertainty(), 0)
    print(f"cell aggregation (one-off): {s:.2f} s, {ctx.cells.n_cells:,} cells for {len(data.cases):,} cases")
    return ctx, s


def measure_draws(data, params, draws, scheduler):
    """`draws` draws through Dask (cells already built and cached on the dataset)."""
    mc, s = timed(run_montecarlo, data, params, draws=draws, seed=1, scheduler=scheduler)
    q = mc.scheme_quantiles()
    pv = q[q["metric"] == "settlement_point_value"]
    print(f"{draws} draws, scheduler={scheduler}: {s:.1f} s ({mc.timings['draws_s'] / draws * 1000:.1f} ms a draw "
          f"in the Dask map); point value P10–P90: "
          + "; ".join(f"{r.scheme} {r.p10:.3f}–{r.p90:.3f} (P50 {r.p50:.3f})" for r in pv.itertuples()))
    return mc, s


def measure_accuracy(data, params, ctx, n):
    """Cells against a full re-simulation of the equivalent case-level dataset, n draws."""
    st = engine.case_stage(data, params)
    worst, t0 = 0.0, time.perf_counter()
    for i in range(n):
        count, cost, _ = draw_inputs(ctx, i)
        fast = settle_draw(ctx, count, cost)
        full = dip_model.simulate(case_level_draw(data, st, ctx.cells, count, cost, np.random.default_rng(i)), params)
        for s, v in full.summary["schemes"].items():
            worst = max(worst, abs(fast.summary["schemes"][s]["settlement_point_value"] / v["settlement_point_value"] - 1))
    print(f"accuracy, {n} draws: worst point-value error against full re-simulation {worst:.3%} "
          f"({(time.perf_counter() - t0) / max(n, 1):.1f} s per full re-simulation)")
    return worst


def measure_forecast(data, params):
    from dip_model.analysis.hospital_forecast import forecast
    res = dip_model.simulate(data, params)
    hid = res.hospitals.groupby("hospital_id")["cases"].sum().idxmax()
    fc, s = timed(forecast, data, params, hid, months=6)
    print(f"hospital forecast ({hid}, months 1–6, {int(fc.summary['ytd_cases'].sum()):,} cases to date): {s:.2f} s")
    return s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--check", type=int, default=5, help="draws checked against a full re-simulation")
    ap.add_argument("--schedulers", default="threads,processes")
    a = ap.parse_args()
    tmp = None
    folder = a.data
    if folder is None:
        from dip_model.data.synth import write_city
        tmp = tempfile.TemporaryDirectory()
        folder = tmp.name
        _, s = timed(write_city, folder, 1_100_000, 1)
        print(f"synth --cases 1100000: {s:.1f} s")
    data = measure_load(folder)
    params = dip_model.load_params()
    measure_deterministic(data, params)
    ctx, cells_s = measure_cells(data, params)
    for sched in a.schedulers.split(","):
        _, draws_s = measure_draws(data, params, a.draws, sched)
        print(f"  total with the one-off cell aggregation: {cells_s + draws_s:.1f} s (bar < 60 s)")
    measure_forecast(data, params)
    if a.check:
        measure_accuracy(data, params, ctx, a.check)
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2:.2f} GB")


if __name__ == "__main__":
    main()
