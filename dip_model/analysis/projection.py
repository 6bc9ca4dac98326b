"""Multi-year projection (1–5 years), chained per scheme, and the points race (点数竞赛 / 点值贬值).

Year 1 is the data year, settled by `simulate`. Year t+1 is settled by the same engine (`settle`) on
scaled aggregates and a fund table derived from year t (docs/rules.md, A-3):
- prior_expenditure = year t's fund expenditure, prior_revenue = year t's revenue,
  revenue = ×(1 + revenue growth), opening_balance = year t's closing balance,
  prior_adjustment_fund = year t's adjustment fund, the other budget lines × (1 + their growth);
- the A-10 budget rule is then applied by the engine itself: a balanced year t (revenue ≥ expenditure)
  gives B = E·(1 + min(g, cap)), a deficit gives B = revenue, so the deficit branch switches on by itself.
  A user's `budget.prior_year_balanced` and in-year `budget.adjustment` belong to the data year only.
- volumes (cases, scores) scale per hospital by its level's volume growth; money (cost, fee-for-service
  fund, self-pay, other insurance, and the budget point value of the A-32 pre-payments) by the
  cost-per-case growth; each hospital's payment ratio ffs/cost moves by the ratio drift, the difference
  borne by self-pay.
- ASSUMPTION: scores per case stay those of the data year — the cost per case and the reference costs it
  is compared with (M, group and level costs) grow together, so RW, the A-19 ratios and the case types do
  not change.

The points race: hospital h's volume growth into year t+1 = its level's growth − elasticity ×
(PV_t / PV_{t−1} − 1), per scheme (PV_0 from `points_race.initial_point_value_change`), optionally capped
by `points_race.max_volume_growth` and never below −99 %. Elasticity 0 is the plain projection."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..data.dataset import SCHEMES, DataSet
from ..errors import BudgetError
from ..messages import Message
from ..params import Params, load_params
from ..rules.budget import BUDGET_LINES
from ..rules.pipeline import Aggregates, CaseStage, Results, case_stage, require_city, settle
from .assumptions import Assumptions, load_assumptions

MIN_GROWTH = -0.99
YEAR_COLUMNS = (
    "year", "scheme", "revenue", "revenue_growth", "prior_expenditure", "prior_revenue", "prior_year_balanced",
    "growth_rate_effective", "budget_total", "adjustment_fund", "dip_fund_payable", "payment_rate",
    "dip_cost_payable", "cases", "total_cost", "total_score", "settlement_point_value", "point_value_change",
    "budget_point_value", "total_ffs_fund", "total_final_payment", "cap_deduction", "unfunded_overrun",
    "fund_opening_balance", "fund_expenditure", "fund_closing_balance", "months_of_payment", "status",
    "first_out_of_band", "first_negative")
HOSPITAL_COLUMNS = ("year", "hospital_id", "scheme", "level", "volume_factor", "volume_growth", "cases",
                    "total_score", "usage_rate", "final_payment", "year_end_settlement")


@dataclass
class Projection:
    years: pd.DataFrame            # one row per year × scheme (YEAR_COLUMNS)
    hospitals: pd.DataFrame        # one row per year × hospital × scheme (HOSPITAL_COLUMNS)
    breaches: pd.DataFrame         # per scheme: first year out of the guidance band, first negative year
    assumptions: Assumptions
    params: Params
    results: list = field(default_factory=list, repr=False)   # the engine's Results of each year


def band_status(closing: float, months: float, low: float, high: float) -> str:
    """Where the closing balance stands against the 6–9-month guidance band (A-3): in, below, above,
    negative (closing < 0), unknown (no opening balance given)."""
    if closing is None or months is None or math.isnan(closing) or math.isnan(months):
        return "unknown"
    if closing < 0:
        return "negative"
    return "below" if months < low else "above" if months > high else "in"


def _shock(shocks: dict | None, key: str, year: int) -> float:
    return float(shocks[key][year - 2]) if shocks else 0.0


def next_fund(summary: dict, a: Assumptions, year: int, revenue_shock: float = 0.0) -> pd.DataFrame:
    """Fund table of year `year` from the results of year `year − 1` (docs/rules.md, A-3, A-10, A-11)."""
    rows = []
    for s, v in summary["schemes"].items():
        r_t = v.get("fund_revenue")
        if r_t is None or (isinstance(r_t, float) and math.isnan(r_t)):
            raise BudgetError(Message("projection_no_revenue", scheme=s))
        g_r = a.at("revenue_growth", year, s)
        if g_r is None:
            g_r = v["revenue_growth"] if v["revenue_growth"] is not None else 0.0   # keep the data year's g_R
        g_r += revenue_shock
        g_o = a.at("other_lines_growth", year)
        assert g_o is not None          # validate_assumptions: a number or a non-empty per-year list
        rows.append({"scheme": s, "prior_expenditure": v["fund_expenditure"], "prior_revenue": r_t,
                     "revenue": r_t * (1.0 + g_r), "revenue_growth": g_r,
                     "prior_adjustment_fund": v["adjustment_fund"],
                     **{k: v[k] * (1.0 + g_o) for k in BUDGET_LINES},
                     "opening_balance": v["fund_closing_balance"]})
    return pd.DataFrame(rows)


def scale_aggregates(agg: Aggregates, volume: np.ndarray, cost_factor: float, drift: float) -> Aggregates:
    """The data year's aggregates with volume × `volume` (per hospital × scheme), money × volume ×
    `cost_factor`, and each slot's ffs/cost ratio moved by `drift` (clipped to [0, 1]); self-pay takes
    the difference, so cost = ffs + self-pay + other insurance still holds where it held."""
    money = volume * cost_factor
    cost = agg.cost * money
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(agg.cost > 0, agg.ffs / agg.cost, 0.0)
    ffs = np.where(agg.cost > 0, cost * np.clip(ratio + drift, 0.0, 1.0), 0.0)
    self_grown = agg.self_pay * money
    self_pay = np.maximum(self_grown - (ffs - agg.ffs * money), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        k_self = np.where(self_grown > 0, self_pay / self_grown, 1.0)
    vol_m, money_m = volume[:, None], money[:, None]
    metrics = agg.metrics.copy()
    metrics["cases"] = (agg.count * volume).reshape(-1, 2).sum(axis=1)
    return replace(
        agg, count=agg.count * volume, cost=cost, ffs=ffs, self_pay=self_pay, other=agg.other * money,
        parts={k: v * volume for k, v in agg.parts.items()},
        monthly_parts={k: v * vol_m for k, v in agg.monthly_parts.items()},
        monthly_self=agg.monthly_self * money_m * k_self[:, None], monthly_other=agg.monthly_other * money_m,
        monthly_count=agg.monthly_count * vol_m, metrics=metrics, type_counts=agg.type_counts * vol_m)


def scale_stage(st: CaseStage, volume: np.ndarray, cost_factor: float, drift: float) -> CaseStage:
    """A case stage for a projected year: scaled aggregates; the budget point value (A-17, used by the
    A-32 pre-payments) and M grow with the cost per case."""
    ref = replace(st.ref, mean_cost=st.ref.mean_cost * cost_factor,
                  budget_point_value={s: (None if v is None else v * cost_factor)
                                      for s, v in st.ref.budget_point_value.items()})
    return replace(st, ref=ref, agg=scale_aggregates(st.agg, volume, cost_factor, drift))


def _later_years(p: Params) -> Params:
    """The data year's own budget facts (a given balanced flag, an in-year adjustment) do not carry over."""
    if p.get("budget.prior_year_balanced") is None and not p.get("budget.adjustment"):
        return p
    return p.with_values({"budget": {"prior_year_balanced": None, "adjustment": 0.0}})


