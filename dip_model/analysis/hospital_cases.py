"""One hospital's cases with their share of its payment: the base of the hospital views (病种盈亏, 偏差预警,
科室 / 医生, CMI 与结构) on any Results, a city run or a hospital run.

Payment of a case. The engine pays a hospital per scheme (A-34 … A-36): its final payment F (fund part,
after the bands, the cap and the violation deduction) for its annual score S = Σ weighted scores (the
A-34 score of each case with the hospital coefficient where A-34.1 applies it). A case's share of it is
its weighted score over S (an equal share of the cases when S = 0), and what the case brings in is

    payment_j = F · w_j / S  +  self_pay_j  +  other_insurance_j
    margin_j  = payment_j − total_cost_j

so, per hospital and scheme, Σ payment = F + Σ self_pay + Σ other_insurance and Σ margin = that − Σ cost.
Every step between the score fund and F is allocated by the same weights, so it is visible per case and
sums exactly:

    F = score_fund + ffs_adjustment + retained + sharing − cap_deduction − violation_deduction

where ffs_adjustment = pay_before_cap − score_fund − retained − sharing (in a retained band, A-36 (三), the
hospital is paid its fee-for-service amount instead of the score fund; 0 in the other bands).

Nothing here is a policy formula: the case types, scores, ratios and hospital figures are the engine's.
The hospital's case arrays are memoised on the case stage (a parameter of the bands, budget or
coefficients re-uses them); the allocation on the Results."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import SCHEMES
from ..errors import DipError
from ..messages import Localisable, Message, localise
from ..rules.case_scores import B_CORE, BUCKETS, CASE_TYPES, LOW, UNMATCHED

# the steps from the score fund to the final payment, each allocated to the cases
SETTLEMENT_PARTS = ("score_fund", "ffs_adjustment", "retained", "sharing", "cap_deduction", "violation_deduction")
SIGN = {"score_fund": 1.0, "ffs_adjustment": 1.0, "retained": 1.0, "sharing": 1.0, "cap_deduction": -1.0,
        "violation_deduction": -1.0}
BREAKDOWN_COLUMNS = ("department", "doctor")     # optional case columns the views break down by


def memo(holder, name: str, build):
    """Keep a derived table on a cached object (the case stage or the Results)."""
    store = holder.__dict__.setdefault("_hospital_views", {})
    if name not in store:
        store[name] = build()
    return store[name]


def hospital_row(res, hospital_id: str) -> int:
    """Row of the hospital in the dataset's hospitals table; an unknown hospital, or one without a settled
    case in this run, is refused with a Message."""
    ids = pd.Index(res.data.hospitals["hospital_id"].astype(str))
    hid = str(hospital_id)
    if hid not in ids:
        raise DipError(Message("report_unknown_hospital", hospital=hid))
    if not (res.hospitals["hospital_id"].astype(str) == hid).any():
        raise DipError(Message("hv_no_settled_cases", hospital=hid))
    return int(ids.get_loc(hid))


def settled_rows(res, hospital_id: str) -> pd.DataFrame:
    """The hospital's rows of res.hospitals, one per settled scheme, indexed by scheme."""
    h = res.hospitals
    return h[h["hospital_id"].astype(str) == str(hospital_id)].set_index("scheme")


def _selection(stage, row: int) -> np.ndarray:
    """Rows of the dataset's cases that belong to the hospital (both schemes), ascending."""
    return memo(stage, f"cases:{row}", lambda: np.flatnonzero(stage.prep.hosp == row))


def takes_coefficient(bucket: np.ndarray, case_type: np.ndarray, i7: str) -> np.ndarray:
    """A-34.1: whether a case's score is multiplied by the hospital coefficient (the core term; under I-7
    `no_multiply` low and unmatched cases are not) — as Results.cases computes weighted_score."""
    takes = bucket == B_CORE
    if i7 == "no_multiply":
        takes = takes & (case_type != LOW) & (case_type != UNMATCHED)
    return takes


def per_scheme(settled: pd.DataFrame, column: str, fill: float = np.nan) -> np.ndarray:
    """A hospital column as an array indexed by scheme code (0 employee, 1 resident)."""
    out = np.full(len(SCHEMES), fill)
    if column not in settled.columns:
        return out
    for si, s in enumerate(SCHEMES):
        if s in settled.index:
            out[si] = float(settled.at[s, column])
    return out


def case_margins(res, hospital_id: str, schemes=None) -> pd.DataFrame:
    """One row per case of the hospital in its settled schemes (or those given): the engine's case figures,
    the allocated settlement steps and the payment and margin (module docstring). Columns:
    case_id, scheme, group (catalogue code, −1 none), group_id, case_type, bucket, ratio, level_cost
    (m_{i,L} of A-19, NaN when the case has no ratio), total_cost, ffs_fund, self_pay, other_insurance,
    raw_score, weighted_score, share, score_fund, ffs_adjustment, retained, sharing, cap_deduction,
    violation_deduction, fund_payment, payment, margin, point_value, budget_point_value, coef (the factor from raw to weighted
    score), per_point (fund payment per weighted point), case_row (row of res.data.cases), plus department /
    doctor when the cases have them."""
    row = hospital_row(res, hospital_id)
    wanted = tuple(SCHEMES) if schemes is None else tuple(schemes)
    return memo(res, f"cases:{row}:{','.join(wanted)}", lambda: _build(res, row, str(hospital_id), wanted))


