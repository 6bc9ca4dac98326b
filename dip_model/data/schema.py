"""The data contract in code (docs/data-contract.md): the accepted spellings of coded values and every
table of a data folder, with its columns, their kinds, defaults and the simple rules each column obeys.
"""
from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- vocabularies
# Accepted spellings (lower-case) -> canonical value.
BOOL_WORDS = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False,
              "yes": True, "no": False, "是": True, "否": False}
SCHEME_WORDS = {"employee": "employee", "resident": "resident", "职工": "employee", "居民": "resident"}
LEVEL_WORDS = {"3a": "3A", "3b": "3B", "2a": "2A", "2b": "2B", "1": "1", "other": "other",
               "三级甲等": "3A", "三级乙等": "3B", "二级甲等": "2A", "二级乙等": "2B",
               "一级": "1", "其他": "other"}
TYPE_WORDS = {"general": "general", "tcm": "tcm", "specialty": "specialty",
              "综合": "general", "中医": "tcm", "专科": "specialty"}
GROUP_TYPE_WORDS = {"core": "core", "comprehensive": "comprehensive",
                    "核心": "core", "综合": "comprehensive"}
CATEGORY_WORDS = {w: w for w in ("normal", "monitored", "ambiguous")}
PROC_CLASS_WORDS = {w: w for w in ("conservative", "diagnostic", "therapeutic", "surgical")}


# ---------------------------------------------------------------- schema
@dataclass(frozen=True)
class Col:
    """One known column: how to convert it and which simple rules apply."""

    name: str
    kind: str                       # text | opt (object str/None) | float | int | bool | date
    need: bool = False              # the column must exist and every row must have a value
    default: bool | float | str | None = None   # fills missing cells (None: NaN / NaT / None)
    words: dict | None = None       # accepted values, lower-case alias -> canonical
    strict: bool = True             # unknown word: problem (True) or warning (False)
    low: str = ""                   # "" | "nonneg" | "positive"
    span: tuple[int, int] | None = None   # allowed closed range


@dataclass(frozen=True)
class Table:
    """One table of the data folder: its columns and which file-level rules apply."""

    name: str
    cols: tuple[Col, ...]
    needed: bool = False            # the file must exist
    unique: tuple[str, ...] = ()    # these columns together identify a row


def _flags(*names: str, default: bool) -> tuple[Col, ...]:
    return tuple(Col(n, "bool", default=default) for n in names)


HOSPITALS = Table("hospitals", (
    Col("hospital_id", "text", need=True),
    Col("name", "text"),                                    # default = hospital_id
    Col("district", "text", default=""),
    Col("level", "text", need=True, words=LEVEL_WORDS, strict=False),
    Col("reimb_level", "int", need=True, span=(1, 3)),
    Col("type", "text", default="general", words=TYPE_WORDS),
    Col("assessment_score", "float", low="nonneg"),         # default = assessment_max
    Col("assessment_max", "float", default=100.0, low="positive"),
    *_flags("is_new", "suspended", "fraud_penalized", default=False),
    Col("level_change_date", "date"),
    Col("prev_level", "opt", words=LEVEL_WORDS, strict=False),
    Col("violation_amount", "float", default=0.0, low="nonneg"),
    Col("bonus", "float"),
    *(Col(f"key_specialty_{k}", "int", default=0, low="nonneg")
      for k in ("national", "provincial", "city")),
), needed=True, unique=("hospital_id",))

CASE_COLS = (
    Col("case_id", "text", need=True),
    Col("hospital_id", "text", need=True),
    Col("scheme", "text", need=True, words=SCHEME_WORDS),
    Col("discharge_date", "date", need=True),
    Col("admit_date", "date"),
    *(Col(n, "opt") for n in ("patient_id", "group_id", "dx_code", "proc_codes")),
    Col("proc_class", "opt", words=PROC_CLASS_WORDS, strict=False),
    Col("aux_type", "opt"),
    Col("total_cost", "float", need=True, low="nonneg"),
    Col("ffs_fund", "float", need=True, low="nonneg"),
    Col("ffs_amount", "float", low="nonneg"),               # default = total_cost
    Col("self_pay", "float", low="nonneg"),
    Col("other_insurance", "float", default=0.0, low="nonneg"),
    Col("age", "float", low="nonneg"),
    *_flags("qc_pass", "uploaded_on_time", default=True),
    *_flags("tcm_advantage", "transferred", "readmission_elsewhere", default=False),
    Col("department", "opt"),
    Col("doctor", "opt"),
)
CASES = Table("cases", CASE_COLS, needed=True, unique=("case_id",))
HISTORY = Table("history", CASE_COLS, unique=("case_id",))  # duplicates only warned

FUND_MONEY = ("prior_expenditure", "prior_revenue", "revenue", "prior_adjustment_fund",
              "out_of_area", "local_outpatient", "maternity", "critical_illness_premium",
              "non_dip_items", "other_rigid")
FUND = Table("fund", (
    Col("scheme", "text", need=True, words=SCHEME_WORDS),
    *(Col(m, "float", low="nonneg") for m in FUND_MONEY),
    Col("revenue_growth", "float"),
    Col("opening_balance", "float"),
), unique=("scheme",))                  # needed in a city folder; absent = a hospital folder

CATALOGUE = Table("catalogue", (
    Col("group_id", "text", need=True),
    Col("name", "text", default=""),
    Col("group_type", "text", need=True, words=GROUP_TYPE_WORDS),
    Col("rw", "float", need=True, low="positive"),
    Col("policy_factor", "float", default=1.0, low="positive"),
    Col("grassroots", "bool", default=False),
    Col("category", "text", default="normal", words=CATEGORY_WORDS),
    Col("tcm_standard", "float", low="nonneg"),
), unique=("group_id",))

GROUP_LEVEL_COSTS = Table("group_level_costs", (
    Col("group_id", "text", need=True),
    Col("level", "text", need=True, words=LEVEL_WORDS, strict=False),
    Col("mean_cost", "float", need=True, low="positive"),
), unique=("group_id", "level"))

AUX = Table("aux", (
    Col("aux_type", "text", need=True),
    Col("aux_coef", "float", need=True),
), unique=("aux_type",))

TABLES = (HOSPITALS, CASES, FUND, CATALOGUE, GROUP_LEVEL_COSTS, HISTORY, AUX)
