"""Hospital folders cut out of a city (docs/data-contract.md, "Hospital folders"): what a hospital's finance
team holds, built from a synthetic city and the figures its full run publishes.

    hospital_folder(city, res, ids, out) -> (folder, params)
        `city` is a city data folder, `res` its full run (dip_model.simulate), `ids` the hospitals to keep.
        The folder gets those hospitals' rows of hospitals.csv and cases.csv (cells copied as text), the
        city's catalogue.csv, group_level_costs.csv and aux.csv, and no fund.csv or history.csv. Each case
        carries `readmission_elsewhere`, as the bureau's settlement detail would report it: a same-group
        grassroots stay of the same patient at a hospital outside the folder within `cases.readmit_days`
        (A-15 ¶2). `params` are the city's published figures: the settlement and budget point values per
        scheme, M, and each kept hospital's level coefficient keyed by its category (I-10).

    elsewhere_flags(city, res, ids) -> {case_id: bool} of the cases of `ids` (computed pairwise here,
        independently of the engine's sort-based search)

    published_tables(city) -> (catalogue, level costs): the bureau's 病种分值目录 and 各级别次均费用 as a
        hospital receives them, made from the city's catalogue.csv and group_level_costs.csv
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        r = csv.reader(f)
        header = next(r)
        return header, list(r)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def elsewhere_flags(city: Path, res, ids) -> dict[str, bool]:
    """Stays of `ids` whose grassroots treatment is lost through a same-group stay of the same patient at
    another hospital: that stay ends at most `readmit_days` before this one starts, or starts at most
    `readmit_days` after this one ends (A-15 ¶2, both stays lose it)."""
    days = int(res.params.get("cases.readmit_days"))
    cases = res.data.cases
    rc = res.cases
    grass_ids = set(res.stage.ref.catalogue.loc[res.stage.ref.catalogue["grassroots"], "group_id"])
    g = pd.DataFrame({"case_id": cases["case_id"], "hospital_id": cases["hospital_id"],
                      "patient": cases["patient_id"], "group": rc["group_id"],
                      "start": cases["admit_date"].fillna(cases["discharge_date"]),
                      "end": cases["discharge_date"], "order": np.arange(len(cases))})
    g = g[g["group"].isin(grass_ids) & g["patient"].notna()]
    pairs = g.merge(g, on=["patient", "group"], suffixes=("", "_o"))
    pairs = pairs[pairs["hospital_id"] != pairs["hospital_id_o"]]
    other_first = (pairs["start_o"] < pairs["start"]) | ((pairs["start_o"] == pairs["start"]) & (pairs["order_o"] < pairs["order"]))
    gap_after_other = (pairs["start"] - pairs["end_o"]).dt.days
    gap_before_other = (pairs["start_o"] - pairs["end"]).dt.days
    hit = (other_first & (gap_after_other <= days)) | (~other_first & (gap_before_other <= days))
    pairs = pairs[hit & pairs["hospital_id"].isin(ids) & ~pairs["hospital_id_o"].isin(ids)]
    flagged = set(pairs["case_id"])
    keep = cases["hospital_id"].isin(ids)
    return {cid: cid in flagged for cid in cases.loc[keep, "case_id"]}


def published_params(res, ids) -> dict:
    """The city's published figures a hospital of `ids` is notified of."""
    s = res.summary["schemes"]
    h = res.hospitals[res.hospitals["hospital_id"].isin(ids)]
    return {
        "point_value": {"given": {k: v["settlement_point_value"] for k, v in s.items()}},
        "budget_point_value": {k: v["budget_point_value"] for k, v in s.items()},
        "mean_cost_all": res.stage.ref.mean_cost,
        "coefficients": {"level": {str(c): float(k) for c, k in zip(h["category"], h["level_coef"])}},
    }


LEVEL_WORDS = {"3A": "三级甲等", "3B": "三级乙等", "2A": "二级甲等", "2B": "二级乙等", "1": "一级"}


def published_tables(city: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catalogue with Chinese headers and words (病种编码, 病种名称, 分值, 病种类型 核心病种 / 综合病种, 基层病种
    是 / 否) and the level costs one column per level (三级甲等次均费用 …), cells as text."""
    cat = pd.read_csv(Path(city) / "catalogue.csv", dtype=str, keep_default_na=False)
    catalogue = pd.DataFrame({"病种编码": cat["group_id"], "病种名称": cat["name"], "分值": cat["rw"],
                              "病种类型": cat["group_type"].map({"core": "核心病种", "comprehensive": "综合病种"}),
                              "基层病种": cat["grassroots"].map({"true": "是", "false": "否"})})
    lc = pd.read_csv(Path(city) / "group_level_costs.csv", dtype=str)
    wide = lc.pivot(index="group_id", columns="level", values="mean_cost").reset_index()
    return catalogue, wide.rename(columns={"group_id": "病种编码", **{k: f"{v}次均费用" for k, v in LEVEL_WORDS.items()}})


def hospital_folder(city: Path, res, ids, out: Path) -> tuple[Path, dict]:
    city, out = Path(city), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ids = list(ids)
    header, rows = _rows(city / "hospitals.csv")
    at = header.index("hospital_id")
    _write(out / "hospitals.csv", header, [r for r in rows if r[at] in ids])
    header, rows = _rows(city / "cases.csv")
    at, cid = header.index("hospital_id"), header.index("case_id")
    flags = elsewhere_flags(city, res, ids)
    kept = [r + ["true" if flags[r[cid]] else "false"] for r in rows if r[at] in ids]
    _write(out / "cases.csv", header + ["readmission_elsewhere"], kept)
    for name in ("catalogue.csv", "group_level_costs.csv", "aux.csv"):
        shutil.copyfile(city / name, out / name)
    return out, published_params(res, ids)
