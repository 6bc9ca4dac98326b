"""Case scores (A-18 … A-21, A-24, A-15 ¶2): each case's type, bucket, deviation ratio and raw score.
Vectorised over whole columns; the order of the decision is RULES.md section 3."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalogue import Reference
from .dataset import DataSet, SCHEMES
from .errors import InputError, Problem
from .grouping import assign_groups
from .params import Params, per_scheme
from .rounding import count_half_up

CASE_TYPES = np.array(["normal", "grassroots", "low", "high", "special", "unmatched", "tcm"], dtype=object)
NORMAL, GRASSROOTS, LOW, HIGH, SPECIAL, UNMATCHED, TCM = range(7)
BUCKETS = np.array(["core", "grassroots", "tcm", "special"], dtype=object)
B_CORE, B_GRASSROOTS, B_TCM, B_SPECIAL = range(4)
EPS = 1e-9            # a score difference within float noise of 0 counts as 0 (kept)


@dataclass
class Prepared:
    """Case columns as arrays, built once per dataset (no parameter touches these)."""
    hosp: np.ndarray          # hospital row index
    scheme: np.ndarray        # 0 employee, 1 resident
    month: np.ndarray         # 0..11, from discharge_date
    year: int                 # settlement year
    rank: np.ndarray          # rank of case_id (A-20 tie-break)
    cost: np.ndarray
    ffs: np.ndarray
    ffs_amount: np.ndarray
    self_pay: np.ndarray
    other: np.ndarray
    qc_ok: np.ndarray         # passed QC and uploaded on time
    tcm_flag: np.ndarray
    transferred: np.ndarray
    patient: np.ndarray       # patient code, -1 when unknown
    start: np.ndarray         # admission day (discharge day when missing)
    end: np.ndarray           # discharge day
    age: np.ndarray
    aux_type: np.ndarray      # object


def prepare(data: DataSet) -> Prepared:
    c, h = data.cases, data.hospitals
    hosp = pd.Index(h["hospital_id"]).get_indexer(c["hospital_id"])
    scheme = (c["scheme"].to_numpy() == "resident").astype(np.int8)
    dd = c["discharge_date"]
    years = dd.dt.year.to_numpy()
    year = int(np.bincount(years - years.min()).argmax() + years.min()) if len(years) else 2024
    if len(np.unique(years)) > 1:
        data.warnings.append(f"cases.csv has discharges outside {year}: each is settled in {year} by its month")
    end = (dd.to_numpy("datetime64[D]")).astype(np.int64)
    ad = c["admit_date"]
    start = np.where(ad.isna().to_numpy(), end, ad.to_numpy("datetime64[D]").astype(np.int64))
    cost = c["total_cost"].to_numpy(float)
    ffs = c["ffs_fund"].to_numpy(float)
    other = c["other_insurance"].fillna(0).to_numpy(float)
    self_pay = c["self_pay"].to_numpy(float)
    self_pay = np.where(np.isnan(self_pay), cost - ffs - other, self_pay)     # A-32 default
    fa = c["ffs_amount"].to_numpy(float)
    pid = c["patient_id"]
    patient = pd.factorize(pid, use_na_sentinel=True)[0]
    return Prepared(
        hosp=hosp.astype(np.int64), scheme=scheme, month=(dd.dt.month.to_numpy() - 1).astype(np.int64), year=year,
        rank=np.argsort(np.argsort(c["case_id"].to_numpy(dtype=str), kind="stable"), kind="stable"),
        cost=cost, ffs=ffs, ffs_amount=np.where(np.isnan(fa), cost, fa), self_pay=self_pay, other=other,
        qc_ok=(c["qc_pass"].to_numpy(bool) & c["uploaded_on_time"].to_numpy(bool)),
        tcm_flag=c["tcm_advantage"].to_numpy(bool), transferred=c["transferred"].to_numpy(bool),
        patient=patient.astype(np.int64), start=start.astype(np.int64), end=end.astype(np.int64),
        age=c["age"].to_numpy(float), aux_type=c["aux_type"].to_numpy(object),
    )


@dataclass
class CaseScores:
    group: np.ndarray         # group code, -1 = none
    case_type: np.ndarray     # index into CASE_TYPES
    bucket: np.ndarray        # index into BUCKETS
    ratio: np.ndarray         # R of A-19 (NaN for unmatched and tcm)
    raw: np.ndarray           # raw score before the hospital coefficient
    group_score: np.ndarray   # RW_i·(1+aux) of the case's group (NaN when none)
    category: np.ndarray      # hospital category of the case (object)
    lost_grassroots: np.ndarray
    level_cost_missing: int   # cases whose R used the all-category mean


def _converted(amount: np.ndarray, scheme: np.ndarray, M: float, ref: Reference, p: Params) -> np.ndarray:
    """I-2: "折算分值" of an amount = X / M × 1000, or X / PV_b."""
    if p.interpretation("I-2") == "mean_cost":
        return amount / M * 1000.0
    pv = np.array([ref.budget_point_value.get(s) or np.nan for s in SCHEMES])
    if np.isnan(pv[np.unique(scheme)]).any():
        raise InputError([Problem("(parameters)", "I-2 = budget_point_value needs a budget point value "
                                  "(budget_point_value parameter or history.csv)")])
    return amount / pv[scheme]


def _aux_coef(data: DataSet, prep: Prepared) -> np.ndarray:
    """A-18: each case's auxiliary coefficient (0 when none)."""
    if data.aux is None:
        return np.zeros(len(prep.cost))
    table = dict(zip(data.aux["aux_type"], data.aux["aux_coef"].astype(float)))
    s = pd.Series(prep.aux_type)
    unknown = s.notna() & ~s.isin(list(table))
    if unknown.any():
        data.warnings.append(f"{int(unknown.sum())} case(s) carry an aux_type not in aux.csv (coefficient 0 used)")
    return s.map(table).fillna(0.0).to_numpy(float)


