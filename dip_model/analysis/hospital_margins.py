"""病种盈亏: a hospital's margin per disease group, and per department (科室) or attending doctor (医生) when
its cases carry those columns; for each loss-making group, the reasons.

Payment and margin are those of hospital_cases (a case's share of the hospital's final payment by its
weighted score, plus its self-pay and other-insurance amounts), summed over the group's cases, so the groups
add up exactly to the hospital's totals in res.hospitals.

Reasons of a loss. Each candidate cause is measured in yuan over the group's cases; a cause counts when it
accounts for at least REASON_SHARE of the group's loss, the largest first (`reason` is the largest, `other`
when none reaches the share):

- deviation (A-19): the margin of the group's deviation cases (R < low_ratio or R > high_ratio); with the
  share of its cases they are and their cost gap Σ (cost − m_{i,L}).
- level_coef (A-22, A-34): what the hospital coefficient takes off: Σ (weighted − raw score) × the fund
  payment per weighted point of the case's scheme (negative when the coefficient is below 1).
- cost_level (A-19 m_{i,L}): the group's cost against the prior-year mean cost of the group at the
  hospital's level (group_level_costs / the reference): the excess Σ (cost − m_{i,L}) of its cases that are
  not deviation cases (those are counted under deviation), with the mean cost per case against m_{i,L}.

These causes overlap (a high case is also dear), so they are reasons with figures, not a decomposition. The
hospital-wide steps after the score fund (band, cap, violations: settlement_effect, the allocated
ffs_adjustment + retained + sharing − cap − violation deductions) are shown per group but are not a reason
of one group's loss: they fall on every group in proportion to its score."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DipError
from ..messages import Items, Message
from .hospital_cases import BREAKDOWN_COLUMNS, SETTLEMENT_PARTS, SIGN, case_margins, memo

REASONS = ("deviation", "level_coef", "cost_level")
REASON_SHARE = 0.25          # a cause is a reason when it accounts for at least this share of the loss
TOP = 10                     # the largest losses flagged large_loss (reason texts are given for every loss)
MONEY = ("total_cost", "self_pay", "other_insurance", "fund_payment", "payment", "margin") + SETTLEMENT_PARTS
SUMMED = MONEY + ("raw_score", "weighted_score")
QUOTED = ("cases", "deviation_cases", "deviation_share", "n_low", "n_high", "deviation_cost_gap", "cost_ratio",
          "level_cost", "payment_per_case", "cost_per_case")           # the figures the reason texts quote


def _deviation(frame: pd.DataFrame) -> np.ndarray:
    return frame["case_type"].isin(("low", "high")).to_numpy()


def case_effects(frame: pd.DataFrame) -> pd.DataFrame:
    """Per case, the figures the reasons sum: deviation flags, cost gap to m_{i,L}, the coefficient's and
    the settlement steps' effect on its payment (yuan)."""
    dev = _deviation(frame)
    gap = (frame["total_cost"] - frame["level_cost"]).to_numpy()
    has_level = np.isfinite(gap)
    settle = sum(SIGN[c] * frame[c].to_numpy() for c in SETTLEMENT_PARTS if c != "score_fund")
    margin = frame["margin"].to_numpy()
    return pd.DataFrame({
        "n_low": (frame["case_type"] == "low").to_numpy(float), "n_high": (frame["case_type"] == "high").to_numpy(float),
        "deviation_cases": dev.astype(float), "deviation_margin": np.where(dev, margin, 0.0),
        "deviation_cost_gap": np.where(dev & has_level, gap, 0.0),
        "level_cases": has_level.astype(float), "level_cost_sum": np.where(has_level, frame["level_cost"], 0.0),
        "level_case_cost": np.where(has_level, frame["total_cost"], 0.0),
        "excess_cost": np.where(~dev & has_level, gap, 0.0),
        "coef_effect": ((frame["weighted_score"] - frame["raw_score"]) * frame["per_point"]).to_numpy(),
        "settlement_effect": settle,
    })


def _summed(frame: pd.DataFrame, key: np.ndarray, n: int) -> pd.DataFrame:
    """The money, scores and reason figures summed per key (0 … n−1), cases counted."""
    eff = case_effects(frame)
    out = {"cases": np.bincount(key, minlength=n).astype(np.int64)}
    for c in SUMMED:
        out[c] = np.bincount(key, weights=frame[c].to_numpy(), minlength=n)
    for c in eff.columns:
        out[c] = np.bincount(key, weights=eff[c].to_numpy(), minlength=n)
    return pd.DataFrame(out)


