"""Column and value mapping of real exports to the data contract (importer).

A Mapping says which source column feeds which contract column (`columns`), how coded values
translate (`values`, per contract column), and a few options. The built-in one
(rulesets/import_mapping.yaml) recognises the usual Chinese headers; a user mapping is laid over it
and can be saved to YAML and reused. `Plan` is a mapping applied to one file's header; `Plan.apply`
turns a chunk of source text columns into contract text columns (dates ISO, codes normalised,
values translated), ready for the contract checks of dip_model.data.load.
"""
from __future__ import annotations

import copy
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from ... import yamlio
from ...errors import DipError
from ...messages import Items, Message

BUILTIN = Path(__file__).parents[2] / "rulesets" / "import_mapping.yaml"

# contract columns of cases.csv an export can feed, then the hospital attributes (derived hospitals.csv)
CASE_TARGETS = ("case_id", "hospital_id", "scheme", "discharge_date", "admit_date", "patient_id", "group_id",
                "dx_code", "proc_codes", "proc_class", "total_cost", "ffs_fund", "ffs_amount", "self_pay",
                "other_insurance", "age", "aux_type", "qc_pass", "uploaded_on_time", "tcm_advantage",
                "transferred", "readmission_elsewhere", "department", "doctor")
HOSPITAL_TARGETS = ("hospital_name", "hospital_level", "hospital_district")
TARGETS = CASE_TARGETS + HOSPITAL_TARGETS
REQUIRED = ("hospital_id", "scheme", "discharge_date", "total_cost", "ffs_fund")   # plus dx_code or group_id
DATES = ("admit_date", "discharge_date")
NUMBERS = ("total_cost", "ffs_fund", "ffs_amount", "self_pay", "other_insurance")
FLAGS = ("qc_pass", "uploaded_on_time", "tcm_advantage", "transferred", "readmission_elsewhere")
IGNORE = ""                                  # a column mapped to "" is ignored on purpose
LOCAL_IDS = ("病案号", "住院号")              # ids unique only within one hospital
ID_NUMBERS = ("身份证号", "身份证号码", "证件号码", "公民身份号码")   # personal id numbers: hashed
OPTIONS = {"proc_codes": ("short", "full"), "case_id_scope": ("auto", "global", "hospital"),
           "hash_patient_id": ("auto", "true", "false")}
# the published tables given beside the exports (importer/published.py) and the columns a mapping may name
SIDE_TARGETS = {"catalogue": ("group_id", "name", "group_type", "rw", "policy_factor", "grassroots", "category",
                              "tcm_standard", "tcm_advantage", "history_cases"),
                "level_costs": ("group_id", "level", "mean_cost")}


class MappingError(DipError):
    """A mapping file or a mapping that cannot be used (names what is wrong)."""


def fold(header: str) -> str:
    """A header as compared: NFKC (full-width -> half-width), no white space, no trailing unit
    such as （元）, lower case."""
    h = unicodedata.normalize("NFKC", str(header))
    h = re.sub(r"\s+", "", h).lstrip("*").lower()
    return re.sub(r"\((元|万元|岁|天|次|yuan)\)$", "", h)


