"""hospitals.csv: hospitals per level, districts, types, generic names, new / suspended / penalised
hospitals, level changes, key specialties, assessment, violations; the hidden cost and volume factors,
and which hospitals treat which diagnoses."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import DISTRICT_POP, DISTRICTS, LEVEL_VOLUME, LEVELS, REIMB_LEVEL, TIER_LEVEL_PREF, YEAR

_SPECIALTY_NAME = {"mch": "妇幼保健院", "ortho": "骨科医院", "eye": "眼科医院", "psy": "精神卫生中心"}


def _cn(n: int) -> str:
    """Chinese numeral for 1..99."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _level_counts(n_cases: int) -> np.ndarray:
    """Hospitals per level: ~150 for a 1.1M-case city, at least 8 so every kind exists."""
    n_h = max(8, int(round(150 * np.sqrt(n_cases / 1.1e6))))
    c = np.array([max(2, round(0.04 * n_h)), max(1, round(0.04 * n_h)),
                  max(2, round(0.15 * n_h)), max(1, round(0.11 * n_h)), 0])
    c[4] = max(2, n_h - c[:4].sum())
    return c


def _hospital_types(lvl: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """type (general/tcm/specialty) and specialty field per hospital."""
    p_tcm = np.array([0.0, 0.2, 0.2, 0.15, 0.03])[lvl]
    p_spec = np.array([0.0, 0.2, 0.2, 0.3, 0.0])[lvl]
    u = rng.random(len(lvl))
    typ = np.where(u < p_tcm, "tcm", np.where(u < p_tcm + p_spec, "specialty", "general"))
    first3a = np.flatnonzero(lvl == 0)
    typ[first3a[1]] = "tcm"                                  # the city's TCM hospital
    if len(first3a) >= 5:
        typ[first3a[2]] = "specialty"
    if not (typ == "specialty").any():
        typ[np.flatnonzero(lvl == 3)[-1]] = "specialty"
    field = np.where(typ == "specialty",
                     rng.choice(["mch", "ortho", "eye", "psy"], len(lvl), p=[0.5, 0.2, 0.15, 0.15]),
                     "none")
    field[(typ == "specialty") & (lvl == 0)] = "mch"
    return typ, field


def _hospital_names(lvl, district, typ, field) -> list[str]:
    """Generic names: 江阳区第一人民医院, 泸县中医医院, 合江县第三乡镇卫生院 ..."""
    seen: dict[str, int] = {}
    names = []
    for lv, d, t, f in zip(lvl, district, typ, field):
        if t == "specialty":
            stem, numbered = _SPECIALTY_NAME[f], False
        elif t == "tcm":
            stem, numbered = "中医医院", False
        elif lv == 4:
            stem, numbered = ("社区卫生服务中心" if d in DISTRICTS[:2] else "乡镇卫生院"), True
        else:
            stem, numbered = "人民医院", True
        k = seen[d + stem] = seen.get(d + stem, 0) + 1
        if numbered:
            names.append(f"{d}第{_cn(k)}{stem}")
        else:
            names.append(f"{d}{'' if k == 1 else '第' + _cn(k)}{stem}")
    return names


def _special_flags(lvl: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A few new, suspended, fraud-penalised hospitals and two level changes (never a 3A)."""
    n = len(lvl)
    free = lvl > 0
    out = {k: np.zeros(n, dtype=bool) for k in ("is_new", "suspended", "fraud_penalized")}
    change = np.full(n, "", dtype=object)

    def pick(levels, k=1):
        cand = np.flatnonzero(free & np.isin(lvl, levels))
        got = rng.choice(cand, min(k, len(cand)), replace=False)
        free[got] = False
        return got

    change[pick([1])] = "before"                             # 2A -> 3B before 30 June
    change[pick([2])] = "after"                              # 2B -> 2A after 30 June
    out["is_new"][pick([3, 4], max(1, round(0.02 * n)))] = True
    out["suspended"][pick([2, 3, 4], min(2, max(1, round(0.01 * n))))] = True
    out["fraud_penalized"][pick([2, 3, 4])] = True
    out["change"] = change
    return out


def hospital_table(n_cases: int, rng: np.random.Generator) -> pd.DataFrame:
    """The hospital table with the generator's hidden columns (prefixed `_`)."""
    counts = _level_counts(n_cases)
    lvl = np.repeat(np.arange(5), counts)
    n = len(lvl)
    pop = DISTRICT_POP / DISTRICT_POP.sum()
    urban = np.array([0.55, 0.45, 0, 0, 0, 0, 0])
    district_idx = np.where((lvl <= 1) & (rng.random(n) < 0.8),
                            rng.choice(7, n, p=urban), rng.choice(7, n, p=pop))
    district = np.array(DISTRICTS)[district_idx]
    typ, field = _hospital_types(lvl, rng)
    flags = _special_flags(lvl, rng)
    width = max(3, len(str(n)))
    h = pd.DataFrame({
        "hospital_id": [f"H{i + 1:0{width}d}" for i in range(n)],
        "name": _hospital_names(lvl, district, typ, field),
        "district": district, "level": np.array(LEVELS)[lvl], "reimb_level": REIMB_LEVEL[lvl],
        "type": typ,
        "assessment_score": _assessment(n, rng), "assessment_max": 100.0,
        "is_new": flags["is_new"], "suspended": flags["suspended"],
        "fraud_penalized": flags["fraud_penalized"]})
    _level_change(h, flags["change"], lvl, rng)
    h["violation_amount"] = 0.0                               # filled once costs are known
    h["bonus"] = np.nan                                       # left to the bonus rules
    _key_specialties(h, lvl, rng)
    h["_lvl"] = lvl
    h["_lvl_prior"] = pd.Series(h["prev_level"]).map({v: i for i, v in enumerate(LEVELS)}) \
        .fillna(pd.Series(lvl)).astype(int).to_numpy()
    h["_field"] = field
    h["_volume"] = LEVEL_VOLUME[lvl] * rng.lognormal(0, 0.5, n)
    h["_eff"] = _efficiency(lvl, typ, rng)
    # one second-level hospital over-treats every patient alike: dear, with a narrow spread,
    # so the high-deviation rule does not absorb it and it lands above 140 % (A-36)
    worst = rng.choice(np.flatnonzero(lvl == 2))
    h.loc[worst, "_eff"] = rng.uniform(1.85, 2.0)
    h["_spread"] = np.where(np.arange(n) == worst, 0.45, 1.0)
    h["_ffs_dev"] = rng.normal(0, 0.02, n)
    return h


def _efficiency(lvl: np.ndarray, typ: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hospital cost factor within its level, spread so that every sharing band is reached:
    lognormal, plus a few (at least one second-level) hospitals far dearer than their peers."""
    sd = np.array([0.06, 0.1, 0.2, 0.2, 0.2])[lvl]           # big hospitals vary less
    eff = np.exp(sd * rng.standard_normal(len(lvl))) * np.where(typ == "tcm", 0.95, 1.0)
    costly = (rng.random(len(lvl)) < 0.05) & (lvl >= 2)
    eff = np.where(costly, eff * rng.uniform(1.5, 1.9, len(lvl)), eff)
    return eff


def _assessment(n: int, rng: np.random.Generator) -> np.ndarray:
    """Assessment scores out of 100: mostly 80-100, a few weak hospitals."""
    s = np.clip(rng.normal(91, 4.5, n), 78, 100)
    weak = rng.random(n) < 0.03
    s[weak] = rng.uniform(60, 78, int(weak.sum()))
    return np.round(s * 2) / 2


def _level_change(h: pd.DataFrame, change: np.ndarray, lvl: np.ndarray, rng) -> None:
    """Dates and previous levels of the two level changes (A-25)."""
    before, after = change == "before", change == "after"
    date = np.full(len(h), np.datetime64("NaT"), dtype="datetime64[D]")
    date[before] = np.datetime64(f"{YEAR}-02-01") + rng.integers(0, 120, int(before.sum()))
    date[after] = np.datetime64(f"{YEAR}-07-15") + rng.integers(0, 120, int(after.sum()))
    prev = np.full(len(h), None, dtype=object)
    prev[before | after] = np.array(LEVELS)[lvl[before | after] + 1]
    h["level_change_date"], h["prev_level"] = date, prev


def _key_specialties(h: pd.DataFrame, lvl: np.ndarray, rng) -> None:
    """Counts of national / provincial / city key specialties, by level."""
    n = len(h)
    h["key_specialty_national"] = np.where(lvl == 0, rng.integers(0, 4, n), 0)
    h["key_specialty_provincial"] = np.select([lvl == 0, lvl == 1, lvl == 2],
                                              [rng.integers(2, 11, n), rng.integers(0, 5, n),
                                               rng.integers(0, 2, n)], 0)
    h["key_specialty_city"] = np.select([lvl == 0, lvl == 1, lvl <= 3],
                                        [rng.integers(5, 16, n), rng.integers(1, 9, n),
                                         rng.integers(0, 4, n)], 0)


def hospital_choice(h: pd.DataFrame, dx: pd.DataFrame, active: np.ndarray):
    """Per diagnosis profile (tier, TCM, field): probabilities over hospitals."""
    lvl, typ, field = h["_lvl"].to_numpy(), h["type"].to_numpy(), h["_field"].to_numpy()
    profile = dx["tier"] + "/" + dx["tcm"].astype(str) + "/" + dx["field"]
    uniq, code = np.unique(profile.to_numpy(), return_inverse=True)
    probs = []
    for p in uniq:
        tier, tcm, fld = p.split("/")
        w = h["_volume"].to_numpy() * np.array(TIER_LEVEL_PREF[tier])[lvl] * active
        w = w * np.where(typ == "tcm", 3.0 if tcm == "True" else 0.7, 1.0)
        w = w * np.where(typ == "specialty", np.where(field == fld, 10.0, 0.02), 1.0)
        probs.append(w / w.sum())
    return code, probs


def violations(h: pd.DataFrame, st: dict, rng) -> None:
    """Violation amounts (cost terms) for ~15 % of hospitals: 0.1-1 % of their cost."""
    cost = np.bincount(st["hosp"], st["cost"], len(h))
    hit = rng.random(len(h)) < 0.15
    h["violation_amount"] = np.where(hit, np.round(cost * rng.uniform(0.001, 0.01, len(h))), 0.0)
