"""Aggregations for the groups and coefficients pages, computed with numpy from the case stage
(`Results.stage`: per-case arrays) rather than from the one-row-per-case frame.

Nothing here is a policy formula: each function counts or sums what the engine already decided
(case type, bucket, ratio R, raw score). Results are memoised on the stage object, which the
DataSet caches by the parameters it depends on, so a redraw costs a dictionary lookup."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import yamlio
from ..data.dataset import SCHEMES
from ..params import RULESETS
from ..rules.case_scores import BUCKETS, CASE_TYPES, SPECIAL

PRESETS = RULESETS / "presets"


def _memo(stage, name: str, build):
    """Keep a derived table on the (cached, read-only) case stage."""
    store = stage.__dict__.setdefault("_analysis", {})
    if name not in store:
        store[name] = build()
    return store[name]


def category_order(cats) -> list:
    """Hospital categories from the highest grade down: 3A, 3B, 2A, 2B, 1, then anything else."""
    def key(c):
        c = str(c)
        return (0, -int(c[0]), c) if c[:1].isdigit() else (1, 0, c)
    return sorted(set(map(str, cats)), key=key)


def _case_categories(stage) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each case's hospital category for the year, and the category names."""
    names = np.asarray(category_order(stage.categories), dtype=object)
    code_of_hosp = pd.Index(names).get_indexer(stage.categories.astype(str))
    return code_of_hosp[stage.prep.hosp], names


def _count_by(key: np.ndarray, n: int, weights=None) -> np.ndarray:
    return np.bincount(key, weights=weights, minlength=n)[:n]


