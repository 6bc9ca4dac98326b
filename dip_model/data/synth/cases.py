"""Cases and history: the stays of one year (volumes, diagnosis, hospital, treatment, age, scheme,
aux), their costs, dates, fund shares and flags; in the current year also unknown groups,
readmissions and TCM-advantage stays."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .calibration import (
    AGE_PROFILES,
    AUX,
    COST_GROWTH,
    FFS_RATIO,
    LEVEL_COST,
    LEVEL_PROC,
    LEVEL_TRANSFER,
    MIX_MU,
    MIX_P,
    MIX_SD,
    MONTH_WEIGHT,
    YEAR,
)
from .hospitals import hospital_choice


def year_stays(n: int, year: int, ctx: dict, pid0: int, rng) -> dict[str, Any]:
    """All stays of one year (the current year with readmissions and unknown groups): one array per
    column, and "year" (an int)."""
    h = ctx["hosp"]
    active = np.ones(len(h)) if year == YEAR else (~h["is_new"].to_numpy()).astype(float)
    st: dict[str, Any] = _draw_stays(n, ctx, active, rng)
    st["patient"] = pid0 + np.arange(n)
    pairs: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    if year == YEAR:
        _inject_unknown(st, ctx, rng)
        pairs = _readmission_pairs(st, ctx, rng)
        _copy_patient(st, *pairs[0], True, ctx, rng)
        _copy_patient(st, *pairs[1], False, ctx, rng)
    _flags(st, ctx, rng)
    st["cost"] = _raw_cost(st, year, ctx, rng)
    _dates(st, year, ctx, rng)
    if pairs is not None:
        _readmission_dates(st, *pairs[0], rng)
    st["year"] = year
    return st


# ---------------------------------------------------------------- one year of stays

def _draw_stays(n: int, ctx: dict, active: np.ndarray, rng) -> dict[str, np.ndarray]:
    """Diagnosis, hospital, treatment key, age, scheme and aux type of n stays."""
    dx = rng.choice(len(ctx["dx"]), n, p=ctx["p_dx"])
    hosp = np.empty(n, dtype=np.int64)
    profile, probs = hospital_choice(ctx["hosp"], ctx["dx"], active)
    order = np.argsort(profile[dx], kind="stable")            # stays grouped by profile
    bounds = np.cumsum(np.bincount(profile[dx], minlength=len(probs)))
    for k, p in enumerate(probs):                             # a few dozen profiles
        idx = order[(bounds[k - 1] if k else 0): bounds[k]]
        hosp[idx] = rng.choice(len(p), len(idx), p=p)
    key = _draw_treatment(dx, hosp, ctx, rng)
    age = _draw_age(ctx["dx"]["age_code"].to_numpy()[dx], rng)
    return {"dx": dx, "hosp": hosp, "key": key, "age": age,
            "scheme": _draw_scheme(age, rng), "aux": _draw_aux(dx, age, ctx, rng)}


def _draw_treatment(dx, hosp, ctx, rng) -> np.ndarray:
    """Conservative, or a procedure option; hospitals of lower level operate less."""
    lvl = ctx["hosp"]["_lvl"].to_numpy()[hosp]
    p = np.clip(ctx["dx"]["p_proc"].to_numpy()[dx] * LEVEL_PROC[lvl], 0, 0.98)
    key = ctx["cons"][dx].copy()
    op = rng.random(len(dx)) < p
    opt, cum = ctx["sampler"]
    pos = np.searchsorted(cum, dx[op] + rng.random(int(op.sum())), side="right")
    key[op] = opt[pos]
    return key


def _draw_age(profile: np.ndarray, rng) -> np.ndarray:
    """Age in years by the diagnosis's age profile (codes into AGE_PROFILES)."""
    age = np.zeros(len(profile))
    for p, spec in enumerate(AGE_PROFILES.values()):
        m = profile == p
        if spec == "child":
            age[m] = np.minimum(rng.exponential(3.5, int(m.sum())), 14)
        elif isinstance(spec, tuple):                         # newborns (None) stay 0
            mu, sd, lo, hi = spec
            age[m] = np.clip(rng.normal(mu, sd, int(m.sum())), lo, hi)
    return np.floor(age).astype(np.int64)


def _draw_scheme(age: np.ndarray, rng) -> np.ndarray:
    """0 employee / 1 resident: children are residents; working age and retirees split."""
    p_emp = np.select([age < 18, age < 60], [0.0, 0.41], 0.35)
    return (rng.random(len(age)) >= p_emp).astype(np.int64)


