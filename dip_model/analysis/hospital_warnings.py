"""偏差病例预警 and 特殊病例候选: a hospital's cases near the A-19 thresholds, and its cases ranked by the
A-20 criterion against the 3‰ quota.

Deviation warnings (A-19). R = cost / m_{i,L}; a case is low below `cases.low_ratio` (0.5) and high above
`cases.high_ratio` (2), strict or inclusive by I-11 — the engine's case type decides the side. Zones, with
windows w_low (0.1) and w_high (0.2) in units of R:

    low_far    low,    R < low − w_low             near_low   normal, low ≤ R < low + w_low
    low_edge   low,    low − w_low ≤ R < low        near_high  normal, high − w_high ≤ R ≤ high
    high_edge  high,   high < R ≤ high + w_high     high_far   high,   R > high + w_high

For every such case, the score it has and the score it would have on the other side of its threshold at the
same cost, by the engine's own rules: a normal case scores its group score RW·(1+aux) (A-16, A-18); as a
low case conv(low_factor · ffs_amount) (A-19 (一), I-2 through case_scores' conversion); as a high case
(R − 1) · RW·(1+aux) (A-19 (二)). Both are also given weighted (× the hospital coefficient where A-34.1
applies it, I-7), in yuan (× the settlement point value) and as the change of the case's payment under the
allocation of hospital_cases (× the fund payment per weighted point); and the cost change that would move
R onto the threshold (threshold · m_{i,L} − cost).

Special-case candidates (A-20). d = cost / M × 1000 − RW·(1+aux) over the cases that are neither unmatched
nor TCM; per hospital and scheme (I-1 per_hospital; per scheme across the city under `city`) the top
k = max(special_min, round_half_up(special_rate · N)) with d ≥ 0 are special. Listed: the hospital's
special cases (the engine's choice) and the next `extra` in line, with the score as a special case (its
cost converted, no coefficient) against the score it has, or would have, otherwise."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import SCHEMES
from ..errors import DipError
from ..messages import Message
from ..rules.case_scores import B_CORE, B_GRASSROOTS, EPS, GRASSROOTS, HIGH, LOW, NORMAL, SPECIAL, TCM, _converted
from ..rules.rounding import count_half_up
from .hospital_cases import case_margins, hospital_row, memo, settled_rows, takes_coefficient

ZONES = ("near_low", "near_high", "low_edge", "high_edge", "low_far", "high_far")
LOW_WINDOW, HIGH_WINDOW = 0.1, 0.2
EXTRA = 10                   # special-case candidates listed after the quota


def _case_arrays(res, frame: pd.DataFrame) -> dict:
    """The engine's per-case arrays for the rows of a case_margins frame."""
    st = res.stage
    idx = frame["case_row"].to_numpy()
    return {"idx": idx, "ctype": st.scores.case_type[idx], "bucket": st.scores.bucket[idx],
            "gscore": st.scores.group_score[idx], "ffs_amount": st.prep.ffs_amount[idx],
            "scheme": st.prep.scheme[idx], "group": st.scores.group[idx]}


def low_score(res, ffs_amount: np.ndarray, scheme: np.ndarray) -> np.ndarray:
    """A-19 (一): the score of a low case, conv(low_factor · ffs_amount) (I-2), as case_scores computes it."""
    p, ref = res.params, res.stage.ref
    return _converted(ffs_amount * p.get("cases.low_factor"), scheme, ref.mean_cost, ref, p)


def deviation_zones(ctype: np.ndarray, ratio: np.ndarray, low: float, high: float,
                    w_low: float = LOW_WINDOW, w_high: float = HIGH_WINDOW) -> np.ndarray:
    """Zone of each case (module docstring), "" for a case outside every window or not a deviation
    candidate (special, TCM, unmatched)."""
    r = np.where(np.isfinite(ratio), ratio, np.nan)
    normal = (ctype == NORMAL) | (ctype == GRASSROOTS)
    is_low, is_high = ctype == LOW, ctype == HIGH
    with np.errstate(invalid="ignore"):
        conds = [normal & (r >= low) & (r < low + w_low), normal & (r >= high - w_high) & (r <= high),
                 is_low & (r >= low - w_low), is_high & (r <= high + w_high), is_low, is_high]
    return np.select(conds, ZONES, default="").astype(object)


def deviation_warnings(res, hospital_id: str, schemes=None, w_low: float = LOW_WINDOW,
                       w_high: float = HIGH_WINDOW) -> pd.DataFrame:
    """The hospital's cases in the A-19 zones, nearest to their threshold first within each zone (zones in
    ZONES order). Columns: case_id, scheme, group_id, zone, case_type, ratio, threshold, total_cost,
    level_cost, cost_to_threshold, score_now, score_other, score_diff, weighted_now, weighted_other,
    weighted_diff, point_value, yuan_now, yuan_other, yuan_diff, payment_diff (and department / doctor
    when the cases have them)."""
    return memo(res, f"deviation:{hospital_id}:{schemes}:{w_low}:{w_high}",
                lambda: _deviation_warnings(res, hospital_id, schemes, w_low, w_high))


