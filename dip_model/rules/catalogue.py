"""The disease-group catalogue and the reference figures taken from history:
A-15 (groups), A-16 (RW), A-19 (prior-year level costs), A-22 (level coefficients), A-17 (budget point value)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

import numpy as np
import pandas as pd

from ..data.dataset import SCHEMES, DataSet
from ..messages import Message
from ..params import Params, per_scheme
from .grouping import comprehensive_keys, core_keys, proc_classes
from .prepare import PreparedHistory, resolve_groups

CAT_COLUMNS = ["group_id", "name", "group_type", "rw", "policy_factor", "rw_eff", "grassroots",
               "category", "tcm_standard", "n_history", "cv"]


@dataclass
class Reference:
    catalogue: pd.DataFrame              # CAT_COLUMNS, row i = group code i
    mean_cost: float                     # M
    level_costs: pd.DataFrame            # group_id, category, mean_cost (A-19, prior year)
    level_coef_computed: dict            # category → k_L
    budget_point_value: dict             # scheme → PV_b
    source: str                          # "file" or "history"
    history_groups: np.ndarray | None = None   # group code of each history row (-1 none)
    warnings: list = field(default_factory=list)

    @property
    def groups(self) -> pd.Index:
        return pd.Index(self.catalogue["group_id"])


def category_keys(levels: pd.Series, reimb: pd.Series, by: str) -> pd.Series:
    """Hospital category (I-10): the level, or level and reimbursement level ('3A/r2')."""
    if by == "level_reimb":
        return (levels.astype(str) + "/r" + reimb.astype(str)).astype(object)
    return levels.astype(str).astype(object)


def history_categories(data: DataSet, by: str) -> pd.Series:
    """Category of each hospital in the prior year: the level before a change made this year."""
    h = data.hospitals
    prior_level = h["prev_level"].where(h["level_change_date"].notna() & h["prev_level"].notna(), h["level"])
    return category_keys(prior_level, h["reimb_level"], by).reset_index(drop=True)


def _year_weights(years: np.ndarray, weights: list | None) -> np.ndarray:
    """Weight of each history row by its year (catalogue.year_weights, oldest first; none = equal)."""
    if not weights:
        return np.ones(len(years))
    ys = np.sort(np.unique(years))[-len(weights):]
    table = np.asarray(weights[-len(ys):], dtype=float)
    pos = np.searchsorted(ys, years).clip(0, len(ys) - 1)
    return np.where(ys[pos] == years, table[pos], 0.0)


def _wmean(values: np.ndarray, codes: np.ndarray, w: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sw = np.bincount(codes, weights=w, minlength=n)
    s1 = np.bincount(codes, weights=w * values, minlength=n)
    s2 = np.bincount(codes, weights=w * values * values, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / sw
        var = np.maximum(s2 / sw - mean * mean, 0.0)
    return mean, np.sqrt(var), sw


def build_catalogue(history: pd.DataFrame, hp: PreparedHistory, p: Params) -> tuple[pd.DataFrame, float, list]:
    """A-15/A-16: core groups (≥ core_min_cases), comprehensive groups for the rest, RW = m/M×1000."""
    warnings: list[str] = []
    w = _year_weights(hp.year, p.get("catalogue.year_weights"))
    cost = hp.cost
    dx_len = int(p.get("catalogue.dx_key_length"))
    if "dx_code" in history and history["dx_code"].notna().any():
        core = core_keys(history["dx_code"], history.get("proc_codes", pd.Series("", index=history.index)), dx_len)
        counts = core.value_counts()
        is_core = core.map(counts).to_numpy() >= p.get("catalogue.core_min_cases")
        comp = comprehensive_keys(history["dx_code"], proc_classes(history))
        keys = core.where(is_core, comp)
        keys = keys.where(history["dx_code"].notna(), history.get("group_id"))
        by_dx = True                                  # group type read from the key (core or |comp|)
    else:
        keys = history["group_id"].astype(object)
        warnings.append(Message("history_no_dx"))
        by_dx = False
    valid = keys.notna().to_numpy()
    codes, uniq = pd.factorize(keys[valid])
    wv, cv_ = w[valid], cost[valid]
    M = float(np.sum(wv * cv_) / np.sum(wv))
    mean, sd, n = _wmean(cv_, codes, wv, len(uniq))
    counts = np.bincount(codes, minlength=len(uniq))
    if by_dx:
        gtype = np.where(pd.Series(uniq).str.contains("|comp|", regex=False), "comprehensive", "core")
    else:
        gtype = np.where(counts >= p.get("catalogue.core_min_cases"), "core", "comprehensive")
    cv = np.where(mean > 0, sd / mean, 0.0)
    cat = pd.DataFrame({
        "group_id": np.asarray(uniq, dtype=object),
        "name": "",
        "group_type": gtype,
        "rw": mean / M * 1000.0,
        "policy_factor": 1.0,
        "category": np.where((gtype == "core") & (cv > p.get("catalogue.cv_monitor")), "monitored", "normal"),
        "tcm_standard": np.nan,
        "n_history": counts,
        "cv": cv,
    })
    listed = set(map(str, p.get("catalogue.grassroots_list") or []))
    dx_part = cat["group_id"].str.split("|").str[0]
    cat["grassroots"] = (cat["group_type"] == "core") & (cat["group_id"].isin(listed) | dx_part.isin(listed))
    return cat, M, warnings


def _finish_catalogue(cat: pd.DataFrame, p: Params) -> pd.DataFrame:
    cat = cat.copy()
    if "n_history" not in cat and "history_cases" in cat:      # a catalogue file's own count column
        cat["n_history"] = pd.to_numeric(cat["history_cases"], errors="coerce").fillna(0).astype(int)
    for col, default in (("name", ""), ("policy_factor", 1.0), ("grassroots", False), ("category", "normal"),
                         ("tcm_standard", np.nan), ("n_history", 0), ("cv", np.nan)):
        if col not in cat:
            cat[col] = default
    overrides = p.get("catalogue.policy_factors") or {}
    if overrides:
        cat["policy_factor"] = cat["group_id"].map(overrides).fillna(cat["policy_factor"]).astype(float)
    cat["rw_eff"] = cat["rw"] * cat["policy_factor"]        # A-16 ¶2 expert adjustment
    return cat[CAT_COLUMNS].reset_index(drop=True)


def _level_costs_from_history(hp: PreparedHistory, codes: np.ndarray, cats: pd.Series, groups: pd.Index) -> pd.DataFrame:
    """A-19: prior-year mean cost per group and hospital category (the last year in history)."""
    cat_code, cat_names = pd.factorize(cats)
    last = (hp.year == hp.year.max()) & (codes >= 0) & (hp.hosp >= 0)
    C = len(cat_names)
    key = codes[last] * C + cat_code[hp.hosp[last]]
    n = np.bincount(key, minlength=len(groups) * C)
    total = np.bincount(key, weights=hp.cost[last], minlength=len(groups) * C)
    seen = np.flatnonzero(n)
    return pd.DataFrame({"group_id": groups[seen // C], "category": np.asarray(cat_names, dtype=object)[seen % C],
                         "mean_cost": total[seen] / n[seen], "n": n[seen], "g": seen // C})


def reference_hospitals(data: DataSet, p: Params) -> pd.Series:
    """A-22 reference set: 三级甲等 hospitals reimbursed at level 3 (in the prior year)."""
    h = data.hospitals
    prior_level = h["prev_level"].where(h["level_change_date"].notna() & h["prev_level"].notna(), h["level"])
    is_ref = (prior_level.astype(str) == str(p.get("coefficients.reference_level"))) & \
             (h["reimb_level"] == int(p.get("coefficients.reference_reimb_level")))
    return pd.Series(np.where(is_ref, REF, "-"), dtype=object)


REF = "__reference__"


def level_coefficients(lc: pd.DataFrame | None, ref_cat: str, method: str) -> dict:
    """A-22 (I-4): k_L = Σ_i n_iL·m_iL / Σ_i n_iL·m_i,ref over groups seen in both (case-mix weighted),
    or the simple ratio of mean cost per case of L to that of the reference (三级甲等, 按三级报销)."""
    if lc is None or lc.empty or ref_cat not in set(lc["category"]):
        return {}
    g = lc["g"].to_numpy()
    n = lc["n"].to_numpy(float)
    m = lc["mean_cost"].to_numpy(float)
    is_ref = (lc["category"] == ref_cat).to_numpy()
    m_ref = np.full(int(g.max()) + 1, np.nan)
    m_ref[g[is_ref]] = m[is_ref]
    ref_mean = np.sum(n[is_ref] * m[is_ref]) / np.sum(n[is_ref])
    out = {}
    cat_codes, cats = pd.factorize(lc["category"])
    for ci, cat in enumerate(cats):
        rows = cat_codes == ci
        if method == "simple":
            out[str(cat)] = float(np.sum(n[rows] * m[rows]) / np.sum(n[rows]) / ref_mean)
            continue
        both = rows & ~np.isnan(m_ref[g])
        if both.any():
            out[str(cat)] = float(np.sum(n[both] * m[both]) / np.sum(n[both] * m_ref[g[both]]))
    return out


def _budget_point_values(hp: PreparedHistory | None, cat: pd.DataFrame, codes: np.ndarray, p: Params) -> dict:
    """A-17: PV_b = weighted annual total cost ÷ Σ(RW × cases), per scheme; optionally the quality interval."""
    out: dict = {}
    given = p.get("budget_point_value")
    for si, s in enumerate(SCHEMES):
        v = per_scheme(given, s)
        if v is not None or hp is None:
            out[s] = None if v is None else float(v)
            continue
        sel = (hp.scheme == si) & (codes >= 0)
        if not sel.any():
            out[s] = None
            continue
        w = _year_weights(hp.year, p.get("catalogue.year_weights"))[sel]
        cost = hp.cost[sel]
        pts = cat["rw_eff"].to_numpy()[codes[sel]]
        if p.get("point_value.method") == "quality_interval":
            # each hospital's cost per point; keep those inside the IQR fences; case-weighted mean
            hc = hp.hosp[sel] + 1
            c_h = np.bincount(hc, weights=w * cost)
            s_h = np.bincount(hc, weights=w * pts)
            n_h = np.bincount(hc)
            has = n_h > 0
            ratio, n_h = c_h[has] / s_h[has], n_h[has]
            q1, q3 = np.percentile(ratio, [25, 75])
            k = p.get("point_value.quality_iqr_k")
            keep = (ratio >= q1 - k * (q3 - q1)) & (ratio <= q3 + k * (q3 - q1))
            out[s] = float(np.sum(ratio[keep] * n_h[keep]) / np.sum(n_h[keep]))
        else:
            out[s] = float(np.sum(w * cost) / np.sum(w * pts))
    return out


def build_reference(data: DataSet, hp: PreparedHistory | None, p: Params) -> Reference:
    warnings: list[str] = []
    source = p.get("catalogue.source")
    if source == "auto":
        source = "file" if data.catalogue is not None else "history"
    if source == "file" and data.catalogue is None:
        raise_missing(Message("catalogue_file_needed"))
    if source == "history" and data.history is None:
        raise_missing(Message("history_needed"))
    by = p.interpretation("I-10")
    hist_M = None
    if source == "file":
        cat = _finish_catalogue(data.catalogue, p)
    else:
        assert hp is not None                       # prepared whenever there is a history (prepare_history)
        raw, hist_M, found = build_catalogue(data.history, hp, p)
        warnings += found
        cat = _finish_catalogue(raw, p)
    groups = pd.Index(cat["group_id"])
    codes = None
    if hp is not None:
        codes = resolve_groups(data.history, hp.group_code, hp.group_ids, hp.has_dx, groups,
                               int(p.get("catalogue.dx_key_length")))

    M = p.get("mean_cost_all")                                           # A-16 M
    if M is None:
        if hist_M is not None:
            M = hist_M
        elif hp is not None:
            w = _year_weights(hp.year, p.get("catalogue.year_weights"))
            M = float(np.sum(w * hp.cost) / np.sum(w))
        else:
            M = float(data.cases["total_cost"].mean())
            warnings.append(Message("mean_cost_from_cases"))
    M = float(M)

    cats = history_categories(data, by)
    lc_hist = _level_costs_from_history(hp, codes, cats, groups) if hp is not None and codes is not None else None
    if data.group_level_costs is not None:
        lc = data.group_level_costs.rename(columns={"level": "category"})[["group_id", "category", "mean_cost"]].copy()
        lc["category"] = lc["category"].astype(str)
    elif lc_hist is not None:
        lc = lc_hist
    else:
        lc = pd.DataFrame(columns=["group_id", "category", "mean_cost"])
        warnings.append(Message("no_level_costs"))
    k = {}
    if lc_hist is not None:
        assert hp is not None and codes is not None     # lc_hist is built from the history
        ref_lc = _level_costs_from_history(hp, codes, reference_hospitals(data, p), groups)
        both = pd.concat([lc_hist, ref_lc[ref_lc["category"] == REF]], ignore_index=True)
        k = level_coefficients(both, REF, p.interpretation("I-4"))
        k.pop(REF, None)
    pvb = _budget_point_values(hp, cat, codes if codes is not None else np.array([], int), p)
    return Reference(cat, M, lc, k, pvb, source, codes, warnings)


def raise_missing(msg: Message) -> NoReturn:
    from ..errors import InputError, Problem
    raise InputError([Problem(file=Message("where_data_folder"), message=msg)])


def catalogue_reports(ref: Reference, group_codes: np.ndarray, reimb: np.ndarray, category: np.ndarray,
                      p: Params, city: bool = True) -> dict:
    """A-15 ¶2 grassroots exit list and A-15 ¶3 level-dominated groups, from this year's cases. Both
    need every hospital's cases: for a hospital folder (city=False) they are empty and `not_applicable`
    says why; the catalogue's own lists (thin, ambiguous) are kept."""
    cat = ref.catalogue
    if not city:
        group_codes = group_codes[:0]
        reimb, category = reimb[:0], category[:0]
    ok = group_codes >= 0
    g = group_codes[ok]
    n = np.bincount(g, minlength=len(cat))
    low = np.bincount(g, weights=(reimb[ok] <= 2).astype(float), minlength=len(cat))
    with np.errstate(invalid="ignore", divide="ignore"):
        share_low = low / n
    gr = cat["grassroots"].to_numpy(bool)
    exit_mask = gr & (n > 0) & (share_low < p.get("catalogue.grassroots_min_share"))
    exits = pd.DataFrame({"group_id": cat["group_id"][exit_mask].to_numpy(), "cases": n[exit_mask],
                          "grassroots_share": share_low[exit_mask]})
    ccodes, cnames = pd.factorize(category[ok])
    tab = np.zeros((len(cat), len(cnames)))
    np.add.at(tab, (g, ccodes), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        top = (tab.max(axis=1) if tab.shape[1] else np.zeros(len(cat))) / n
    dom = (n > 0) & (top > p.get("catalogue.dominance_share"))
    dominated = pd.DataFrame({"group_id": cat["group_id"][dom].to_numpy(), "cases": n[dom],
                              "category": np.asarray(cnames, dtype=object)[tab[dom].argmax(axis=1)] if dom.any() else [],
                              "share": top[dom]})
    thin = cat.loc[(cat["group_type"] == "comprehensive") & (cat["n_history"] < p.get("catalogue.core_min_cases")), "group_id"]
    ambiguous = cat.loc[cat["category"] == "ambiguous", "group_id"]
    return {"grassroots_exit": exits, "level_dominated": dominated,
            "thin_comprehensive": thin.tolist(), "ambiguous_leaving": ambiguous.tolist(),
            "not_applicable": [] if city else [Message("not_applicable_catalogue_reports")]}
