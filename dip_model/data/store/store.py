"""The embedded store: imported datasets, built catalogues and saved scenarios in one DuckDB file.

    store = Store.default()                       # env DIP_STORE, else data/dip.duckdb
    ds_id = store.save_dataset(load_data("city"), "泸州 2024")
    data = store.load_dataset(ds_id)              # same tables and dtypes as load_data, no CSV parse
    store.save_scenario("growth 6%", {"budget": {"growth_rate": 0.06}})

Layout: one table per stored frame (ds_<id>_<table>, cat_<id>_<n>) plus the catalogue tables
`datasets`, `catalogues` and `scenarios`. The pandas dtype of every column is recorded, so a
dataset comes back exactly as it was saved.

The file is open only while operations run, and `linger` seconds after (the threads of one process,
e.g. Streamlit sessions, share it, each with its own cursor). Every write is one transaction: a
crash or kill midway leaves the previous state intact. Writes in this process are serialised by a
lock; another process holding the file is waited for (retry), then reported as a StoreError.
Every error a user can cause is a DipError (StoreError, or ParameterError for scenario values).
"""
from __future__ import annotations

import atexit
import json
import math
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from ... import yamlio

from ..dataset import DataSet
from ...errors import DipError, ParameterError
from ...messages import Items, Message, dump, load
from ...params import DEFAULT_RULESET, Params, load_params

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PATH = ROOT / "data" / "dip.duckdb"
SCHEMA_VERSION = "1"
FRAMES = ("hospitals", "cases", "fund", "catalogue", "group_level_costs", "history", "aux")
NAME_MAX = 80                      # characters in a dataset or scenario name
_DOC_KEYS = {"name", "note", "created", "updated", "ruleset", "values"}   # exported YAML

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR, value VARCHAR);
CREATE TABLE IF NOT EXISTS datasets (
    id VARCHAR, name VARCHAR, created TIMESTAMP, source VARCHAR, version VARCHAR,
    n_hospitals BIGINT, n_cases BIGINT, n_history BIGINT, n_groups BIGINT,
    warnings VARCHAR, quality VARCHAR, frames VARCHAR);
CREATE TABLE IF NOT EXISTS catalogues (
    id VARCHAR, dataset_id VARCHAR, key VARCHAR, created TIMESTAMP, info VARCHAR, frames VARCHAR);
CREATE TABLE IF NOT EXISTS scenarios (
    name VARCHAR, note VARCHAR, "values" VARCHAR, ruleset VARCHAR,
    created TIMESTAMP, updated TIMESTAMP);
"""

_SHARED: dict[str, "_Shared"] = {}
_SHARED_GUARD = threading.Lock()


class StoreError(DipError):
    """A store operation the user asked for cannot be done. `code` and `info` let a user
    interface word the message itself (e.g. code "exists", info {"name": ...})."""

    def __init__(self, message: Message, code: str = "store", **info: Any):
        super().__init__(message)
        self.code = code
        self.info = info


class _Shared:
    """What the threads of this process share per store file: one open database while
    operations run (each gets its own cursor), closed `linger` seconds after the last one
    ends so other processes can use the file; and the lock that serialises writers."""

    def __init__(self):
        self.guard = threading.Lock()       # open / close / count
        self.writer = threading.RLock()     # one write transaction at a time
        self.con: duckdb.DuckDBPyConnection | None = None
        self.users = 0
        self.timer: threading.Timer | None = None
        self.schema_ok = False              # tables checked since the file was opened

    def close_if_idle(self) -> None:
        with self.guard:
            if self.users == 0 and self.con is not None:
                self.con.close()
                self.con = None


def _shared_for(path: Path) -> _Shared:
    with _SHARED_GUARD:
        return _SHARED.setdefault(str(path), _Shared())


@atexit.register
def _close_all() -> None:
    for sh in list(_SHARED.values()):
        with suppress(Exception):
            sh.close_if_idle()


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _clean_name(name: Any, what: str) -> str:
    """A trimmed, non-empty, printable name of at most NAME_MAX characters."""
    if not isinstance(name, str) or not name.strip():
        raise StoreError(Message("store_name_empty", what=Message(f"what_{what}")), code="name_empty")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise StoreError(Message("store_name_long", what=Message(f"what_{what}"), max=NAME_MAX),
                         code="name_long", max=NAME_MAX)
    if any(ord(ch) < 32 for ch in name):
        raise StoreError(Message("store_name_bad", what=Message(f"what_{what}")), code="name_bad")
    return name


def _first(cur) -> tuple | None:
    """The first row of a result, read to the end (DuckDB wants every result finished)."""
    rows = cur.fetchall()
    return rows[0] if rows else None


def _plain(obj: Any) -> Any:
    """JSON fallback for numpy / pandas / date values in metadata."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, pd.DataFrame):
        return obj.to_dict("records")
    if isinstance(obj, pd.Series):
        return obj.tolist()
    if isinstance(obj, (datetime, date, pd.Timestamp)):
        return obj.isoformat()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    return str(obj)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_plain)