def _level_cost(group: np.ndarray, category: np.ndarray, ref: Reference) -> np.ndarray:
    """m_{i,L} of A-19: prior-year mean cost of the case's group in its hospital's category."""
    lc = ref.level_costs
    out = np.full(len(group), np.nan)
    if lc is None or lc.empty:
        return out
    gi = ref.groups.get_indexer(lc["group_id"])
    cats = pd.Index(pd.unique(np.concatenate([lc["category"].astype(str).to_numpy(), np.unique(category.astype(str))])))
    table = np.full((len(ref.catalogue), len(cats)), np.nan)
    ok = gi >= 0
    table[gi[ok], cats.get_indexer(lc["category"].astype(str))[ok]] = lc["mean_cost"].to_numpy(float)[ok]
    # level_reimb categories fall back to the level alone
    base = cats.str.split("/r").str[0]
    for j, b in enumerate(base):
        if b != cats[j] and b in cats:
            col = table[:, j]
            table[:, j] = np.where(np.isnan(col), table[:, cats.get_loc(b)], col)
    has = group >= 0
    out[has] = table[group[has], cats.get_indexer(category[has].astype(str))]
    return out


def _lost_grassroots(prep: Prepared, group: np.ndarray, grass: np.ndarray, p: Params) -> np.ndarray:
    """A-15 ¶2: a transfer (I-12), or a readmission of the same patient with the same group within
    `readmit_days` of the earlier discharge, strips grassroots treatment from both stays."""
    lost = np.zeros(len(group), bool)
    if p.interpretation("I-12") == "transfer_flag":
        lost |= grass & prep.transferred
    idx = np.flatnonzero(grass & (prep.patient >= 0))
    if len(idx) < 2:
        return lost
    order = idx[np.lexsort((prep.end[idx], prep.start[idx], group[idx], prep.patient[idx]))]
    pat, grp, st, en = prep.patient[order], group[order], prep.start[order], prep.end[order]
    new_run = np.r_[True, (pat[1:] != pat[:-1]) | (grp[1:] != grp[:-1])]
    run = np.cumsum(new_run)
    big = np.int64(1 << 32)
    # latest discharge among the earlier stays of the run (offset by run so max stays inside it)
    key = run.astype(np.int64) * big + en
    prev_max = np.r_[np.int64(-1), np.maximum.accumulate(key)[:-1]]
    same = ~new_run
    days = int(p.get("cases.readmit_days"))
    later = same & ((run.astype(np.int64) * big + st) - prev_max <= days)
    # an earlier stay is caught when the next stay of its run starts within the window
    nxt_same = np.r_[same[1:], False]
    nxt_start = np.r_[st[1:], 0]
    earlier = nxt_same & (nxt_start - en <= days)
    lost[order[later | earlier]] = True
    return lost


