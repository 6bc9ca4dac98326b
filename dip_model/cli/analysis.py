"""Command line of the analyses: forecast (multi-year projection and the points race), sensitivity
(tornado and one-way sweep) and sweep (a parameter grid). Each writes CSV files into --out."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..data.results import write_csv
from ..errors import ParameterError
from ..messages import Message, localise


def _out(path: str) -> Path:
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ParameterError(Message("cli_out_folder", path=path, reason=err.strerror)) from None
    return out


def _dask(a) -> dict:
    return {"scheduler": a.scheduler, "address": a.address}


def _forecast(a) -> int:
    from .. import load_data, load_params
    from ..analysis.assumptions import load_assumptions
    from ..analysis.projection import points_race_comparison, project
    t0 = time.perf_counter()
    data, p = load_data(a.data), load_params(a.params)
    asm = load_assumptions(a.assumptions)
    if a.elasticity is not None:
        asm = asm.with_values({"points_race": {"elasticity": a.elasticity}})
    if a.years is not None:
        asm = asm.with_values({"years": a.years})
    pr = project(data, p, asm)
    out = _out(a.out)
    write_csv(pr.years, out / "years.csv")
    write_csv(pr.hospitals, out / "hospitals.csv")
    write_csv(pr.breaches, out / "breaches.csv")
    import pandas as pd
    write_csv(pd.DataFrame([{"assumption": k, "value": asm.get(k), "unit": asm.info(k).get("unit", ""),
                             "label_zh": asm.info(k)["label"]["zh"], "label_en": asm.info(k)["label"]["en"]}
                            for k in asm.leaves()]), out / "assumptions.csv")
    for _, r in pr.years.iterrows():
        print(f"year {r['year']} {r['scheme']}: budget {r['budget_total']:,.2f} "
              f"({'balanced' if r['prior_year_balanced'] else 'deficit'} prior year), point value "
              f"{r['settlement_point_value']}, final payments {r['total_final_payment']:,.2f}, closing balance "
              f"{r['fund_closing_balance']:,.2f}, {r['months_of_payment']:.2f} months ({r['status']})")
    for _, b in pr.breaches.iterrows():
        if pd.notna(b["first_out_of_band_year"]):
            print(f"{b['scheme']}: leaves the guidance band in year {b['first_out_of_band_year']} "
                  f"({b['first_out_of_band_status']})")
    if asm.get("points_race.elasticity") > 0:
        cmp = points_race_comparison(data, p, asm)
        write_csv(cmp["paths"], out / "points_race_paths.csv")
        write_csv(cmp["summary"], out / "points_race.csv")
        for _, r in cmp["summary"].iterrows():
            print(f"points race, {r['setting']} {r['scheme']}: point value {r['pv_change']:+.2%} over the "
                  f"projection ({r['effect']})")
    if a.draws:
        from ..analysis.projection_fan import projection_fan
        fan = projection_fan(data, p, asm, draws=a.draws, seed=a.seed, scheduler=a.scheduler, address=a.address)
        write_csv(fan.bands, out / "bands.csv")
        write_csv(fan.risk, out / "risk.csv")
        for _, r in fan.risk[fan.risk["year"] == fan.risk["year"].max()].iterrows():
            print(f"{r['scheme']}, year {r['year']}: outside the guidance band in {r['share_out_of_band']:.0%} of "
                  f"{a.draws} draws, negative in {r['share_negative']:.0%}")
    print(f"forecast written to {out} in {time.perf_counter() - t0:.2f} s")
    return 0


def _slots(text: str | None):
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def _sensitivity(a) -> int:
    from .. import load_data, load_params
    from ..analysis.sensitivity import one_way, parse_metric, tornado
    t0 = time.perf_counter()
    if not 0 < a.range < 1:
        raise ParameterError(Message("cli_range", got=a.range))
    metric = parse_metric(a.output, a.scheme, a.hospital)
    data, p = load_data(a.data), load_params(a.params)
    out = _out(a.out)
    df = tornado(data, p, metric, _slots(a.parameters), rel=a.range, **_dask(a))
    write_csv(df, out / "tornado.csv")
    for _, r in df.iterrows():
        note = f"  ({localise(r['error'], a.lang)})" if isinstance(r["error"], str) else ""
        print(f"{r['slot']}: {r['low']:.6g} → {r['bar_low']:+,.6g}, {r['high']:.6g} → {r['bar_high']:+,.6g}{note}")
    if a.sweep:
        sw = one_way(data, p, metric, a.sweep, points=a.points, rel=a.range, **_dask(a))
        write_csv(sw, out / "sweep.csv")
    print(f"{metric.label} = {df['base_output'].iloc[0]:,.6g}; sensitivity written to {out} in "
          f"{time.perf_counter() - t0:.2f} s")
    return 0


def _sweep(a) -> int:
    from .. import load_data, load_params
    from ..analysis.sensitivity import grid_sweep, read_grid
    t0 = time.perf_counter()
    grid = read_grid(a.grid)
    data, p = load_data(a.data), load_params(a.params)
    runs, hosp = grid_sweep(data, p, grid, **_dask(a))
    out = _out(a.out)
    write_csv(runs, out / "runs.csv")
    write_csv(hosp, out / "hospitals.csv")
    bad = runs["error"].notna().sum()
    if bad:
        print(Message("cli_warning", message=Message("cli_sweep_invalid", n=int(bad))).text(a.lang), file=sys.stderr)
    print(f"{len(runs)} run(s) written to {out} in {time.perf_counter() - t0:.2f} s")
    return 0


def _common(sp, scheduler=True) -> None:
    sp.add_argument("--data", required=True)
    sp.add_argument("--params", default=None, help="parameter YAML merged over the built-in rule set")
    sp.add_argument("--out", required=True)
    if scheduler:
        sp.add_argument("--scheduler", default="threads", choices=["threads", "processes", "sync"],
                        help="Dask's local scheduler (default threads)")
        sp.add_argument("--address", default=None, help="a dask.distributed scheduler, e.g. tcp://host:8786")


def add_analysis_parsers(sub) -> None:
    f = sub.add_parser("forecast", help="multi-year projection (1–5 years) per scheme, and the points race")
    _common(f)
    f.add_argument("--years", type=int, default=None, help="1 to 5 (default: the assumptions' years)")
    f.add_argument("--assumptions", default=None, help="projection assumptions YAML merged over the built-in ones")
    f.add_argument("--elasticity", type=float, default=None, help="points-race volume response (0 = off)")
    f.add_argument("--draws", type=int, default=0, help="also draw N projections with year-to-year shocks "
                   "(spread.* assumptions): bands.csv, risk.csv")
    f.add_argument("--seed", type=int, default=0)
    f.set_defaults(fn=_forecast)
    s = sub.add_parser("sensitivity", help="tornado of one output over the parameters (and a one-way sweep)")
    _common(s)
    s.add_argument("--output", required=True,
                   help="point_value | total_payouts | closing_balance | final_payment | year_end_settlement")
    s.add_argument("--scheme", default=None, choices=["employee", "resident"])
    s.add_argument("--hospital", default=None)
    s.add_argument("--range", type=float, default=0.1, help="relative move of each parameter (0.1 = ±10 %%)")
    s.add_argument("--parameters", default=None, help="comma-separated parameters (default: the standard 20)")
    s.add_argument("--sweep", default=None, help="also sweep this parameter over --points values (sweep.csv)")
    s.add_argument("--points", type=int, default=11)
    s.set_defaults(fn=_sensitivity)
    g = sub.add_parser("sweep", help="every combination of a parameter grid (YAML)")
    _common(g)
    g.add_argument("--grid", required=True, help="YAML: grid: {parameter: [values…]}")
    g.set_defaults(fn=_sweep)