def value_key(v) -> str:
    """A value as compared in value maps (stripped, folded, lower case)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return unicodedata.normalize("NFKC", str(v)).strip().lower()


def value_out(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@dataclass
class Mapping:
    """columns: source header -> contract column ("" = ignore); values: contract column ->
    {source value: contract value}; header_values: source header -> value map; options; side: the
    published tables' columns, "catalogue" / "level_costs" -> {source header: column} (YAML sections
    `catalogue: {columns: …}` and `level_costs: {columns: …}`)."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    header_values: dict[str, dict[str, str]] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    side: dict[str, dict[str, str]] = field(default_factory=dict)

    # ------------------------------------------------------------- files
    @classmethod
    def from_dict(cls, d: dict | None, where: str | None = None) -> "Mapping":
        where = where or Message("the_mapping")
        d = d or {}
        if not isinstance(d, dict):
            raise MappingError(Message("map_not_mapping", where=where))
        unknown = set(d) - {"columns", "values", "header_values", "options", "headers", *SIDE_TARGETS}
        if unknown:
            raise MappingError(Message("map_unknown_section", where=where, sections=Items(sorted(unknown))))
        cols = {str(k): ("" if v is None else str(v)) for k, v in (d.get("columns") or {}).items()}
        bad = sorted({v for v in cols.values() if v and v not in TARGETS})
        if bad:
            raise MappingError(Message("map_unknown_target", where=where, columns=Items(bad), targets=Items(TARGETS)))
        vals = {str(t): {value_key(k): value_out(v) for k, v in (m or {}).items()}
                for t, m in (d.get("values") or {}).items()}
        bad = sorted(set(vals) - set(TARGETS))
        if bad:
            raise MappingError(Message("map_unknown_values", where=where, columns=Items(bad)))
        hv = {fold(h): {value_key(k): value_out(v) for k, v in (m or {}).items()}
              for h, m in (d.get("header_values") or {}).items()}
        opts = {str(k): value_out(v) for k, v in (d.get("options") or {}).items()}
        for k, v in opts.items():
            if k not in OPTIONS or v not in OPTIONS[k]:
                allowed = "; ".join(f"{o}: {'/'.join(c)}" for o, c in OPTIONS.items())
                raise MappingError(Message("map_bad_option", where=where, option=k, value=v, allowed=allowed))
        side = {}
        for kind, targets in SIDE_TARGETS.items():
            sec = d.get(kind)
            if sec is None:
                continue
            if not isinstance(sec, dict) or set(sec) - {"columns"}:
                raise MappingError(Message("map_side_section", where=where, section=kind))
            sc = {str(k): ("" if v is None else str(v)) for k, v in (sec.get("columns") or {}).items()}
            bad = sorted({v for v in sc.values() if v and v not in targets})
            if bad:
                raise MappingError(Message("map_unknown_target", where=where, columns=Items(bad), targets=Items(targets)))
            side[kind] = sc
        return cls(cols, vals, hv, opts, side)

    @classmethod
    def load(cls, path) -> "Mapping":
        try:
            with open(path, encoding="utf-8") as f:
                return cls.from_dict(yamlio.safe_load(f), Path(path).name)
        except (OSError, yaml.YAMLError) as exc:
            raise MappingError(Message("map_unreadable", file=Path(path).name, reason=str(exc))) from None

    def to_dict(self) -> dict:
        d: dict = {}
        if self.columns:
            d["columns"] = dict(self.columns)
        if self.values:
            d["values"] = copy.deepcopy(self.values)
        if self.header_values:
            d["header_values"] = copy.deepcopy(self.header_values)
        if self.options:
            d["options"] = dict(self.options)
        for kind, cols in self.side.items():
            if cols:
                d[kind] = {"columns": dict(cols)}
        return d

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    def save(self, path) -> None:
        Path(path).write_text(self.to_yaml(), encoding="utf-8")

    def merged(self, other: "Mapping | None") -> "Mapping":
        """This mapping with `other` laid over it (other wins)."""
        if other is None:
            return self
        vals = copy.deepcopy(self.values)
        for t, m in other.values.items():
            vals.setdefault(t, {}).update(m)
        hv = copy.deepcopy(self.header_values)
        for h, m in other.header_values.items():
            hv[h] = dict(m)
        side = {k: {**self.side.get(k, {}), **other.side.get(k, {})} for k in {*self.side, *other.side}}
        return Mapping({**self.columns, **other.columns}, vals, hv, {**self.options, **other.options}, side)


@dataclass
class Builtin:
    """The built-in recognition tables (rulesets/import_mapping.yaml)."""

    aliases: dict[str, tuple[int, str]]      # folded header -> (priority, target)
    mapping: Mapping                         # its values, header values and options
    ignored: frozenset = frozenset()         # folded headers of columns not used

    @classmethod
    def load(cls, path=BUILTIN) -> "Builtin":
        with open(path, encoding="utf-8") as f:
            d = yamlio.safe_load(f)
        aliases: dict[str, tuple[int, str]] = {}
        for target, names in d["headers"].items():
            for prio, n in enumerate(names):
                aliases.setdefault(fold(n), (prio, target))
        m = Mapping.from_dict({k: d.get(k) for k in ("values", "header_values", "options")}, path.name)
        return cls(aliases, m, frozenset(fold(h) for h in d.get("ignore") or ()))


_BUILTIN: Builtin | None = None


def builtin() -> Builtin:
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = Builtin.load()
    return _BUILTIN


