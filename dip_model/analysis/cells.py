"""Cells: the scored cases summed to what the settlement depends on, so a perturbed year can be settled
without re-scoring a million rows.

A cell is one hospital × scheme × disease group (A-15) × case type (normal, grassroots, low, high, special,
TCM: A-15 … A-24); the cases of a hospital × scheme with no group or scored as unmatched (A-21) form one more
cell. Each cell holds its case count, the five score terms of A-34.1 (engine.PARTS), the money sums (total
cost, FFS fund, self pay, other insurance) and its case-type counts. Splitting by type keeps a cell's cases
alike, so scaling a cell by its count stands for resampling its cases.

Cost per case. Each score term is split into the part that does not move with the cost of a case (group
scores, A-16; TCM standards, A-24) and the part proportional to it (A-19 high: R·RW; A-19 low: FFS amount ×
0.8; A-20 special and A-21 unmatched: cost ÷ M × 1000). A multiplier m also moves cases across the A-19
thresholds (R < 0.5, R > 2) and changes which cases are special (A-20); that non-linear rest is measured
once, per hospital × scheme, by re-scoring every case with its cost × m on a grid of m (COST_GRID) through
case_scores.score_cases itself, and interpolated in m.

`rebuild` turns (possibly perturbed) cells back into an engine.Aggregates: cells summed to hospital × scheme,
plus the hospital's non-linear cost rest × its volume ratio; the monthly arrays scaled per hospital × scheme
by the perturbed ÷ base ratio (a hospital's month profile is kept); the A-23 metrics kept. With every
multiplier 1 it is the engine's own aggregates (to rounding), so engine.settle reproduces simulate.

What a perturbed rebuild approximates: a cell's sums scale with its count (its cases are alike, not equal);
the cost rest is measured at the data's volumes; the A-23 metrics (CMI, age shares) stay as in the data.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

import numpy as np

from ..rules.case_scores import (
    B_CORE,
    B_GRASSROOTS,
    B_SPECIAL,
    B_TCM,
    CASE_TYPES,
    HIGH,
    LOW,
    SPECIAL,
    UNMATCHED,
    CaseScores,
    score_cases,
)
from ..rules.pipeline import PARTS, Aggregates, CaseStage
from ..rules.prepare import Prepared

MONEY = ("cost", "ffs", "self_pay", "other")
N_TYPES = len(CASE_TYPES)
# cost-per-case multipliers at which every case is re-scored once (A-19 thresholds, A-20 ranking)
COST_GRID = (0.8, 0.85, 0.9, 0.95, 0.975, 1.0, 1.025, 1.05, 1.1, 1.15, 1.2, 1.25)


@dataclass
class Cells:
    """Per cell (index c): keys and sums. `base` is the engine's Aggregates the cells came from."""
    n_hs: int
    hs: np.ndarray            # hospital × scheme slot of the cell (2·hospital + scheme)
    hospital: np.ndarray      # hospital row
    group: np.ndarray         # catalogue group code, -1 = the hospital × scheme's ungrouped / unmatched cell
    ctype: np.ndarray         # case type (index into CASE_TYPES)
    hg: np.ndarray            # hospital × group key shared by the two schemes and the types (0 … n_hg-1)
    n_hg: int
    rw: np.ndarray            # the group's mean score RW (A-16, with aux A-18), NaN for -1 cells
    count: np.ndarray         # cases (float)
    sums: np.ndarray          # (SUM_ROWS, cells): the score terms, their cost-proportional parts, the money sums
    base: Aggregates
    grid: np.ndarray          # COST_GRID
    rest_parts: dict          # PARTS → (grid, hs): non-linear rest of the score term at each multiplier
    rest_types: np.ndarray    # (grid, hs, types): change of the case-type counts at each multiplier
    slots: np.ndarray         # the hospital × scheme slots that have cells, ascending
    starts: np.ndarray        # index of the first cell of each of them (cells are ordered by slot)

    @property
    def parts(self) -> dict:
        """PARTS → score per cell (raw, before the hospital coefficient)."""
        return {k: self.sums[i] for i, k in enumerate(PARTS)}

    @property
    def parts_cost(self) -> dict:
        """PARTS → the part of it proportional to the cost of a case."""
        return {k: self.sums[len(PARTS) + i] for i, k in enumerate(PARTS)}

    @property
    def money(self) -> dict:
        """MONEY → sum per cell."""
        return {k: self.sums[2 * len(PARTS) + i] for i, k in enumerate(MONEY)}

    @property
    def n_cells(self) -> int:
        return len(self.hs)

    @property
    def n_hospitals(self) -> int:
        return self.n_hs // 2


def part_masks(scores) -> dict:
    """The five A-34.1 terms, as engine._aggregate splits them."""
    core = scores.bucket == B_CORE
    lu = core & ((scores.case_type == LOW) | (scores.case_type == UNMATCHED))
    return {"core_k": core & ~lu, "core_lu": lu, "grassroots": scores.bucket == B_GRASSROOTS,
            "tcm": scores.bucket == B_TCM, "special": scores.bucket == B_SPECIAL}


