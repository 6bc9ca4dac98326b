"""The quality report of an import: running counts over the rows used (hospitals, schemes, months,
QC, grouping), the cost outliers (outliers.csv), the derived hospitals table, the notes besides the
counts and the wording of the report's rules in either language.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...messages import Message, Template, load
from ...rules.grouping import assign_groups, core_keys
from ..dataset import SCHEMES
from ..schema import LEVEL_WORDS
from .mapping import HOSPITAL_TARGETS, builtin

OUTLIERS = "outliers.csv"
OUTLIER_HIGH, OUTLIER_LOW, OUTLIER_MIN_CASES = 5.0, 0.1, 5     # × group median; cases a group needs
LEVEL_REIMB = {"3A": 3, "3B": 3, "2A": 2, "2B": 2}          # derived reimb_level; others 1


def note_message(code: str, params: dict) -> Message:
    """What the report says besides the counts, by code (catalogue key note_<code>; a note of level
    "problem" must be fixed before the engine runs)."""
    return Message(f"note_{code}", **params)


def rule_template(entry: dict) -> Template | None:
    """The message of a rule of the report ({"rule", "column", "message", …}); its text(lang) is the rule
    without the value. None for a report written before the rules carried their message."""
    m = entry.get("message")
    if m is None:                           # a report written before the rules carried their message
        return None
    try:
        return Template(m["key"], **load(m.get("values") or {}))
    except (TypeError, KeyError):           # no message, or a key this version does not know
        return None


def rule_text(entry: dict, lang: str) -> str | None:
    """A rule of the report in `lang`, with its column ("total_cost: negative value"); None as rule_template."""
    tpl = rule_template(entry)
    return None if tpl is None else rule_at(entry.get("column", ""), tpl).text(lang)


def rule_at(column: str, message: Message | Template) -> Message | Template:
    """A rule or reason with its column ("row" for the whole row)."""
    if not column:
        return message
    return Message("rule_at", column=Message("whole_row") if column == "row" else column, message=message)


# ------------------------------------------------------------------ statistics
class Stats:
    """Running counts over the rows used: hospitals, schemes, months, QC, groups, and per-case keys
    and costs for the outlier check (a few bytes per case)."""

    def __init__(self, catalogue_ids: pd.Index | None, has_qc: bool):
        self.catalogue_ids, self.has_qc = catalogue_ids, has_qc
        self.dx_len = int(_dx_key_length())
        self.hosp_code: dict[str, int] = {}
        self.key_code: dict[str, int] = {}
        self.hosp_rows: list[np.ndarray] = []
        self.key_rows: list[np.ndarray] = []
        self.costs: list[np.ndarray] = []
        self.ffs: list[np.ndarray] = []
        self.schemes: list[np.ndarray] = []
        self.ids: list[pa.Array] = []
        self.months: dict[tuple[str, str], int] = {}
        self.scheme_counts: dict[str, int] = {}
        self.qc_fail = self.grouped = self.n = 0
        self.attrs: dict[str, dict] = {}        # hospital id -> name / level / district seen first
        self.names: dict[str, str] = {}         # hospital id -> name, for the report

    def add(self, df: pd.DataFrame, text: dict[str, pa.Array]) -> None:
        """Count the rows used of one chunk (`text`: their contract text columns)."""
        n = len(df)
        self.n += n
        hosp = df["hospital_id"]
        self.hosp_rows.append(_codes(hosp, self.hosp_code))
        scheme = (df["scheme"] == "resident").to_numpy().astype(np.int8)
        self.schemes.append(scheme)
        self.costs.append(df["total_cost"].to_numpy(float))
        self.ffs.append(df["ffs_fund"].to_numpy(float))
        self.ids.append(text["case_id"])
        for s, k in zip(SCHEMES, np.bincount(scheme, minlength=2)):
            self.scheme_counts[s] = self.scheme_counts.get(s, 0) + int(k)
        month = df["discharge_date"].to_numpy().astype("datetime64[M]").astype(np.int64)
        u, k = np.unique(month * 2 + scheme, return_counts=True)
        for v, c in zip(u.tolist(), k.tolist()):
            m = str(np.datetime64(v // 2, "M"))
            self.months[(m, SCHEMES[v % 2])] = self.months.get((m, SCHEMES[v % 2]), 0) + c
        if self.has_qc:
            self.qc_fail += int((~df["qc_pass"]).sum())
        codes, combos = _combos(text, n)
        key = self._keys(combos)
        self.key_rows.append(_codes(key.fillna("(none)"), self.key_code)[codes])
        if any(t in text for t in HOSPITAL_TARGETS):
            self._attrs(hosp, text)

    def _keys(self, combos: pd.DataFrame) -> pd.Series:
        """The group of each distinct (group_id, dx_code, proc_codes, proc_class): the catalogue's
        group when a catalogue is given and it matches (counted for the grouping rate), else the
        group id given, else the core key (principal diagnosis × procedures)."""
        core = core_keys(combos["dx_code"], combos["proc_codes"], self.dx_len).where(combos["dx_code"].notna(), None)
        key = combos["group_id"].where(combos["group_id"].notna(), core)
        if self.catalogue_ids is not None:
            group = assign_groups(combos, self.catalogue_ids, self.dx_len)
            self.grouped += int(combos["rows"][group.notna()].sum())
            key = group.where(group.notna(), key)
        return key

    def _attrs(self, hosp: pd.Series, text: dict[str, pa.Array]) -> None:
        """The first name / level / district met for each hospital (for a derived hospitals.csv)."""
        frame = pd.DataFrame({"hospital_id": hosp.to_numpy(),
                              **{t: text[t].to_pandas() for t in HOSPITAL_TARGETS if t in text}})
        first = frame.groupby("hospital_id", sort=False).first()
        for hid, row in first.iterrows():
            have = self.attrs.setdefault(hid, {})
            for t, v in row.items():
                if t not in have and isinstance(v, str):
                    have[t] = v

    def years(self) -> list[str]:
        return sorted({m[:4] for m, _ in self.months})

    def _hospital_frame(self) -> pd.DataFrame:
        codes = np.concatenate(self.hosp_rows) if self.hosp_rows else np.zeros(0, np.int32)
        res = np.concatenate(self.schemes) if self.schemes else np.zeros(0, np.int8)
        n = len(self.hosp_code)
        ids = list(self.hosp_code)
        cost = np.concatenate(self.costs) if self.costs else np.zeros(0)
        ffs = np.concatenate(self.ffs) if self.ffs else np.zeros(0)
        return pd.DataFrame({
            "hospital_id": ids,
            "cases": np.bincount(codes, minlength=n),
            "employee": np.bincount(codes[res == 0], minlength=n),
            "resident": np.bincount(codes[res == 1], minlength=n),
            "total_cost": np.bincount(codes, weights=cost, minlength=n),
            "ffs_fund": np.bincount(codes, weights=ffs, minlength=n)})

    def hospital_table(self) -> pd.DataFrame:
        """Derived hospitals.csv rows: one per hospital id of the used cases."""
        ids = list(self.hosp_code)
        levels = builtin().mapping.values.get("hospital_level", {})
        rows = []
        for hid in sorted(ids):
            a = self.attrs.get(hid, {})
            raw = a.get("hospital_level")
            level = "other"
            if raw:
                v = levels.get(raw.strip().lower(), raw)
                level = LEVEL_WORDS.get(v.strip().lower(), "other")
            rows.append({"hospital_id": hid, "name": a.get("hospital_name", hid),
                         "district": a.get("hospital_district", ""), "level": level,
                         "reimb_level": LEVEL_REIMB.get(level, 1), "type": "general"})
        return pd.DataFrame(rows, columns=["hospital_id", "name", "district", "level", "reimb_level", "type"])

    def report(self) -> dict:
        h = self._hospital_frame().sort_values("cases", ascending=False, kind="stable")
        h.insert(1, "name", [self.names.get(i, i) for i in h["hospital_id"]])
        months = sorted({m for m, _ in self.months})
        return {
            "grouping_rate": (self.grouped / self.n if self.n else None) if self.catalogue_ids is not None else None,
            "grouped_cases": self.grouped if self.catalogue_ids is not None else None,
            "qc_fail_rate": (self.qc_fail / self.n if self.n else None) if self.has_qc else None,
            "qc_fail_cases": self.qc_fail if self.has_qc else None,
            "cases_by_scheme": {s: self.scheme_counts.get(s, 0) for s in SCHEMES},
            "cases_by_hospital": h.to_dict(orient="records"),
            "cases_by_month": [{"month": m, **{s: self.months.get((m, s), 0) for s in SCHEMES}} for m in months],
            "groups": len(self.key_code),
        }

    def outliers(self, path: Path) -> dict:
        """Cases costing over OUTLIER_HIGH × or under OUTLIER_LOW × their group's median (groups with
        at least OUTLIER_MIN_CASES cases), listed in outliers.csv."""
        rule = {"high": OUTLIER_HIGH, "low": OUTLIER_LOW, "min_group_cases": OUTLIER_MIN_CASES}
        cols = ["case_id", "hospital_id", "scheme", "group", "total_cost", "group_median", "ratio", "kind"]
        if not self.n:
            pd.DataFrame(columns=cols).to_csv(path, index=False)
            return {"rule": rule, "high": 0, "low": 0, "groups_checked": 0}
        key = np.concatenate(self.key_rows)
        cost = np.concatenate(self.costs)
        f = pd.DataFrame({"key": key, "cost": cost})
        g = f.groupby("key")["cost"]
        med = g.transform("median").to_numpy()
        size = g.transform("size").to_numpy()
        checked = (size >= OUTLIER_MIN_CASES) & (med > 0)
        high = checked & (cost > OUTLIER_HIGH * med)
        low = checked & (cost < OUTLIER_LOW * med)
        idx = np.flatnonzero(high | low)
        keys = np.array(list(self.key_code), dtype=object)
        hosp = np.array(list(self.hosp_code), dtype=object)
        ids = pa.chunked_array(self.ids, pa.string()).take(pa.array(idx)).to_pylist() if len(idx) else []
        res = np.concatenate(self.schemes)
        table = pd.DataFrame({
            "case_id": ids, "hospital_id": hosp[np.concatenate(self.hosp_rows)[idx]],
            "scheme": np.where(res[idx] == 1, "resident", "employee"), "group": keys[key[idx]],
            "total_cost": cost[idx], "group_median": med[idx], "ratio": cost[idx] / med[idx],
            "kind": np.where(high[idx], "high", "low")}, columns=cols)
        table.sort_values("ratio", ascending=False).to_csv(path, index=False, encoding="utf-8-sig")
        return {"rule": rule, "high": int(high.sum()), "low": int(low.sum()),
                "groups_checked": int(pd.unique(key[checked]).size)}


KEY_COLS = ("group_id", "dx_code", "proc_codes", "proc_class")


def _combos(text: dict[str, pa.Array], n: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's code into the distinct combinations of the grouping columns, and those
    combinations (with their row counts), so grouping runs once per combination, not per row."""
    parts = [text[c] if c in text else pa.nulls(n, pa.string()) for c in KEY_COLS]
    joined = pc.binary_join_element_wise(*parts, "\x1f", null_handling="replace", null_replacement="\x00")
    d = pc.dictionary_encode(joined)
    codes = d.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    split = [u.split("\x1f") for u in d.dictionary.to_pylist()]
    combos = pd.DataFrame([[None if v == "\x00" else v for v in row] for row in split],
                          columns=list(KEY_COLS), dtype=object)
    combos["rows"] = np.bincount(codes, minlength=len(combos))
    return codes, combos


def _codes(s: pd.Series, table: dict[str, int]) -> np.ndarray:
    """Running integer codes of a text column (new values appended to `table`)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=False)
    look = np.array([table.setdefault(u, len(table)) for u in uniq], dtype=np.int32)
    return look[codes]


def _dx_key_length() -> int:
    from ...params import load_params
    return load_params().get("catalogue.dx_key_length") or 5