def _deviation_warnings(res, hospital_id, schemes, w_low, w_high) -> pd.DataFrame:
    p = res.params
    low, high = float(p.get("cases.low_ratio")), float(p.get("cases.high_ratio"))
    frame = case_margins(res, hospital_id, schemes)
    a = _case_arrays(res, frame)
    ratio = frame["ratio"].to_numpy()
    zone = deviation_zones(a["ctype"], ratio, low, high, w_low, w_high)
    sel = zone != ""
    f = frame[sel]
    bucket, gscore = a["bucket"][sel], a["gscore"][sel]
    z, r = zone[sel], ratio[sel]
    to_low = z == "near_low"
    to_high = z == "near_high"
    other_type = np.where(to_low, LOW, np.where(to_high, HIGH, NORMAL))
    other = np.where(to_low, low_score(res, a["ffs_amount"][sel], a["scheme"][sel]),
                     np.where(to_high, (r - 1.0) * gscore, gscore))
    K = _hospital_coef(res, hospital_id, f["scheme"])
    w_other = other * np.where(takes_coefficient(bucket, other_type, p.interpretation("I-7")), K, 1.0)
    threshold = np.where(np.isin(z, ("near_low", "low_edge", "low_far")), low, high)
    now, w_now = f["raw_score"].to_numpy(), f["weighted_score"].to_numpy()
    pv, per_point = f["point_value"].to_numpy(), f["per_point"].to_numpy()
    out = pd.DataFrame({
        "case_id": f["case_id"].to_numpy(), "scheme": f["scheme"].to_numpy(), "group_id": f["group_id"].to_numpy(),
        "zone": z, "case_type": f["case_type"].to_numpy(), "ratio": r, "threshold": threshold,
        "total_cost": f["total_cost"].to_numpy(), "level_cost": f["level_cost"].to_numpy(),
        "cost_to_threshold": threshold * f["level_cost"].to_numpy() - f["total_cost"].to_numpy(),
        "score_now": now, "score_other": other, "score_diff": other - now,
        "weighted_now": w_now, "weighted_other": w_other, "weighted_diff": w_other - w_now,
        "point_value": pv, "yuan_now": w_now * pv, "yuan_other": w_other * pv, "yuan_diff": (w_other - w_now) * pv,
        "payment_diff": (w_other - w_now) * per_point,
    })
    for col in ("department", "doctor"):
        if col in f.columns:
            out[col] = f[col].to_numpy()
    order = np.lexsort((out["case_id"].astype(str).to_numpy(), np.abs(r - threshold),
                        pd.Index(ZONES).get_indexer(z)))
    return out.iloc[order].reset_index(drop=True)


def _hospital_coef(res, hospital_id: str, scheme: pd.Series) -> np.ndarray:
    """The hospital coefficient K of each row's scheme (res.hospitals)."""
    k = settled_rows(res, hospital_id)["hospital_coef"].astype(float)
    return pd.Series(scheme.astype(str).to_numpy()).map(k).to_numpy(float)


def zone_summary(warnings: pd.DataFrame) -> pd.DataFrame:
    """Per zone (ZONES order, every zone listed): cases, total_cost and the sums of yuan_now, yuan_other,
    yuan_diff and payment_diff."""
    cols = ["total_cost", "yuan_now", "yuan_other", "yuan_diff", "payment_diff"]
    g = warnings.groupby("zone")[cols].sum().reindex(list(ZONES), fill_value=0.0)
    g.insert(0, "cases", warnings.groupby("zone").size().reindex(list(ZONES), fill_value=0).astype(np.int64))
    return g.reset_index()


def special_candidates(res, hospital_id: str, schemes=None, extra: int = EXTRA) -> pd.DataFrame:
    """The hospital's A-20 candidates per scheme: its special cases and the next `extra` in line, by rank in
    the ranking pool (the hospital × scheme, or the scheme across the city under I-1 `city`). Columns:
    scheme, rank, status (in / next), quota (k), pool_cases (N), case_id, group_id, total_cost, ratio,
    cost_score, group_score, difference (d), score_special, score_otherwise (weighted: with the coefficient
    where A-34.1 applies it), gain_score, point_value, gain_yuan, gain_payment."""
    return memo(res, f"special:{hospital_id}:{schemes}:{extra}",
                lambda: _special_candidates(res, hospital_id, schemes, extra))


