"""Engine benchmark on a synthetic city (default 1.1 million discharges).

    python scripts/benchmark.py [--cases 1100000] [--seed 0] [--dir bench_data] [--repeat 5]

Reports: city generation, loading, a full simulate (every stage from an empty cache), a re-run after a
parameter-only change (budget, bands, coefficients, assessment), a re-run after a case-parameter change,
and the process's peak memory."""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dip_model  # noqa: E402


def timed(fn, repeat=1):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dir", default="bench_data")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    folder = Path(a.dir) / f"city_{a.cases}_{a.seed}"
    if not (folder / "cases.csv").exists():
        from dip_model.data.synth import write_city
        _, t = timed(lambda: write_city(folder, n_cases=a.cases, seed=a.seed))
        print(f"synth {a.cases:,} cases: {t[0]:.1f} s")
    data, t = timed(lambda: dip_model.load_data(folder))
    print(f"load_data: {t[0]:.2f} s  ({len(data.cases):,} cases, {len(data.hospitals)} hospitals, "
          f"{0 if data.history is None else len(data.history):,} history rows)")
    base = dip_model.load_params()
    from dip_model.rules.pipeline import prepared
    _, t = timed(lambda: prepared(data))
    print(f"one-off column encoding (no parameter touches it; part of loading): {t[0]:.2f} s")
    encoded = data._cache["prepared"]

    def full():
        data._cache.clear()
        data._cache["prepared"] = encoded
        return dip_model.simulate(data, base)

    res, t = timed(full, a.repeat)
    print(f"full simulate (empty cache): median {statistics.median(t):.3f} s, min {min(t):.3f} s over {a.repeat}")
    warm = dip_model.load_params()
    changes = [
        {"budget": {"growth_rate": 0.03}},
        {"sharing": {"employee": {"overspend": [{"to": 1.1, "rate": 0.6}, {"to": 1.3, "rate": 0.4}]}}},
        {"coefficients": {"level": {"3A": 1.0, "2A": 0.75}, "combine": "add"}},
        {"assessment_share": 0.1},
    ]
    rerun = []
    for ch in changes * a.repeat:
        p = warm.with_values(ch)
        _, t = timed(lambda: dip_model.simulate(data, p))
        rerun.extend(t)
    print(f"parameter-only re-run: median {statistics.median(rerun) * 1000:.1f} ms, "
          f"max {max(rerun) * 1000:.1f} ms over {len(rerun)} runs")
    p = warm.with_values({"cases": {"high_ratio": 2.5}})
    _, t = timed(lambda: dip_model.simulate(data, p))
    print(f"case-parameter re-run (re-scores every case): {t[0]:.3f} s")
    _, t = timed(lambda: res.cases)
    print(f"case table (1 row per case, built on demand): {t[0]:.3f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:,.0f} MB")
    for s, v in res.summary["schemes"].items():
        print(f"  {s}: PV {v['settlement_point_value']} (budget {v['budget_point_value']:.3f}), "
              f"hospitals {v['hospitals']}, cases {v['cases']:,}, months {v['months_of_payment']:.1f}")


if __name__ == "__main__":
    main()
