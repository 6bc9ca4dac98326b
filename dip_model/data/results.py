"""The results folder (docs/data-contract.md): summary.json, hospitals.csv, cases.csv, monthly.csv — written atomically."""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

HOSPITAL_COLUMNS = ["hospital_id", "scheme", "cases", "total_score", "level_coef", "bonus", "hospital_coef",
                    "assessment_coef", "reimb_ratio", "score_fund", "ffs_fund", "usage_rate", "band", "retained",
                    "sharing", "pay_before_cap", "cap_deduction", "violation_deduction", "final_payment",
                    "monthly_prepaid", "year_end_settlement"]
CASE_COLUMNS = ["case_id", "hospital_id", "scheme", "group_id", "case_type", "bucket", "ratio", "raw_score",
                "weighted_score"]


# Output CSVs carry a byte-order mark, so Excel on Chinese Windows reads their Chinese text as UTF-8
CSV_ENCODING = "utf-8-sig"


def write_csv(df, path, **kw) -> None:
    """An output table as CSV (UTF-8 with a byte-order mark, no index)."""
    df.to_csv(path, index=False, encoding=CSV_ENCODING, **kw)


def _clean(v):
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(v) or math.isinf(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def summary_json(summary: dict) -> str:
    return json.dumps(_clean(summary), ensure_ascii=False, indent=1)


def write_results(res, out: str | Path, with_cases: bool = True) -> Path:
    """Write into a temporary folder beside `out`, then swap it in, so a reader never sees half a folder."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "summary.json").write_text(summary_json(res.summary), encoding="utf-8")
        hosp = res.hospitals
        cols = HOSPITAL_COLUMNS + [c for c in hosp.columns if c not in HOSPITAL_COLUMNS]
        write_csv(hosp[cols], tmp / "hospitals.csv", float_format="%.17g")
        write_csv(res.monthly, tmp / "monthly.csv", float_format="%.17g")
        if with_cases:
            cases = res.cases
            cols = CASE_COLUMNS + [c for c in cases.columns if c not in CASE_COLUMNS]
            write_csv(cases[cols], tmp / "cases.csv", float_format="%.17g")
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