def _draw_aux(dx, age, ctx, rng) -> np.ndarray:
    """Aux type code (0 none, 1.. = AUX order): severity, age bands; the highest applies."""
    n = len(dx)
    tier = ctx["dx"]["tier_code"].to_numpy()[dx]
    u = rng.random(n)
    sev3 = u < np.array([0.01, 0.03, 0.08])[tier]
    sev2 = ~sev3 & (u < np.array([0.06, 0.11, 0.20])[tier])
    newborn = (ctx["dx"]["age_code"].to_numpy()[dx] == list(AGE_PROFILES).index("N")) \
        & (rng.random(n) < 0.6)
    old = (age >= 65) & (rng.random(n) < 0.25)
    return np.select([newborn, sev3, sev2, old], [4, 2, 1, 3], 0)


# ---------------------------------------------------------------- costs and dates

def _raw_cost(st: dict, year: int, ctx: dict, rng) -> np.ndarray:
    """Cost before the city-wide scale: group x level x hospital x year x aux x noise."""
    keys, h = ctx["keys"], ctx["hosp"]
    lvl_cost = LEVEL_COST[h["_lvl_prior"].to_numpy()[st["hosp"]]]
    base = ctx["dx"]["base"].to_numpy()[st["dx"]] * keys["mult"].to_numpy()[st["key"]]
    aux_coef = np.array([0.0] + [c for _, c in AUX])[st["aux"]]
    s = keys["spread"].to_numpy()[st["key"]] * h["_spread"].to_numpy()[st["hosp"]]
    comp = rng.choice(3, len(s), p=MIX_P)
    z = s * (MIX_MU[comp] + MIX_SD[comp] * rng.standard_normal(len(s)))
    norm = (MIX_P[None, :] * np.exp(s[:, None] * MIX_MU + (s[:, None] * MIX_SD) ** 2 / 2)).sum(1)
    cost = base * lvl_cost * h["_eff"].to_numpy()[st["hosp"]] * np.exp(z) / norm
    cost *= (1 + 1.2 * aux_coef) * np.where(st["transferred"], 0.7, 1.0)
    st["_ratio"] = np.exp(z) / norm                            # for the length of stay
    return cost / COST_GROWTH ** (YEAR - year)


def _dates(st: dict, year: int, ctx: dict, rng) -> None:
    """Discharge date (seasonal), length of stay and admission date."""
    n = len(st["dx"])
    starts = np.arange(f"{year}-01", f"{year + 1}-01", dtype="datetime64[M]").astype("datetime64[D]")
    ends = np.append(starts[1:], np.datetime64(f"{year + 1}-01-01"))
    month = rng.choice(12, n, p=MONTH_WEIGHT / MONTH_WEIGHT.sum())
    if year == YEAR:                                          # suspended in September
        cut = ctx["hosp"]["suspended"].to_numpy()[st["hosp"]]
        month[cut] = rng.integers(0, 8, int(cut.sum()))
    days = (ends - starts).astype(np.int64)
    st["discharge"] = starts[month] + np.floor(rng.random(n) * days[month]).astype(np.int64)
    typical = ctx["dx"]["base"].to_numpy()[st["dx"]] * ctx["keys"]["mult"].to_numpy()[st["key"]]
    base_los = np.clip(2.5 + 6.5 * np.sqrt(typical / 8000), 2, 25)
    los = base_los * st["_ratio"] ** 0.55 * rng.lognormal(0, 0.25, n)
    st["los"] = np.clip(np.round(los), 1, 120).astype(np.int64)
    st["admit"] = st["discharge"] - st["los"]


def fund_share(st: dict, ctx: dict, rng) -> None:
    """ffs_fund (<= total_cost) and self_pay, by scheme and hospital level."""
    h = ctx["hosp"]
    lvl = h["_lvl"].to_numpy()[st["hosp"]]
    ratio = FFS_RATIO[st["scheme"], lvl] + h["_ffs_dev"].to_numpy()[st["hosp"]]
    ratio = np.clip(ratio + rng.normal(0, 0.035, len(lvl)), 0.3, 0.9)
    st["ffs_fund"] = np.minimum(np.round(st["cost"] * ratio, 2), st["cost"])
    st["self_pay"] = np.round(st["cost"] - st["ffs_fund"], 2)


