"""Hospital coefficients: category for the year and level coefficient (A-22, A-25), bonus (A-23),
and their combination K_h (I-5)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..messages import Message
from ..params import Params
from .catalogue import category_keys


def year_levels(hospitals: pd.DataFrame, year: int, p: Params) -> pd.Series:
    """A-25: a level change dated on or before the cut-off (30 June; I-6 for the day itself) takes the
    new level for the whole year, a later one the old level."""
    month, day = (int(x) for x in str(p.get("coefficients.level_change_cutoff")).split("-"))
    cutoff = pd.Timestamp(year=year, month=month, day=day)
    d = hospitals["level_change_date"]
    changed = d.notna() & hospitals["prev_level"].notna()
    use_old = changed & ((d > cutoff) | ((d == cutoff) & (p.interpretation("I-6") == "old")))
    return hospitals["level"].where(~use_old, hospitals["prev_level"]).astype(str)


def year_categories(hospitals: pd.DataFrame, year: int, p: Params) -> pd.Series:
    """Category (I-10) each hospital is settled under this year."""
    return category_keys(year_levels(hospitals, year, p), hospitals["reimb_level"], p.interpretation("I-10"))


def _lookup(cat: str, table: dict) -> float | None:
    if cat in table:
        return float(table[cat])
    base = cat.split("/r")[0]                 # level_reimb keys fall back to the level alone
    return float(table[base]) if base in table else None


def level_coefficients(categories: pd.Series, is_new: pd.Series, computed: dict, p: Params,
                       warnings: list) -> np.ndarray:
    """A-22 k_L (overrides first, then computed); A-25 a new hospital takes the lowest k_L of its grade."""
    overrides = {str(k): v for k, v in (p.get("coefficients.level") or {}).items()}
    table = {**computed, **overrides}
    k = np.array([_lookup(c, table) if _lookup(c, table) is not None else np.nan for c in categories])
    missing = sorted({c for c, v in zip(categories, k) if np.isnan(v)})
    if missing:
        warnings.append(Message("no_level_coefficient", categories=", ".join(missing)))
        k = np.where(np.isnan(k), 1.0, k)
    if is_new.any():
        grades: dict[str, float] = {}
        for key, v in table.items():
            g = _grade(key)
            if g is not None:
                grades[g] = min(grades.get(g, np.inf), float(v))
        for i in np.flatnonzero(is_new.to_numpy()):
            g = _grade(categories.iloc[i])
            if g in grades:
                k[i] = grades[g]                         # A-25 同级别最低档
    return k


def _grade(category: str) -> str | None:
    head = str(category)[:1]
    return head if head.isdigit() else None


def _tier(x: np.ndarray, tiers: list) -> np.ndarray:
    """Highest tier reached: add of the largest `min` ≤ x (0 when none)."""
    out = np.zeros(len(x))
    for t in sorted(tiers, key=lambda t: t["min"]):
        out = np.where(x >= t["min"], float(t["add"]), out)
    return out


def bonus_from_rules(hospitals: pd.DataFrame, metrics: pd.DataFrame, p: Params) -> np.ndarray:
    """A-23: CMI, ≥65 share, ≤14 share, key specialties, TCM hospital — each a parameter rule."""
    r = p.get("coefficients.bonus_rules")
    b = _tier(metrics["cmi"].to_numpy(), r["cmi"])                              # A-23 (一)
    b += _tier(metrics["elderly_share"].to_numpy(), r["elderly_share"])          # A-23 (二)
    b += _tier(metrics["child_share"].to_numpy(), r["child_share"])              # A-23 (三)
    for level, add in r["key_specialty"].items():                               # A-23 (四)
        col = f"key_specialty_{level}"
        if col in hospitals:
            b += hospitals[col].fillna(0).to_numpy(float) * float(add)
    tcm = (hospitals["type"] == "tcm").to_numpy()                               # A-23 (五)
    for col, tiers in r["tcm_hospital"].items():
        if col in hospitals and tiers:
            b += np.where(tcm, _tier(pd.to_numeric(hospitals[col], errors="coerce").fillna(0).to_numpy(), tiers), 0.0)
    return b


def bonus(hospitals: pd.DataFrame, metrics: pd.DataFrame, p: Params) -> np.ndarray:
    """The hospital's bonus: its `bonus` column when given, else the rules; 0 for new or suspended
    hospitals (A-25); capped at bonus_cap (A-23)."""
    given = hospitals["bonus"].to_numpy(float)
    b = np.where(np.isnan(given), bonus_from_rules(hospitals, metrics, p), given)
    b = np.where(hospitals["is_new"].to_numpy(bool) | hospitals["suspended"].to_numpy(bool), 0.0, b)
    return np.minimum(b, float(p.get("coefficients.bonus_cap")))


def combine(k_level: np.ndarray, b: np.ndarray, how: str) -> np.ndarray:
    """I-5: K_h = k_L·(1+bonus) | k_L + bonus | k_L alone."""
    if how == "add":
        return k_level + b
    if how == "level_only":
        return k_level.copy()
    return k_level * (1.0 + b)
