"""The settlement pipeline: reference → case scores → aggregates → coefficients → budget → settlement.
Stages are cached on the DataSet by the parameters they depend on, so a change of budget, bands,
coefficients or assessment re-runs only the hospital-level stage."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import SCHEMES, DataSet
from ..errors import DipError, ParameterError
from ..messages import Items, Message
from ..params import Params, load_params
from . import coefficients as coef
from .assessment import assessment_coefficients
from .budget import BUDGET_FIELDS, scheme_budget
from .case_scores import (
    B_CORE,
    B_GRASSROOTS,
    B_SPECIAL,
    B_TCM,
    BUCKETS,
    CASE_TYPES,
    LOW,
    UNMATCHED,
    CaseScores,
    score_cases,
)
from .catalogue import Reference, build_reference, catalogue_reports
from .fund_balance import FUND_BALANCE_FIELDS, fund_balance
from .hospital_data import with_overrides
from .prepare import Prepared, prepare_cases, prepare_history
from .risk_sharing import Bands, apply_bands
from .settlement import annual_scores, global_cap, point_value, score_fund, violation_split

REFERENCE_KEYS = ("catalogue", "mean_cost_all", "budget_point_value", "point_value.method",
                  "point_value.quality_iqr_k", "interpretations.I-4", "interpretations.I-10",
                  "coefficients.reference_level", "coefficients.reference_reimb_level")
CASE_KEYS = REFERENCE_KEYS + ("cases", "interpretations.I-1", "interpretations.I-2", "interpretations.I-3",
                              "interpretations.I-6", "interpretations.I-11", "interpretations.I-12",
                              "coefficients.level_change_cutoff")
PARTS = ("core_k", "core_lu", "grassroots", "tcm", "special")


@dataclass
class Aggregates:
    """What the hospital-level stage needs, summed per hospital × scheme (× month)."""
    n_hs: int                       # number of hospital × scheme slots (= 2 · hospitals)
    count: np.ndarray
    cost: np.ndarray
    ffs: np.ndarray
    self_pay: np.ndarray
    other: np.ndarray
    parts: dict                     # PARTS → per hs
    monthly_parts: dict             # PARTS → (hs, 12)
    monthly_self: np.ndarray        # (hs, 12)
    monthly_other: np.ndarray
    monthly_count: np.ndarray
    metrics: pd.DataFrame           # per hospital: cmi, elderly_share, child_share
    type_counts: np.ndarray         # (hs, 7)


def _aggregate(prep: Prepared, cs: CaseScores, n_hosp: int) -> Aggregates:
    hs = prep.hosp * 2 + prep.scheme
    n_hs = n_hosp * 2
    key_m = hs * 12 + prep.month

    def per_hs(w):
        return np.bincount(hs, weights=w, minlength=n_hs)

    def per_m(w):
        return np.bincount(key_m, weights=w, minlength=n_hs * 12).reshape(n_hs, 12)

    core = cs.bucket == B_CORE
    lu = core & ((cs.case_type == LOW) | (cs.case_type == UNMATCHED))
    masks = {"core_k": core & ~lu, "core_lu": lu, "grassroots": cs.bucket == B_GRASSROOTS,
             "tcm": cs.bucket == B_TCM, "special": cs.bucket == B_SPECIAL}
    parts = {k: per_hs(np.where(m, cs.raw, 0.0)) for k, m in masks.items()}
    monthly = {k: per_m(np.where(m, cs.raw, 0.0)) for k, m in masks.items()}
    # A-23 metrics over both schemes: CMI from group scores, age shares
    grouped = cs.group >= 0
    n_h = np.bincount(prep.hosp, minlength=n_hosp).astype(float)
    n_g = np.bincount(prep.hosp[grouped], minlength=n_hosp).astype(float)
    rw_sum = np.bincount(prep.hosp[grouped], weights=cs.group_score[grouped], minlength=n_hosp)
    known_age = ~np.isnan(prep.age)
    n_age = np.bincount(prep.hosp[known_age], minlength=n_hosp).astype(float)
    old = np.bincount(prep.hosp[known_age], weights=(prep.age[known_age] >= 65).astype(float), minlength=n_hosp)
    young = np.bincount(prep.hosp[known_age], weights=(prep.age[known_age] <= 14).astype(float), minlength=n_hosp)
    with np.errstate(invalid="ignore", divide="ignore"):
        metrics = pd.DataFrame({"cases": n_h, "cmi": np.nan_to_num(rw_sum / n_g / 1000.0),
                                "elderly_share": np.nan_to_num(old / n_age), "child_share": np.nan_to_num(young / n_age)})
    tc = np.zeros((n_hs, len(CASE_TYPES)))
    np.add.at(tc, (hs, cs.case_type.astype(np.int64)), 1.0)
    return Aggregates(n_hs, per_hs(None), per_hs(prep.cost), per_hs(prep.ffs), per_hs(prep.self_pay),
                      per_hs(prep.other), parts, monthly, per_m(prep.self_pay), per_m(prep.other),
                      per_m(None), metrics, tc)


@dataclass
class CaseStage:
    prep: Prepared
    ref: Reference
    categories: np.ndarray          # per hospital, the category for the year
    scores: CaseScores
    agg: Aggregates
    warnings: list = field(default_factory=list)


def prepared(data: DataSet):
    """Parameter-free encoding of the dataset, once per dataset."""
    return data.cached("prepared", "v1", lambda: (prepare_cases(data), prepare_history(data)))


def case_stage(data: DataSet, p: Params) -> CaseStage:
    prep, hprep = prepared(data)
    ref = data.cached("reference", p.digest(*REFERENCE_KEYS), lambda: build_reference(data, hprep, p))

    def build():
        cats = coef.year_categories(data.hospitals, prep.year, p).to_numpy(object)
        scores = score_cases(data, prep, ref, cats, p)
        agg = _aggregate(prep, scores, len(data.hospitals))
        w = []
        if scores.level_cost_missing:
            w.append(Message("level_cost_missing", n=scores.level_cost_missing))
        if scores.aux_unknown:
            w.append(Message("aux_unknown", n=scores.aux_unknown))
        return CaseStage(prep, ref, cats, scores, agg, w)

    return data.cached("cases", p.digest(*CASE_KEYS), build)


def simulate(data: DataSet, params: Params | dict | str | None = None) -> "Results":
    """Run the year's settlement for every hospital and scheme."""
    p = params if isinstance(params, Params) else load_params(params)
    if data.mode == "hospital":
        check_hospital_folder(p, pd.unique(data.cases["scheme"]))     # before any case is scored
    st = case_stage(data, p)
    return settle(data, st, p)


