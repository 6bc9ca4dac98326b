"""Annual settlement (A-17, A-32 … A-37): scores, point value, score fund, bands, cap, violations."""
from __future__ import annotations

from typing import TypeVar

import numpy as np

from .rounding import round_half_up


Scores = TypeVar("Scores", np.ndarray, float)


def annual_scores(parts: dict, K: Scores, i7: str) -> Scores:
    """A-34.1: S = K·Σ core + Σ grassroots + Σ tcm + Σ special (I-7: low/unmatched take K or not).
    Arrays of hospitals × schemes, or the figures of one (K a float)."""
    core = parts["core_k"] + (parts["core_lu"] if i7 == "multiply" else 0.0)
    plain = parts["grassroots"] + parts["tcm"] + parts["special"] + (parts["core_lu"] if i7 != "multiply" else 0.0)
    return K * core + plain


def point_value(payable_cost: float, total_score: float, decimals: int) -> float:
    """A-34.2: PV = C ÷ Σ S, rounded half-up to `decimals` (3) decimals."""
    if not total_score or np.isnan(payable_cost):
        return float("nan")
    return round_half_up(payable_cost / total_score, decimals)


def score_fund(S: np.ndarray, a: np.ndarray, share: float, pv: np.ndarray | float, r: np.ndarray) -> np.ndarray:
    """A-35 (I-9): SF = (S·(1−8%) + S·8%·a) · PV · r."""
    return (S * (1.0 - share) + S * share * a) * pv * r


def violation_split(V: np.ndarray, cost_hs: np.ndarray, cost_h: np.ndarray) -> np.ndarray:
    """A hospital's violation amount split across schemes in proportion to its total cost in each."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cost_h > 0, V * cost_hs / cost_h, 0.0)


def global_cap(pay: np.ndarray, capacity: np.ndarray, budget: float, compared: float) -> tuple[np.ndarray, float, float]:
    """A-36 last ¶ (I-13): when the compared total exceeds the DIP payable, deduct the excess in
    proportion to each hospital's retained + sharing, never more than it; report what is left."""
    excess = compared - budget
    if not excess > 0:
        return np.zeros(len(pay)), 0.0, 0.0
    room = float(capacity.sum())
    if room <= 0:
        return np.zeros(len(pay)), 0.0, float(excess)
    if excess >= room:
        return capacity.copy(), room, float(excess - room)
    return excess * capacity / room, float(excess), 0.0