def project(data: DataSet, params: Params | dict | str | None = None,
            assumptions: Assumptions | dict | str | None = None, years: int | None = None,
            shocks: dict | None = None) -> Projection:
    """Chain `years` years (default: the assumptions' `years`) from the data year, per scheme.
    `shocks` (projection_fan) adds a drawn amount per year to the growth rates: {"volume": [...],
    "cost": [...], "revenue": [...]}, entry 0 for year 2."""
    p = params if isinstance(params, Params) else load_params(params)
    a = assumptions if isinstance(assumptions, Assumptions) else load_assumptions(assumptions)
    n_years = int(years if years is not None else a.years)
    if not 1 <= n_years <= 5:
        raise BudgetError(Message("projection_years", years=n_years))
    require_city(data, "what_projection")             # A-10 year after year needs the city's fund
    st = case_stage(data, p)
    res = settle(data, st, p)
    low = float(p.get("fund_balance.guidance_months_low"))
    high = float(p.get("fund_balance.guidance_months_high"))
    levels = data.hospitals["level"].astype(str).to_numpy()
    level_hs = np.repeat(levels, 2)
    n_hs = st.agg.n_hs
    scheme_hs = np.tile(np.arange(2), len(levels))
    e = float(a.get("points_race.elasticity"))
    cap = a.get("points_race.max_volume_growth")
    init = float(a.get("points_race.initial_point_value_change"))

    volume, growth = np.ones(n_hs), np.zeros(n_hs)
    cost_f, drift = 1.0, 0.0
    p_later = _later_years(p)
    all_res, pv_hist = [res], [_pvs(res, init)]
    year_rows, hosp_rows = [_year_rows(res, 1, pv_hist[-1], low, high)], [_hosp_rows(res, 1, data, volume, growth)]
    for year in range(2, n_years + 1):
        base = np.array([a.volume_growth(lv, year) for lv in np.unique(level_hs)])
        base_hs = base[np.searchsorted(np.unique(level_hs), level_hs)]
        pv_now, pv_prev = pv_hist[-1]
        change = np.array([pv_now[SCHEMES[i]] / pv_prev[SCHEMES[i]] - 1.0
                           if pv_prev.get(SCHEMES[i]) else 0.0 for i in scheme_hs]) if e else np.zeros(n_hs)
        growth = base_hs + _shock(shocks, "volume", year) - e * np.nan_to_num(change)   # points race (0 = off)
        if cap is not None:
            growth = np.minimum(growth, float(cap))
        growth = np.maximum(growth, MIN_GROWTH)
        volume = volume * (1.0 + growth)
        g_c, d_r = a.at("cost_growth", year), a.at("ratio_drift", year)
        assert g_c is not None and d_r is not None      # validate_assumptions: numbers or non-empty lists
        cost_f *= 1.0 + g_c + _shock(shocks, "cost", year)
        drift += d_r
        fund = next_fund(res.summary, a, year, _shock(shocks, "revenue", year))   # E₋₁ = last year's spending
        try:
            res = settle(data, scale_stage(st, volume, cost_f, drift), p_later, fund=fund)
        except BudgetError as err:
            raise BudgetError(Message("projection_year_failed", year=year, error=err)) from None
        all_res.append(res)
        pv_hist.append(({s: v["settlement_point_value"] for s, v in res.summary["schemes"].items()}, pv_now))
        year_rows.append(_year_rows(res, year, pv_hist[-1], low, high))
        hosp_rows.append(_hosp_rows(res, year, data, volume, growth))
    years_df = pd.concat(year_rows, ignore_index=True)
    years_df, breaches = _mark_breaches(years_df)
    return Projection(years_df, pd.concat(hosp_rows, ignore_index=True), breaches, a, p, all_res)