def _build(res, row: int, hospital_id: str, wanted: tuple) -> pd.DataFrame:
    st = res.stage
    prep, cs = st.prep, st.scores
    settled = settled_rows(res, hospital_id)
    settled = settled[settled.index.isin(list(wanted))]
    idx = _selection(st, row)
    scheme = prep.scheme[idx]
    ok = np.isin(scheme, [SCHEMES.index(s) for s in settled.index])   # a scheme the run did not settle is left out
    idx, scheme = idx[ok], scheme[ok]

    K = per_scheme(settled, "hospital_coef", 1.0)
    ctype, bucket = cs.case_type[idx], cs.bucket[idx]
    raw = cs.raw[idx]
    coef = np.where(takes_coefficient(bucket, ctype, res.params.interpretation("I-7")), K[scheme], 1.0)
    w = raw * coef
    n_s = np.bincount(scheme, minlength=2).astype(float)
    S = np.bincount(scheme, weights=w, minlength=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(S[scheme] > 0, w / S[scheme], 1.0 / n_s[scheme])

    cost, self_pay, other = prep.cost[idx], prep.self_pay[idx], prep.other[idx]
    ratio = cs.ratio[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        level_cost = np.where(np.isfinite(ratio) & (ratio > 0), cost / ratio, np.nan)
    g = cs.group[idx]
    out = {
        # categoricals from the engine's codes: no per-row text is built for 80 000 cases
        "case_id": res.data.cases["case_id"].take(idx).reset_index(drop=True),
        "scheme": pd.Categorical.from_codes(scheme, categories=list(SCHEMES)),
        "group": g, "group_id": pd.Categorical.from_codes(g, categories=st.ref.catalogue["group_id"].astype(str)),
        "case_type": pd.Categorical.from_codes(ctype.astype(np.int64), categories=list(CASE_TYPES)),
        "bucket": pd.Categorical.from_codes(bucket.astype(np.int64), categories=list(BUCKETS)),
        "ratio": ratio, "level_cost": level_cost,
        "total_cost": cost, "ffs_fund": prep.ffs[idx], "self_pay": self_pay, "other_insurance": other,
        "raw_score": raw, "weighted_score": w, "share": share,
    }
    final = np.nan_to_num(per_scheme(settled, "final_payment", 0.0))
    # a step that does not apply (the cap of a hospital folder's run is NaN) takes nothing
    parts = {c: np.nan_to_num(per_scheme(settled, c, 0.0)) for c in ("score_fund", "retained", "sharing",
                                                                      "cap_deduction", "violation_deduction")}
    parts["ffs_adjustment"] = per_scheme(settled, "pay_before_cap", 0.0) - parts["score_fund"] - \
        parts["retained"] - parts["sharing"]
    for c in SETTLEMENT_PARTS:
        out[c] = parts[c][scheme] * share
    out["fund_payment"] = final[scheme] * share
    out["payment"] = out["fund_payment"] + self_pay + other
    out["margin"] = out["payment"] - cost
    out["point_value"] = per_scheme(settled, "point_value")[scheme]
    out["budget_point_value"] = per_scheme(settled, "budget_point_value")[scheme]
    out["coef"] = coef
    with np.errstate(divide="ignore", invalid="ignore"):
        out["per_point"] = np.where(S > 0, final / S, 0.0)[scheme]
    out["case_row"] = idx                               # row of res.data.cases
    frame = pd.DataFrame(out)
    for col in BREAKDOWN_COLUMNS:
        values = breakdown_values(res, col, idx)
        if values is not None:
            frame[col] = values
    return frame


def breakdown_values(res, column: str, idx: np.ndarray):
    """The values of an optional case column (department, doctor) for the given case rows, missing as "";
    None when the cases do not have the column or it is empty throughout."""
    cases = res.data.cases
    if column not in cases.columns:
        return None
    col = cases[column]
    if not col.notna().any():
        return None
    return col.take(idx).fillna("").astype(str).to_numpy()


def hospital_totals(res, hospital_id: str, schemes=None) -> dict:
    """What the views must sum to, from res.hospitals (settled schemes): cases, total_cost, fund_payment
    (final_payment), self_pay, other_insurance, payment, margin and each settlement step."""
    settled = settled_rows(res, hospital_id)
    if schemes is not None:
        settled = settled[settled.index.isin(list(schemes))]
    out = {c: float(settled[c].sum()) for c in ("total_cost", "self_pay", "other_insurance", "score_fund",
                                                "retained", "sharing", "cap_deduction", "violation_deduction")}
    out["cases"] = int(settled["cases"].sum())
    out["fund_payment"] = float(settled["final_payment"].sum())
    out["ffs_adjustment"] = float((settled["pay_before_cap"] - settled["score_fund"] - settled["retained"]
                                   - settled["sharing"]).sum())
    out["payment"] = out["fund_payment"] + out["self_pay"] + out["other_insurance"]
    out["margin"] = out["payment"] - out["total_cost"]
    return out


def localised(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A copy with every message cell (Message, Items) rendered in `lang`."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: isinstance(v, Localisable)).any():
            out[c] = out[c].map(lambda v: localise(v, lang) if isinstance(v, Localisable) else v)
    return out


__all__ = ["BREAKDOWN_COLUMNS", "SETTLEMENT_PARTS", "case_margins", "hospital_row", "hospital_totals",
           "localised", "settled_rows", "takes_coefficient"]