def recognise(header: list[str], user: Mapping | None = None) -> dict[str, str]:
    """source column -> contract column for one file: the user's choices first, then the built-in
    headers (one source column per contract column, the better-ranked header winning); columns the
    built-in list ignores map to "". Columns absent from the result are not recognised."""
    user = user or Mapping()
    chosen = {fold(k): v for k, v in user.columns.items()}     # a saved mapping matches folded headers
    out: dict[str, str] = {}
    taken = set()
    for col in header:
        if fold(col) in chosen:
            out[col] = chosen[fold(col)]
            if out[col]:
                taken.add(out[col])
    best: dict[str, tuple[int, int, str]] = {}
    for i, col in enumerate(header):
        if col in out:
            continue
        hit = builtin().aliases.get(fold(col))
        if hit and hit[1] not in taken:
            prio, target = hit
            if target not in best or (prio, i) < best[target][:2]:
                best[target] = (prio, i, col)
    for target, (_, _, col) in best.items():
        out[col] = target
    for col in header:
        if col not in out and fold(col) in builtin().ignored:
            out[col] = IGNORE
    return {c: out[c] for c in header if c in out}


def header_score(names: list[str]) -> int:
    """How many names of a candidate header line are recognised (finds the header under a title)."""
    return sum(fold(n) in builtin().aliases for n in names if n)


def missing_targets(mapped: dict[str, str]) -> list[str]:
    """Required contract columns no source column feeds (dx_code or group_id counts as one)."""
    have = set(mapped.values())
    need = [t for t in REQUIRED if t not in have]
    if not {"dx_code", "group_id"} & have:
        need.append("dx_code")
    return need


# ------------------------------------------------------------------ applying a mapping to chunks
@dataclass
class Plan:
    """A mapping applied to one source file: which column feeds which target, and the value maps."""

    file_no: int                             # 1-based position of the file among the sources
    columns: dict[str, str]                  # target -> source column
    value_maps: dict[str, dict[str, str]]    # target -> {folded source value: contract value}
    options: dict[str, str]
    case_id_scope: str = "global"            # resolved: global | hospital | generated
    hash_patient: bool = False

    @classmethod
    def make(cls, header: list[str], user: Mapping | None, file_no: int = 1) -> "Plan":
        m = builtin().mapping.merged(user)
        mapped = recognise(header, user)
        cols = {t: s for s, t in mapped.items() if t}
        maps = {}
        for target, source in cols.items():
            hv = m.header_values.get(fold(source))
            user_vals = {value_key(k): value_out(v) for k, v in ((user.values.get(target) if user else None) or {}).items()}
            maps[target] = {**(hv if hv is not None else m.values.get(target, {})), **user_vals}
        opts = {**{k: v[0] for k, v in OPTIONS.items()}, **m.options}
        src_id = cols.get("case_id")
        if src_id is None:
            scope = "generated"
        elif opts["case_id_scope"] == "auto":
            scope = "hospital" if fold(src_id) in {fold(x) for x in LOCAL_IDS} else "global"
        else:
            scope = opts["case_id_scope"]
        pid = cols.get("patient_id")
        hashed = opts["hash_patient_id"] == "true" or (
            opts["hash_patient_id"] == "auto" and pid is not None and fold(pid) in {fold(x) for x in ID_NUMBERS})
        return cls(file_no, cols, maps, opts, scope, hashed)

    def apply(self, columns: dict[str, pa.Array], rows: np.ndarray) -> dict[str, pa.Array]:
        """Contract text columns (targets) of one chunk."""
        out: dict[str, pa.Array] = {}
        for target, source in self.columns.items():
            a = _strip(columns[source])
            vm = self.value_maps.get(target)
            if vm:
                a = _translate(a, vm)
            if target in DATES:
                a = per_value(_date_part(a), iso_date)
            elif target in NUMBERS:
                a = _number_text(a)
            elif target == "age":
                a = per_value(a, age_text)
            elif target == "dx_code":
                a = per_value(a, dx_code)
            elif target == "proc_codes":
                short = self.options["proc_codes"] == "short"
                a = per_value(a, lambda v: proc_codes(v, short))
            elif target == "patient_id" and self.hash_patient:
                a = per_value(a, pseudonym)
            out[target] = a
        n = len(rows)
        if self.case_id_scope == "generated":
            ids = np.char.add(f"F{self.file_no}-R", rows.astype(str))
            out["case_id"] = pa.array(ids, pa.string())
        elif self.case_id_scope == "hospital" and "hospital_id" in out:
            out["case_id"] = pc.binary_join_element_wise(out["hospital_id"], out["case_id"], "-")
        assert all(len(a) == n for a in out.values())
        return out