def _pvs(res: Results, init: float) -> tuple[dict, dict]:
    now = {s: v["settlement_point_value"] for s, v in res.summary["schemes"].items()}
    return now, {s: v / (1.0 + init) for s, v in now.items()}


def _year_rows(res: Results, year: int, pvs: tuple[dict, dict], low: float, high: float) -> pd.DataFrame:
    rows = []
    for s, v in res.summary["schemes"].items():
        part = res.hospitals[res.hospitals["scheme"] == s]
        prev = pvs[1].get(s)
        rows.append({"year": year, "scheme": s, "revenue": v["fund_revenue"], "revenue_growth": v["revenue_growth"],
                     "prior_expenditure": v["prior_expenditure"], "prior_revenue": v["prior_revenue"],
                     "prior_year_balanced": v["prior_year_balanced"],
                     "growth_rate_effective": v["growth_rate_effective"], "budget_total": v["budget_total"],
                     "adjustment_fund": v["adjustment_fund"], "dip_fund_payable": v["dip_fund_payable"],
                     "payment_rate": v["payment_rate"], "dip_cost_payable": v["dip_cost_payable"],
                     "cases": float(res.stage.agg.count[_hs(res, s)].sum()),
                     "total_cost": float(part["total_cost"].sum()), "total_score": v["total_score"],
                     "settlement_point_value": v["settlement_point_value"],
                     "point_value_change": v["settlement_point_value"] / prev - 1.0 if prev else math.nan,
                     "budget_point_value": v["budget_point_value"], "total_ffs_fund": v["total_ffs_fund"],
                     "total_final_payment": v["total_final_payment"], "cap_deduction": v["cap_deduction"],
                     "unfunded_overrun": v["unfunded_overrun"], "fund_opening_balance": v["fund_opening_balance"],
                     "fund_expenditure": v["fund_expenditure"], "fund_closing_balance": v["fund_closing_balance"],
                     "months_of_payment": v["months_of_payment"],
                     "status": band_status(v["fund_closing_balance"], v["months_of_payment"], low, high)})
    return pd.DataFrame(rows)