def _special_candidates(res, hospital_id, schemes, extra) -> pd.DataFrame:
    st, p = res.stage, res.params
    prep, cs = st.prep, st.scores
    row = hospital_row(res, hospital_id)
    frame = case_margins(res, hospital_id, schemes)
    M = st.ref.mean_cost
    city_pool = p.interpretation("I-1") == "city"
    if city_pool and getattr(st, "partial", False):            # a user's cut of the city holds no city pool
        raise DipError(Message("access_city_pool"))
    parts = []
    for s in pd.unique(frame["scheme"]):                        # one or two schemes
        si = SCHEMES.index(s)
        in_pool = (prep.scheme == si) if city_pool else ((prep.scheme == si) & (prep.hosp == row))
        idx = np.flatnonzero(in_pool)
        cand = prep.qc_ok[idx] & (cs.group[idx] >= 0) & (cs.case_type[idx] != TCM)     # not A-21, not A-24
        d_all = prep.cost[idx] / M * 1000.0 - cs.group_score[idx]
        ranked = np.sort(np.where(cand & (d_all >= -EPS), np.maximum(d_all, 0.0), -np.inf))
        N = int(cand.sum())
        k = int(max(int(p.get("cases.special_min")), int(count_half_up(p.get("cases.special_rate"), np.array([N]))[0])))
        f = frame[frame["scheme"] == s]
        fi = f["case_row"].to_numpy()
        d = prep.cost[fi] / M * 1000.0 - cs.group_score[fi]
        ok = prep.qc_ok[fi] & (cs.group[fi] >= 0) & (cs.case_type[fi] != TCM) & (d >= -EPS)
        dd = np.maximum(d, 0.0)
        rank = len(ranked) - np.searchsorted(ranked, dd, side="right") + 1      # 1 + cases with a larger d
        special = cs.case_type[fi] == SPECIAL
        keep = ok & (special | (rank <= k + extra))
        parts.append(_candidate_rows(res, hospital_id, f[keep], dd[keep], rank[keep], special[keep], k, N))
    if not parts:
        return _candidate_rows(res, hospital_id, frame.iloc[:0], np.array([]), np.array([], np.int64),
                               np.array([], bool), 0, 0)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["scheme", "rank", "case_id"], kind="stable").reset_index(drop=True)


def _candidate_rows(res, hospital_id: str, f: pd.DataFrame, d: np.ndarray, rank: np.ndarray, special: np.ndarray,
                    k: int, N: int) -> pd.DataFrame:
    st, p = res.stage, res.params
    cs, prep = st.scores, st.prep
    fi = f["case_row"].to_numpy()
    cost_score = prep.cost[fi] / st.ref.mean_cost * 1000.0
    gscore, R = cs.group_score[fi], cs.ratio[fi]
    low, high = float(p.get("cases.low_ratio")), float(p.get("cases.high_ratio"))
    inclusive = p.interpretation("I-11") == "inclusive"
    is_low = (R <= low) if inclusive else (R < low)
    is_high = (R >= high) if inclusive else (R > high)
    # not special: the score at its R, in the bucket it would be in (A-15 ¶2 grassroots or core)
    a19_type = np.where(is_low, LOW, np.where(is_high, HIGH, NORMAL))
    a19 = np.where(is_low, low_score(res, prep.ffs_amount[fi], prep.scheme[fi]),
                   np.where(is_high, (R - 1.0) * gscore, gscore))
    grass = st.ref.catalogue["grassroots"].to_numpy(bool)[np.maximum(cs.group[fi], 0)] & ~cs.lost_grassroots[fi]
    bucket = np.where(grass, B_GRASSROOTS, B_CORE)
    takes = takes_coefficient(bucket, a19_type, p.interpretation("I-7"))
    K = _hospital_coef(res, hospital_id, f["scheme"])
    otherwise = np.where(special, a19 * np.where(takes, K, 1.0), f["weighted_score"].to_numpy())
    gain = cost_score - otherwise
    pv = f["point_value"].to_numpy()
    return pd.DataFrame({
        "scheme": f["scheme"].to_numpy(), "rank": rank.astype(np.int64), "status": np.where(special, "in", "next"),
        "quota": np.full(len(f), k, np.int64), "pool_cases": np.full(len(f), N, np.int64),
        "case_id": f["case_id"].to_numpy(), "group_id": f["group_id"].to_numpy(),
        "total_cost": f["total_cost"].to_numpy(), "ratio": R, "cost_score": cost_score, "group_score": gscore,
        "difference": d, "score_special": cost_score, "score_otherwise": otherwise, "gain_score": gain,
        "point_value": pv, "gain_yuan": gain * pv, "gain_payment": gain * f["per_point"].to_numpy(),
    })


__all__ = ["ZONES", "deviation_warnings", "deviation_zones", "low_score", "special_candidates", "zone_summary"]