def _special(prep: Prepared, cand: np.ndarray, d: np.ndarray, p: Params) -> np.ndarray:
    """A-20 (I-1): per hospital and scheme (or city-wide per scheme), the top max(1, round(3‰·N))
    cases by score difference d ≥ 0; ties by case_id."""
    gk = prep.hosp * 2 + prep.scheme if p.interpretation("I-1") == "per_hospital" else prep.scheme.astype(np.int64)
    n_groups = int(gk.max()) + 1 if len(gk) else 0
    N = np.bincount(gk[cand], minlength=n_groups)
    k = np.maximum(int(p.get("cases.special_min")), count_half_up(p.get("cases.special_rate"), N))
    pos_ = cand & (d >= -EPS)
    idx = np.flatnonzero(pos_)
    order = idx[np.lexsort((prep.rank[idx], -d[idx], gk[idx]))]
    g = gk[order]
    first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    start = np.repeat(first, np.diff(np.r_[first, len(g)]))
    rank_in_group = np.arange(len(g)) - start
    out = np.zeros(len(cand), bool)
    out[order[rank_in_group < k[g]]] = True
    return out


def score_cases(data: DataSet, prep: Prepared, ref: Reference, categories: np.ndarray, p: Params) -> CaseScores:
    cat = ref.catalogue
    M = ref.mean_cost
    gid = assign_groups(data.cases, ref.groups, int(p.get("catalogue.dx_key_length")))
    group = ref.groups.get_indexer(gid.to_numpy())
    has_group = group >= 0
    gsafe = np.where(has_group, group, 0)
    aux = _aux_coef(data, prep)
    rw_eff = cat["rw_eff"].to_numpy(float)
    gscore = np.where(has_group, rw_eff[gsafe] * (1.0 + aux), np.nan)
    case_cat = categories[prep.hosp]

    # A-19 ratio R against the prior-year level cost (all-category mean when missing)
    m_level = _level_cost(group, case_cat, ref)
    fallback = has_group & np.isnan(m_level)
    m_level = np.where(fallback, cat["rw"].to_numpy(float)[gsafe] / 1000.0 * M, m_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        R = np.where(has_group, prep.cost / m_level, np.nan)

    # 1. unmatched
    unmatched = ~prep.qc_ok | ~has_group
    # 2. TCM advantage
    tcm_std = cat["tcm_standard"].to_numpy(float)[gsafe]
    tcm = ~unmatched & prep.tcm_flag & has_group & ~np.isnan(tcm_std)
    # 3. special
    cand = ~unmatched & ~tcm
    cost_score = prep.cost / M * 1000.0
    d = np.where(cand, cost_score - gscore, -np.inf)
    special = _special(prep, cand, d, p)
    # 5 (decided first, applied below). grassroots (A-15 ¶2, I-12): who keeps grassroots treatment
    grass_group = has_group & cat["grassroots"].to_numpy(bool)[gsafe]
    lost = _lost_grassroots(prep, group, grass_group & prep.qc_ok, p)
    rest = cand & ~special
    keeps = rest & grass_group & ~lost
    lost_unm = rest & grass_group & lost & (p.interpretation("I-3") == "unmatched")   # I-3 alternative
    # 4. deviation (A-19, I-11)
    dev = rest & ~lost_unm
    if p.interpretation("I-11") == "inclusive":
        low = dev & (R <= p.get("cases.low_ratio"))
        high = dev & (R >= p.get("cases.high_ratio"))
    else:
        low = dev & (R < p.get("cases.low_ratio"))
        high = dev & (R > p.get("cases.high_ratio"))

    ctype = np.full(len(group), NORMAL, np.int8)
    ctype[keeps] = GRASSROOTS
    ctype[low] = LOW
    ctype[high] = HIGH
    ctype[special] = SPECIAL
    ctype[tcm] = TCM
    ctype[unmatched | lost_unm] = UNMATCHED

    unmatched_score = cost_score * p.get("cases.unmatched_factor")
    raw = gscore.copy()                                                            # A-16 normal / grassroots
    raw = np.where(high, (R - 1.0) * gscore, raw)                                  # A-19 (二)
    raw = np.where(low, _converted(prep.ffs_amount * p.get("cases.low_factor"), prep.scheme, M, ref, p), raw)
    raw = np.where(special, cost_score, raw)
    raw = np.where(tcm, _converted(np.nan_to_num(tcm_std), prep.scheme, M, ref, p), raw)
    raw = np.where(unmatched | lost_unm, unmatched_score, raw)

    bucket = np.full(len(group), B_CORE, np.int8)                                  # terms
    bucket[keeps] = B_GRASSROOTS
    bucket[special] = B_SPECIAL
    bucket[tcm] = B_TCM
    ratio = np.where(unmatched | tcm, np.nan, R)
    return CaseScores(group, ctype, bucket, ratio, raw, gscore, case_cat, lost & grass_group,
                      int(fallback[~unmatched].sum()))
