"""Case scores (A-18 … A-21, A-24, A-15 ¶2): each case's type, bucket, deviation ratio and raw score.
Vectorised over whole columns; the order of the decision is docs/rules.md, A-19 … A-21, A-24."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.dataset import SCHEMES, DataSet
from ..errors import InputError, Problem
from ..messages import Message
from ..params import Params
from .catalogue import Reference
from .prepare import Prepared, lookup, resolve_groups
from .rounding import count_half_up

CASE_TYPES = np.array(["normal", "grassroots", "low", "high", "special", "unmatched", "tcm"], dtype=object)
NORMAL, GRASSROOTS, LOW, HIGH, SPECIAL, UNMATCHED, TCM = range(7)
BUCKETS = np.array(["core", "grassroots", "tcm", "special"], dtype=object)
B_CORE, B_GRASSROOTS, B_TCM, B_SPECIAL = range(4)
EPS = 1e-9            # a score difference within float noise of 0 counts as 0 (kept)


@dataclass
class CaseScores:
    group: np.ndarray         # group code, -1 = none
    case_type: np.ndarray     # index into CASE_TYPES
    bucket: np.ndarray        # index into BUCKETS
    ratio: np.ndarray         # R of A-19 (NaN for unmatched and tcm)
    raw: np.ndarray           # raw score before the hospital coefficient
    group_score: np.ndarray   # RW_i·(1+aux) of the case's group (NaN when none)
    lost_grassroots: np.ndarray
    level_cost_missing: int   # cases whose R used the all-category mean
    aux_unknown: int = 0      # cases whose aux_type is not in aux.csv


def _converted(amount: np.ndarray, scheme: np.ndarray, M: float, ref: Reference, p: Params) -> np.ndarray:
    """I-2: "折算分值" of an amount = X / M × 1000, or X / PV_b."""
    if p.interpretation("I-2") == "mean_cost":
        return amount / M * 1000.0
    pv = np.array([ref.budget_point_value.get(s) or np.nan for s in SCHEMES])
    if np.isnan(pv[np.unique(scheme)]).any():
        raise InputError([Problem(Message("where_parameters"), Message("budget_pv_needed"))])
    return amount / pv[scheme]


def _aux_coef(data: DataSet, prep: Prepared) -> tuple[np.ndarray, int]:
    """A-18: each case's auxiliary coefficient (0 when none), and how many cases had an unknown type."""
    if data.aux is None:
        return np.zeros(len(prep.cost)), 0
    table = dict(zip(data.aux["aux_type"], data.aux["aux_coef"].astype(float)))
    coef = np.array([table.get(t, np.nan) for t in prep.aux_types], dtype=float)
    per_case = lookup(prep.aux_code, coef, 0.0)
    return np.nan_to_num(per_case), int(np.isnan(per_case).sum())


def _level_cost(group: np.ndarray, hosp: np.ndarray, categories: np.ndarray, ref: Reference) -> np.ndarray:
    """m_{i,L} of A-19: prior-year mean cost of the case's group in its hospital's category."""
    lc = ref.level_costs
    out = np.full(len(group), np.nan)
    if lc is None or lc.empty:
        return out
    gi = ref.groups.get_indexer(lc["group_id"])
    lc_cats = lc["category"].astype(str).to_numpy()
    cats = pd.Index(pd.unique(np.concatenate([lc_cats, categories.astype(str)])))
    table = np.full((len(ref.catalogue), len(cats)), np.nan)
    ok = gi >= 0
    table[gi[ok], cats.get_indexer(lc_cats)[ok]] = lc["mean_cost"].to_numpy(float)[ok]
    for j, cat in enumerate(cats):                    # level_reimb categories fall back to the level
        base = cat.split("/r")[0]
        if base != cat and base in cats:
            table[:, j] = np.where(np.isnan(table[:, j]), table[:, cats.get_loc(base)], table[:, j])
    case_cat = cats.get_indexer(categories.astype(str))[hosp]
    has = group >= 0
    out[has] = table[group[has], case_cat[has]]
    return out