def cost_part(scores) -> np.ndarray:
    """The part of each case's raw score proportional to its cost (and FFS amount)."""
    ct = scores.case_type
    prop = np.where((ct == LOW) | (ct == SPECIAL) | (ct == UNMATCHED), scores.raw, 0.0)  # A-19 low, A-20, A-21
    return np.where(ct == HIGH, scores.raw + np.nan_to_num(scores.group_score), prop)   # A-19 high: (R−1)·RW


def case_cells(stage: CaseStage) -> tuple[np.ndarray, np.ndarray]:
    """(cell index of every case, the (hs, group, type) key of each cell). Unmatched cases go to group −1."""
    prep, cs = stage.prep, stage.scores
    hs = prep.hosp.astype(np.int64) * 2 + prep.scheme
    group = np.where(cs.case_type == UNMATCHED, -1, cs.group).astype(np.int64)
    n_groups = len(stage.ref.catalogue) + 1
    key = (hs * n_groups + (group + 1)) * N_TYPES + cs.case_type
    ukey, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(np.int64), ukey


def _sums_per_hs(prep, scores, n_hs: int) -> tuple[dict, np.ndarray]:
    hs = prep.hosp.astype(np.int64) * 2 + prep.scheme
    parts = {k: np.bincount(hs, weights=np.where(m, scores.raw, 0.0), minlength=n_hs)
             for k, m in part_masks(scores).items()}
    tc = np.zeros((n_hs, N_TYPES))
    np.add.at(tc, (hs, scores.case_type.astype(np.int64)), 1.0)
    return parts, tc


def cost_rest(data, stage: CaseStage, params, grid=COST_GRID) -> tuple[np.ndarray, dict, np.ndarray]:
    """Re-score every case with cost, FFS amount and FFS fund × m for each m of the grid (case_scores itself,
    A-19 … A-21) and keep, per hospital × scheme, what the linear split does not give: the score terms'
    rest and the change of the case-type counts."""
    prep, cs, agg = stage.prep, stage.scores, stage.agg
    grid = np.asarray(grid, float)
    prop = cost_part(cs)
    masks = part_masks(cs)
    hs = prep.hosp.astype(np.int64) * 2 + prep.scheme
    prop_hs = {k: np.bincount(hs, weights=np.where(m, prop, 0.0), minlength=agg.n_hs) for k, m in masks.items()}
    base_parts, base_tc = _sums_per_hs(prep, cs, agg.n_hs)
    rest = {k: np.zeros((len(grid), agg.n_hs)) for k in PARTS}
    rest_tc = np.zeros((len(grid), agg.n_hs, N_TYPES))
    for j, m in enumerate(grid):
        if m == 1.0:
            continue
        scaled = replace(prep, cost=prep.cost * m, ffs=prep.ffs * m, ffs_amount=prep.ffs_amount * m)
        sc = score_cases(data, scaled, stage.ref, stage.categories, params)
        parts, tc = _sums_per_hs(scaled, sc, agg.n_hs)
        for k in PARTS:
            rest[k][j] = parts[k] - base_parts[k] - (m - 1.0) * prop_hs[k]
        rest_tc[j] = tc - base_tc
    return grid, rest, rest_tc