# ---------------------------------------------------------------- frames <-> Arrow
def _to_arrow(df: pd.DataFrame, where: str, warnings: list[str]) -> tuple[pa.Table, list]:
    """A frame as an Arrow table plus its column list [[name, pandas dtype], ...].

    A column Arrow cannot hold (mixed Python objects) is stored as text, with a warning."""
    cols, arrays = [], []
    for name in df.columns:
        s = df[name]
        dtype = str(s.dtype)
        try:
            arr = _arrow_column(s)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            arr = pa.array(s.map(lambda v: None if v is None or v is pd.NA or
                                 (isinstance(v, float) and math.isnan(v)) else str(v)),
                           type=pa.string())
            dtype = "object"
            warnings.append(Message("store_mixed_column", where=where, column=str(name)))
        cols.append([str(name), dtype])
        arrays.append(arr)
    table = pa.Table.from_arrays(arrays, names=[c[0] for c in cols]) if cols else \
        pa.table({"_empty": pa.nulls(len(df))})
    return table, cols


def _arrow_column(s: pd.Series) -> pa.Array:
    """Arrow array of a column; an object column of texts is typed as text even when empty."""
    if s.dtype == object:
        try:
            return pa.array(s, from_pandas=True, type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return pa.array(s, from_pandas=True)


def _few_distinct(a: pa.Array, sample: int = 65536) -> bool:
    """Whether a text column repeats its values enough to share one Python string per value."""
    head = a.slice(0, sample)
    return len(a) <= sample or pc.count_distinct(head).as_py() <= len(head) // 2


def _series(a: pa.ChunkedArray, dtype: str) -> pd.Series:
    """One stored column back in its recorded pandas dtype (the dtypes load_data gives are
    built directly; anything else goes through Arrow's own conversion)."""
    text = pa.types.is_string(a.type) or pa.types.is_large_string(a.type) \
        or pa.types.is_string_view(a.type)
    if dtype == "str" and text:
        return pc.cast(a.combine_chunks(), pa.large_string()).to_pandas()
    if dtype == "object" and text:
        arr = a.combine_chunks()
        if _few_distinct(arr):            # one shared Python string per distinct value
            d = pc.dictionary_encode(arr)
            uniq = np.array(d.dictionary.to_pylist() + [None], dtype=object)
            values = uniq[pc.fill_null(d.indices, -1).to_numpy(zero_copy_only=False)]
        else:
            values = arr.to_numpy(zero_copy_only=False)
        return pd.Series(values, dtype=object, copy=False)
    if dtype == "object":
        return pd.Series(a.to_pylist(), dtype=object)
    if dtype in ("float64", "datetime64[ns]") or \
            (dtype in ("int64", "bool") and a.null_count == 0):
        values = a.to_numpy() if a.num_chunks != 1 else a.chunk(0).to_numpy(zero_copy_only=False)
        values = np.asarray(values, dtype=dtype)
        if not values.flags.writeable:    # a view of Arrow's buffer: own it, as load_data does
            values = values.copy()
        return pd.Series(values, copy=False)
    s = a.to_pandas()
    with suppress(TypeError, ValueError):
        s = s.astype(pd.api.types.pandas_dtype(dtype))
    return s


def _frame(table: pa.Table, cols: list) -> pd.DataFrame:
    n = table.num_rows
    out = {name: _series(table.column(name), dtype) for name, dtype in cols}
    return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)


