"""Command line of data folders:

    python -m dip_model synth --out DIR [--cases N] [--seed N]
    python -m dip_model import FILE... --out DIR [--mapping FILE] [--hospitals FILE] [--fund FILE] [--catalogue FILE]
                                       [--level-costs FILE] [--hospital-folder] [--save-mapping FILE] [--store NAME]
                                       [--force] [--lang zh|en]

--catalogue and --level-costs take the bureau's 病种分值目录 and 各级别次均费用 as published (CSV or XLSX, Chinese
headers; data/importer/published.py); a catalogue with one cost column per level gives group_level_costs.csv too.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time

from ..data.importer import (
    CATALOGUE_REJECTED,
    LEVEL_COSTS_REJECTED,
    MAPPING,
    OUTLIERS,
    REJECTED,
    note_message,
    rule_text,
    run_import,
)
from ..messages import Message


def add_synth_parser(sub) -> None:
    """The `synth` subcommand."""
    s = sub.add_parser("synth", help="write a synthetic city data folder")
    s.add_argument("--cases", type=int, default=1_100_000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.set_defaults(fn=_synth)


def _synth(a) -> int:
    from ..data.synth import write_city
    t0 = time.perf_counter()
    info = write_city(a.out, n_cases=a.cases, seed=a.seed)
    print(f"wrote a synthetic city to {a.out} in {time.perf_counter() - t0:.1f} s: {info}")
    return 0


def add_import_parser(sub) -> None:
    """The `import` subcommand."""
    p = sub.add_parser("import", help="import settlement-list / front-page exports (CSV, XLSX, Parquet) "
                                      "into a data folder with a quality report")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--out", required=True, help="data folder to write (replaced whole when the import succeeds)")
    p.add_argument("--mapping", default=None, help="YAML mapping of columns / values / options (see "
                                                    "dip_model/rulesets/import_mapping.yaml)")
    p.add_argument("--save-mapping", default=None, help="write the mapping used to this YAML file")
    p.add_argument("--hospitals", default=None, help="hospitals table (else derived from the export, with a warning)")
    p.add_argument("--fund", default=None, help="fund table (else a template to fill is written)")
    p.add_argument("--hospital-folder", action="store_true",
                   help="a hospital's own export: a hospital folder, no fund.csv template (docs/data-contract.md)")
    p.add_argument("--catalogue", default=None,
                   help="the bureau's disease-group catalogue 病种分值目录 as published (CSV / XLSX, Chinese or contract "
                        "headers): catalogue.csv, and group_level_costs.csv when it has a cost column per level")
    p.add_argument("--level-costs", default=None, dest="level_costs",
                   help="the published prior-year cost per group and level 各级别次均费用 (long: code, level, cost; "
                        "or wide: one cost column per level): group_level_costs.csv")
    p.add_argument("--chunk-rows", type=int, default=200_000, help=argparse.SUPPRESS)
    p.add_argument("--force", action="store_true", help="replace --out even if it is not an imported folder")
    p.add_argument("--lang", default="en", choices=["zh", "en"],
                   help="language of the errors, warnings and the reasons in rejected_rows.csv (default en)")
    p.add_argument("--store", default=None, metavar="NAME",
                   help="also save the imported dataset under NAME in the embedded store (needs a complete folder)")
    p.set_defaults(fn=_import)


def _published(q: dict) -> None:
    """What was read of the bureau's published tables (quality.json "catalogue" / "level_costs")."""
    c, lc = q.get("catalogue"), q.get("level_costs")
    if c:
        g = c["groups"]
        print(f"catalogue {c['file']}: {c['rows_used']:,} of {c['rows_read']:,} groups used, {c['rows_rejected']:,} "
              f"rejected (listed in {CATALOGUE_REJECTED}); {g['core']:,} core, {g['comprehensive']:,} comprehensive, "
              f"{g['grassroots']:,} grassroots")
    if lc:
        layout = (f"wide, one column per level: {', '.join(sorted(set(lc['wide_levels'].values())))}"
                  if lc["layout"] == "wide" else "long")
        print(f"level costs {lc['file']} ({layout}): {lc['rows_used']:,} costs used, {lc['rows_rejected']:,} rejected "
              f"(listed in {LEVEL_COSTS_REJECTED})")


def _import(a) -> int:
    last = [-1.0]

    def progress(done: float, rows: int) -> None:
        if done - last[0] >= 0.05 or done >= 1:
            last[0] = done
            print(f"  {done:4.0%}  {rows:,} rows read", file=sys.stderr, flush=True)

    res = run_import(a.files, a.out, mapping=a.mapping, hospitals=a.hospitals, fund=a.fund,
                     catalogue=a.catalogue, progress=progress, chunk_rows=a.chunk_rows, force=a.force,
                     lang=a.lang, hospital=a.hospital_folder, level_costs=a.level_costs)
    q = res.quality
    if a.save_mapping:
        shutil.copyfile(res.out / MAPPING, a.save_mapping)
    print(f"imported {q['rows_used']:,} of {q['rows_read']:,} rows into {res.out} in {q['seconds']:.1f} s; "
          f"{q['rows_rejected']:,} rejected (listed in {REJECTED})")
    for r in q["rejected_by_rule"]:
        print(f"  rejected  {r['rows']:>9,}  {rule_text(r, a.lang) or r['rule']}")
    if q["grouping_rate"] is not None:
        print(f"grouping rate {q['grouping_rate']:.1%}")
    if q["qc_fail_rate"] is not None:
        print(f"QC-fail rate {q['qc_fail_rate']:.1%}")
    print("cases by scheme: " + ", ".join(f"{s} {n:,}" for s, n in q["cases_by_scheme"].items()))
    _published(q)
    o = q["outliers"]
    print(f"cost outliers: {o['high']:,} above {o['rule']['high']:g}× and {o['low']:,} below "
          f"{o['rule']['low']:g}× their group median (listed in {OUTLIERS})")
    for level, key in (("warning", "cli_warning"), ("problem", "cli_todo")):
        for n in q["notes"]:
            if n["level"] == level:
                print(Message(key, message=note_message(n["code"], n["params"])).text(a.lang), file=sys.stderr)
    if a.store:
        from ..data.load import load_data
        from ..data.store import Store
        ds_id = Store.default().save_dataset(load_data(res.out), a.store, quality=q)
        print(f"saved in the store as '{a.store}' (id {ds_id})")
    return 0
