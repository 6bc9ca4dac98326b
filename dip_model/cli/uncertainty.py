"""Command line: `montecarlo` (uncertainty bands) and `hospital-forecast` (a hospital's own year-end forecast)."""
from __future__ import annotations

import sys
import time

from ..analysis.parallel import SCHEDULERS


def _montecarlo(a) -> int:
    from .. import load_data, load_params
    from ..analysis.montecarlo import run_montecarlo, write_montecarlo
    t0 = time.perf_counter()
    data = load_data(a.data)
    mc = run_montecarlo(data, load_params(a.params), draws=a.draws, seed=a.seed, unc=a.uncertainty,
                        scheduler=a.scheduler, address=a.address)
    write_montecarlo(mc, a.out)
    q = mc.scheme_quantiles()
    for s in mc.scheme_list:
        row = q[(q["scheme"] == s) & (q["metric"] == "settlement_point_value")].iloc[0]
        bal = q[(q["scheme"] == s) & (q["metric"] == "fund_closing_balance")].iloc[0]
        print(f"{s}: point value P10 {row['p10']:.3f} · P50 {row['p50']:.3f} · P90 {row['p90']:.3f} "
              f"(deterministic {row['deterministic']:.3f}); closing balance P10 {bal['p10']:,.0f} · "
              f"P90 {bal['p90']:,.0f}")
    tm = mc.timings
    print(f"{a.draws} draws (seed {a.seed}) in {tm['draws_s']:.1f} s, cells built in {tm['cells_s']:.1f} s; "
          f"results written to {a.out} in {time.perf_counter() - t0:.1f} s")
    return 0


def _pv_ranges(items) -> dict:
    from ..errors import ParameterError
    from ..messages import Message
    out = {}
    for it in items or []:
        try:
            scheme, rest = it.split("=", 1)
            lo, ce, hi = (float(x) for x in rest.split(":"))
        except ValueError:
            raise ParameterError(Message("cli_pv_shape", got=repr(it))) from None
        if scheme not in ("employee", "resident"):
            raise ParameterError(Message("cli_pv_scheme", got=repr(scheme)))
        out[scheme] = (lo, ce, hi)
    return out


def _hospital_forecast(a) -> int:
    from .. import load_data, load_params
    from ..analysis.hospital_forecast import forecast, pv_range_from_montecarlo, read_ytd, write_forecast
    from ..analysis.montecarlo import run_montecarlo
    t0 = time.perf_counter()
    data = load_data(a.data)
    params = load_params(a.params)
    ytd = read_ytd(a.ytd, data, a.ytd) if a.ytd else None
    pv = _pv_ranges(a.pv)
    if len(pv) < 2 and a.pv_draws > 0:          # schemes without a given range: P10–P90 of a Monte Carlo
        mc = run_montecarlo(data, params, draws=a.pv_draws, seed=a.seed, unc=a.uncertainty)
        pv = {**pv_range_from_montecarlo(mc), **pv}
    fc = forecast(data, params, a.hospital, months=a.months, ytd=ytd, pv_range=pv, unc=a.uncertainty, seed=a.seed)
    write_forecast(fc, a.out)
    for _, r in fc.summary.iterrows():
        print(f"{fc.hospital_id} {r['scheme']}: months 1–{fc.months} hold {r['ytd_share']:.1%} of the year; "
              f"final payment {r['final_payment']:,.0f} (P10 {r['final_payment_p10']:,.0f} · P90 "
              f"{r['final_payment_p90']:,.0f}); year-end settlement {r['year_end_settlement']:,.0f} "
              f"(P10 {r['year_end_settlement_p10']:,.0f} · P90 {r['year_end_settlement_p90']:,.0f}); "
              f"use rate {r['usage_rate']:.1%}, band {r['band']}")
    print(f"results written to {a.out} in {time.perf_counter() - t0:.1f} s", file=sys.stdout)
    return 0


def add_uncertainty_parsers(sub) -> None:
    m = sub.add_parser("montecarlo", help="uncertainty bands: P10/P50/P90 of point values, payments and fund balance")
    m.add_argument("--data", required=True)
    m.add_argument("--params", default=None, help="parameter YAML merged over the built-in rule set")
    m.add_argument("--draws", type=int, default=1000)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--uncertainty", default=None, help="YAML of draw assumptions merged over rulesets/uncertainty.yaml")
    m.add_argument("--scheduler", default="threads", choices=list(SCHEDULERS), help="Dask local scheduler")
    m.add_argument("--address", default=None, help="a dask.distributed scheduler address (instead of the local one)")
    m.add_argument("--out", required=True)
    m.set_defaults(fn=_montecarlo)
    h = sub.add_parser("hospital-forecast", help="a hospital's year-end payment and settlement from months 1..m")
    h.add_argument("--data", required=True)
    h.add_argument("--params", default=None)
    h.add_argument("--hospital", required=True)
    h.add_argument("--ytd", default=None, help="the hospital's own cases of months 1..m (cases.csv contract)")
    h.add_argument("--months", type=int, default=None, help="months elapsed (default 6, or the last month of --ytd)")
    h.add_argument("--pv", action="append", metavar="SCHEME=LOW:CENTRAL:HIGH",
                   help="point-value range of a scheme (P10:P50:P90); default: a Monte Carlo's")
    h.add_argument("--pv-draws", type=int, default=200, help="Monte Carlo draws for a range not given (0 = none)")
    h.add_argument("--uncertainty", default=None)
    h.add_argument("--seed", type=int, default=0)
    h.add_argument("--out", required=True)
    h.set_defaults(fn=_hospital_forecast)