# ---------------------------------------------------------------- scenarios: validation
@lru_cache(maxsize=2)
def _builtin(ruleset: str) -> Params:
    return load_params(None, ruleset=ruleset)


@lru_cache(maxsize=2)
def _leaf_paths(ruleset: str) -> frozenset:
    return frozenset(_builtin(ruleset).leaves())


def _scenario_values(values: Any, ruleset: str = DEFAULT_RULESET) -> dict:
    """Validated values, reduced to what differs from the rule set (ParameterError if invalid)."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ParameterError(Message("scenario_values_mapping"))
    clean = _builtin(ruleset).with_values(values).user_values()
    try:
        json.dumps(clean, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ParameterError(Message("scenario_unsavable", reason=str(err))) from None
    return clean


def scenario_yaml(name: str, values: Mapping, note: str = "", created: datetime | None = None,
                  ruleset: str = DEFAULT_RULESET) -> str:
    """A scenario as YAML (name, note, created, ruleset, values), e.g. an unsaved one."""
    doc = {"name": name, "note": note or "", "created": (created or _now()).isoformat(sep=" "),
           "ruleset": ruleset, "values": dict(values)}
    head = ("# DIP 情景 / DIP scenario\n"
            "# values：相对规则集（ruleset）改动的参数 / the parameters changed from the rule set.\n"
            "# 在“情景”页导入 / import it on the Scenarios page.\n")
    return head + yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                            default_flow_style=False, width=100)


class _Dumper(yaml.SafeDumper):
    """Safe YAML with multi-line text (a note) written as a readable block."""


def _text(dumper: yaml.SafeDumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _text)


def count_changes(values: Mapping, prefix: str = "") -> int:
    """How many parameters a nested mapping changes (a mapping inside a leaf counts once)."""
    leaves = _leaf_paths(DEFAULT_RULESET)
    n = 0
    for k, v in values.items():
        path = prefix + str(k)
        if path in leaves or not isinstance(v, Mapping):
            n += 1
        else:
            n += count_changes(v, path + ".")
    return n


# ---------------------------------------------------------------- the store
class Store:
    """One DuckDB file. Cheap to create: nothing is opened until an operation runs."""

    def __init__(self, path: str | os.PathLike, timeout: float = 20.0, linger: float = 2.0):
        self.path = Path(path).expanduser().resolve()
        self.timeout = timeout          # seconds to wait for another process holding the file
        self.linger = linger            # seconds the file stays open after the last operation
        self._shared = _shared_for(self.path)

    @classmethod
    def default(cls) -> "Store":
        """The store named by env DIP_STORE, else data/dip.duckdb in the project."""
        return cls(os.environ.get("DIP_STORE") or DEFAULT_PATH)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ---------------------------------------------------------------- connections
    def _open(self) -> duckdb.DuckDBPyConnection:
        """A connection, retrying while another process holds the file."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(Message("store_mkdir", path=str(self.path), reason=err.strerror),
                             code="open", path=str(self.path)) from None
        deadline = time.monotonic() + self.timeout
        wait = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.Error as err:
                text = str(err)
                busy = "lock" in text.lower()
                if busy and time.monotonic() < deadline:
                    time.sleep(wait)
                    wait = min(wait * 2, 1.0)
                    continue
                if busy:
                    raise StoreError(Message("store_busy", path=str(self.path), seconds=self.timeout),
                                     code="busy", path=str(self.path)) from None
                raise StoreError(Message("store_open", path=str(self.path), reason=text),
                                 code="open", path=str(self.path)) from None

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the shared database, opened for this operation if not open yet and
        closed after the last running operation; database errors become StoreError."""
        sh = self._shared
        with sh.guard:
            if sh.timer is not None:
                sh.timer.cancel()
                sh.timer = None
            if sh.con is None:
                sh.con = self._open()
                sh.schema_ok = False
            sh.users += 1
        try:
            con = None
            try:
                con = sh.con.cursor()
                if not sh.schema_ok:
                    self._init_schema(con)
                yield con
            except duckdb.Error as err:
                raise StoreError(Message("store_db", path=str(self.path), reason=str(err)), code="db") from None
            finally:
                if con is not None:
                    con.close()
        finally:
            with sh.guard:
                sh.users -= 1
                if sh.users == 0 and self.linger <= 0:
                    sh.con.close()
                    sh.con = None
                elif sh.users == 0:
                    sh.timer = threading.Timer(self.linger, sh.close_if_idle)
                    sh.timer.daemon = True
                    sh.timer.start()

    def close(self) -> None:
        """Release the file now (when no operation is running), e.g. before another
        process writes to it."""
        self._shared.close_if_idle()

    @contextmanager
    def _write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction, serialised with this process's other writers; rolled back on
        any error or interruption, so the store keeps its previous state."""
        with self._shared.writer, self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                with suppress(Exception):
                    con.execute("ROLLBACK")
                raise

    def _init_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        with self._shared.writer:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(_SCHEMA)
                row = _first(con.execute("SELECT value FROM store_meta WHERE key = 'schema'"))
                if row is None:
                    con.execute("INSERT INTO store_meta VALUES ('schema', ?)", [SCHEMA_VERSION])
                elif row[0] != SCHEMA_VERSION:
                    raise StoreError(Message("store_version", path=str(self.path), found=row[0],
                                             version=SCHEMA_VERSION), code="version")
                con.execute("COMMIT")
            except BaseException:
                with suppress(Exception):
                    con.execute("ROLLBACK")
                raise
        self._shared.schema_ok = True

    @staticmethod
    def _put_frame(con, table: str, df: pd.DataFrame, where: str, warnings: list) -> dict:
        """Write one frame as a new table; returns its description for the metadata."""
        arrow, cols = _to_arrow(df, where, warnings)
        src = f"_src_{uuid.uuid4().hex}"
        con.register(src, arrow)
        try:
            con.execute(f"CREATE TABLE {_ident(table)} AS SELECT * FROM {_ident(src)}")
        finally:
            con.unregister(src)
        return {"table": table, "rows": len(df), "columns": cols}

    @staticmethod
    def _get_frames(con, descs: dict) -> dict[str, pd.DataFrame]:
        """Read stored frames. A helper thread fetches the tables (DuckDB runs without the
        GIL) while this thread turns the one already fetched into pandas."""
        def fetch(table: str) -> pa.Table:
            cur = con.cursor()
            try:
                return cur.sql(f"SELECT * FROM {_ident(table)}").to_arrow_table()
            finally:
                cur.close()

        with ThreadPoolExecutor(1) as pool:
            pending = {key: pool.submit(fetch, desc["table"]) for key, desc in descs.items()}
            return {key: _frame(pending.pop(key).result(), desc["columns"])
                    for key, desc in descs.items()}

    # ---------------------------------------------------------------- datasets
    def save_dataset(self, data: DataSet, name: str, quality: dict | None = None) -> str:
        """Store every table of `data` under a new id (returned), in one transaction."""
        name = _clean_name(name, "dataset")
        if not isinstance(data, DataSet):
            raise StoreError(Message("store_type"), code="type")
        ds_id = uuid.uuid4().hex[:12]
        warnings = list(data.warnings)
        quality_json = None if quality is None else _dumps(quality)
        frames = {}
        with self._write() as con:
            for key in FRAMES:
                df = getattr(data, key)
                if df is not None:
                    frames[key] = self._put_frame(con, f"ds_{ds_id}_{key}", df, key, warnings)
            counts = [len(data.hospitals), len(data.cases),
                      None if data.history is None else len(data.history),
                      None if data.catalogue is None else len(data.catalogue)]
            con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [ds_id, name, _now(), data.source, data.version or f"store:{ds_id}",
                         *counts, _dumps(dump(warnings)), quality_json, _dumps(frames)])
        return ds_id

    def list_datasets(self) -> pd.DataFrame:
        """One row per stored dataset, newest first."""
        with self._connect() as con:
            df = con.sql("""SELECT id, name, created, source, version, n_hospitals, n_cases,
                                   n_history, n_groups, json_array_length(warnings) AS n_warnings
                            FROM datasets ORDER BY created DESC, name""").df()
        return df.reset_index(drop=True)

    def _dataset_row(self, con, ds_id: str) -> dict:
        cur = con.execute("SELECT * FROM datasets WHERE id = ?", [str(ds_id)])
        names = [d[0] for d in cur.description]
        row = _first(cur)
        if row is None:
            raise StoreError(Message("store_no_dataset", id=ds_id), code="no_dataset", id=ds_id)
        return dict(zip(names, row))

    def dataset_info(self, ds_id: str) -> dict:
        """A dataset's metadata: name, created, source, version, counts, warnings, quality,
        frames (table -> rows and columns)."""
        with self._connect() as con:
            info = self._dataset_row(con, ds_id)
        for key in ("warnings", "quality", "frames"):
            info[key] = None if info[key] is None else json.loads(info[key])
        info["warnings"] = load(info["warnings"])       # Messages again, in either language
        return info

    def find_dataset(self, version: str) -> str | None:
        """The id of the newest stored dataset with this content hash, if any."""
        with self._connect() as con:
            row = _first(con.execute("SELECT id FROM datasets WHERE version = ? "
                                     "ORDER BY created DESC LIMIT 1", [version]))
        return None if row is None else row[0]

    def load_dataset(self, ds_id: str) -> DataSet:
        """The stored DataSet, with the dtypes load_data gives (no CSV is parsed)."""
        with self._connect() as con:
            info = self._dataset_row(con, ds_id)
            frames = self._get_frames(con, json.loads(info["frames"]))
        return DataSet(**{k: frames.get(k) for k in FRAMES}, source=f"store:{info['id']}",
                       version=info["version"], warnings=load(json.loads(info["warnings"])))

    def open_folder(self, path, name: str) -> DataSet:
        """A data folder through the store: the stored copy when the folder's bytes are already
        stored (found by hash, nothing parsed), else the folder read once and stored for next time.
        A store that cannot be written is skipped: the folder's data is returned all the same."""
        from ..load import folder_version, load_data
        version = folder_version(path)
        ds_id = self.find_dataset(version)
        if ds_id is not None:
            return self.load_dataset(ds_id)
        data = load_data(path)
        with suppress(StoreError):
            self.save_dataset(data, name)
        return data

    def rename_dataset(self, ds_id: str, name: str) -> None:
        name = _clean_name(name, "dataset")
        with self._write() as con:
            self._dataset_row(con, ds_id)
            con.execute("UPDATE datasets SET name = ? WHERE id = ?", [name, ds_id])

    def delete_dataset(self, ds_id: str) -> None:
        """Remove a dataset, its tables and its built catalogues (the file keeps its size;
        the space is reused by later saves)."""
        with self._write() as con:
            info = self._dataset_row(con, ds_id)
            for desc in json.loads(info["frames"]).values():
                con.execute(f"DROP TABLE IF EXISTS {_ident(desc['table'])}")
            for (cat_frames,) in con.execute("SELECT frames FROM catalogues WHERE dataset_id = ?",
                                             [ds_id]).fetchall():
                for desc in json.loads(cat_frames).values():
                    con.execute(f"DROP TABLE IF EXISTS {_ident(desc['table'])}")
            con.execute("DELETE FROM catalogues WHERE dataset_id = ?", [ds_id])
            con.execute("DELETE FROM datasets WHERE id = ?", [ds_id])

    # ---------------------------------------------------------------- built catalogues
    def save_catalogue(self, dataset_id: str, key: str, frames: Mapping[str, pd.DataFrame],
                       info: dict | None = None) -> str:
        """Keep a catalogue built from a dataset (its frames, e.g. catalogue and level costs),
        under `key` (e.g. a digest of the catalogue parameters); replaces the same key."""
        with self._write() as con:
            self._dataset_row(con, dataset_id)
            old = con.execute("SELECT frames FROM catalogues WHERE dataset_id = ? AND key = ?",
                              [dataset_id, key]).fetchall()
            for (old_frames,) in old:
                for desc in json.loads(old_frames).values():
                    con.execute(f"DROP TABLE IF EXISTS {_ident(desc['table'])}")
            con.execute("DELETE FROM catalogues WHERE dataset_id = ? AND key = ?", [dataset_id, key])
            cat_id = uuid.uuid4().hex[:12]
            warnings: list[str] = []
            descs = {name: self._put_frame(con, f"cat_{cat_id}_{i}", df, name, warnings)
                     for i, (name, df) in enumerate(frames.items())}
            con.execute("INSERT INTO catalogues VALUES (?, ?, ?, ?, ?, ?)",
                        [cat_id, dataset_id, key, _now(), _dumps(info or {}), _dumps(descs)])
        return cat_id

    def load_catalogue(self, dataset_id: str, key: str) -> tuple[dict, dict] | None:
        """(frames, info) of a stored catalogue, or None when there is none under `key`."""
        with self._connect() as con:
            row = _first(con.execute("SELECT info, frames FROM catalogues "
                                     "WHERE dataset_id = ? AND key = ?", [dataset_id, key]))
            if row is None:
                return None
            frames = self._get_frames(con, json.loads(row[1]))
        return frames, json.loads(row[0])

    def list_catalogues(self, dataset_id: str | None = None) -> pd.DataFrame:
        with self._connect() as con:
            where = "" if dataset_id is None else "WHERE dataset_id = ?"
            return con.execute(f"SELECT id, dataset_id, key, created FROM catalogues {where} "
                               "ORDER BY created DESC", [] if dataset_id is None else [dataset_id]).df()

    # ---------------------------------------------------------------- scenarios
    @staticmethod
    def _scenario_row(con, name: str) -> tuple | None:
        return _first(con.execute('SELECT name, note, "values", ruleset, created, updated '
                                  "FROM scenarios WHERE name = ?", [name]))

    def _need_scenario(self, con, name: str) -> tuple:
        row = self._scenario_row(con, name)
        if row is None:
            raise StoreError(Message("store_no_scenario", name=name), code="no_scenario", name=name)
        return row

    def _need_free(self, con, name: str) -> None:
        if self._scenario_row(con, name) is not None:
            raise StoreError(Message("store_exists", name=name), code="exists", name=name)

    def save_scenario(self, name: str, values: Mapping | None, note: str = "",
                      overwrite: bool = False) -> str:
        """Save (or with overwrite=True replace) a named scenario; values are validated with
        load_params and kept as the changes against the rule set. Returns the name."""
        name = _clean_name(name, "scenario")
        clean = _scenario_values(values)
        note = "" if note is None else str(note)
        now = _now()
        with self._write() as con:
            if self._scenario_row(con, name) is None:
                con.execute("INSERT INTO scenarios VALUES (?, ?, ?, ?, ?, ?)",
                            [name, note, _dumps(clean), DEFAULT_RULESET, now, now])
            elif overwrite:
                con.execute('UPDATE scenarios SET note = ?, "values" = ?, ruleset = ?, updated = ? '
                            "WHERE name = ?", [note, _dumps(clean), DEFAULT_RULESET, now, name])
            else:
                self._need_free(con, name)
        return name

    def list_scenarios(self) -> pd.DataFrame:
        """name, note, created, updated, changed (number of parameters changed), by name."""
        with self._connect() as con:
            rows = con.execute('SELECT name, note, created, updated, "values" FROM scenarios '
                               "ORDER BY name").fetchall()
        return pd.DataFrame(
            [(n, note, c, u, count_changes(json.loads(v))) for n, note, c, u, v in rows],
            columns=["name", "note", "created", "updated", "changed"])

    def scenario_names(self) -> list[str]:
        with self._connect() as con:
            return [r[0] for r in con.execute("SELECT name FROM scenarios ORDER BY name").fetchall()]

    def scenario_info(self, name: str) -> dict:
        """name, note, values, ruleset, created, updated of one scenario."""
        with self._connect() as con:
            row = self._need_scenario(con, str(name))
        keys = ("name", "note", "values", "ruleset", "created", "updated")
        info = dict(zip(keys, row))
        info["values"] = json.loads(info["values"])
        return info

    def load_scenario(self, name: str) -> dict:
        """The scenario's values: a nested mapping of the parameters it changes."""
        return self.scenario_info(name)["values"]

    def rename_scenario(self, old: str, new: str) -> None:
        new = _clean_name(new, "scenario")
        with self._write() as con:
            self._need_scenario(con, str(old))
            if new != old:
                self._need_free(con, new)
                con.execute("UPDATE scenarios SET name = ?, updated = ? WHERE name = ?",
                            [new, _now(), old])

    def duplicate_scenario(self, name: str, new: str) -> None:
        new = _clean_name(new, "scenario")
        with self._write() as con:
            _, note, values, ruleset, _, _ = self._need_scenario(con, str(name))
            self._need_free(con, new)
            now = _now()
            con.execute("INSERT INTO scenarios VALUES (?, ?, ?, ?, ?, ?)",
                        [new, note, values, ruleset, now, now])

    def delete_scenario(self, name: str) -> None:
        with self._write() as con:
            self._need_scenario(con, str(name))
            con.execute("DELETE FROM scenarios WHERE name = ?", [name])

    def export_scenario_yaml(self, name: str) -> str:
        """The scenario as a YAML document a person can read and edit."""
        info = self.scenario_info(name)
        return scenario_yaml(info["name"], info["values"], info["note"], info["created"],
                             info["ruleset"])

    def import_scenario_yaml(self, text: str | bytes, name: str | None = None,
                             overwrite: bool = False) -> str:
        """Save a scenario from YAML: an exported scenario (name, note, values) or a plain
        parameter file (then `name` is needed). Validated first; returns the name saved."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise StoreError(Message("scenario_not_utf8"), code="yaml", detail=Message("text_not_utf8")) from None
        try:
            doc = yamlio.safe_load(text)
        except yaml.YAMLError as err:
            raise StoreError(Message("scenario_yaml", reason=str(err)), code="yaml", detail=str(err)) from None
        if doc is None:
            raise StoreError(Message("scenario_empty"), code="yaml_empty")
        if not isinstance(doc, Mapping):
            raise StoreError(Message("scenario_shape"), code="yaml_shape")
        note = ""
        if "values" in doc:                      # an exported scenario
            unknown = sorted(str(k) for k in doc if k not in _DOC_KEYS)
            if unknown:
                raise StoreError(Message("scenario_key", key=unknown[0], expected=Items(sorted(_DOC_KEYS))),
                                 code="yaml_key", key=unknown[0])
            ruleset = doc.get("ruleset") or DEFAULT_RULESET
            if ruleset != DEFAULT_RULESET:
                raise StoreError(Message("scenario_ruleset", ruleset=str(ruleset), current=DEFAULT_RULESET),
                                 code="ruleset", ruleset=str(ruleset))
            values, note = doc["values"], doc.get("note") or ""
            name = name or (None if doc.get("name") is None else str(doc["name"]))
        else:                                    # a plain parameter file
            values = doc
        if not name:
            raise StoreError(Message("scenario_no_name"), code="yaml_name")
        return self.save_scenario(name, values, note=str(note), overwrite=overwrite)
