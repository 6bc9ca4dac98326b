"""The figures the synthetic city is tuned to: years and trends, hospital levels, schemes, treatment
classes, aux types, districts, per-level factors, age profiles, seasonality and the cost mixture."""
import numpy as np

YEAR = 2024
HISTORY_YEARS = (2021, 2022, 2023)
VOLUME_SHRINK = 0.95          # each prior year has ~5 % fewer cases
COST_GROWTH = 1.04            # and ~4 % lower costs
CORE_MIN_CASES = 15           # A-15 core-group threshold (catalogue.core_min_cases)
CV_MONITOR = 1.0              # A-15 monitored-group threshold (catalogue.cv_monitor)
MEAN_COST_TARGET = 10_000.0   # national mean inpatient cost per case, yuan (domain notes)

LEVELS = ("3A", "3B", "2A", "2B", "1")
REIMB_LEVEL = np.array([3, 3, 2, 2, 1])
SCHEMES = ("employee", "resident")
CLASSES = ("conservative", "diagnostic", "therapeutic", "surgical")
CLASS_ZH = ("保守治疗", "诊断性操作", "治疗性操作", "手术")
AUX = (("severity_2", 0.1), ("severity_3", 0.2), ("age_65_plus", 0.05), ("age_0_28d", 0.3))

# districts with approximate populations (millions); the first two are the urban core
DISTRICTS = ("江阳区", "龙马潭区", "纳溪区", "泸县", "合江县", "叙永县", "古蔺县")
DISTRICT_POP = np.array([0.65, 0.48, 0.40, 0.83, 0.70, 0.57, 0.68])

# per hospital level (order of LEVELS)
LEVEL_COST = np.array([1.25, 1.08, 0.90, 0.82, 0.72])     # cost per case relative to average
LEVEL_VOLUME = np.array([70.0, 25.0, 10.0, 5.0, 0.5])     # case volume per hospital, relative
LEVEL_PROC = np.array([1.15, 1.05, 0.95, 0.85, 0.45])     # propensity to operate
LEVEL_TRANSFER = np.array([0.5, 0.8, 1.1, 1.4, 2.2])      # transfer-out propensity
FFS_RATIO = np.array([[0.76, 0.78, 0.80, 0.81, 0.84],     # employee fund share of cost
                      [0.60, 0.64, 0.68, 0.70, 0.74]])    # resident
TIER_LEVEL_PREF = {"b": [0.3, 0.5, 1.3, 1.6, 5.0],        # basic (grassroots-like) diagnoses
                   "n": [1.0, 1.0, 1.0, 0.9, 0.5],
                   "c": [2.5, 1.5, 0.6, 0.3, 0.03]}       # complex, tertiary care

# age profiles of the diagnosis table: (mean, sd, min, max) of a normal, or a special rule
AGE_PROFILES = {"A": (56, 17, 18, 98), "E": (74, 8, 60, 100), "M": (52, 12, 25, 88),
                "Y": (35, 10, 15, 65), "W": (42, 10, 20, 62), "O": (29, 5, 17, 46),
                "C": "child", "N": None}

# discharge seasonality (Jan..Dec): a winter peak and the Spring Festival dip
MONTH_WEIGHT = np.array([1.08, 0.86, 1.0, 0.98, 1.0, 0.97, 1.0, 1.0, 0.97, 0.95, 1.02, 1.1])

# log-cost mixture within a group x level: body, short-stay low tail, thin high tail
MIX_P = np.array([0.86, 0.12, 0.02])
MIX_MU = np.array([0.0, -1.1, 1.0])
MIX_SD = np.array([0.30, 0.50, 0.30])
