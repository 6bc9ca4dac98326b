"""A hospital's own year-end forecast: from its cases of months 1…m to its expected final payment and
year-end settlement (A-35 … A-37), with P10–P90, and what would move it to another risk-sharing band.

1. Year to date: the hospital's cases of months 1…m, taken from the dataset or given as its own cases
   table (cases.csv of docs/data-contract.md). They are scored by the engine (case_scores, with the city's reference:
   catalogue, M, level costs — A-15 … A-24).
2. Extrapolation: every sum of the months to come is the year-to-date sum ÷ the share of the year's cases
   that months 1…m carry in history (seasonality: the hospital's own month shares when it has enough history
   cases in the scheme, else the city's), laid over months m+1…12 by the same shares.
3. Central figure: the projected year replaces the hospital's rows of the city's aggregates and engine.settle
   runs (coefficients A-22 … A-25, assessment K-9, score fund A-35, bands A-36, pre-settlement A-32,
   year-end A-37). The point value of the scenario range's central value is then applied.
4. Range: draws combine the city point value (split normal through the range's low / central / high taken as
   P10 / P50 / P90, one draw for both schemes) with the hospital's own extrapolation error (lognormal on the
   volume of the months to come, its SD measured on history by forecasting each past year from its months
   1…m; and a cost shock), each draw evaluated with settlement.score_fund and risk_sharing.apply_bands.
5. Drivers: the fund-use rate u = FFS ÷ score fund and its band (A-36); since u = cost ÷ (S·(1−8%+8%·a)·PV),
   the change of cost per case in the months to come, of case volume in the months to come (which moves u only
   through the hospital's own weight in the city point value, A-34.2), and the city point value at which u
   reaches each neighbouring band edge are solved in closed form."""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.dataset import SCHEMES, DataSet
from ..data.results import write_csv
from ..errors import DipError, InputError, ParameterError
from ..messages import Items, Message
from ..params import Params, load_params
from ..rules.pipeline import PARTS, REFERENCE_KEYS, Results, case_stage, require_city, settle
from ..rules.risk_sharing import apply_bands
from ..rules.settlement import annual_scores, score_fund
from .bands import bands_of, edges
from .cells import cost_part, part_masks
from .uncertainty import Uncertainty, load_uncertainty

Z90 = 1.2815515655446004             # the standard normal's 90th percentile
MIN_HISTORY_YEARS = 10               # hospital-years needed to measure the extrapolation error


# --- inputs ------------------------------------------------------------------------------------

