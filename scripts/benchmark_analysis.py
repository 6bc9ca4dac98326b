"""Benchmark of the analyses on a synthetic city (default 1.1 million discharges): one function per
measurement, each given the loaded dataset; `--only` picks some of them.

    python scripts/benchmark_analysis.py [--data DIR | --cases 1100000 --seed 1 --dir bench_data]
                                         [--only projection,tornado] [--scheduler threads]

Bars (issue "Forecasting and analysis"): a 5-year projection < 10 s, a 20-parameter tornado < 30 s.
Each measurement starts from a dataset whose case stage has not been built, so it includes one full
scoring of the cases."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dip_model  # noqa: E402


def _fresh(data):
    """The same dataset with the parameter-dependent stage caches emptied (the encoding is kept: it is
    part of loading and no parameter touches it)."""
    keep = data._cache.get("prepared")
    data._cache.clear()
    if keep is not None:
        data._cache["prepared"] = keep
    return data


def measure_projection(data, args) -> dict:
    """A 5-year projection per scheme (dip_model.analysis.projection.project), then the points-race comparison."""
    from dip_model.analysis.projection import points_race_comparison, project
    p = dip_model.load_params()
    t0 = time.perf_counter()
    pr = project(_fresh(data), p, None, years=5)
    t_proj = time.perf_counter() - t0
    pv = pr.years.pivot(index="year", columns="scheme", values="settlement_point_value")
    print(f"5-year projection: {t_proj:.2f} s  (bar < 10 s); point values by year:\n{pv.to_string()}")
    t0 = time.perf_counter()
    cmp = points_race_comparison(data, p, {"points_race": {"elasticity": 1.5}}, years=5)
    t_race = time.perf_counter() - t0
    print(f"points-race comparison (9 settings × 5 years): {t_race:.2f} s")
    return {"projection_5y_s": t_proj, "points_race_s": t_race, "settings": len(cmp["summary"]) // 2}


def measure_tornado(data, args) -> dict:
    """The default 20-parameter tornado (40 runs; 8 of them re-score the cases) of the employee point value."""
    from dip_model.analysis.sensitivity import DEFAULT_SLOTS, Metric, tornado
    p = dip_model.load_params()
    t0 = time.perf_counter()
    df = tornado(_fresh(data), p, Metric("point_value", "employee"), list(DEFAULT_SLOTS),
                 scheduler=args.scheduler, address=args.address)
    t = time.perf_counter() - t0
    zero = int(((df["bar_low"] == 0) & (df["bar_high"] == 0)).sum())
    print(f"20-parameter tornado: {t:.2f} s  (bar < 30 s); {len(df)} parameters, {zero} with zero bars; "
          f"widest: {df['slot'].iloc[0]} ({df['bar_low'].iloc[0]:+.3f} / {df['bar_high'].iloc[0]:+.3f})")
    return {"tornado_20_s": t}


MEASUREMENTS = {"projection": measure_projection, "tornado": measure_tornado}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None, help="an existing city folder (else one is generated)")
    ap.add_argument("--cases", type=int, default=1_100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", default="bench_data")
    ap.add_argument("--only", default=None, help="comma-separated: " + ", ".join(MEASUREMENTS))
    ap.add_argument("--scheduler", default="threads", choices=["threads", "processes", "sync"])
    ap.add_argument("--address", default=None)
    a = ap.parse_args()
    names = [n.strip() for n in a.only.split(",")] if a.only else list(MEASUREMENTS)
    unknown = [n for n in names if n not in MEASUREMENTS]
    if unknown:
        ap.error(f"unknown measurement(s) {', '.join(unknown)}; choose from {', '.join(MEASUREMENTS)}")
    folder = Path(a.data) if a.data else Path(a.dir) / f"city_{a.cases}_{a.seed}"
    if not (folder / "cases.csv").exists():
        from dip_model.data.synth import write_city
        t0 = time.perf_counter()
        write_city(folder, n_cases=a.cases, seed=a.seed)
        print(f"synth {a.cases:,} cases: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    data = dip_model.load_data(folder)
    from dip_model.rules.pipeline import prepared
    prepared(data)
    print(f"load_data and encoding: {time.perf_counter() - t0:.2f} s ({len(data.cases):,} cases, "
          f"{len(data.hospitals)} hospitals)")
    results = {}
    for n in names:
        results.update(MEASUREMENTS[n](data, a))
    print("summary: " + ", ".join(f"{k} = {v:.2f}" if isinstance(v, float) else f"{k} = {v}" for k, v in results.items()))


if __name__ == "__main__":
    main()