def _hs(res: Results, scheme: str) -> np.ndarray:
    return np.arange(res.stage.agg.n_hs) % 2 == SCHEMES.index(scheme)


def _hosp_rows(res: Results, year: int, data: DataSet, volume: np.ndarray, growth: np.ndarray) -> pd.DataFrame:
    h = res.hospitals
    idx = pd.Index(data.hospitals["hospital_id"]).get_indexer(h["hospital_id"]) * 2 + \
        h["scheme"].map({s: i for i, s in enumerate(SCHEMES)}).to_numpy()
    return pd.DataFrame({"year": year, "hospital_id": h["hospital_id"].to_numpy(), "scheme": h["scheme"].to_numpy(),
                         "level": h["level"].to_numpy(), "volume_factor": volume[idx],
                         "volume_growth": growth[idx] if year > 1 else 0.0,
                         "cases": res.stage.agg.count[idx], "total_score": h["total_score"].to_numpy(),
                         "usage_rate": h["usage_rate"].to_numpy(), "final_payment": h["final_payment"].to_numpy(),
                         "year_end_settlement": h["year_end_settlement"].to_numpy()})


def _mark_breaches(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per scheme, the first year out of the guidance band (below, above or negative) and the first
    negative year; each marked on its row."""
    df = df.copy()
    df["first_out_of_band"] = False
    df["first_negative"] = False
    rows = []
    for s, part in df.groupby("scheme", sort=False):
        out = part.index[part["status"].isin(["below", "above", "negative"])]
        neg = part.index[part["status"] == "negative"]
        if len(out):
            df.loc[out[0], "first_out_of_band"] = True
        if len(neg):
            df.loc[neg[0], "first_negative"] = True
        rows.append({"scheme": s,
                     "first_out_of_band_year": int(df.loc[out[0], "year"]) if len(out) else None,
                     "first_out_of_band_status": df.loc[out[0], "status"] if len(out) else None,
                     "first_negative_year": int(df.loc[neg[0], "year"]) if len(neg) else None})
    out = pd.DataFrame(rows, columns=["scheme", "first_out_of_band_year", "first_out_of_band_status",
                                      "first_negative_year"])
    for c in ("first_out_of_band_year", "first_negative_year"):
        out[c] = out[c].astype("Int64")
    return df, out


# --- the points race: which rule settings damp it ---------------------------------------------------

def _overspend(p: Params, fn) -> dict:
    return {s: {"overspend": [{**b, "rate": fn(b["rate"])} for b in p.get(f"sharing.{s}.overspend")]}
            for s in SCHEMES}


def damping_candidates(p: Params, res: Results) -> list[tuple[str, dict]]:
    """Rule settings to try against the points race, each a change to the parameters (key, changes).
    The model decides which of them damp the spiral; none is assumed to."""
    g = {s: v["growth_rate"] for s, v in res.summary["schemes"].items()}
    return [
        ("budget_growth_up", {"budget": {"growth_rate": {s: x + 0.02 for s, x in g.items()}}}),
        ("budget_growth_down", {"budget": {"growth_rate": {s: x - 0.02 for s, x in g.items()}}}),
        ("adjustment_fund_cap_down", {"budget": {"adjustment_fund_cap":
                                                 round(p.get("budget.adjustment_fund_cap") / 2, 6)}}),
        ("overspend_sharing_up", {"sharing": _overspend(p, lambda r: min(1.0, r + 0.2))}),
        ("overspend_sharing_none", {"sharing": _overspend(p, lambda r: 0.0)}),
        ("assessment_share_up", {"assessment_share": min(1.0, 2 * p.get("assessment_share"))}),
        ("city_point_value", {"interpretations": {"I-8": "city"}}),                                 # A-34, I-8
    ]


def points_race_comparison(data: DataSet, params: Params | dict | str | None = None,
                           assumptions: Assumptions | dict | str | None = None, years: int | None = None,
                           candidates: list[tuple[str, dict]] | None = None, tolerance: float = 0.001) -> dict:
    """The spiral (the assumptions as given), the same years without any volume response (elasticity 0),
    and the spiral under each candidate rule setting.

    Returns {"paths": one row per setting × year × scheme (point value, its index on year 1, payouts,
    closing balance, months, status), "summary": one row per setting × scheme: the point-value change
    from year 1 to the last year, whether it fell every year (the spiral), its difference from the spiral's (percentage points), and `effect`
    = damps | amplifies | no_effect (a difference within `tolerance` is no effect), the last year's
    closing balance and the first year out of the guidance band}."""
    p = params if isinstance(params, Params) else load_params(params)
    a = assumptions if isinstance(assumptions, Assumptions) else load_assumptions(assumptions)
    runs = [("spiral", p, a), ("no_response", p, a.with_values({"points_race": {"elasticity": 0.0}}))]
    if candidates is None:
        candidates = damping_candidates(p, settle(data, case_stage(data, p), p))
    runs += [(key, p.with_values(changes), a) for key, changes in candidates]
    paths, summary = [], []
    for key, pk, ak in runs:
        pr = project(data, pk, ak, years)
        y = pr.years.assign(setting=key)
        first = y[y["year"] == 1].set_index("scheme")["settlement_point_value"]
        y["pv_index"] = y["settlement_point_value"] / y["scheme"].map(first)
        paths.append(y[["setting", "year", "scheme", "settlement_point_value", "pv_index", "cases",
                        "total_final_payment", "budget_total", "fund_closing_balance", "months_of_payment", "status"]])
        last = y[y["year"] == y["year"].max()].set_index("scheme")
        br = pr.breaches.set_index("scheme")
        for s in last.index:
            pv = y.loc[y["scheme"] == s, "settlement_point_value"].to_numpy()
            summary.append({"setting": key, "scheme": s, "pv_change": float(last.loc[s, "pv_index"] - 1.0),
                            "pv_falls_every_year": bool(len(pv) > 1 and (np.diff(pv) < 0).all()),
                            "final_point_value": float(last.loc[s, "settlement_point_value"]),
                            "final_closing_balance": float(last.loc[s, "fund_closing_balance"]),
                            "final_months_of_payment": float(last.loc[s, "months_of_payment"]),
                            "first_out_of_band_year": br.loc[s, "first_out_of_band_year"]})
    paths_df, sm = pd.concat(paths, ignore_index=True), pd.DataFrame(summary)
    spiral = sm[sm["setting"] == "spiral"].set_index("scheme")["pv_change"]
    sm["vs_spiral"] = sm["pv_change"] - sm["scheme"].map(spiral)
    sm["effect"] = np.where(sm["vs_spiral"] > tolerance, "damps",
                            np.where(sm["vs_spiral"] < -tolerance, "amplifies", "no_effect"))
    sm.loc[sm["setting"].isin(["spiral", "no_response"]), "effect"] = "reference"     # not rule settings
    return {"paths": paths_df, "summary": sm}