def _finish(d: pd.DataFrame) -> pd.DataFrame:
    """Per-case figures and shares from the sums."""
    n = d["cases"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d["margin_per_case"] = d["margin"] / n
        d["cost_per_case"] = d["total_cost"] / n
        d["payment_per_case"] = d["payment"] / n
        d["margin_rate"] = np.where(d["total_cost"] > 0, d["margin"] / d["total_cost"], np.nan)
        d["deviation_share"] = d["deviation_cases"] / n
        lc = d["level_cases"].to_numpy(float)
        d["level_cost"] = np.where(lc > 0, d["level_cost_sum"] / lc, np.nan)
        d["cost_ratio"] = np.where(d["level_cost_sum"] > 0, d["level_case_cost"] / d["level_cost_sum"], np.nan)
    for c in ("n_low", "n_high", "deviation_cases"):
        d[c] = d[c].round().astype(np.int64)
    return d.drop(columns=["level_cases", "level_cost_sum", "level_case_cost"])


def loss_reasons(d: pd.DataFrame, coef: float, low: float, high: float) -> pd.DataFrame:
    """reason (main code), reasons (every code that reaches REASON_SHARE of the loss, ';'-joined, largest
    first) and reason_text (Items of Messages, one per reason, with its figure) for each row with a loss;
    empty for the others. `d` holds the summed figures (group_margins, margins_by)."""
    loss = np.maximum(-d["margin"].to_numpy(), 0.0)
    pieces = np.column_stack([np.maximum(-d["deviation_margin"].to_numpy(), 0.0),
                              np.maximum(-d["coef_effect"].to_numpy(), 0.0),
                              np.maximum(d["excess_cost"].to_numpy(), 0.0)])
    counts = (pieces >= REASON_SHARE * loss[:, None]) & (pieces > 0) & (loss[:, None] > 0)
    order = np.argsort(-pieces, axis=1, kind="stable")
    codes = np.asarray(REASONS, dtype=object)
    main = np.where(counts.any(axis=1), codes[order[:, 0]], np.where(loss > 0, "other", ""))
    figures = {c: d[c].to_numpy() for c in QUOTED}
    reasons: list[str] = []
    texts: list[Items | str] = []
    for i in range(len(d)):               # one entry per group (a few hundred), not per case
        picked = [REASONS[j] for j in order[i] if counts[i, j]]
        reasons.append(";".join(picked) if picked else main[i])
        if loss[i] <= 0:
            texts.append("")
            continue
        r = {c: v[i] for c, v in figures.items()}
        texts.append(Items([reason_message(code, r, pieces[i, REASONS.index(code)] if code in REASONS else 0.0,
                                           coef, low, high) for code in (picked or ["other"])], sep="; "))
    return pd.DataFrame({"reason": main, "reasons": reasons, "reason_text": texts}, index=d.index)


def reason_message(code: str, r: dict, amount: float, coef: float, low: float, high: float) -> Message:
    """The text of one reason with its figure (rulesets/messages/hospital.yaml)."""
    if code == "deviation":
        return Message("hv_reason_deviation", n=int(r["deviation_cases"]), cases=int(r["cases"]),
                       share=float(r["deviation_share"]), low=low, high=high, n_low=int(r["n_low"]),
                       n_high=int(r["n_high"]), gap=float(r["deviation_cost_gap"]), loss=float(amount))
    if code == "level_coef":
        return Message("hv_reason_level_coef", k=float(coef), loss=float(amount))
    if code == "cost_level":
        return Message("hv_reason_cost_level", mean=float(r["cost_ratio"] * r["level_cost"]),
                       level=float(r["level_cost"]), ratio=float(r["cost_ratio"]), loss=float(amount))
    return Message("hv_reason_other", pay=float(r["payment_per_case"]), cost=float(r["cost_per_case"]))


def _context(res, frame: pd.DataFrame) -> dict:
    """The hospital figures the reason texts quote: its coefficient and the A-19 thresholds."""
    p = res.params
    return {"coef": float(frame["coef"].max()) if len(frame) else 1.0, "low": float(p.get("cases.low_ratio")),
            "high": float(p.get("cases.high_ratio"))}


def group_margins(res, hospital_id: str, schemes=None, top: int = TOP) -> pd.DataFrame:
    """One row per disease group of the hospital's cases (cases with no catalogue group in one row with
    an empty group_id), ranked by margin, largest loss first. Columns: rank, group_id, name, group_type,
    rw, cases, total_cost, self_pay, other_insurance, fund_payment, payment, margin, margin_per_case,
    cost_per_case, payment_per_case, margin_rate, raw_score, weighted_score, the settlement steps
    (score_fund, ffs_adjustment, retained, sharing, cap_deduction, violation_deduction), the reason figures
    (n_low, n_high, deviation_cases, deviation_share, deviation_margin, deviation_cost_gap, level_cost,
    cost_ratio, excess_cost, coef_effect, settlement_effect), large_loss and
    reason, reasons, reason_text. The money columns sum to hospital_totals."""
    key_ = f"groups:{hospital_id}:{schemes}:{top}"
    return memo(res, key_, lambda: _group_margins(res, hospital_id, schemes, top))


def _group_margins(res, hospital_id, schemes, top) -> pd.DataFrame:
    frame = case_margins(res, hospital_id, schemes)
    cat = res.stage.ref.catalogue
    n_cat = len(cat)
    g = frame["group"].to_numpy()
    d = _summed(frame, np.where(g >= 0, g, n_cat), n_cat + 1)
    ids = np.append(cat["group_id"].to_numpy(object), "")
    names = cat["name"].to_numpy(object) if "name" in cat else ids[:-1]
    names = np.where(pd.isna(names) | (names == ""), ids[:-1], names)
    d.insert(0, "group_id", ids)
    d.insert(1, "name", np.append(names, Message("hv_ungrouped")))
    d.insert(2, "group_type", np.append(cat["group_type"].to_numpy(object), ""))
    d.insert(3, "rw", np.append(cat["rw"].to_numpy(float), np.nan))
    d = _finish(d[d["cases"] > 0].reset_index(drop=True))
    return _ranked(d, "group_id", _context(res, frame), top)


def _ranked(d: pd.DataFrame, tie: str, ctx: dict, top: int) -> pd.DataFrame:
    """Rows by margin, largest loss first (ties by `tie`), with rank, large_loss and the reasons."""
    d = d.sort_values(["margin", tie], kind="stable").reset_index(drop=True)
    d.insert(0, "rank", np.arange(1, len(d) + 1))
    d["large_loss"] = (d["margin"] < 0) & (d["rank"] <= top)
    return pd.concat([d, loss_reasons(d, **ctx)], axis=1)


def has_breakdown(res, by: str) -> bool:
    """Whether the cases carry the column `by` (department, doctor) with at least one value."""
    cases = res.data.cases
    return by in cases.columns and bool(cases[by].notna().any())


def margins_by(res, hospital_id: str, by: str, schemes=None, top: int = TOP) -> pd.DataFrame:
    """The group margins' figures per value of a case column (`department` 科室 or `doctor` 医生): the first
    columns are rank and `by` (missing values as ""), then groups (distinct disease groups), cases, money,
    per-case figures, deviation counts and the reasons, ranked by margin. A DipError (Message
    hv_no_column) when the cases have no such column."""
    if by not in BREAKDOWN_COLUMNS:
        raise DipError(Message("hv_by_unknown", got=by))
    frame = case_margins(res, hospital_id, schemes)
    if by not in frame.columns:
        raise DipError(Message("hv_no_column", column=by))
    return memo(res, f"by:{by}:{hospital_id}:{schemes}:{top}", lambda: _margins_by(res, hospital_id, by, schemes, top))


def _margins_by(res, hospital_id, by, schemes, top) -> pd.DataFrame:
    frame = case_margins(res, hospital_id, schemes)
    key, values = pd.factorize(frame[by].to_numpy(object), sort=True)
    key = key.astype(np.int64)
    d = _summed(frame, key, len(values))
    d.insert(0, by, np.asarray(values, dtype=object))
    n_g = len(res.stage.ref.catalogue) + 1                     # groups, and "none"
    owner = np.unique(key * n_g + frame["group"].to_numpy() + 1) // n_g
    d.insert(1, "groups", np.bincount(owner, minlength=len(values)).astype(np.int64))
    return _ranked(_finish(d), by, _context(res, frame), top)


__all__ = ["REASONS", "REASON_SHARE", "group_margins", "has_breakdown", "loss_reasons", "margins_by",
           "reason_message"]
