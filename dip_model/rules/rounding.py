"""Explicit rounding (A-20 case counts, A-34.2 point value): half-up on the decimal value shown."""
from decimal import ROUND_HALF_UP, Decimal

import numpy as np


def round_half_up(x: float, decimals: int = 0) -> float:
    """Round half away from zero on the shortest decimal repr of x (12.8125 → 12.813)."""
    if x is None or not np.isfinite(x):
        return x
    q = Decimal(1).scaleb(-int(decimals))
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def count_half_up(rate: float, n: np.ndarray) -> np.ndarray:
    """round_half_up(rate · n) for integer counts n, exact in decimal (0.003 × 500 = 1.5 → 2)."""
    n = np.asarray(n, dtype=np.int64)
    r = Decimal(repr(float(rate)))
    num, den = r.as_integer_ratio()
    # rate·n = num·n/den; half-up = floor((2·num·n + den) / (2·den)) for non-negative values
    top = int(n.max()) if n.size else 0
    if (2 * abs(num) * top + den) < 2 ** 62 and 2 * den < 2 ** 62:
        return (2 * num * n + den) // (2 * den)
    exact = (2 * num * n.astype(object) + den) // (2 * den)   # a rate with many digits: Python integers
    return exact.astype(np.int64)
