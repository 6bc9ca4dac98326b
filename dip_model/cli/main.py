"""Command line: python -m dip_model {run, validate, explain, synth, params, import, report, statements, forecast, sensitivity, sweep, montecarlo, hospital-forecast, groups, outlook}."""
from __future__ import annotations

import argparse
import sys
import time

from ..errors import DipError
from ..messages import Message

LANG_HELP = "language of the errors and warnings printed"


def say(key: str, lang: str, **values) -> str:
    """A message of the command line (catalogue key `key`) in the command's language."""
    return Message(key, **values).text(lang)


def _run(a) -> int:
    from .. import load_data, load_params, simulate, write_results
    t0 = time.perf_counter()
    data = load_data(a.data)
    params = load_params(a.params)
    res = simulate(data, params)
    write_results(res, a.out, with_cases=not a.no_cases)
    for s, v in res.summary["schemes"].items():
        if res.mode == "hospital":
            print(say("cli_run_hospital_scheme", a.lang, scheme=s, pv=v["settlement_point_value"],
                      pvb=v["budget_point_value"], final=v["total_final_payment"],
                      year_end=v["total_year_end_settlement"]))
            continue
        print(f"{s}: point value {v['settlement_point_value']} (budget {v['budget_point_value']:.4g}), "
              f"DIP payable {v['dip_fund_payable']:,.2f}, final payments {v['total_final_payment']:,.2f}, "
              f"cap deduction {v['cap_deduction']:,.2f}, months of payment {v['months_of_payment']:.2f}")
    for w in res.summary["warnings"]:
        print(say("cli_warning", a.lang, message=w), file=sys.stderr)
    print(f"results written to {a.out} in {time.perf_counter() - t0:.2f} s")
    return 0


def _validate(a) -> int:
    from ..data.load import folder_mode, validate
    problems, warnings = validate(a.data)
    mode = folder_mode(a.data)
    print(say(f"cli_mode_{mode}", a.lang))                 # what this kind of folder needs, then the other kind
    print(say("cli_mode_other", a.lang, text=Message(f"cli_mode_{'hospital' if mode == 'city' else 'city'}")))
    for w in warnings:
        print(say("cli_warning", a.lang, message=w))
    for p in problems:
        print(say("cli_error", a.lang, message=p))
    print(say("cli_validate_summary", a.lang, problems=len(problems), warnings=len(warnings)))
    return 1 if problems else 0


def _explain(a) -> int:
    from .. import load_data, load_params, simulate
    from ..rules.explain import render
    res = simulate(load_data(a.data), load_params(a.params))
    print(render(res.explain(a.hospital, a.scheme), a.lang))
    return 0


def _params(a) -> int:
    from ..params import load_params
    p = load_params(a.params)
    for path in p.leaves():
        info = p.info(path)
        label = info["label"]["zh" if a.lang == "zh" else "en"]
        print(f"{path} = {info['value']!r}  [{info.get('unit', '')}]  {label}  ({info.get('article', '')})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m dip_model", description="DIP settlement what-if engine (Luzhou rules)")
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="simulate a year and write the results folder")
    r.add_argument("--data", required=True)
    r.add_argument("--params", default=None, help="parameter YAML merged over the built-in rule set")
    r.add_argument("--out", required=True)
    r.add_argument("--no-cases", action="store_true", help="skip cases.csv")
    r.set_defaults(fn=_run)
    v = sub.add_parser("validate", help="check a data folder and list every problem")
    v.add_argument("--data", required=True)
    v.set_defaults(fn=_validate)
    e = sub.add_parser("explain", help="how one hospital's payment was reached, step by step")
    e.add_argument("--data", required=True)
    e.add_argument("--params", default=None)
    e.add_argument("--hospital", required=True)
    e.add_argument("--scheme", required=True, choices=["employee", "resident"])
    e.add_argument("--lang", default="zh", choices=["zh", "en"], help="language of the explanation, errors and warnings")
    e.set_defaults(fn=_explain)
    from .data import add_import_parser, add_synth_parser
    add_synth_parser(sub)
    pa = sub.add_parser("params", help="list every parameter with its value, unit, label and article")
    pa.add_argument("--params", default=None)
    pa.add_argument("--lang", default="zh", choices=["zh", "en"], help="language of the labels, errors and warnings")
    pa.set_defaults(fn=_params)
    add_import_parser(sub)
    from .report import add_report_parsers
    add_report_parsers(sub)
    from .uncertainty import add_uncertainty_parsers
    add_uncertainty_parsers(sub)
    from .analysis import add_analysis_parsers
    add_analysis_parsers(sub)
    from .hospital import add_hospital_parsers
    add_hospital_parsers(sub)
    from .outlook import add_outlook_parser
    add_outlook_parser(sub)
    for p in sub.choices.values():      # every command prints its errors in a language; en unless it has its own
        if p.get_default("lang") is None:
            p.add_argument("--lang", default="en", choices=["zh", "en"], help=LANG_HELP + " (default en)")
    return ap


def main(argv=None) -> int:
    a = build_parser().parse_args(argv)
    lang = a.lang
    try:
        return a.fn(a)
    except DipError as err:
        print(say("cli_error", lang, message=err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(say("cli_interrupted", lang), file=sys.stderr)
        return 130
    except Exception as err:  # last line of defence: a message, never a traceback
        print(say("cli_unexpected", lang, kind=type(err).__name__, detail=str(err)), file=sys.stderr)
        return 3
