"""How a hospital's payment for one scheme was reached: every step with its article, formula,
inputs and result, in Chinese and English (for the dashboard and `python -m dip_model explain`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import DipError
from ..messages import Items, Localisable, Message


@dataclass
class Step:
    key: str
    article: str
    title: dict            # {"zh": …, "en": …}
    formula: dict          # {"zh": …, "en": …}
    inputs: dict           # name → value
    result: float | str
    unit: str = "yuan"
    note: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _t(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


def explain(res, hospital_id: str, scheme: str) -> list[Step]:
    tab = res.hospitals
    row = tab[(tab["hospital_id"] == hospital_id) & (tab["scheme"] == scheme)]
    if row.empty:
        known = tab["hospital_id"].isin([hospital_id]).any()
        key = "explain_no_cases" if known else "explain_unknown_hospital"
        raise DipError(Message(key, hospital=repr(hospital_id), scheme=scheme))
    h = row.iloc[0]
    b = res.summary["schemes"][scheme]
    p = res.params
    i7 = p.interpretation("I-7")
    share = p.get("assessment_share")
    types = {k[2:]: int(h[k]) for k in h.index if k.startswith("n_")}
    computed = res.stage.ref.level_coef_computed
    override = (p.get("coefficients.level") or {})
    src = ("new" if h["is_new"] else "override" if str(h["category"]) in override or str(h["level"]) in override
           else "computed" if str(h["category"]) in computed else "default")
    src_text = {"new": _t("新增机构：同级别最低档（A-25）", "new hospital: lowest of its grade (A-25)"),
                "override": _t("参数给定", "set in the parameters"),
                "computed": _t("按上年同级别次均费用测算（A-22）", "computed from prior-year costs (A-22)"),
                "default": _t("无数据，取1", "no data, 1 used")}[src]
    combine = p.get("coefficients.combine")
    k_formula = {"multiply": "K = k_L × (1 + bonus)", "add": "K = k_L + bonus", "level_only": "K = k_L"}[combine]
    core_terms = "K × Σcore" if i7 == "multiply" else "K × Σcore(normal, high) + Σ(low, unmatched)"
    city = res.mode == "city"
    na = Message("not_applicable")               # a hospital folder: the step needs the whole city
    given_path = f"point_value.given.{scheme}"
    if b.get("point_value_source") == "given":
        pv_formula = _t(f"公布的结算点值（参数 {given_path}），不按 A-34.2 计算",
                        f"the published point value (parameter {given_path}), not computed by A-34.2")
        pv_inputs: dict = {given_path: h["point_value"]}
    else:
        pv_formula = _t("PV = C ÷ 全市总分值，四舍五入至小数点后三位", "PV = C ÷ city total score, rounded half-up to 3 decimals")
        pv_inputs = {"dip_cost_payable": b["dip_cost_payable"], "total_score": b["total_score"]}
    monthly = p.get(f"point_value.budget_monthly.{scheme}")
    pvb_formula = (_t("Σ月（月度分值 × 当月预算点值 − 个人自付 − 其他保障）",
                      "Σ months (monthly score × that month's budget PV − self pay − other insurance)") if monthly
                   else _t("Σ月（月度分值 × 预算点值 − 个人自付 − 其他保障）",
                           "Σ months (monthly score × budget PV − self pay − other insurance)"))
    steps = [
        Step("cases", "A-18–A-21, A-24", _t("病例类型与分值", "Case types and raw scores"),
             _t("按未入组、中医优势、特殊、偏差、基层、正常的顺序逐例判定", "each case typed in the order unmatched, TCM, special, deviation, grassroots, normal"),
             {"cases": int(h["cases"]), **{f"n_{k}": v for k, v in types.items()},
              "score_core_raw": h["score_core_raw"], "score_grassroots": h["score_grassroots"],
              "score_tcm": h["score_tcm"], "score_special": h["score_special"]},
             float(h["score_core_raw"] + h["score_grassroots"] + h["score_tcm"] + h["score_special"]), "points"),
        Step("level_coef", "A-22, A-25", _t("机构等级系数", "Level coefficient"),
             _t(f"类别 {h['category']}；{src_text['zh']}", f"category {h['category']}; {src_text['en']}"),
             {"category": str(h["category"]), "is_new": bool(h["is_new"])}, float(h["level_coef"]), "coefficient"),
        Step("bonus", "A-23, A-25", _t("加成系数", "Bonus coefficient"),
             _t(f"五项加成之和，上限 {p.get('coefficients.bonus_cap')}；新增或暂停协议机构为0",
                f"sum of the five components, capped at {p.get('coefficients.bonus_cap')}; 0 when new or suspended"),
             {"bonus_cap": p.get("coefficients.bonus_cap"), "suspended": bool(h["suspended"])}, float(h["bonus"]), "coefficient"),
        Step("hospital_coef", "A-22, A-23 (I-5)", _t("医院系数", "Hospital coefficient"), _t(k_formula, k_formula),
             {"k_L": h["level_coef"], "bonus": h["bonus"]}, float(h["hospital_coef"]), "coefficient"),
        Step("annual_score", "A-34.1 (I-7)", _t("年度总分值", "Annual score"),
             _t(f"S = {core_terms} + Σ基层 + Σ中医优势 + Σ特殊", f"S = {core_terms} + Σgrassroots + ΣTCM + Σspecial"),
             {"K": h["hospital_coef"], "score_core_raw": h["score_core_raw"], "score_core_weighted": h["score_core"],
              "score_grassroots": h["score_grassroots"], "score_tcm": h["score_tcm"], "score_special": h["score_special"]},
             float(h["total_score"]), "points"),
        Step("budget", "A-10–A-13", _t("可支付总额", "DIP cost payable"),
             _t("B = E₋₁×(1+min(g,c))（上年赤字时 B = R₀）；A = min(A₋₁×(1+g_R), 5%×B)；F = B − 其他支出 − A；C = F ÷ ρ",
                "B = E₋₁×(1+min(g,c)) (R₀ after a deficit year); A = min(A₋₁×(1+g_R), 5%×B); F = B − other lines − A; C = F ÷ ρ"),
             {"budget_total": b["budget_total"], "adjustment_fund": b["adjustment_fund"],
              "dip_fund_payable": b["dip_fund_payable"], "payment_rate": b["payment_rate"]} if city else {},
             float(b["dip_cost_payable"]) if city else na, note={} if city else _na_note()),
        Step("point_value", "A-34.2 (I-8)", _t("结算分值点值", "Settlement point value"), pv_formula, pv_inputs,
             float(h["point_value"]), "yuan/point"),
        Step("assessment", "K-9, K-10", _t("考核清算系数", "Assessment coefficient"),
             _t("a = 考核得分 ÷ 满分；新增机构为1，暂停协议或欺诈骗保为0", "a = score ÷ maximum; 1 if new, 0 if suspended or fraud-penalised"),
             {"is_new": bool(h["is_new"]), "suspended": bool(h["suspended"]), "fraud_penalized": bool(h["fraud_penalized"])},
             float(h["assessment_coef"]), "coefficient"),
        Step("reimb_ratio", "A-35", _t("实际报销比例", "Actual reimbursement ratio"),
             _t("r = Σ按项目统筹基金 ÷ Σ医疗总费用", "r = Σ ffs_fund ÷ Σ total cost"),
             {"ffs_fund": h["ffs_fund"], "total_cost": h["total_cost"]}, float(h["reimb_ratio"]), "ratio"),
        Step("score_fund", "A-35", _t("按分值计算统筹基金", "Score-based fund"),
             _t(f"SF = (S×{1 - share:.0%} + S×{share:.0%}×a) × PV × r", f"SF = (S×{1 - share:.0%} + S×{share:.0%}×a) × PV × r"),
             {"S": h["total_score"], "a": h["assessment_coef"], "PV": h["point_value"], "r": h["reimb_ratio"]},
             float(h["score_fund"])),
        Step("usage_rate", "A-36", _t("基金使用率", "Fund-use rate"), _t("u = 按项目统筹基金 ÷ SF", "u = FFS ÷ SF"),
             {"FFS": h["ffs_fund"], "SF": h["score_fund"]}, float(h["usage_rate"]), "ratio"),
        Step("bands", "A-36", _t("结余留用与超支分担", "Retained surplus and overspend sharing"),
             _band_formula(str(h["band"]), bool(h["suspended"] or h["fraud_penalized"])),
             {"band": str(h["band"]), "retained": h["retained"], "sharing": h["sharing"]}, float(h["pay_before_cap"])),
        Step("cap", "A-36 (I-13)", _t("总额控制扣减", "Global cap deduction"),
             _t("全市支付总额超过可支付总额时，按结余留用与超支分担额比例扣减",
                "when the city total exceeds F, the excess is deducted in proportion to retained + sharing"),
             {"city_total": b["cap_compared_total"], "dip_fund_payable": b["dip_fund_payable"],
              "retained_plus_sharing": h["retained"] + h["sharing"]} if city else {},
             float(h["cap_deduction"]) if city else na, note={} if city else _na_note()),
        Step("violations", "A-35, A-36 (I-9)", _t("违规扣除", "Violation deduction"),
             _t("违规费用（按险种费用比例分摊）× r，只扣一次", "violation amount (split by scheme cost) × r, deducted once"),
             {"violation_amount": h["violation_amount"], "r": h["reimb_ratio"]}, float(h["violation_deduction"])),
        Step("final", "A-36", _t("年度支付总额", "Final payment"),
             _t("支付 − 总额控制扣减 − 违规扣除", "pay − cap deduction − violation deduction") if city else
             _t("支付 − 违规扣除（总额控制不适用）", "pay − violation deduction (the cap is not applicable)"),
             {"pay_before_cap": h["pay_before_cap"], "cap_deduction": h["cap_deduction"] if city else na,
              "violation_deduction": h["violation_deduction"]}, float(h["final_payment"])),
        Step("monthly", "A-32", _t("月度预结算合计", "Monthly pre-settlement total"), pvb_formula,
             {"S": h["total_score"], "budget_point_value": h["budget_point_value"] if not monthly else Items(monthly),
              "self_pay": h["self_pay"], "other_insurance": h["other_insurance"]}, float(h["monthly_prepaid"])),
        Step("year_end", "A-37", _t("年终清算", "Year-end settlement"),
             _t("年度支付总额 − 月度预付总额（负数为医院退回）", "final payment − monthly prepaid (negative: the hospital pays back)"),
             {"final_payment": h["final_payment"], "monthly_prepaid": h["monthly_prepaid"]}, float(h["year_end_settlement"])),
    ]
    return steps


def _na_note() -> dict:
    return _t("医院数据（无 fund.csv）：此步需要全市数据，不由部分数据计算",
              "hospital folder (no fund.csv): this step needs the whole city's data and is never computed from part of it")


def _band_formula(band: str, no_sharing: bool) -> dict:
    if band.startswith("under_"):
        return _t("u 低于留用区间：按项目统筹基金支付（留用0）", "below the retained bands: pay = FFS (retained 0)")
    if band == "over_100":
        if no_sharing:
            return _t("超支但不予分担（暂停协议或欺诈骗保）：支付 = SF", "overspend without sharing (suspended or fraud): pay = SF")
        return _t("支付 = SF + SF × Σ 分担比例 × 各段超支", "pay = SF + SF × Σ rate × overspend in each band (progressive)")
    if band.endswith("_100"):
        return _t("支付 = 按分值计算统筹基金 SF", "pay = score fund SF")
    return _t("支付 = 按项目统筹基金 + 结余留用（SF × 留用比例）", "pay = FFS + retained (SF × retained ratio)")


def _fmt(v, lang: str = "en") -> str:
    if isinstance(v, Localisable):
        return v.text(lang)
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return "—"
        return f"{v:,.2f}" if abs(float(v)) >= 100 else f"{v:.6g}"
    return str(v)


UNITS = {"yuan": _t("元", "yuan"), "points": _t("分", "points"), "yuan/point": _t("元/分", "yuan/point"),
         "coefficient": _t("", ""), "ratio": _t("", "")}


def render(steps: list[Step], lang: str = "zh") -> str:
    """Plain-text account for the terminal."""
    lines = []
    for i, s in enumerate(steps, 1):
        unit = UNITS.get(s.unit, {}).get(lang, s.unit)
        unit = "" if isinstance(s.result, Localisable) else unit
        lines.append(f"{i:2d}. {s.title[lang]}  [{s.article}]  = {_fmt(s.result, lang)} {unit}".rstrip())
        lines.append(f"    {s.formula[lang]}")
        if s.inputs:
            lines.append("    " + ", ".join(f"{k} = {_fmt(v, lang)}" for k, v in s.inputs.items()))
        if s.note:
            lines.append(f"    {s.note[lang]}")
    return "\n".join(lines)