def read_ytd(source, data: DataSet, name: str = "cases.csv") -> pd.DataFrame:
    """A year-to-date cases table (path, bytes or DataFrame written to CSV) checked by the data contract
    (docs/data-contract.md) against the dataset's hospitals; problems name the file, row and column."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in (".csv", ".xlsx", ".parquet") else ".csv"
        target = folder / f"cases{suffix}"
        if isinstance(source, pd.DataFrame):
            source.to_csv(target, index=False)
        elif isinstance(source, (bytes, bytearray)):
            target.write_bytes(bytes(source))
        else:
            target.write_bytes(Path(source).read_bytes())
        data.hospitals[["hospital_id", "level", "reimb_level"]].to_csv(folder / "hospitals.csv", index=False)
        if data.fund is not None:
            data.fund.to_csv(folder / "fund.csv", index=False)
        # the folder check wants a catalogue; the cases are grouped later against the city's own
        (folder / "catalogue.csv").write_text("group_id,group_type,rw\n_,core,1000\n", encoding="utf-8")
        from ..data.load import load_data
        try:
            return load_data(folder, match_catalogue=False).cases
        except InputError as err:
            raise InputError([replace(p, file=name) if p.file.startswith("cases") else p for p in err.problems]) from None


def month_shares(data: DataSet, hospital_id: str, min_cases: int) -> tuple[np.ndarray, list[str]]:
    """(2, 12) share of a year's cases discharged in each month, per scheme (A-33 months), and where each
    came from: 'hospital' (its own history), 'city' (the city's history), 'current' (this year's cases of
    the city, no history) or 'uniform'."""
    out, source = np.full((2, 12), 1.0 / 12.0), ["uniform", "uniform"]
    for src_name, table in (("history", data.history), ("current", data.cases)):
        if table is None or not len(table):
            continue
        month = table["discharge_date"].dt.month.to_numpy() - 1
        scheme = (table["scheme"] == "resident").to_numpy()
        own = (table["hospital_id"] == hospital_id).to_numpy()
        for si in range(2):
            sel = scheme == bool(si)
            city = np.bincount(month[sel], minlength=12).astype(float)
            mine = np.bincount(month[sel & own], minlength=12).astype(float)
            if source[si] != "uniform":
                continue
            if src_name == "history" and mine.sum() >= min_cases:
                out[si], source[si] = mine / mine.sum(), "hospital"
            elif city.sum() > 0 and (src_name == "history" or (city > 0).all()):
                out[si], source[si] = city / city.sum(), "city" if src_name == "history" else "current"
    return out, source


def extrapolation_sd(data: DataSet, shares_city: np.ndarray, months: int, unc: Uncertainty) -> tuple[float, str]:
    """Log SD of (a year's cases) ÷ (its months 1…m ÷ their share), over the hospital-years of history;
    the assumption forecast.volume_sd × (1 − share) when history has too few of them."""
    hist = data.history
    f = shares_city[:, :months].sum(axis=1)
    if hist is not None and len(hist) and months < 12:
        d = pd.DataFrame({"h": hist["hospital_id"].to_numpy(), "s": (hist["scheme"] == "resident").to_numpy(int),
                          "y": hist["discharge_date"].dt.year.to_numpy(),
                          "early": (hist["discharge_date"].dt.month.to_numpy() <= months).astype(float)})
        g = d.groupby(["h", "s", "y"], sort=False).agg(n=("early", "size"), early=("early", "sum"))
        g = g[(g["early"] >= 20) & (g["n"] >= 40)]
        if len(g) >= MIN_HISTORY_YEARS:
            fs = f[g.index.get_level_values("s").to_numpy()]
            err = np.log(g["n"].to_numpy() / (g["early"].to_numpy() / fs))
            return float(np.std(err, ddof=1)), "history"
    rest = 1.0 - float(f.mean())
    return float(unc.get("forecast.volume_sd")) * rest, "assumption"


# --- the forecast ---------------------------------------------------------------------------------

@dataclass
class Components:
    """One scheme of the hospital: year-to-date (y) and months-to-come (r) sums, and its coefficients."""
    scheme: str
    S_y: float                                       # annual scores (× K, A-34.1)
    S_r: float
    S_cost_r: float                                  # cost-proportional part of S_r
    cost_y: float
    cost_r: float
    ffs_y: float
    ffs_r: float
    self_other_r: float
    prepaid_y: float                                 # pre-paid in months 1…m
    S_month_r: float                                 # score of months to come
    a: float                                         # assessment coefficient (K-9)
    share: float                                     # 8 % share
    pvb: float                                       # budget PV
    violation: float
    cap_share: float
    no_sharing: bool
    total_score_city: float                          # ΣS of the scheme, for the volume driver


@dataclass
class HospitalForecast:
    hospital_id: str
    name: str
    months: int
    year: int
    pv_range: dict                                   # scheme → (low, central, high)
    seasonality: list                                # per scheme: hospital | city | current | uniform
    ytd_share: dict                                  # scheme → share of the year in months 1…m
    volume_sd: float
    volume_sd_source: str
    components: dict                                 # scheme → Components
    settled: Results                                 # the city with this hospital's projected year
    summary: pd.DataFrame                            # forecast.csv
    drivers: pd.DataFrame                            # drivers.csv
    monthly: pd.DataFrame                            # monthly.csv
    draws: dict = field(default_factory=dict)        # scheme → {final_payment, year_end_settlement, pv}


def _ytd_cases(data: DataSet, hospital_id: str, months: int | None, ytd: pd.DataFrame | None) -> tuple[pd.DataFrame, int]:
    if ytd is None:
        c = data.cases
        mine = c[(c["hospital_id"] == hospital_id)]
        m = 6 if months is None else int(months)
        if not 1 <= m <= 11:
            raise ParameterError(Message("forecast_months", months=m))
        return mine[mine["discharge_date"].dt.month <= m].reset_index(drop=True), m
    others = sorted(set(ytd["hospital_id"]) - {hospital_id})
    if others:
        raise ParameterError(Message("forecast_other_hospitals", others=Items(others[:5], more=len(others) > 5),
                                     hospital=hospital_id))
    if not len(ytd):
        raise ParameterError(Message("forecast_no_case"))
    last = int(ytd["discharge_date"].dt.month.max())
    m = last if months is None else int(months)
    if not 1 <= m <= 11:
        raise ParameterError(Message("forecast_months", months=m))
    if last > m:
        raise ParameterError(Message("forecast_late_month", last=last, months=m))
    return ytd.reset_index(drop=True), m


def _split_normal(low: float, central: float, high: float, z: np.ndarray) -> np.ndarray:
    """A value with P10 = low, P50 = central, P90 = high (each half a normal)."""
    return central + np.where(z < 0, (central - low), (high - central)) * z / Z90


def _lognormal(sd: float, z):
    return np.exp(sd * z - 0.5 * sd * sd)


def evaluate(c: Components, pv, bands, volume=1.0, cost=1.0) -> dict:
    """The hospital's settlement for one scheme at point value(s) `pv`, with the months to come × volume and
    their cost per case × cost (arrays broadcast): A-35 score fund, A-36 bands, cap share, violations,
    A-32 pre-payments, A-37 year-end."""
    pv, v, x = np.broadcast_arrays(np.atleast_1d(np.asarray(pv, float)), np.asarray(volume, float),
                                   np.asarray(cost, float))
    S = c.S_y + v * (c.S_r + (x - 1.0) * c.S_cost_r)
    cost_t = c.cost_y + v * x * c.cost_r
    ffs = c.ffs_y + v * x * c.ffs_r
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(cost_t > 0, ffs / cost_t, 0.0)
    sf = score_fund(S, np.full(S.shape, c.a), c.share, pv, r)
    u, band, retained, sharing, pay = apply_bands(bands, ffs.ravel(), sf.ravel(),
                                                  np.full(S.size, c.no_sharing))
    shape = S.shape
    final = pay.reshape(shape) - c.cap_share * (retained + sharing).reshape(shape) - c.violation * r
    prepaid = c.prepaid_y + v * (c.pvb * (c.S_month_r + (x - 1.0) * c.S_cost_r) - x * c.self_other_r)
    return {"usage_rate": u.reshape(shape), "band": band.reshape(shape), "score_fund": sf, "final_payment": final,
            "prepaid": prepaid, "year_end_settlement": final - prepaid, "ffs": ffs, "total_score": S}


def _adj(c: Components) -> float:
    return 1.0 - c.share + c.share * c.a


def solve_cost(c: Components, pv: float, edge: float) -> float:
    """Multiplier of the cost per case (and FFS fund) of the months to come at which u = edge:
    cost_y + x·cost_r = edge·adj·PV·(S_y + S_r + (x−1)·S_cost_r). NaN when no positive solution."""
    k = edge * _adj(c) * pv
    den = c.cost_r - k * c.S_cost_r
    if den == 0:
        return math.nan
    x = (k * (c.S_y + c.S_r - c.S_cost_r) - c.cost_y) / den
    return x if x > 0 else math.nan


def solve_volume(c: Components, pv: float, edge: float) -> float:
    """Multiplier of the case volume of the months to come at which u = edge, the city point value moving
    with the hospital's own score (A-34.2: PV(y) = PV·T ÷ (T + (y−1)·S_r)). NaN when unreachable."""
    T, k = c.total_score_city, edge * _adj(c) * pv
    if T <= 0:
        return math.nan
    # (cost_y + y·cost_r)·(T − S_r + y·S_r) = k·T·(S_y + y·S_r)
    a2 = c.cost_r * c.S_r
    b = c.cost_y * c.S_r + c.cost_r * (T - c.S_r) - k * T * c.S_r
    c0 = c.cost_y * (T - c.S_r) - k * T * c.S_y
    if abs(a2) < 1e-300:
        roots = [-c0 / b] if b else []
    else:
        disc = b * b - 4 * a2 * c0
        if disc < 0:
            return math.nan
        q = -0.5 * (b + math.copysign(math.sqrt(disc), b))
        roots = [q / a2] + ([c0 / q] if q else [])
    good = [y for y in roots if y > 0 and math.isfinite(y)]
    return min(good, key=lambda y: abs(y - 1.0)) if good else math.nan


def usage_at(c: Components, pv: float, bands, volume: float = 1.0, cost: float = 1.0, dilute: bool = False) -> float:
    """u through evaluate(); with dilute the point value follows the hospital's own score (A-34.2)."""
    if dilute:
        pv = pv * c.total_score_city / (c.total_score_city + (volume - 1.0) * c.S_r)
    return float(evaluate(c, pv, bands, volume, cost)["usage_rate"][0])


def _drivers(comps: dict, pv_range: dict, params: Params) -> pd.DataFrame:
    rows = []
    for s, c in comps.items():
        bands = bands_of(params, s)
        pv = pv_range[s][1]
        u = float(evaluate(c, pv, bands)["usage_rate"][0])
        es = [e for e in edges(bands) if e > 0]
        below = [e for e in es if e < u - 1e-12]
        above = [e for e in es if e > u + 1e-12]
        for direction, e in (("down", below[-1] if below else None), ("up", above[0] if above else None)):
            if e is None:
                continue
            beyond = e * (1 - 1e-9) if direction == "down" else e * (1 + 1e-9)
            lab = apply_bands(bands, np.array([beyond]), np.array([1.0]), np.array([False]))[1][0]
            x, y = solve_cost(c, pv, e), solve_volume(c, pv, e)
            with np.errstate(divide="ignore"):
                pv_edge = (c.cost_y + c.cost_r) / ((c.S_y + c.S_r) * _adj(c) * e)
            rows.append({"scheme": s, "usage_rate": u, "direction": direction, "edge": e, "band_beyond": lab,
                         "cost_change": x - 1.0, "volume_change": y - 1.0, "point_value_at_edge": pv_edge,
                         "point_value_change": pv_edge / pv - 1.0})
    return pd.DataFrame(rows, columns=["scheme", "usage_rate", "direction", "edge", "band_beyond", "cost_change",
                                       "volume_change", "point_value_at_edge", "point_value_change"])


def forecast(data: DataSet, params: Params | dict | str | None, hospital_id: str, months: int | None = None,
             ytd: pd.DataFrame | None = None, pv_range: dict | None = None, unc: Uncertainty | dict | None = None,
             seed: int = 0) -> HospitalForecast:
    """The hospital's year-end forecast (see the module's description). `pv_range`: scheme → (low, central,
    high) point values taken as P10 / P50 / P90; default: the settled point value with no range."""
    p = params if isinstance(params, Params) else load_params(params)
    u = unc if isinstance(unc, Uncertainty) else load_uncertainty(unc)
    ids = pd.Index(data.hospitals["hospital_id"])
    if hospital_id not in ids:
        raise ParameterError(Message("forecast_unknown_hospital", hospital=hospital_id))
    h = int(ids.get_loc(hospital_id))
    require_city(data, "what_hospital_forecast")      # its seasonality and point value are the city's
    cases, m = _ytd_cases(data, hospital_id, months, ytd)
    city_stage = case_stage(data, p)
    # score the year-to-date cases with the city's reference (A-15 … A-24)
    yd = DataSet(hospitals=data.hospitals, cases=cases, fund=data.fund, catalogue=data.catalogue,
                 group_level_costs=data.group_level_costs, history=None, aux=data.aux, source=data.source)
    yd.cached("reference", p.digest(*REFERENCE_KEYS), lambda: city_stage.ref)
    ys = case_stage(yd, p)
    ya = ys.agg
    masks = part_masks(ys.scores)
    prop = cost_part(ys.scores)
    hs_case = ys.prep.hosp * 2 + ys.prep.scheme
    prop_parts = {k: np.bincount(hs_case, weights=np.where(mk, prop, 0.0), minlength=ya.n_hs) for k, mk in masks.items()}

    shares, seas = month_shares(data, hospital_id, int(u.get("forecast.min_history_cases")))
    f = shares[:, :m].sum(axis=1)
    if (f <= 0).any():
        raise DipError(Message("forecast_no_history", months=m))
    # the projected year of this hospital: months 1…m as given, months m+1…12 = (YTD ÷ f)·share_k
    base = city_stage.agg
    new = replace(base, count=base.count.astype(float), cost=base.cost.copy(), ffs=base.ffs.copy(),
                  self_pay=base.self_pay.copy(), other=base.other.copy(),
                  parts={k: v.copy() for k, v in base.parts.items()},
                  monthly_parts={k: v.copy() for k, v in base.monthly_parts.items()},
                  monthly_self=base.monthly_self.copy(), monthly_other=base.monthly_other.copy(),
                  monthly_count=base.monthly_count.astype(float), metrics=base.metrics.copy(),
                  type_counts=base.type_counts.copy())
    rest_parts, rest_prop, rest_money = {}, {}, {}
    for si in range(2):
        hs = 2 * h + si
        g = 1.0 / f[si]
        later = np.arange(12) >= m
        prof = np.where(later, shares[si] * g, 0.0)            # per month k > m: annual share ÷ f
        for k in PARTS:
            rest_parts[(si, k)] = ya.parts[k][hs] * (g - 1.0)
            rest_prop[(si, k)] = prop_parts[k][hs] * (g - 1.0)
            new.parts[k][hs] = ya.parts[k][hs] * g
            new.monthly_parts[k][hs] = np.where(later, ya.parts[k][hs] * prof, ya.monthly_parts[k][hs])
        for name, ann, mon in (("count", "count", "monthly_count"), ("self_pay", "self_pay", "monthly_self"),
                               ("other", "other", "monthly_other")):
            getattr(new, ann)[hs] = getattr(ya, ann)[hs] * g
            getattr(new, mon)[hs] = np.where(later, getattr(ya, ann)[hs] * prof, getattr(ya, mon)[hs])
        for name in ("cost", "ffs"):
            getattr(new, name)[hs] = getattr(ya, name)[hs] * g
        new.type_counts[hs] = ya.type_counts[hs] * g
        rest_money[si] = {k: getattr(ya, k)[hs] * (g - 1.0) for k in ("cost", "ffs", "self_pay", "other")}
    new.metrics.iloc[h] = ya.metrics.iloc[h]                  # A-23 metrics of its own cases
    res = settle(data, replace(city_stage, agg=new), p)

    table = res.hospitals
    mine = table[table["hospital_id"] == hospital_id].set_index("scheme")
    if mine.empty:
        raise DipError(Message("forecast_no_cases", hospital=hospital_id, months=m))
    months_tab = res.monthly[res.monthly["hospital_id"] == hospital_id].set_index("scheme")
    i7 = p.interpretation("I-7")
    comps, pv_used = {}, {}
    for si, s in enumerate(SCHEMES):
        if s not in mine.index:
            continue
        row = mine.loc[s]
        K = float(row["hospital_coef"])
        hs = 2 * h + si
        S_y = float(annual_scores({k: ya.parts[k][hs] for k in PARTS}, K, i7))
        S_r = float(annual_scores({k: rest_parts[(si, k)] for k in PARTS}, K, i7))
        S_cost_r = float(annual_scores({k: rest_prop[(si, k)] for k in PARTS}, K, i7))
        cap_room = float(row["retained"] + row["sharing"])
        prepaid_m = months_tab.loc[s, [f"{k:02d}" for k in range(1, 13)]].to_numpy(float)
        comps[s] = Components(
            scheme=s, S_y=S_y, S_r=S_r, S_cost_r=S_cost_r, cost_y=float(ya.cost[hs]), cost_r=rest_money[si]["cost"],
            ffs_y=float(ya.ffs[hs]), ffs_r=rest_money[si]["ffs"],
            self_other_r=rest_money[si]["self_pay"] + rest_money[si]["other"],
            prepaid_y=float(prepaid_m[:m].sum()), S_month_r=S_r, a=float(row["assessment_coef"]),
            share=float(p.get("assessment_share")), pvb=float(row["budget_point_value"]),
            violation=float(row["violation_amount"]), cap_share=float(row["cap_deduction"]) / cap_room if cap_room > 0 else 0.0,
            no_sharing=bool(row["suspended"]) or bool(row["fraud_penalized"]),
            total_score_city=float(res.summary["schemes"][s]["total_score"]))
        pv = float(res.summary["schemes"][s]["settlement_point_value"])
        given = (pv_range or {}).get(s)
        pv_used[s] = tuple(float(v) for v in given) if given is not None else (pv, pv, pv)
        lo, ce, hi = pv_used[s]
        if not (lo <= ce <= hi) or lo <= 0:
            raise ParameterError(Message("forecast_pv_range", scheme=s, low=lo, central=ce, high=hi))

    sd_v, sd_src = extrapolation_sd(data, shares, m, u)
    n = int(u.get("forecast.draws"))
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(0,)))
    z_pv, z_v, z_c = rng.standard_normal((3, n))
    vol = _lognormal(sd_v, z_v)
    cst = _lognormal(float(u.get("forecast.cost_sd")) * (1.0 - float(f.mean())), z_c)
    rows, draws = [], {}
    for s, c in comps.items():
        lo, ce, hi = pv_used[s]
        bands = bands_of(p, s)
        central = evaluate(c, ce, bands)
        d = evaluate(c, _split_normal(lo, ce, hi, z_pv), bands, vol, cst)
        draws[s] = {"pv": _split_normal(lo, ce, hi, z_pv), "final_payment": d["final_payment"],
                    "year_end_settlement": d["year_end_settlement"], "usage_rate": d["usage_rate"]}
        row = {"hospital_id": hospital_id, "scheme": s, "months_elapsed": m, "ytd_share": float(f[SCHEMES.index(s)]),
               "seasonality": seas[SCHEMES.index(s)], "ytd_cases": float(ya.count[2 * h + SCHEMES.index(s)]),
               "projected_cases": float(new.count[2 * h + SCHEMES.index(s)]),
               "pv_low": lo, "pv_central": ce, "pv_high": hi,
               "usage_rate": float(central["usage_rate"][0]), "band": central["band"][0],
               "prepaid_to_date": c.prepaid_y, "prepaid_year": float(central["prepaid"][0])}
        for k in ("final_payment", "year_end_settlement"):
            q = np.quantile(d[k], (0.1, 0.5, 0.9))
            row.update({k: float(central[k][0]), f"{k}_mean": float(d[k].mean()), f"{k}_p10": float(q[0]),
                        f"{k}_p50": float(q[1]), f"{k}_p90": float(q[2])})
        rows.append(row)
    summary = pd.DataFrame(rows)
    monthly = []
    for si, s in enumerate(SCHEMES):
        if s not in comps:
            continue
        hs = 2 * h + si
        for mo in range(12):
            monthly.append({"scheme": s, "month": mo + 1, "actual": mo < m, "cases": float(new.monthly_count[hs, mo]),
                            "prepaid": float(months_tab.loc[s, f"{mo + 1:02d}"]), "share": float(shares[si, mo])})
    return HospitalForecast(hospital_id, str(data.hospitals["name"].iloc[h]), m, int(ys.prep.year), pv_used, seas,
                            {s: float(f[SCHEMES.index(s)]) for s in comps}, sd_v, sd_src, comps, res, summary,
                            _drivers(comps, pv_used, p), pd.DataFrame(monthly), draws)


def pv_range_from_montecarlo(mc) -> dict:
    """scheme → (P10, P50, P90) of the settlement point value of a Monte Carlo run."""
    q = mc.scheme_quantiles()
    q = q[q["metric"] == "settlement_point_value"].set_index("scheme")
    return {s: (float(r["p10"]), float(r["p50"]), float(r["p90"])) for s, r in q.iterrows()}


def write_forecast(fc: HospitalForecast, out) -> list:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"forecast.csv": fc.summary, "drivers.csv": fc.drivers, "monthly.csv": fc.monthly}
    for name, df in files.items():
        write_csv(df, out / name)
    return [out / n for n in files]
