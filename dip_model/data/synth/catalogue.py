"""catalogue.csv from the history (A-15, A-16): core and comprehensive groups, RW, categories,
grassroots and TCM designations; group_level_costs.csv."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import CLASS_ZH, CLASSES, CORE_MIN_CASES, COST_GROWTH, CV_MONITOR, HISTORY_YEARS, LEVELS, REIMB_LEVEL


def history_catalogue(years: dict, ctx: dict, rng) -> pd.DataFrame:
    """Group the three history years (A-15) and score the groups (A-16)."""
    hist = [years[y] for y in HISTORY_YEARS]
    hk, hc = np.concatenate([s["key"] for s in hist]), np.concatenate([s["cost"] for s in hist])
    hh = np.concatenate([s["hosp"] for s in hist])
    label, key_group, groups = _groups_from_history(hk, hc, hh, ctx)
    ctx.update(label=label, key_group=key_group, groups=groups)
    return _catalogue(groups, key_group, hc.mean(), ctx, rng)


def _groups_from_history(hist_key: np.ndarray, hist_cost: np.ndarray, hist_hosp: np.ndarray, ctx: dict):
    """Core keys (>= 15 history cases) and comprehensive groups dx3 x class (A-15)."""
    keys, dx = ctx["keys"], ctx["dx"]
    n_hist = np.bincount(hist_key, minlength=len(keys))
    core = n_hist >= CORE_MIN_CASES
    dx3 = dx["dx3"].to_numpy()[keys["dx"].to_numpy()]
    comp_id = pd.Series(dx3) + "|comp|" + pd.Series(np.array(CLASSES)[keys["cls"].to_numpy()])
    label = np.where(core, keys["fine_id"].to_numpy(), comp_id.to_numpy())
    in_cat = np.unique(label[n_hist > 0])                     # sorted group ids
    key_group = np.searchsorted(in_cat, label)
    key_group[(key_group >= len(in_cat)) | (in_cat[np.minimum(key_group, len(in_cat) - 1)] != label)] = -1
    g = key_group[hist_key]
    cnt = np.bincount(g, minlength=len(in_cat))
    mean = np.bincount(g, hist_cost, len(in_cat)) / cnt
    var = (np.bincount(g, hist_cost ** 2, len(in_cat)) - cnt * mean ** 2) / np.maximum(cnt - 1, 1)
    cv = np.where(cnt > 1, np.sqrt(np.maximum(var, 0)) / mean, 0.0)
    low = REIMB_LEVEL[ctx["hosp"]["_lvl"].to_numpy()[hist_hosp]] <= 2
    low_share = np.bincount(g, low.astype(float), len(in_cat)) / cnt
    return label, key_group, pd.DataFrame({"group_id": in_cat, "n": cnt, "mean": mean, "cv": cv,
                                           "low_share": low_share})


def _catalogue(groups: pd.DataFrame, key_group: np.ndarray, M: float, ctx: dict, rng) -> pd.DataFrame:
    """catalogue.csv: type, RW (A-16), grassroots, category and TCM standard."""
    keys, dx = ctx["keys"], ctx["dx"]
    first_key = pd.Series(np.arange(len(keys))).groupby(key_group).first().drop(-1, errors="ignore")
    k = first_key.reindex(np.arange(len(groups))).to_numpy()
    core = ~groups["group_id"].str.contains("|comp|", regex=False).to_numpy()
    d = keys["dx"].to_numpy()[k]
    rw = groups["mean"].to_numpy() / M * 1000
    names = np.where(core, keys["name"].to_numpy()[k],
                     dx["dx3"].to_numpy()[d] + dx["name"].to_numpy()[d] + "等-综合病种("
                     + np.array(CLASS_ZH)[keys["cls"].to_numpy()[k]] + ")")
    simple = (keys["cls"].to_numpy()[k] == 0) | (keys["mult"].to_numpy()[k] <= 1.3)
    basic = _grassroots(core & (dx["tier"].to_numpy()[d] == "b") & simple & (rw < 800), groups)
    monitored = core & (groups["cv"].to_numpy() > CV_MONITOR)
    ambiguous = core & ~monitored & (rng.random(len(groups)) < 0.01)
    tcm = core & dx["tcm"].to_numpy()[d] & (keys["cls"].to_numpy()[k] != 3)
    std = np.round(groups["mean"].to_numpy() * COST_GROWTH * rng.uniform(0.9, 1.1, len(groups)), -1)
    return pd.DataFrame({
        "group_id": groups["group_id"], "name": names,
        "group_type": np.where(core, "core", "comprehensive"), "rw": rw, "policy_factor": 1.0,
        "grassroots": basic, "category": np.select([monitored, ambiguous], ["monitored", "ambiguous"], "normal"),
        "tcm_standard": np.where(tcm, std, np.nan), "history_cases": groups["n"]})


def _grassroots(cand: np.ndarray, groups: pd.DataFrame) -> np.ndarray:
    """Grassroots list (A-15 ¶2): cheap common groups mostly treated in hospitals of
    reimbursement level <= 2, about 3-8 % of groups; a small city whose few hospitals miss
    the 60 % share takes its candidates with the highest share instead."""
    share, n = groups["low_share"].to_numpy(), groups["n"].to_numpy()
    n_min, n_max = max(3, int(0.03 * len(groups))), int(0.08 * len(groups))
    pick = cand & (share >= 0.6)
    if pick.sum() > n_max:                                    # the most common ones
        pick &= n >= np.sort(n[pick])[-n_max]
    if pick.sum() < n_min:
        order = np.lexsort((-n, -share))                      # highest share, then volume
        pick = np.zeros(len(cand), dtype=bool)
        pick[[i for i in order if cand[i]][:n_min]] = True
    return pick


def level_costs(st: dict, ctx: dict) -> pd.DataFrame:
    """group_level_costs.csv: 2023 mean cost per group and the hospital's 2023 level."""
    g = ctx["key_group"][st["key"]]
    lvl = ctx["hosp"]["_lvl_prior"].to_numpy()[st["hosp"]]
    df = pd.DataFrame({"g": g, "level": lvl, "cost": st["cost"]})
    out = df.groupby(["g", "level"], sort=True)["cost"].mean().reset_index()
    return pd.DataFrame({"group_id": ctx["groups"]["group_id"].to_numpy()[out["g"]],
                         "level": np.array(LEVELS)[out["level"]], "mean_cost": out["cost"]})