def breakdown(stage, by: str = "case_type") -> pd.DataFrame:
    """Cases and raw scores (before the hospital coefficient) per scheme × hospital category ×
    case type (or bucket): columns scheme, category, kind, cases, raw_score."""
    def build():
        kinds = CASE_TYPES if by == "case_type" else BUCKETS
        kind = (stage.scores.case_type if by == "case_type" else stage.scores.bucket).astype(np.int64)
        cat, names = _case_categories(stage)
        C, T = len(names), len(kinds)
        key = (stage.prep.scheme * C + cat) * T + kind
        n = 2 * C * T
        cases = _count_by(key, n)
        raw = _count_by(key, n, stage.scores.raw)
        idx = np.arange(n)
        return pd.DataFrame({"scheme": np.asarray(SCHEMES, dtype=object)[idx // (C * T)],
                             "category": names[(idx // T) % C], "kind": kinds[idx % T],
                             "cases": cases.astype(np.int64), "raw_score": raw})
    return _memo(stage, f"breakdown:{by}", build)


def type_counts(stage, schemes) -> dict:
    """Number of cases of each case type over the given schemes."""
    b = breakdown(stage, "case_type")
    part = b[b["scheme"].isin(list(schemes))]
    out = part.groupby("kind")["cases"].sum()
    return {k: int(out.get(k, 0)) for k in CASE_TYPES}


def group_counts(stage) -> pd.DataFrame:
    """Per catalogue group and scheme: this year's cases and raw score (columns employee_cases, …)."""
    def build():
        g = stage.scores.group
        ok = g >= 0
        n = len(stage.ref.catalogue)
        out = {}
        for si, s in enumerate(SCHEMES):
            sel = ok & (stage.prep.scheme == si)
            out[f"{s}_cases"] = _count_by(g[sel], n).astype(np.int64)
            out[f"{s}_raw"] = _count_by(g[sel], n, stage.scores.raw[sel])
        return pd.DataFrame(out)
    return _memo(stage, "group_counts", build)


def log_histogram(values: np.ndarray, per_decade: int = 8, groups: np.ndarray | None = None) -> pd.DataFrame:
    """Counts of positive values in logarithmic bins (per_decade bins per factor of ten):
    columns lo, hi, group, count (group = '' when no grouping is given)."""
    v = np.asarray(values, float)
    g = np.full(len(v), "", dtype=object) if groups is None else np.asarray(groups, dtype=object)
    keep = np.isfinite(v) & (v > 0)
    v, g = v[keep], g[keep]
    if not len(v):
        return pd.DataFrame(columns=["lo", "hi", "group", "count"])
    a = np.floor(np.log10(v.min()) * per_decade) / per_decade
    b = np.ceil(np.log10(v.max()) * per_decade) / per_decade
    edges = 10 ** np.linspace(a, b, max(1, int(round((b - a) * per_decade))) + 1)
    return _binned(v, g, edges)


def _binned(v: np.ndarray, g: np.ndarray, edges: np.ndarray) -> pd.DataFrame:
    pos = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for name in pd.unique(g):
        c = np.bincount(pos[g == name], minlength=len(edges) - 1)
        rows.append(pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "group": name, "count": c}))
    return pd.concat(rows, ignore_index=True)


def ratio_edges(lo: float, hi: float, marks=(), per_decade: int = 20) -> np.ndarray:
    """Logarithmic bin edges from lo to hi with an edge exactly at each mark (the thresholds),
    so no bin straddles a threshold."""
    points = sorted({float(lo), float(hi), *[float(m) for m in marks if lo < m < hi]})
    edges = [points[0]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(1, int(round(np.log10(b / a) * per_decade)))
        edges += list(10 ** np.linspace(np.log10(a), np.log10(b), n + 1)[1:])
        edges[-1] = b
    return np.asarray(edges)


def ratio_histogram(stage, schemes, marks=(), lo: float = 0.05, hi: float = 20.0,
                    per_decade: int = 20) -> pd.DataFrame:
    """Deviation ratios R (A-19) in logarithmic bins from lo to hi, by case type; ratios outside the
    range fall into the end bins. Columns lo, hi, group (case type), count."""
    def build():
        sel = np.isin(stage.prep.scheme, [SCHEMES.index(s) for s in schemes])
        r = stage.scores.ratio[sel]
        ok = np.isfinite(r)
        edges = ratio_edges(lo, hi, marks, per_decade)
        return _binned(np.clip(r[ok], lo, edges[-2]), CASE_TYPES[stage.scores.case_type[sel][ok]], edges)
    return _memo(stage, f"ratio_hist:{','.join(schemes)}:{marks}:{lo}:{hi}:{per_decade}", build)


def special_cases(stage, data, schemes) -> pd.DataFrame:
    """The special cases (A-20) of the given schemes, highest score first: case, hospital, group,
    cost, the group's score, ratio R and the case's score."""
    def build():
        sc, prep = stage.scores, stage.prep
        sel = (sc.case_type == SPECIAL) & np.isin(prep.scheme, [SCHEMES.index(s) for s in schemes])
        idx = np.flatnonzero(sel)
        idx = idx[np.argsort(-sc.raw[idx], kind="stable")]
        h = data.hospitals
        cat = stage.ref.catalogue
        return pd.DataFrame({
            "case_id": data.cases["case_id"].to_numpy()[idx],
            "hospital_id": h["hospital_id"].to_numpy()[prep.hosp[idx]],
            "hospital_name": h["name"].to_numpy()[prep.hosp[idx]],
            "scheme": np.asarray(SCHEMES, dtype=object)[prep.scheme[idx]],
            "group_id": cat["group_id"].to_numpy(object)[sc.group[idx]],
            "group_name": cat["name"].to_numpy(object)[sc.group[idx]],
            "cost": prep.cost[idx], "group_score": sc.group_score[idx], "ratio": sc.ratio[idx],
            "score": sc.raw[idx],
        })
    return _memo(stage, f"special:{','.join(schemes)}", build)


def aux_usage(stage, data) -> pd.DataFrame:
    """The dataset's auxiliary coefficients (A-18) with the number of this year's cases carrying each."""
    aux = data.aux if data.aux is not None else pd.DataFrame({"aux_type": [], "aux_coef": []})
    n = np.bincount(stage.prep.aux_code[stage.prep.aux_code >= 0], minlength=len(stage.prep.aux_types))
    counts = dict(zip(stage.prep.aux_types, n))
    out = aux[["aux_type", "aux_coef"]].copy()
    out["cases"] = [int(counts.get(t, 0)) for t in out["aux_type"]]
    unknown = [t for t in stage.prep.aux_types if t not in set(out["aux_type"])]
    if unknown:      # types carried by cases but missing from aux.csv (coefficient 0 in the engine)
        out = pd.concat([out, pd.DataFrame({"aux_type": unknown, "aux_coef": np.nan,
                                            "cases": [int(counts[t]) for t in unknown]})], ignore_index=True)
    return out


def catalogue_reports(res) -> dict:
    """`Results.catalogue_reports()` (A-15), kept on the case stage: it depends only on the catalogue and
    case parameters that key the stage."""
    return _memo(res.stage, "catalogue_reports", res.catalogue_reports)


def load_preset(name: str) -> dict:
    """A parameter preset shipped with the rule sets (rulesets/presets/<name>.yaml): its labels and
    the nested parameter values it sets."""
    with open(PRESETS / f"{name}.yaml", encoding="utf-8") as f:
        return yamlio.safe_load(f)
