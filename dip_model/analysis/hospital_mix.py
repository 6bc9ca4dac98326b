"""CMI与结构: a hospital's case-mix index and the shares of its cases by case type and score bucket, against
the city's published averages when given, else the city run's own figures (a city run, not a hospital
folder), and against the hospitals of its own category in the run.

CMI is the engine's A-23 figure (rules/pipeline._aggregate): the mean group score RW·(1+aux) of the grouped
cases / 1000, both schemes together; the city's and the category's are computed the same way over their
cases. Shares are of all the hospital's cases (both schemes), as the A-23 metrics are; the age shares are of
the cases with a known age.

The city's published averages (`city_averages`, the `--city-averages FILE` of the groups command, a small
YAML file documented in docs/data-contract.md) may give any of: cmi, cost_per_case, elderly_share,
child_share, case_types {normal, grassroots, low, high, special, unmatched, tcm: share} and buckets
{core, grassroots, tcm, special: share}."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import yamlio
from ..errors import ParameterError
from ..messages import Items, Message
from ..rules.case_scores import BUCKETS, CASE_TYPES
from .hospital_cases import hospital_row, memo

SCALARS = ("cmi", "cost_per_case", "elderly_share", "child_share")
SHARES = {"case_types": tuple(CASE_TYPES), "buckets": tuple(BUCKETS)}


def load_city_averages(source) -> dict:
    """The city's published averages from a YAML file (path) or a mapping, checked: known names only,
    numbers ≥ 0, shares at most 1. Refused with a ParameterError naming the entry."""
    if source is None:
        return {}
    if isinstance(source, (str, Path)):
        where = str(source)
        try:
            with open(source, encoding="utf-8") as f:
                raw = yamlio.safe_load(f) or {}
        except OSError as err:
            raise ParameterError(Message("hv_city_unreadable", file=where, reason=err.strerror or str(err))) from None
    else:
        where, raw = "city averages", dict(source)
    if not isinstance(raw, dict):
        raise ParameterError(Message("hv_city_shape", file=where))
    out: dict = {}
    for key, value in raw.items():
        if key in SCALARS:
            out[key] = _number(where, key, value, share=key.endswith("_share"))
        elif key in SHARES:
            if not isinstance(value, dict):
                raise ParameterError(Message("hv_city_shape", file=where))
            for kind, v in value.items():
                if kind not in SHARES[key]:
                    raise ParameterError(Message("hv_city_unknown", file=where, key=f"{key}.{kind}",
                                                 known=Items(SHARES[key])))
                out.setdefault(key, {})[kind] = _number(where, f"{key}.{kind}", v, share=True)
        else:
            raise ParameterError(Message("hv_city_unknown", file=where, key=key,
                                         known=Items(list(SCALARS) + list(SHARES))))
    return out


def _number(where: str, key: str, value, share: bool) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value) and value >= 0
    if not ok or (share and value > 1):
        raise ParameterError(Message("hv_city_value", file=where, key=key, got=repr(value)))
    return float(value)


def _figures(stage, mask: np.ndarray) -> dict:
    """CMI, cost per case, age shares and type / bucket shares of the cases under `mask`."""
    prep, cs = stage.prep, stage.scores
    n = int(mask.sum())
    grouped = mask & (cs.group >= 0)
    ng = int(grouped.sum())
    age = prep.age[mask]
    known = ~np.isnan(age)
    out = {"cases": float(n), "cmi": float(cs.group_score[grouped].sum() / ng / 1000.0) if ng else np.nan,
           "cost_per_case": float(prep.cost[mask].sum() / n) if n else np.nan,
           "elderly_share": float((age[known] >= 65).mean()) if known.any() else np.nan,
           "child_share": float((age[known] <= 14).mean()) if known.any() else np.nan}
    types = np.bincount(cs.case_type[mask].astype(np.int64), minlength=len(CASE_TYPES)) / max(n, 1)
    buckets = np.bincount(cs.bucket[mask].astype(np.int64), minlength=len(BUCKETS)) / max(n, 1)
    out.update({f"case_types.{k}": float(v) for k, v in zip(CASE_TYPES, types)})
    out.update({f"buckets.{k}": float(v) for k, v in zip(BUCKETS, buckets)})
    return out


def mix_profile(res, hospital_id: str, city=None) -> pd.DataFrame:
    """One row per measure: measure (cases, cmi, cost_per_case, elderly_share, child_share,
    case_types.<type>, buckets.<bucket>), kind (count / index / money / share), hospital, category (the
    hospitals of its category in the run, itself included), city, city_source (published / run / "" when
    neither), difference (hospital − city) and ratio (hospital / city). `city` is a mapping or file of
    published averages (load_city_averages); a measure it lacks comes from the run when it is a city run
    (not a hospital folder) with other hospitals. The hospital's CMI is the engine's A-23 figure."""
    published = load_city_averages(city)
    row = hospital_row(res, hospital_id)
    city_run = getattr(res, "mode", "city") == "city"              # a hospital folder holds no city figures
    key = f"mix:{row}:{city_run}:{sorted(published.items()) if published else ''}"
    return memo(res.stage, key, lambda: _mix(res.stage, row, published, city_run))     # case figures only


def _mix(st, row: int, published: dict, city_run: bool) -> pd.DataFrame:
    hosp = st.prep.hosp
    mine = _figures(st, hosp == row)
    mine["cmi"] = float(st.agg.metrics["cmi"].iloc[row])                  # the engine's A-23 figure
    pre = getattr(st, "city_figures", None)        # a hospital user's cut of the city: figures computed before
    if pre is not None:
        cat = pre["category"].get(row) or dict.fromkeys(mine, np.nan)
        run = pre["run"].get(row, {}) if city_run else {}
    else:
        same_cat = np.flatnonzero(st.categories.astype(str) == str(st.categories[row]))
        cat = _figures(st, np.isin(hosp, same_cat))
        run = _figures(st, hosp >= 0) if city_run and bool((hosp != row).any()) else {}
    flat = {k: v for k, v in published.items() if k in SCALARS}
    for group in SHARES:
        flat.update({f"{group}.{kind}": v for kind, v in published.get(group, {}).items()})
    rows = []
    for measure, value in mine.items():
        if measure in flat:
            city, source = flat[measure], "published"
        elif measure in run and measure != "cases":
            city, source = run[measure], "run"
        else:
            city, source = np.nan, ""
        if not np.isfinite(city):
            source = ""
        with np.errstate(divide="ignore", invalid="ignore"):
            rows.append({"measure": measure, "kind": _kind(measure), "hospital": value, "category": cat[measure],
                         "city": city, "city_source": source, "difference": value - city,
                         "ratio": value / city if city else np.nan})
    return pd.DataFrame(rows)


def _kind(measure: str) -> str:
    if measure == "cases":
        return "count"
    if measure == "cmi":
        return "index"
    if measure == "cost_per_case":
        return "money"
    return "share"


def has_city_figures(profile: pd.DataFrame) -> bool:
    """Whether any measure has a city figure to compare with."""
    return bool((profile["city_source"] != "").any())


__all__ = ["has_city_figures", "load_city_averages", "mix_profile"]
