"""The key universe: every diagnosis x treatment key (the fine group id) with its weight, class and
cost factor, the diagnoses' popularity, and keys no history has."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import CLASS_ZH
from .diagnoses import dx_table
from .procedures import proc_table, systems


def _options(dx: pd.Series, rng: np.random.Generator) -> list[tuple[tuple[str, ...], float]]:
    """Procedure options of one diagnosis with their (unnormalised) weights."""
    singles, combos = systems()[dx["system"]]
    main = tuple(dx["main"].split("+")) if dx["main"] else ()
    singles = singles[: 2 + int(np.ceil(5 * dx["p_proc"]))]  # mostly-medical: the first few only
    usable = set(singles) | set(main)
    combos = [c for c in combos if set(c.split("+")) <= usable]
    opts: dict[tuple[str, ...], list] = {}             # sorted codes -> [codes, weight]

    def add(codes: tuple[str, ...], w: float) -> None:
        opts.setdefault(tuple(sorted(codes)), [codes, 0.0])[1] += w

    for k, code in enumerate(singles):
        add((code,), (k + 1) ** -1.2 * rng.lognormal(0, 0.5))
    for j, combo in enumerate(combos):
        add(tuple(combo.split("+")), 0.3 / (j + 1) * rng.lognormal(0, 0.5))
    for i, a in enumerate(singles[:4]):                    # the long tail: rare pairs
        for b in singles[i + 1: 4]:
            add((a, b), 0.004 * rng.lognormal(0, 1.0))
    if main:
        add(main, 1.5 * sum(w for _, w in opts.values()))
    return [(codes, w) for codes, w in opts.values()]


def _key_row(dx_idx: int, dx: pd.Series, codes: tuple[str, ...], weight: float) -> dict:
    """One diagnosis x treatment key: its group id, codes, class and cost factor."""
    procs = [proc_table()[c] for c in codes]
    if codes:
        treat = "+".join(sorted(codes))
        cls = max(p[1] for p in procs)
        mult = 1.0 + sum(p[2] - 1.0 for p in procs)
        names = "+".join(p[0] for p in procs)
    else:
        treat, cls, mult, names = "conservative", 0, 1.0, CLASS_ZH[0]
    return {"dx": dx_idx, "fine_id": f"{dx['code'].upper()}|{treat}", "proc_codes": ";".join(codes) or None,
            "cls": cls, "mult": mult, "name": f"{dx['name']}-{names}", "w": weight}


def draw_universe(rng: np.random.Generator):
    """Diagnoses with popularity, and every diagnosis x treatment key with its weight."""
    dx = dx_table()
    tier_w = dx["tier"].map({"b": 2.2, "n": 1.0, "c": 0.45}).to_numpy()
    pop = rng.lognormal(0, 0.9, len(dx)) * tier_w * ~dx["new"].to_numpy()
    rows: list[dict] = []
    cons = np.zeros(len(dx), dtype=np.int64)
    for i, d in dx.iterrows():
        cons[i] = len(rows)
        rows.append(_key_row(i, d, (), 0.0))
        opts = _options(d, rng) if d["p_proc"] > 0 else []
        total = sum(w for _, w in opts)
        rows += [_key_row(i, d, codes, w / total) for codes, w in opts]
    keys = pd.DataFrame(rows)
    keys = pd.concat([keys, _novel_keys(dx, keys, rng)], ignore_index=True)
    keys["spread"] = rng.lognormal(0, 0.1, len(keys))
    wide = rng.random(len(keys)) < 0.04                      # a few very heterogeneous groups
    keys.loc[wide, "spread"] = rng.uniform(1.6, 2.0, int(wide.sum()))
    return dx, pop / pop.sum(), keys, cons


def _novel_keys(dx: pd.DataFrame, keys: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Keys no history has: a new diagnosis and unusual procedure combinations (weight 0)."""
    rows = [_key_row(int(i), dx.loc[i], (), 0.0) for i in np.flatnonzero(dx["new"])]
    known = set(keys["fine_id"])
    all_procs = np.array(list(proc_table()))
    operated = keys.loc[keys["cls"] > 0].drop_duplicates("dx")
    for _, k in operated.sample(8, random_state=rng).iterrows():
        codes = tuple(k["proc_codes"].split(";")) + (str(rng.choice(all_procs)),)
        row = _key_row(int(k["dx"]), dx.loc[int(k["dx"])], tuple(dict.fromkeys(codes)), 0.0)
        if row["fine_id"] not in known:
            rows.append(row)
    return pd.DataFrame(rows)


def option_sampler(keys: pd.DataFrame):
    """Flattened cumulative weights of procedure options: value dx + u falls in dx's slice."""
    opt = keys.index[(keys["w"] > 0)].to_numpy()
    d = keys.loc[opt, "dx"].to_numpy()
    w = keys.loc[opt, "w"].to_numpy()
    cum = np.zeros(len(opt))
    for g in np.unique(d):                                   # per diagnosis (a few hundred)
        m = d == g
        c = np.cumsum(w[m])
        c /= c[-1]
        c[-1] = 1.0
        cum[m] = g + c
    return opt, cum
