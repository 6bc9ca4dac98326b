"""Command line of the hospital views (dip_model/analysis/hospital_*.py):

    python -m dip_model groups --data DIR [--params FILE] --hospital ID [--scheme S] [--by department|doctor]
                               [--city-averages FILE] [--top N] [--xlsx] --out DIR [--lang zh|en]

writes groups.csv (病种盈亏), deviation.csv (偏差预警), special.csv (特殊病例候选), mix.csv (CMI与结构),
department.csv / doctor.csv with --by, and hospital.xlsx with --xlsx. --data takes a data folder (a city's,
or a hospital's own) or store:ID."""
from __future__ import annotations

import sys
import time

from ..messages import Items, Message

GROUP_COLUMNS = ["rank", "group_id", "name", "group_type", "rw", "cases", "total_cost", "payment", "margin",
                 "margin_per_case", "cost_per_case", "payment_per_case", "margin_rate", "fund_payment", "self_pay",
                 "other_insurance", "score_fund", "ffs_adjustment", "retained", "sharing", "cap_deduction",
                 "violation_deduction", "settlement_effect", "raw_score", "weighted_score", "n_low", "n_high",
                 "deviation_cases", "deviation_share", "deviation_margin", "deviation_cost_gap", "level_cost",
                 "cost_ratio", "excess_cost", "coef_effect", "large_loss", "reason", "reasons", "reason_text"]

# deviation.csv: the analysis' columns but the weighted scores (yuan_* ÷ point_value), 15 000 rows for a 3A year
DEVIATION_COLUMNS = ["case_id", "scheme", "group_id", "zone", "case_type", "ratio", "threshold", "total_cost",
                     "level_cost", "cost_to_threshold", "score_now", "score_other", "score_diff", "point_value",
                     "yuan_now", "yuan_other", "yuan_diff", "payment_diff", "department", "doctor"]


def _say(key: str, lang: str, **values) -> str:
    return Message(key, **values).text(lang)


def _groups(a) -> int:
    from .. import load_params, simulate
    from ..analysis.hospital_cases import hospital_totals, localised
    from ..analysis.hospital_margins import group_margins, margins_by
    from ..analysis.hospital_mix import has_city_figures, load_city_averages, mix_profile
    from ..analysis.hospital_warnings import deviation_warnings, special_candidates, zone_summary
    from ..data.results import write_csv
    from .analysis import _out
    from .report import _write, load_any
    t0 = time.perf_counter()
    city = load_city_averages(a.city_averages)                 # a bad file is refused before the run
    res = simulate(load_any(a.data), load_params(a.params))
    hid, schemes, L = str(a.hospital), [a.scheme] if a.scheme else None, a.lang
    groups = group_margins(res, hid, schemes, top=a.top)
    by = margins_by(res, hid, a.by, schemes, top=a.top) if a.by else None    # no such column: refused here
    warnings = deviation_warnings(res, hid, schemes)
    special = special_candidates(res, hid, schemes)
    mix = mix_profile(res, hid, city)
    out = _out(a.out)
    # floats as Python writes them: the shortest text that reads back to the same number
    write_csv(localised(groups[[c for c in GROUP_COLUMNS if c in groups.columns]], L), out / "groups.csv")
    write_csv(warnings[[c for c in DEVIATION_COLUMNS if c in warnings.columns]], out / "deviation.csv")
    write_csv(special, out / "special.csv")
    write_csv(mix, out / "mix.csv")
    if by is not None:
        write_csv(localised(by, L), out / f"{a.by}.csv")
    if a.xlsx:
        from ..report.hospital_workbook import build_hospital_xlsx
        _write(str(out / "hospital.xlsx"), build_hospital_xlsx(res, hid, L, schemes, city))

    for w in res.summary["warnings"]:
        print(_say("cli_warning", L, message=w), file=sys.stderr)
    if not has_city_figures(mix):
        print(_say("cli_warning", L, message=Message("hv_no_city_figures")), file=sys.stderr)
    tot = hospital_totals(res, hid, schemes)
    losses = groups[groups["margin"] < 0]
    print(_say("cli_groups_summary", L, hospital=hid, cases=int(groups["cases"].sum()), groups=len(groups),
               payment=tot["payment"], cost=tot["total_cost"], margin=tot["margin"], losses=len(losses)))
    for _, r in losses[losses["large_loss"]].head(5).iterrows():
        print(_say("cli_groups_loss", L, rank=int(r["rank"]), group=r["group_id"], name=r["name"], margin=r["margin"],
                   reasons=r["reason_text"] if isinstance(r["reason_text"], Items) else ""))
    zones = zone_summary(warnings).set_index("zone")["cases"]
    print(_say("cli_groups_deviation", L, near_low=int(zones["near_low"]), near_high=int(zones["near_high"]),
               low=int(zones["low_edge"] + zones["low_far"]), high=int(zones["high_edge"] + zones["high_far"])))
    print(_say("cli_groups_written", L, out=str(out), seconds=time.perf_counter() - t0))
    return 0


def add_hospital_parsers(sub) -> None:
    g = sub.add_parser("groups", help="one hospital's margins per disease group (and per department or doctor), "
                                      "deviation warnings, special-case candidates, CMI and case mix")
    g.add_argument("--data", required=True, help="a data folder (city or hospital) or store:ID")
    g.add_argument("--params", default=None, help="parameter YAML merged over the built-in rule set")
    g.add_argument("--hospital", required=True)
    g.add_argument("--scheme", default=None, choices=["employee", "resident"], help="one scheme (default both)")
    g.add_argument("--by", default=None, choices=["department", "doctor"],
                   help="also the margins per department or attending doctor (department.csv / doctor.csv)")
    g.add_argument("--city-averages", default=None, dest="city_averages",
                   help="YAML of the city's published CMI and case-mix shares (docs/data-contract.md)")
    g.add_argument("--top", type=int, default=10, help="number of largest losses flagged large_loss (default 10)")
    g.add_argument("--xlsx", action="store_true", help="also write hospital.xlsx (the same views as sheets)")
    g.add_argument("--out", required=True)
    g.set_defaults(fn=_groups)
