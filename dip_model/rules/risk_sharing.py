"""Risk-sharing bands (A-36): retained surplus below the score fund, progressive sharing above it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _pct(x: float) -> str:
    return f"{x * 100:g}"


@dataclass
class Bands:
    retained: list       # [{from, to, ratio}] with ratio a number or {slope, intercept}
    overspend: list      # [{to, rate}] progressive from 1.0

    @property
    def full_from(self) -> float:
        return float(self.retained[-1]["to"])

    def labels(self) -> list[str]:
        """Band names from their edges in percent: under_70, 70_90, 90_100, over_100 (docs/rules.md, A-36)."""
        out = []
        for i, b in enumerate(self.retained):
            out.append(f"under_{_pct(b['to'])}" if i == 0 else f"{_pct(b['from'])}_{_pct(b['to'])}")
        return out + [f"{_pct(self.full_from)}_100", "over_100"]

    def retained_ratio(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A-36 (一)(二)(三): retained ratio of u and the index of its band (len(retained) = full, +1 = over)."""
        ratio = np.zeros(len(u))
        band = np.where(u > 1.0, len(self.retained) + 1, len(self.retained))
        for i, b in enumerate(self.retained):
            inside = (u >= b["from"]) & (u < b["to"]) if i else (u < b["to"])
            r = b["ratio"]
            val = r["slope"] * u + r["intercept"] if isinstance(r, dict) else np.full(len(u), float(r))
            ratio = np.where(inside, val, ratio)
            band = np.where(inside, i, band)
        return ratio, band

    def sharing_share(self, u: np.ndarray) -> np.ndarray:
        """Σ_b rate_b · overlap((1, u], band_b): the shared part of the overspend, per unit of SF."""
        out = np.zeros(len(u))
        lo = 1.0
        for b in self.overspend:
            out += float(b["rate"]) * np.clip(np.minimum(u, b["to"]) - lo, 0.0, None)
            lo = float(b["to"])
        return out


def apply_bands(bands: Bands, ffs: np.ndarray, sf: np.ndarray, no_sharing: np.ndarray):
    """pay_h before violations (A-36), with retained and sharing amounts and the band label.
    No overspend sharing for suspended or fraud-penalised hospitals (A-36 ¶ after (三))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(sf > 0, ffs / sf, np.where(ffs > 0, np.inf, 0.0))
    ratio, band = bands.retained_ratio(u)
    in_retained = band < len(bands.retained)
    retained = np.where(in_retained, sf * ratio, 0.0)
    over = u > 1.0
    share = np.where(np.isfinite(u), bands.sharing_share(np.where(np.isfinite(u), u, 0.0)), 0.0)
    sharing = np.where(over & ~no_sharing, sf * share, 0.0)
    pay = np.where(in_retained, ffs + retained, np.where(over, sf + sharing, sf))
    labels = np.array(bands.labels(), dtype=object)[band]
    return u, labels, retained, sharing, pay
