"""fund.csv: the budget lines of each scheme."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import SCHEMES


def fund_table(st: dict, rng) -> pd.DataFrame:
    """fund.csv: budget lines so that F (A-12) is ~100-105 % of the scheme's ffs_fund."""
    rows = []
    shares = {0: [0.20, 0.42, 0.08, 0.06, 0.16], 1: [0.16, 0.40, 0.03, 0.14, 0.17]}
    for s, scheme in enumerate(SCHEMES):
        ffs = st["ffs_fund"][st["scheme"] == s].sum()
        E = ffs / 0.55 * rng.uniform(0.98, 1.02)              # DIP is about half of fund spending
        R = E * (rng.uniform(1.05, 1.10) if s == 0 else rng.uniform(1.002, 1.008))
        g = round(rng.uniform(0.045, 0.055), 3)
        A_prev = E * rng.uniform(0.01, 0.02)
        B = E * (1 + min(g, 0.08))                            # A-10, prior year balanced
        A = min(A_prev * (1 + g), 0.05 * B)
        lines = B - A - ffs * rng.uniform(1.01, 1.04)         # F = B - lines - A
        part = np.round(lines * np.array(shares[s]) * rng.uniform(0.95, 1.05, 5))
        months = rng.uniform(8, 12) if s == 0 else rng.uniform(4, 7)
        rows.append({"scheme": scheme, "prior_expenditure": round(E), "prior_revenue": round(R),
                     "revenue": round(R * (1 + g)), "revenue_growth": g,
                     "prior_adjustment_fund": round(A_prev),
                     "out_of_area": part[0], "local_outpatient": part[1], "maternity": part[2],
                     "critical_illness_premium": part[3], "non_dip_items": part[4],
                     "other_rigid": round(lines - part.sum()),
                     "opening_balance": round(B / 12 * months)})
    money = [c for c in rows[0] if c not in ("scheme", "revenue_growth")]
    return pd.DataFrame(rows).astype({c: "int64" for c in money})
