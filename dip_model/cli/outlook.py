"""Command line of a hospital's year-end outlook (dip_model/analysis/hospital_outlook.py):

    python -m dip_model outlook --data DIR [--params FILE] --hospital ID [--pv SCHEME=LOW:CENTRAL:HIGH]...
                                [--spread 0.05 | --range published [--last-year [SCHEME=]PV]...] [--xlsx]
                                --out DIR [--lang zh|en]

writes settlement.csv (the A-37 year-end settlement at the low, central and high settlement point values,
each settled by the engine) and monthly.csv (the use rate month by month and to date, with the band, and the
A-32 pre-payments), and outlook.xlsx with --xlsx. --data takes a data folder (a city's, or a hospital's own
with its published point values in --params) or store:ID. In --pv a part left empty keeps its default
(`resident=11.2::12.4`: the run's own central value). Low and high not given in --pv are the central value ∓
--spread, or with --range published (implied by --last-year) the lowest and highest of the published figures:
the run's settlement point value, last year's (--last-year) and the budget point values of the pre-payments
(hospital_outlook.published_range)."""
from __future__ import annotations

import sys
import time

from ..errors import ParameterError
from ..messages import Message


def parse_pv(items) -> tuple[dict, dict, dict]:
    """--pv SCHEME=LOW:CENTRAL:HIGH (an empty part: not given) → (low, central, high), each scheme → value."""
    low: dict = {}
    central: dict = {}
    high: dict = {}
    for it in items or []:
        try:
            scheme, rest = it.split("=", 1)
            parts = rest.split(":")
            if len(parts) != 3:
                raise ValueError
            values = [float(x) if x.strip() else None for x in parts]
        except ValueError:
            raise ParameterError(Message("cli_pv_shape", got=repr(it))) from None
        scheme = scheme.strip()
        if scheme not in ("employee", "resident"):
            raise ParameterError(Message("cli_pv_scheme", got=repr(scheme)))
        for target, v in zip((low, central, high), values):
            if v is not None:
                target[scheme] = v
    return low, central, high


def parse_last_year(items) -> float | dict | None:
    """--last-year PV (every scheme) or SCHEME=PV, repeatable → a number, scheme → number, or None."""
    out: dict = {}
    for it in items or []:
        scheme, _, value = it.rpartition("=")
        scheme = scheme.strip()
        try:
            v = float(value)
        except ValueError:
            raise ParameterError(Message("cli_last_year_shape", got=repr(it))) from None
        if scheme and scheme not in ("employee", "resident"):
            raise ParameterError(Message("cli_pv_scheme", got=repr(scheme)))
        for s in (scheme,) if scheme else ("employee", "resident"):
            out[s] = v
    return out or None


def _outlook(a) -> int:
    from .. import load_params, simulate
    from ..analysis.hospital_outlook import DEFAULT_SPREAD, outlook, published_range, write_outlook
    from ..report.labels import band_text
    from .analysis import _out
    from .report import _write, load_any
    t0 = time.perf_counter()
    low, central, high = parse_pv(a.pv)                      # a bad --pv is refused before the run
    last_year = parse_last_year(a.last_year)
    res = simulate(load_any(a.data), load_params(a.params))
    if a.range == "published" or last_year is not None:      # low / high not in --pv: the published figures,
        for s, (lo, hi) in published_range(res, last_year).items():   # and a central value given in --pv
            c = central.get(s, lo)
            low.setdefault(s, min(lo, c))
            high.setdefault(s, max(hi, c))
    ol = outlook(res, a.hospital, low=low or None, high=high or None, central=central or None,
                 spread=DEFAULT_SPREAD if a.spread is None else a.spread)
    book = None
    if a.xlsx:                                                # built before anything is written
        from ..report.outlook_workbook import build_outlook_xlsx
        book = build_outlook_xlsx(ol, a.lang)
    out = _out(a.out)
    write_outlook(ol, out)
    if book is not None:
        _write(str(out / "outlook.xlsx"), book)
    L = a.lang
    for w in res.summary["warnings"]:
        print(Message("cli_warning", message=w).text(L), file=sys.stderr)
    for s, (pv_l, pv_c, pv_h) in ol.pv.items():
        c, lo, hi = ol.row(s, "central"), ol.row(s, "low"), ol.row(s, "high")
        print(Message("ol_cli_scheme", hospital=ol.hospital_id, scheme=s, central=c["year_end_settlement"],
                      pv_c=pv_c, pv_l=pv_l, low=lo["year_end_settlement"], pv_h=pv_h, high=hi["year_end_settlement"],
                      usage=c["usage_rate"], band=band_text(c["band"], L),
                      prepaid=c["monthly_prepaid"]).text(L))
    print(Message("ol_cli_sign").text(L))
    print(Message("ol_cli_written", out=str(out), seconds=time.perf_counter() - t0).text(L))
    return 0


def add_outlook_parser(sub) -> None:
    o = sub.add_parser("outlook", help="a hospital's year-end settlement at a low, central and high point value, "
                                       "and its use rate and pre-payments month by month")
    o.add_argument("--data", required=True, help="a data folder (city or hospital) or store:ID")
    o.add_argument("--params", default=None, help="parameter YAML merged over the built-in rule set")
    o.add_argument("--hospital", required=True)
    o.add_argument("--pv", action="append", metavar="SCHEME=LOW:CENTRAL:HIGH",
                   help="settlement point values of a scheme; an empty part keeps its default (central: the "
                        "run's own; low / high: central ∓ --spread)")
    o.add_argument("--spread", type=float, default=None,
                   help="low / high not given: central ∓ this share (default 0.05)")
    o.add_argument("--range", choices=["spread", "published"], default="spread",
                   help="low / high not given in --pv: central ∓ --spread (default), or the lowest and highest of "
                        "the published figures (the run's point value, --last-year, the budget point values)")
    o.add_argument("--last-year", action="append", metavar="[SCHEME=]PV",
                   help="last year's settlement point value (every scheme, or one); implies --range published")
    o.add_argument("--xlsx", action="store_true", help="also write outlook.xlsx (the same tables as sheets)")
    o.add_argument("--out", required=True)
    o.set_defaults(fn=_outlook)
