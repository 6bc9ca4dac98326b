"""Performance assessment (A-29, K-6 … K-11): the assessment coefficient of each hospital."""
from __future__ import annotations

import numpy as np
import pandas as pd


def assessment_coefficients(hospitals: pd.DataFrame) -> np.ndarray:
    """K-9: a = actual score ÷ maximum of the indicators taken, in [0, 1];
    K-10: 0 when suspended, terminated or penalised for fraud; 1 for a new hospital."""
    score = hospitals["assessment_score"].to_numpy(float)
    top = hospitals["assessment_max"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.clip(np.where(top > 0, score / top, 1.0), 0.0, 1.0)
    a = np.where(hospitals["is_new"].to_numpy(bool), 1.0, a)
    penalised = hospitals["suspended"].to_numpy(bool) | hospitals["fraud_penalized"].to_numpy(bool)
    return np.where(penalised, 0.0, a)