def _strip(a: pa.Array) -> pa.Array:
    t = pc.utf8_trim_whitespace(a)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)


def per_value(a: pa.Array, fn) -> pa.Array:
    """fn applied once per distinct value (None stays None)."""
    d = pc.dictionary_encode(a)
    uniq = d.dictionary.to_pylist()
    out = pa.array([fn(u) for u in uniq], pa.string())
    return pc.take(out, d.indices)


def _translate(a: pa.Array, vm: dict[str, str]) -> pa.Array:
    """Value map: listed values translated, others kept ('*' = the value for every other)."""
    default = vm.get("*")
    return per_value(a, lambda v: vm.get(value_key(v), default if default is not None else v))


_SEP = re.compile(r"[;；,，、|/\s]+")


def dx_code(v: str) -> str:
    """A principal diagnosis code as written, tidied: half-width, no spaces, first letter upper,
    the dot restored when missing (K801 -> K80.1). The engine keys on its first characters
    (catalogue.dx_key_length), so K80.100x001 keys as K80.1."""
    v = re.sub(r"\s+", "", unicodedata.normalize("NFKC", v))
    if not v:
        return v
    v = v[0].upper() + v[1:]
    m = re.fullmatch(r"([A-Z]\d{2})(\d.*)", v)
    return f"{m[1]}.{m[2]}" if m else v


def proc_codes(v: str, short: bool = True) -> str | None:
    """Procedure codes joined by ';' (any of ; ， 、 | / space separates them). `short` cuts a
    医保版 ICD-9-CM-3 code to its subcategory: 51.2300x001 -> 51.23 (the catalogue's key form)."""
    out = []
    for c in _SEP.split(unicodedata.normalize("NFKC", v)):
        if not c:
            continue
        if short:
            m = re.match(r"(\d{2})\.?(\d{1,2})", c)
            c = f"{m[1]}.{m[2]}" if m else c
        if c not in out:
            out.append(c)
    return ";".join(out) or None


def _date_part(a: pa.Array) -> pa.Array:
    """Drop a time of day ('2024-01-05 10:30:00' -> '2024-01-05'), so equal days share one text."""
    if not pc.any(pc.match_substring_regex(a, r"[ T]\d")).as_py():
        return a
    return pc.replace_substring_regex(a, r"[ T]\d{1,2}:\d{2}.*$", "")


_EPOCH = date(1899, 12, 30)                 # Excel's day 0 (1900 date system)
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def iso_date(v: str) -> str:
    """ISO text of 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105 or an Excel serial
    (45296); anything else is returned unchanged (and then rejected as not a date)."""
    m = _YMD.fullmatch(v)
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if re.fullmatch(r"\d{8}", v):
            return date(int(v[:4]), int(v[4:6]), int(v[6:])).isoformat()
        if re.fullmatch(r"\d{4,5}(\.\d+)?", v) and 1 <= float(v) < 2958466:
            return (_EPOCH + timedelta(days=int(float(v)))).isoformat()
    except ValueError:
        pass
    return v


def _number_text(a: pa.Array) -> pa.Array:
    """Money as written, less thousands separators, currency signs and a trailing 元."""
    if pc.all(pc.match_substring_regex(a, r"^-?\d+(\.\d*)?([eE][-+]?\d+)?$")).as_py() in (True, None):
        return a
    return pc.replace_substring_regex(a, r"[,，¥￥\s]|元$", "")


def age_text(v: str) -> str:
    """Age in whole years: '45', '45岁' -> '45'; an infant's '3月' / '10天' -> '0'."""
    v = unicodedata.normalize("NFKC", v).strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(岁|周岁)?", v)
    if m:
        return m[1]
    if re.fullmatch(r"\d+\s*(个)?(月|天|日|小时)\S*", v):
        return "0"
    return v


def pseudonym(v: str) -> str:
    """A one-way pseudonym for a personal id number (equal ids stay equal)."""
    return "P" + hashlib.blake2b(v.encode(), digest_size=8, person=b"dip-import").hexdigest()
