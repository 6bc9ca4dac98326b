"""Views of the risk-sharing bands (A-36) for the dashboard: the curve payment ÷ score fund against the
fund-use rate, the regions of a band set, and where each hospital sits. The band maths itself is
risk_sharing.Bands / apply_bands; this module only evaluates it."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..params import Params
from ..rules.risk_sharing import Bands, apply_bands


def bands_of(params: Params, scheme: str) -> Bands:
    """The band set of one scheme (sharing.<scheme>.retained / overspend)."""
    return Bands(params.get(f"sharing.{scheme}.retained"), params.get(f"sharing.{scheme}.overspend"))


def edges(bands: Bands) -> list[float]:
    """Every edge of the bands: retained edges, 1.0 and the overspend edges."""
    out = {float(b["from"]) for b in bands.retained} | {float(b["to"]) for b in bands.retained} | {1.0}
    out |= {float(b["to"]) for b in bands.overspend}
    return sorted(out)


def curve(bands: Bands, u_max: float = 1.6, points: int = 1601) -> pd.DataFrame:
    """pay ÷ SF for use rates 0 … u_max (SF = 1, FFS = u, sharing allowed), with a point just below
    every edge so that jumps are drawn upright."""
    grid = np.linspace(0.0, u_max, points)
    e = np.array([x for x in edges(bands) if 0.0 < x <= u_max])
    u = np.unique(np.concatenate([grid, e, np.nextafter(e, -np.inf)]))
    _, label, retained, sharing, pay = apply_bands(bands, u.copy(), np.ones(len(u)), np.zeros(len(u), bool))
    return pd.DataFrame({"usage_rate": u, "pay_ratio": pay, "band": label,
                         "retained_ratio": retained, "sharing_ratio": sharing})


def regions(bands: Bands, u_max: float = 1.6) -> list[dict]:
    """The bands as use-rate intervals for shading: kind = retained | full | overspend | beyond,
    with the band's label and its retained ratio or sharing rate."""
    labels = bands.labels()
    out = []
    for i, b in enumerate(bands.retained):
        out.append({"kind": "retained", "lo": 0.0 if i == 0 else float(b["from"]), "hi": float(b["to"]),
                    "label": labels[i], "ratio": b["ratio"], "first": i == 0})
    out.append({"kind": "full", "lo": bands.full_from, "hi": 1.0, "label": labels[-2]})
    lo = 1.0
    for b in bands.overspend:
        out.append({"kind": "overspend", "lo": lo, "hi": float(b["to"]), "label": labels[-1],
                    "rate": float(b["rate"])})
        lo = float(b["to"])
    out.append({"kind": "beyond", "lo": lo, "hi": max(u_max, lo), "label": labels[-1], "rate": 0.0})
    return [r for r in out if r["hi"] > r["lo"]]


def positions(hospitals: pd.DataFrame, scheme: str) -> pd.DataFrame:
    """Each hospital's use rate and its pay before the cap ÷ its score fund (the point on its curve;
    suspended or fraud-penalised hospitals over 100 % sit at 1, without sharing)."""
    part = hospitals[hospitals["scheme"] == scheme]
    sf = part["score_fund"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sf > 0, part["pay_before_cap"].to_numpy(float) / sf, np.nan)
    return pd.DataFrame({"hospital_id": part["hospital_id"].to_numpy(), "name": part["name"].to_numpy(),
                         "usage_rate": part["usage_rate"].to_numpy(float), "pay_ratio": ratio,
                         "band": part["band"].to_numpy()})


def band_parts(label: str) -> tuple[str, str, str]:
    """A band label (Bands.labels: under_70, 70_90, 90_100, over_100) as (kind, low %, high %),
    kind = under | between | over, for a translated caption."""
    label = str(label)
    if label.startswith("under_"):
        return "under", "0", label[len("under_"):]
    if label.startswith("over_"):
        return "over", label[len("over_"):], ""
    lo, _, hi = label.partition("_")
    return "between", lo, hi