def _flags(st: dict, ctx: dict, rng) -> None:
    """Transfers (~1 %), quality-control failures (~1.5 %), late uploads (~0.5 %)."""
    n = len(st["dx"])
    lvl = ctx["hosp"]["_lvl"].to_numpy()[st["hosp"]]
    st["transferred"] = rng.random(n) < 0.01 * LEVEL_TRANSFER[lvl] / 0.9
    st["qc_pass"] = rng.random(n) >= 0.015
    st["uploaded_on_time"] = rng.random(n) >= 0.005
    st["tcm_advantage"] = np.zeros(n, dtype=bool)


# ---------------------------------------------------------------- the current year

def _inject_unknown(st: dict, ctx: dict, rng) -> None:
    """~0.15 % of stays get a key no catalogue has (new diagnosis or procedure combination)."""
    novel = np.flatnonzero(ctx["keys"]["w"].to_numpy() == 0)
    novel = novel[~np.isin(novel, ctx["cons"][~ctx["dx"]["new"].to_numpy()])]
    n = len(st["dx"])
    idx = rng.choice(n, max(3, round(0.0015 * n)), replace=False)
    st["key"][idx] = rng.choice(novel, len(idx))
    st["dx"][idx] = ctx["keys"]["dx"].to_numpy()[st["key"][idx]]


def _readmission_pairs(st: dict, ctx: dict, rng) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Pick stays to copy: ~1.5 % same-group readmissions, ~3 % other stays of a patient;
    ((earlier, later) of the readmissions, (earlier, later) of the other stays)."""
    n = len(st["dx"])
    ok = np.flatnonzero(~ctx["hosp"]["suspended"].to_numpy()[st["hosp"]])
    k_same, k_other = max(4, round(0.015 * n)), round(0.03 * n)
    # chronic, basic conditions come back most: weight basic-tier stays 3x (weighted sampling
    # without replacement by the largest log(u) / w)
    w = np.where(ctx["dx"]["tier_code"].to_numpy()[st["dx"][ok]] == 0, 3.0, 1.0)
    score = np.log(rng.random(len(ok))) / w
    top = np.argpartition(-score, 2 * k_same - 1)[: 2 * k_same]
    same = ok[top[np.argsort(-score[top], kind="stable")]]
    rest = np.ones(len(ok), dtype=bool)
    rest[top] = False
    other = rng.permutation(ok[rest])[: 2 * k_other]
    prof = ctx["dx"]["age_code"].to_numpy()[st["dx"]]
    other = other[np.argsort(prof[other], kind="stable")]  # pair stays of one age profile
    src, dst = other[0::2], other[1::2]
    keep = prof[src] == prof[dst]
    return (same[0::2], same[1::2]), (src[keep], dst[keep])


def _copy_patient(st: dict, src, dst, same_group: bool, ctx: dict, rng) -> None:
    """The later stay takes the earlier stay's patient (and group, for a readmission)."""
    for col in ("patient", "age", "scheme"):
        st[col][dst] = st[col][src]
    if same_group:
        st["dx"][dst], st["key"][dst] = st["dx"][src], st["key"][src]
        # 1 in 5 comes back to another hospital: a general one, as busy as the stays show
        general = ctx["hosp"]["type"].to_numpy()[st["hosp"][dst]] == "general"
        other = st["hosp"][dst][general] if general.any() else st["hosp"][src]
        moved = rng.random(len(dst)) < 0.2
        st["hosp"][dst] = np.where(moved, rng.choice(other, len(dst)), st["hosp"][src])


def _readmission_dates(st: dict, src, dst, rng) -> None:
    """Readmitted 0-30 days after discharge (about 2 in 3 within 14 days), in the year."""
    gap = np.where(rng.random(len(src)) < 0.65, rng.integers(0, 15, len(src)),
                   rng.integers(15, 31, len(src)))
    admit = st["discharge"][src] + gap
    over = np.maximum((admit + st["los"][dst] - np.datetime64(f"{YEAR}-12-31")).astype(np.int64), 0)
    for col in ("admit", "discharge"):
        st[col][src] -= over
    st["admit"][dst] = admit - over
    st["discharge"][dst] = st["admit"][dst] + st["los"][dst]


def tcm_cases(st: dict, ctx: dict, groups: pd.DataFrame, rng) -> None:
    """TCM-advantage stays: about a third of TCM-standard group stays at TCM hospitals."""
    has_std = groups["tcm_standard"].notna().to_numpy()
    gidx = ctx["key_group"][st["key"]]
    in_std = (gidx >= 0) & has_std[np.maximum(gidx, 0)]
    at_tcm = ctx["hosp"]["type"].to_numpy()[st["hosp"]] == "tcm"
    st["tcm_advantage"] = in_std & at_tcm & (rng.random(len(gidx)) < 0.35)