def require_city(data: DataSet, what: str) -> None:
    """Refuse an analysis that needs the whole city (its budget, fund or point value) on a hospital folder;
    `what` is the catalogue key naming it."""
    if data.mode != "city":
        raise DipError(Message("needs_city_data", what=Message(what)))


def check_hospital_folder(p: Params, schemes) -> None:
    """A hospital folder (no fund.csv) is settled with the city's published figures: the settlement
    point value of every scheme it has cases in (A-34) and M (A-16); special cases cannot be ranked
    city-wide (I-1). Refused with the parameters' names before anything is computed."""
    if p.interpretation("I-1") == "city":
        raise ParameterError(Message("hospital_city_i1"))
    missing: list[Message] = []
    example: list[str] = []                       # what to write in a parameter file, in YAML
    pv = [s for s in SCHEMES if s in set(schemes) and p.get(f"point_value.given.{s}") is None]
    for s in pv:
        missing.append(Message("hospital_needs_point_value", path=f"point_value.given.{s}", scheme=s))
    if pv:
        example.append("point_value: {given: {" + ", ".join(f"{s}: …" for s in pv) + "}}")
    if p.get("mean_cost_all") is None:
        missing.append(Message("hospital_needs_mean_cost"))
        example.append("mean_cost_all: …")
    if missing:
        raise ParameterError(Message("hospital_needs", items=Items(missing, sep="; "), example=Items(example, sep="; ")))