def _lost_grassroots(prep: Prepared, group: np.ndarray, grass: np.ndarray, p: Params) -> np.ndarray:
    """A-15 ¶2: a transfer (I-12), or a readmission of the same patient with the same group within
    `readmit_days` of the earlier discharge, strips grassroots treatment from both stays. A stay whose
    partner is at a hospital outside the data (a hospital folder) is flagged `readmission_elsewhere`."""
    lost = grass & prep.elsewhere
    if p.interpretation("I-12") == "transfer_flag":
        lost |= grass & prep.transferred
    idx = np.flatnonzero(grass & (prep.patient >= 0))
    if len(idx) < 2:
        return lost
    # one sort key: (patient, group) run, then admission day
    run_key = prep.patient[idx] * (int(group.max()) + 1) + group[idx]
    order = idx[np.argsort(run_key * (1 << 20) + (prep.start[idx] - prep.start[idx].min()), kind="stable")]
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


def _special(prep: Prepared, case_ids: pd.Series, cand: np.ndarray, d: np.ndarray, p: Params) -> np.ndarray:
    """A-20 (I-1): per hospital and scheme (or city-wide per scheme), the top max(1, round(3‰·N))
    cases by score difference d ≥ 0; ties at the cut-off go to the smaller case_id."""
    gk = prep.hosp * 2 + prep.scheme if p.interpretation("I-1") == "per_hospital" else prep.scheme.copy()
    n_groups = int(gk.max()) + 1 if len(gk) else 0
    N = np.bincount(gk[cand], minlength=n_groups)
    k = np.maximum(int(p.get("cases.special_min")), count_half_up(p.get("cases.special_rate"), N))
    idx = np.flatnonzero(cand & (d >= -EPS))
    dd = np.where(d[idx] < 0, 0.0, d[idx])            # float noise around 0 counts as 0 (kept)
    order = np.lexsort((-dd, gk[idx]))
    idx, dd = idx[order], dd[order]
    g = gk[idx]
    first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1] if len(g) else np.array([], int)
    size = np.diff(np.r_[first, len(g)])
    rank = np.arange(len(g)) - np.repeat(first, size)
    chosen = rank < k[g]
    # a tie straddling the cut-off: among the tied cases, the smallest case_ids win
    last = first + np.minimum(k[g[first]], size) - 1
    tied = (last + 1 < first + size) & (dd[np.minimum(last + 1, len(dd) - 1)] == dd[last])
    for f, lst, n in zip(first[tied], last[tied], size[tied]):
        block = np.arange(f, f + n)
        same = block[dd[block] == dd[lst]]
        take = int(chosen[same].sum())
        ids = case_ids.iloc[idx[same]].astype(str).to_numpy()
        chosen[same] = False
        chosen[same[np.argsort(ids, kind="stable")[:take]]] = True
    out = np.zeros(len(cand), bool)
    out[idx[chosen]] = True
    return out


def score_cases(data: DataSet, prep: Prepared, ref: Reference, categories: np.ndarray, p: Params) -> CaseScores:
    cat = ref.catalogue
    M = ref.mean_cost
    group = resolve_groups(data.cases, prep.group_code, prep.group_ids, prep.has_dx, ref.groups,
                           int(p.get("catalogue.dx_key_length")))
    has_group = group >= 0
    gsafe = np.where(has_group, group, 0)
    aux, aux_unknown = _aux_coef(data, prep)
    rw_eff = cat["rw_eff"].to_numpy(float)
    gscore = np.where(has_group, rw_eff[gsafe] * (1.0 + aux), np.nan)

    # A-19 ratio R against the prior-year level cost (all-category mean when missing)
    m_level = _level_cost(group, prep.hosp, categories, ref)
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
    special = _special(prep, data.cases["case_id"], cand, d, p)
    # 5 (decided first, applied below). grassroots (A-15 ¶2, I-12): who keeps grassroots treatment
    grass_group = has_group & cat["grassroots"].to_numpy(bool)[gsafe]
    lost = _lost_grassroots(prep, group, grass_group, p)   # any stay, whatever its type
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
    ratio = np.where(unmatched | lost_unm | tcm, np.nan, R)
    return CaseScores(group, ctype, bucket, ratio, raw, gscore, lost & grass_group,
                      int(fallback[~unmatched].sum()), aux_unknown)