def build_cells(data, stage: CaseStage, params, grid=COST_GRID) -> Cells:
    """Sum the scored cases of a case stage to cells (vectorised; once per dataset and case rules)."""
    prep, cs, agg = stage.prep, stage.scores, stage.agg
    cell, ukey = case_cells(stage)
    n_cells = len(ukey)
    n_groups = len(stage.ref.catalogue) + 1
    ctype = ukey % N_TYPES
    hs = ukey // N_TYPES // n_groups
    group = ukey // N_TYPES % n_groups - 1
    hospital = hs // 2

    def per_cell(w=None):
        return np.bincount(cell, weights=w, minlength=n_cells)

    masks = part_masks(cs)
    prop = cost_part(cs)
    parts = {k: per_cell(np.where(m, cs.raw, 0.0)) for k, m in masks.items()}
    parts_cost = {k: per_cell(np.where(m, prop, 0.0)) for k, m in masks.items()}
    money = {"cost": per_cell(prep.cost), "ffs": per_cell(prep.ffs), "self_pay": per_cell(prep.self_pay),
             "other": per_cell(prep.other)}
    has = ~np.isnan(cs.group_score)
    n_gs = per_cell(has.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        rw = np.where((group >= 0) & (n_gs > 0), per_cell(np.where(has, cs.group_score, 0.0)) / n_gs, np.nan)
    _, hg = np.unique(hospital * n_groups + (group + 1), return_inverse=True)
    g, rest, rest_tc = cost_rest(data, stage, params, grid)
    slots, starts = np.unique(hs, return_index=True)              # hs is ascending (the key's leading part)
    sums = np.stack([parts[k] for k in PARTS] + [parts_cost[k] for k in PARTS] + [money[k] for k in MONEY])
    return Cells(agg.n_hs, hs, hospital, group, ctype.astype(np.int64), hg.astype(np.int64), int(hg.max()) + 1
                 if len(hg) else 0, rw, per_cell(), sums, agg, g, rest, rest_tc, slots, starts)


def _ratio(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(old != 0, new / old, 1.0)


def _interp(grid: np.ndarray, table: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per column h, table[:, h] interpolated linearly at x[h] (held at the ends of the grid)."""
    x = np.clip(x, grid[0], grid[-1])
    j = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, len(grid) - 2)
    w = (x - grid[j]) / (grid[j + 1] - grid[j])
    cols = np.arange(table.shape[1])
    lo, hi = table[j, cols], table[j + 1, cols]
    w = w.reshape((-1,) + (1,) * (lo.ndim - 1))
    return np.where(w == 0, lo, lo + w * (hi - lo))


def rebuild(cells: Cells, count: np.ndarray | None = None, hospital_cost: np.ndarray | None = None) -> Aggregates:
    """An engine.Aggregates from cells whose case count is `count` (per cell, default the base count) and
    whose hospitals' cost per case is multiplied by `hospital_cost` (per hospital row, default 1): every sum
    of a cell scales by count ÷ base count, its money and cost-proportional score parts also by the
    multiplier; the hospital's non-linear cost rest is added × its volume ratio."""
    base, n_hs = cells.base, cells.n_hs
    vol = np.ones(cells.n_cells) if count is None else np.where(
        cells.count > 0, _ratio(np.asarray(count, float), cells.count), 0.0)
    n_cell = cells.count * vol if count is None else np.asarray(count, float)
    # cells are ordered by hospital × scheme: every row of sums × volume ratio, summed per slot in one pass
    per_slot = np.zeros((cells.sums.shape[0] + 1, n_hs))
    per_slot[:-1, cells.slots] = np.add.reduceat(cells.sums * vol, cells.starts, axis=1)
    per_slot[-1, cells.slots] = np.add.reduceat(n_cell, cells.starts)
    P = len(PARTS)
    n = base.count.astype(float) if count is None else per_slot[-1]
    parts = {k: per_slot[i] for i, k in enumerate(PARTS)}
    money = {k: per_slot[2 * P + i] for i, k in enumerate(MONEY)}
    tc = np.bincount(cells.hs * N_TYPES + cells.ctype, weights=n_cell, minlength=n_hs * N_TYPES).reshape(n_hs, N_TYPES)
    if hospital_cost is not None:
        # the multiplier is one per hospital: Σ vol·(v + (m−1)·v_cost) = Σ vol·v + (m−1)·Σ vol·v_cost
        m_hs = np.repeat(np.asarray(hospital_cost, float), 2)
        vol_hs = _ratio(n, base.count)
        parts = {k: parts[k] + (m_hs - 1.0) * per_slot[P + i]
                 + vol_hs * _interp(cells.grid, cells.rest_parts[k], m_hs) for i, k in enumerate(PARTS)}
        money = {k: v * m_hs for k, v in money.items()}
        tc = tc + vol_hs[:, None] * _interp(cells.grid, cells.rest_types, m_hs)
    # month profiles kept: each monthly array scaled by its hospital × scheme's change
    monthly_parts = {k: base.monthly_parts[k] * _ratio(parts[k], base.parts[k])[:, None] for k in PARTS}
    return Aggregates(
        n_hs=n_hs, count=n, cost=money["cost"], ffs=money["ffs"], self_pay=money["self_pay"], other=money["other"],
        parts=parts, monthly_parts=monthly_parts,
        monthly_self=base.monthly_self * _ratio(money["self_pay"], base.self_pay)[:, None],
        monthly_other=base.monthly_other * _ratio(money["other"], base.other)[:, None],
        monthly_count=base.monthly_count * _ratio(n, base.count)[:, None],
        metrics=base.metrics, type_counts=tc)


def light_stage(stage: CaseStage, agg: Aggregates | None = None) -> CaseStage:
    """A copy of a case stage holding only what engine.settle reads (no per-case arrays), to send to the
    workers of a parallel run: the reference without its per-history-row groups, the encoding's notes."""
    from types import SimpleNamespace
    # stand-ins, not a Prepared and CaseScores: settle reads only prep.warnings, and never the scores
    prep = cast(Prepared, SimpleNamespace(warnings=list(stage.prep.warnings or [])))
    return replace(stage, prep=prep, scores=cast(CaseScores, None),
                   ref=replace(stage.ref, history_groups=None), agg=agg if agg is not None else stage.agg)
