"""A hospital's year-end outlook (年终清算预估), on any run — a city folder or a hospital folder:

1. **Year-end settlement at three point values.** For one hospital and each scheme it has cases in, the
   A-37 year-end settlement (final payment − monthly pre-payments; positive = paid to the hospital,
   negative = returned) at a low, a central and a high settlement point value. Each is computed by the
   engine: the run is settled again (pipeline.settle) with `point_value.given.<scheme>` set to the value,
   on the run's own case stage, so the cases are not scored again and everything after A-34 — the score
   fund (A-35), the band (A-36), the cap of a city run, violations, pre-payments and the year end (A-37) —
   is the engine's. The central value is the run's own point value (the published one of a hospital
   folder, `point_value.given`, or the one A-34.2 computed in a city run) unless one is given; the central
   row then *is* the run's row of res.hospitals.
   Low and high are given (for instance the published monthly budget point values and last year's
   settlement value, see `published_range`) or, by default, the central value ∓ `spread` (DEFAULT_SPREAD
   = 5 %), rounded half-up to the point value's decimals (`point_value.decimals`, A-34.2). Five per cent
   is about the P10–P90 half-width of the settlement point value that the Monte Carlo gives on the
   1.1-million-discharge synthetic city (10.89–12.11 around 11.5, README "Benchmark"): a plausible
   year-to-year uncertainty when nothing better is known. Within one band (each sharing slice over 100 % is
   a band of its own) the settlement is linear in the point value; a value that moves the use rate across a
   band edge changes the slope, which the engine's settlement shows as it is. Under the default rules it
   rises with the point value wherever the use rate is at 90 % or above, is flat below 70 % (pay = FFS), and
   may fall below 90 %: the resident 70–90 % band pays FFS + (0.5u − 0.35)·SF = 1.5·FFS − 0.35·SF, and an
   employee hospital that drops below 70 % loses its 10 % retained surplus (tests/analysis/
   test_hospital_outlook.py states it as a property).

2. **Month by month.** For each discharge month (A-33) the use rate u = fee-for-service fund ÷ score fund
   (A-36), for the month alone and cumulative from January, with the band of each, at the central point
   value; and the A-32 pre-payments of each month and cumulative. The score fund of a period is A-35
   applied to the period: SF = (S·(1 − share) + S·share·a) · PV · r, with S the annual-score formula of
   A-34 over the period's cases (the month's S_{h,m} of A-32, with the hospital coefficient) and r the
   period's own reimbursement ratio (Σ ffs_fund ÷ Σ total_cost over the period). Hence u = cost ÷
   (S · (1 − share + share·a) · PV), and the cumulative use rate at month 12 is the year's usage_rate of
   res.hospitals. (The cumulative score fund is not the sum of the months' score funds: r is the
   period's.) A month without a case has no use rate (NaN, no band).

    outlook(res, "H001") -> Outlook(settlement=DataFrame, monthly=DataFrame, ...)

`settlement` has one row per scheme × point (low, central, high), columns SETTLEMENT_COLUMNS:
hospital_id, scheme, point, point_value, final_payment, monthly_prepaid, year_end_settlement, band,
usage_rate, point_value_source (given / computed: the run's own value; set: given to outlook; spread:
central ∓ spread), vs_central (year_end_settlement − the central one), total_score, score_fund, ffs_fund,
retained, sharing, pay_before_cap, cap_deduction (NaN in a hospital folder: not applicable),
violation_deduction — money in yuan, as res.hospitals.
`monthly` has one row per scheme × month 1…12, columns MONTHLY_COLUMNS: hospital_id, scheme, month,
cases, total_cost, ffs_fund, score, score_fund, usage_rate, band, ffs_fund_cum, total_cost_cum,
score_cum, score_fund_cum, usage_rate_cum, band_cum, budget_point_value (A-32, of the month), prepaid,
prepaid_cum."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.dataset import SCHEMES
from ..errors import DipError, ParameterError
from ..messages import Message
from ..rules.pipeline import PARTS, Results, settle
from ..rules.risk_sharing import apply_bands
from ..rules.rounding import round_half_up
from ..rules.settlement import annual_scores
from .bands import bands_of
from .hospital_cases import hospital_row

DEFAULT_SPREAD = 0.05            # low / high = central ∓ 5 % when not given (module docstring)
POINTS = ("low", "central", "high")
SETTLEMENT_COLUMNS = ["hospital_id", "scheme", "point", "point_value", "final_payment", "monthly_prepaid",
                      "year_end_settlement", "band", "usage_rate", "point_value_source", "vs_central",
                      "total_score", "score_fund", "ffs_fund", "retained", "sharing", "pay_before_cap",
                      "cap_deduction", "violation_deduction"]
MONTHLY_COLUMNS = ["hospital_id", "scheme", "month", "cases", "total_cost", "ffs_fund", "score", "score_fund",
                   "usage_rate", "band", "ffs_fund_cum", "total_cost_cum", "score_cum", "score_fund_cum",
                   "usage_rate_cum", "band_cum", "budget_point_value", "prepaid", "prepaid_cum"]
_FROM_RUN = ("final_payment", "monthly_prepaid", "year_end_settlement", "band", "usage_rate", "total_score",
             "score_fund", "ffs_fund", "retained", "sharing", "pay_before_cap", "cap_deduction",
             "violation_deduction")


@dataclass
class Outlook:
    """The outlook of one hospital (module docstring)."""
    hospital_id: str
    name: str
    mode: str                                  # the run's: "city", or "hospital" (a hospital folder)
    spread: float                              # the ∓ share used where low / high were not given
    share: float                               # assessment_share (K-6, the 8 % of A-35)
    pv: dict                                   # scheme → (low, central, high) settlement point values
    settlement: pd.DataFrame                   # SETTLEMENT_COLUMNS
    monthly: pd.DataFrame                      # MONTHLY_COLUMNS
    runs: dict = field(default_factory=dict, repr=False)   # point → the engine's Results at that value

    def row(self, scheme: str, point: str = "central") -> pd.Series:
        """One row of `settlement`."""
        s = self.settlement
        return s[(s["scheme"] == scheme) & (s["point"] == point)].iloc[0]


def _of(value, scheme: str):
    """A value given for every scheme (a number) or per scheme (a mapping), None when not given."""
    if isinstance(value, dict):
        v = value.get(scheme)
    else:
        v = value
    return None if v is None else float(v)


def run_point_values(res: Results) -> dict[str, float]:
    """scheme → the run's settlement point value (given or computed, A-34), for the schemes the hospital
    table holds."""
    schemes = res.summary["schemes"]
    return {s: float(schemes[s]["settlement_point_value"]) for s in SCHEMES if s in schemes}


def published_range(res: Results, last_year: float | dict | None = None,
                    budget: bool = True) -> dict[str, tuple[float, float]]:
    """scheme → (low, high) from the published figures: the smallest and largest of the run's settlement
    point value, last year's settlement point value (`last_year`, a number or scheme → number) and, with
    `budget`, the budget point values the pre-payments use (A-32: each month's
    `point_value.budget_monthly.<scheme>`, else `budget_point_value`). The budget point value is usually
    well below the settlement value, so it makes a cautious low."""
    p = res.params
    out = {}
    for s, central in run_point_values(res).items():
        values = [central]
        ly = _of(last_year, s)
        if ly is not None:
            values.append(ly)
        if budget:
            months = p.get(f"point_value.budget_monthly.{s}")
            values += [float(v) for v in months] if months is not None else \
                [float(res.summary["schemes"][s]["budget_point_value"])]
        finite = [v for v in values if math.isfinite(v)]
        out[s] = (min(finite), max(finite))
    return out


def point_values(res: Results, low=None, high=None, central=None,
                 spread: float = DEFAULT_SPREAD) -> tuple[dict, dict]:
    """scheme → (low, central, high), and scheme → the source of each ("given" / "computed" for the run's
    own value, "set" for a value given here, "spread" for central ∓ spread). Refused with a Message unless
    0 < low ≤ central ≤ high."""
    if not (isinstance(spread, (int, float)) and 0.0 <= spread < 1.0):
        raise ParameterError(Message("outlook_spread", got=repr(spread)))
    decimals = int(res.params.get("point_value.decimals"))
    ranges, sources = {}, {}
    for s, own in run_point_values(res).items():
        c = _of(central, s)
        src_c = "set" if c is not None else res.summary["schemes"][s].get("point_value_source", "computed")
        c = own if c is None else c
        lo, hi = _of(low, s), _of(high, s)
        src_l, src_h = ("set" if lo is not None else "spread"), ("set" if hi is not None else "spread")
        lo = _spread(c, -spread, decimals) if lo is None else lo
        hi = _spread(c, spread, decimals) if hi is None else hi
        if not (0 < lo <= c <= hi) or not all(math.isfinite(v) for v in (lo, c, hi)):
            raise ParameterError(Message("forecast_pv_range", scheme=s, low=lo, central=c, high=hi))
        ranges[s], sources[s] = (lo, c, hi), (src_l, src_c, src_h)
    return ranges, sources


def _spread(central: float, spread: float, decimals: int) -> float:
    """central × (1 + spread) rounded half-up to the point value's decimals, never across the central value (a
    published value may have more decimals); no spread: the central value itself."""
    if not spread:
        return central
    v = round_half_up(central * (1.0 + spread), decimals)
    return min(v, central) if spread < 0 else max(v, central)


def _settle_at(res: Results, values: dict[str, float]) -> Results:
    """The run settled again at the given point values (the case stage reused: nothing is re-scored)."""
    if all(values[s] == v for s, v in run_point_values(res).items() if s in values):
        return res
    if getattr(res.stage, "partial", False):     # a user's cut of the city (dip_model.access) cannot be settled
        raise DipError(Message("access_resettle"))
    p = res.params.with_values({"point_value": {"given": values}})
    return settle(res.data, res.stage, p)


def outlook(res: Results, hospital_id: str, low: float | dict | None = None, high: float | dict | None = None,
            central: float | dict | None = None, spread: float = DEFAULT_SPREAD) -> Outlook:
    """The year-end outlook of `hospital_id` (module docstring). `low`, `high`, `central`: a settlement
    point value for every scheme, or scheme → value; those not given: central = the run's own, low / high =
    central ∓ `spread`. An unknown hospital, or one without a settled case, is refused with a Message."""
    hid = str(hospital_id)
    row = hospital_row(res, hid)
    ranges, sources = point_values(res, low, high, central, spread)
    mine = res.hospitals["hospital_id"].astype(str) == hid
    schemes = [s for s in SCHEMES if s in set(res.hospitals.loc[mine, "scheme"])]
    runs = {pt: _settle_at(res, {s: ranges[s][i] for s in ranges}) for i, pt in enumerate(POINTS)}
    rows = []
    for s in schemes:
        at = {}
        for i, pt in enumerate(POINTS):
            h = runs[pt].hospitals
            at[pt] = h[(h["hospital_id"].astype(str) == hid) & (h["scheme"] == s)].iloc[0]
        for i, pt in enumerate(POINTS):
            r = at[pt]
            rows.append({"hospital_id": hid, "scheme": s, "point": pt, "point_value": ranges[s][i],
                         "point_value_source": sources[s][i],
                         "vs_central": float(r["year_end_settlement"]) - float(at["central"]["year_end_settlement"]),
                         **{c: r[c] for c in _FROM_RUN}})
    settlement = pd.DataFrame(rows, columns=SETTLEMENT_COLUMNS)
    for c in SETTLEMENT_COLUMNS:
        if c not in ("hospital_id", "scheme", "point", "band", "point_value_source"):
            settlement[c] = settlement[c].astype(float)
    monthly = _monthly(runs["central"], row, hid, schemes, ranges)
    name = str(res.data.hospitals["name"].iloc[row])
    return Outlook(hid, name, res.mode, float(spread), float(res.params.get("assessment_share")),
                   {s: ranges[s] for s in schemes}, settlement, monthly, runs)


def _monthly(run: Results, row: int, hid: str, schemes: list[str], ranges: dict) -> pd.DataFrame:
    st, p = run.stage, run.params
    prep = st.prep
    share = float(p.get("assessment_share"))
    i7 = p.interpretation("I-7")
    h = run.hospitals
    m = run.monthly
    months = [f"{k:02d}" for k in range(1, 13)]
    out = []
    for s in schemes:
        si = SCHEMES.index(s)
        hs = 2 * row + si
        settled = h[(h["hospital_id"].astype(str) == hid) & (h["scheme"] == s)].iloc[0]
        K, a = float(settled["hospital_coef"]), float(settled["assessment_coef"])
        pv = ranges[s][1]
        sel = (prep.hosp == row) & (prep.scheme == si)
        mo = prep.month[sel]
        n = np.bincount(mo, minlength=12).astype(np.int64)
        cost = np.bincount(mo, weights=prep.cost[sel], minlength=12)
        ffs = np.bincount(mo, weights=prep.ffs[sel], minlength=12)
        S = annual_scores({k: st.agg.monthly_parts[k][hs] for k in PARTS}, K, i7)         # S_{h,m}
        adj = 1.0 - share + share * a
        bands = bands_of(p, s)

        def fund(S_, cost_, ffs_):
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(cost_ > 0, ffs_ / cost_, 0.0)
            return S_ * adj * pv * r                                                    # A-35 of the period

        def use(sf, ffs_, has):
            u, label, *_ = apply_bands(bands, ffs_, sf, np.zeros(len(sf), bool))
            return np.where(has, u, np.nan), np.where(has, label, None)

        sf = fund(S, cost, ffs)
        u, band = use(sf, ffs, n > 0)
        cost_c, ffs_c, S_c = np.cumsum(cost), np.cumsum(ffs), np.cumsum(S)
        sf_c = fund(S_c, cost_c, ffs_c)
        u_c, band_c = use(sf_c, ffs_c, np.cumsum(n) > 0)
        mrow = m[(m["hospital_id"].astype(str) == hid) & (m["scheme"] == s)]
        prepaid = mrow[months].to_numpy(float)[0]
        pvb = p.get(f"point_value.budget_monthly.{s}")
        pvb_m = np.asarray(pvb, float) if pvb is not None else np.full(12, float(settled["budget_point_value"]))
        out.append(pd.DataFrame({
            "hospital_id": hid, "scheme": s, "month": np.arange(1, 13), "cases": n, "total_cost": cost,
            "ffs_fund": ffs, "score": S, "score_fund": sf, "usage_rate": u, "band": band, "ffs_fund_cum": ffs_c,
            "total_cost_cum": cost_c, "score_cum": S_c, "score_fund_cum": sf_c, "usage_rate_cum": u_c,
            "band_cum": band_c, "budget_point_value": pvb_m, "prepaid": prepaid, "prepaid_cum": np.cumsum(prepaid)}))
    if not out:
        return pd.DataFrame(columns=MONTHLY_COLUMNS)
    return pd.concat(out, ignore_index=True)[MONTHLY_COLUMNS]


def write_outlook(ol: Outlook, out) -> list:
    """settlement.csv and monthly.csv (UTF-8 with a byte-order mark; floats as Python writes them)."""
    from pathlib import Path

    from ..data.results import write_csv
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"settlement.csv": ol.settlement, "monthly.csv": ol.monthly}
    for name, df in files.items():
        write_csv(df, out / name)
    return [out / n for n in files]


__all__ = ["DEFAULT_SPREAD", "MONTHLY_COLUMNS", "Outlook", "POINTS", "SETTLEMENT_COLUMNS", "outlook",
           "point_values", "published_range", "run_point_values", "write_outlook"]