def settle(data: DataSet, st: CaseStage, p: Params, fund: pd.DataFrame | None = None) -> "Results":
    """The hospital-level stage. `st.agg` may be a scaled copy and `fund` a replacement fund table: the
    projection and the Monte Carlo draws settle modified aggregates this way (dataclasses.replace)."""
    h = with_overrides(data.hospitals, p)                                    # scenario assessment / violations
    fund = data.fund if fund is None else fund
    city = fund is not None                       # a hospital folder: no city budget, cap or fund balance
    fund_rows = fund.set_index("scheme") if fund is not None else pd.DataFrame()
    agg, ref = st.agg, st.ref
    warnings = list(data.warnings) + list(st.prep.warnings or []) + list(ref.warnings) + list(st.warnings)
    # A-22 … A-25 coefficients, K-9/K-10 assessment (per hospital)
    is_new = h["is_new"].astype(bool)
    k_level = coef.level_coefficients(pd.Series(st.categories), is_new, ref.level_coef_computed, p, warnings)
    bonus = coef.bonus(h, agg.metrics, p)
    K = coef.combine(k_level, bonus, p.get("coefficients.combine"))
    a = assessment_coefficients(h)
    no_sharing = (h["suspended"].to_numpy(bool) | h["fraud_penalized"].to_numpy(bool))

    # per hospital × scheme (index hs = 2·h + s)
    K_hs, a_hs = np.repeat(K, 2), np.repeat(a, 2)
    S = annual_scores(agg.parts, K_hs, p.interpretation("I-7"))
    scheme_of = np.tile(np.arange(2), len(h))
    present = agg.count > 0

    budgets, totals = {}, {}
    for si, s in enumerate(SCHEMES):
        sel = present & (scheme_of == si)
        if city:                                  # A-10 … A-13 need the city's fund table
            if s not in fund_rows.index:
                continue
            budgets[s] = scheme_budget(fund_rows.loc[s].to_dict(), s, p, float(agg.ffs[sel].sum()),
                                       float(agg.cost[sel].sum()))
        elif not sel.any():
            continue
        totals[s] = float(S[sel].sum())
    settled = list(totals)                        # city: the schemes of fund.csv; hospital: those with cases
    if not city:
        check_hospital_folder(p, settled)

    # point value (I-8 per scheme or one for the city), unless the published one is given
    decimals = int(p.get("point_value.decimals"))
    if not budgets:
        computed: dict = {}
    elif p.interpretation("I-8") == "city":
        pv_city = point_value(sum(b["dip_cost_payable"] for b in budgets.values()), sum(totals.values()), decimals)
        computed = {s: pv_city for s in budgets}
    else:
        computed = {s: point_value(budgets[s]["dip_cost_payable"], totals[s], decimals) for s in budgets}
    given = {s: p.get(f"point_value.given.{s}") for s in settled}
    pv = {s: float(given[s]) if given[s] is not None else computed[s] for s in settled}
    monthly_pvb = {s: p.get(f"point_value.budget_monthly.{s}") for s in settled}
    pvb = {}
    for s in settled:
        v = ref.budget_point_value.get(s)
        if v is None and monthly_pvb[s] is not None:
            v = float(np.mean(monthly_pvb[s]))                               # only the months are given
        elif v is None:
            v = ref.mean_cost / 1000.0
            warnings.append(Message("budget_pv_fallback", scheme=s, v=v))
        pvb[s] = float(v)

    pv_hs = np.array([pv.get(SCHEMES[i], np.nan) for i in scheme_of])
    pvb_hs = np.array([pvb.get(SCHEMES[i], np.nan) for i in scheme_of])
    pvb_hm = np.repeat(pvb_hs[:, None], 12, axis=1)                         # A-32 budget PV of each month
    for si, s in enumerate(SCHEMES):
        if monthly_pvb.get(s) is not None:
            pvb_hm[scheme_of == si] = np.asarray(monthly_pvb[s], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(agg.cost > 0, agg.ffs / agg.cost, 0.0)                   # actual reimbursement ratio
    share = float(p.get("assessment_share"))
    SF = score_fund(S, a_hs, share, pv_hs, r)

    u = np.zeros(agg.n_hs)
    band = np.empty(agg.n_hs, dtype=object)
    retained, sharing, pay = np.zeros(agg.n_hs), np.zeros(agg.n_hs), np.zeros(agg.n_hs)
    for si, s in enumerate(SCHEMES):
        sel = scheme_of == si
        bands = Bands(p.get(f"sharing.{s}.retained"), p.get(f"sharing.{s}.overspend"))
        u[sel], band[sel], retained[sel], sharing[sel], pay[sel] = apply_bands(
            bands, agg.ffs[sel], SF[sel], no_sharing)

    cost_h = agg.cost.reshape(-1, 2).sum(axis=1)
    V = violation_split(np.repeat(h["violation_amount"].to_numpy(float), 2), agg.cost, np.repeat(cost_h, 2))
    viol = V * r                                                             # deducted once (I-9)

    cap = np.zeros(agg.n_hs) if city else np.full(agg.n_hs, np.nan)          # hospital folder: not applicable
    scheme_cap: dict = {s: (None, None, None) for s in settled}
    for si, s in enumerate(SCHEMES):
        if s not in budgets:
            continue
        sel = (scheme_of == si) & present
        compared = pay[sel].sum() - (viol[sel].sum() if p.interpretation("I-13") == "net_of_violations" else 0.0)
        cap[sel], total_cut, unfunded = global_cap(pay[sel], retained[sel] + sharing[sel],
                                                   budgets[s]["dip_fund_payable"], compared)
        scheme_cap[s] = (total_cut, unfunded, compared)
    final = pay - np.nan_to_num(cap) - viol                                  # final payment
    monthly_S = {k: v for k, v in agg.monthly_parts.items()}
    S_m = annual_scores(monthly_S, K_hs[:, None], p.interpretation("I-7"))   # S_{h,m}
    prepaid_m = S_m * pvb_hm - agg.monthly_self - agg.monthly_other
    prepaid_m = np.where(agg.monthly_count > 0, prepaid_m, 0.0)
    prepaid = prepaid_m.sum(axis=1)
    year_end = final - prepaid

    hi = np.repeat(np.arange(len(h)), 2)
    table = pd.DataFrame({
        "hospital_id": h["hospital_id"].to_numpy()[hi], "scheme": np.array(SCHEMES, dtype=object)[scheme_of],
        "cases": agg.count.astype(np.int64), "total_score": S, "level_coef": k_level[hi], "bonus": bonus[hi],
        "hospital_coef": K_hs, "assessment_coef": a_hs, "reimb_ratio": r, "score_fund": SF, "ffs_fund": agg.ffs,
        "usage_rate": u, "band": band, "retained": retained, "sharing": sharing, "pay_before_cap": pay,
        "cap_deduction": cap, "violation_deduction": viol, "final_payment": final, "monthly_prepaid": prepaid,
        "year_end_settlement": year_end,
        # context columns for the dashboard and the explanation
        "name": h["name"].to_numpy()[hi], "district": h["district"].to_numpy()[hi], "level": h["level"].to_numpy()[hi],
        "category": st.categories[hi], "type": h["type"].to_numpy()[hi],
        "is_new": h["is_new"].to_numpy()[hi], "suspended": h["suspended"].to_numpy()[hi],
        "fraud_penalized": h["fraud_penalized"].to_numpy()[hi],
        "score_core": K_hs * agg.parts["core_k"] + np.where(p.interpretation("I-7") == "multiply", K_hs, 1.0) * agg.parts["core_lu"],
        "score_core_raw": agg.parts["core_k"] + agg.parts["core_lu"], "score_grassroots": agg.parts["grassroots"],
        "score_tcm": agg.parts["tcm"], "score_special": agg.parts["special"],
        "point_value": pv_hs, "budget_point_value": pvb_hs, "total_cost": agg.cost, "self_pay": agg.self_pay,
        "other_insurance": agg.other, "violation_amount": V,
    })
    for ti, name in enumerate(CASE_TYPES):
        table[f"n_{name}"] = agg.type_counts[:, ti].astype(np.int64)
    keep = present & np.isin(scheme_of, [SCHEMES.index(s) for s in settled])
    table = table[keep].reset_index(drop=True)
    months = pd.DataFrame(prepaid_m[keep], columns=[f"{m:02d}" for m in range(1, 13)])
    months.insert(0, "scheme", table["scheme"])
    months.insert(0, "hospital_id", table["hospital_id"])

    summary: dict[str, Any] = {"mode": "city" if city else "hospital", "schemes": {}, "warnings": warnings}
    band_months = (p.get("fund_balance.guidance_months_low"), p.get("fund_balance.guidance_months_high"))
    for s in settled:
        part = table[table["scheme"] == s]
        total_cut, unfunded, compared = scheme_cap[s]
        if city:
            b = budgets[s]
            fb = fund_balance(b, _opt(fund_rows.loc[s].get("opening_balance")),
                              float(part["final_payment"].sum()), band_months)
            not_applicable: list[Message] = []
        else:                                     # never computed from one hospital's data: empty
            b = dict.fromkeys(BUDGET_FIELDS)
            fb = dict.fromkeys(FUND_BALANCE_FIELDS)
            not_applicable = [Message("not_applicable_budget"), Message("not_applicable_cap"),
                              Message("not_applicable_fund_balance")]
        summary["schemes"][s] = {
            **b, "total_score": totals[s], "settlement_point_value": pv[s],
            "point_value_source": "given" if given[s] is not None else "computed", "budget_point_value": pvb[s],
            "hospitals": int(len(part)), "cases": int(part["cases"].sum()),
            "total_ffs_fund": float(part["ffs_fund"].sum()), "total_score_fund": float(part["score_fund"].sum()),
            "total_retained": float(part["retained"].sum()), "total_sharing": float(part["sharing"].sum()),
            "total_pay_before_cap": float(part["pay_before_cap"].sum()), "cap_compared_total": compared,
            "cap_deduction": total_cut, "unfunded_overrun": unfunded,
            "total_violation_deduction": float(part["violation_deduction"].sum()),
            "total_final_payment": float(part["final_payment"].sum()),
            "total_monthly_prepaid": float(part["monthly_prepaid"].sum()),
            "total_year_end_settlement": float(part["year_end_settlement"].sum()),
            **fb, "not_applicable": not_applicable,
        }
        if unfunded is not None and unfunded > 0:
            warnings.append(Message("unfunded_overrun", scheme=s, amount=unfunded))
    res = Results(summary, table, months, data, st, p)
    res.hospital_data = h
    return res


def _opt(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


class Results:
    """The year's results: `.summary` (summary.json), `.hospitals`, `.cases` (built on first access)."""

    def __init__(self, summary, hospitals, monthly, data, stage, params):
        self.summary, self.hospitals, self.monthly = summary, hospitals, monthly
        self.data, self.stage, self.params = data, stage, params
        self.hospital_data = data.hospitals       # hospitals.csv with the scenario's hospital_data values

    @cached_property
    def cases(self) -> pd.DataFrame:
        """One row per case (results cases.csv, docs/data-contract.md), built on first access."""
        st, data = self.stage, self.data
        cs = st.scores
        hosp = self.hospitals.drop_duplicates("hospital_id")
        K = np.ones(len(data.hospitals))
        K[pd.Index(data.hospitals["hospital_id"]).get_indexer(hosp["hospital_id"])] = hosp["hospital_coef"].to_numpy()
        takes = cs.bucket == B_CORE
        if self.params.interpretation("I-7") == "no_multiply":
            takes &= (cs.case_type != LOW) & (cs.case_type != UNMATCHED)
        groups = st.ref.catalogue["group_id"].to_numpy(object)
        given = st.prep.group_ids.to_numpy(object)
        gid = np.where(cs.group >= 0, groups[np.maximum(cs.group, 0)],          # unknown groups keep their id
                       np.where(st.prep.group_code >= 0, given[np.maximum(st.prep.group_code, 0)] if len(given) else None, None))
        c = data.cases
        none = pd.Series(None, index=c.index, dtype=object)     # a dataset stored by an older version
        return pd.DataFrame({
            "case_id": c["case_id"], "hospital_id": c["hospital_id"], "scheme": c["scheme"], "group_id": gid,
            "case_type": CASE_TYPES[cs.case_type], "bucket": BUCKETS[cs.bucket], "ratio": cs.ratio,
            "raw_score": cs.raw, "weighted_score": np.where(takes, cs.raw * K[st.prep.hosp], cs.raw),
            "month": st.prep.month + 1, "lost_grassroots": cs.lost_grassroots,
            "department": c.get("department", none), "doctor": c.get("doctor", none),
        })

    @property
    def mode(self) -> str:
        """"city", or "hospital" for a hospital folder (the city-wide steps not applicable)."""
        return self.summary.get("mode", "city")

    def catalogue_reports(self) -> dict:
        st = self.stage
        reimb = self.data.hospitals["reimb_level"].to_numpy()[st.prep.hosp]
        return catalogue_reports(st.ref, st.scores.group, reimb, st.categories[st.prep.hosp], self.params,
                                 city=self.mode == "city")

    def explain(self, hospital_id: str, scheme: str):
        from .explain import explain
        return explain(self, hospital_id, scheme)
