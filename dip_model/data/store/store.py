"""The Store: imported datasets, built catalogues and saved scenarios in one DuckDB file.

Layout: one table per stored frame (ds_<id>_<table>, cat_<id>_<n>) plus the catalogue tables
`datasets`, `catalogues` and `scenarios`. The pandas dtype of every column is recorded, so a
dataset comes back exactly as it was saved. Every error a user can cause is a DipError (StoreError,
or ParameterError for scenario values).
"""
from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from ...messages import Message, dump, load
from ...params import DEFAULT_RULESET
from ..dataset import DataSet
from .audit import AuditLog
from .database import Database, StoreError, _first, _ident, _now
from .frames import _frame, _to_arrow
from .scenarios import _read_scenario_yaml, _scenario_values, count_changes, scenario_yaml

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PATH = ROOT / "data" / "dip.duckdb"
FRAMES = ("hospitals", "cases", "fund", "catalogue", "group_level_costs", "history", "aux")
NAME_MAX = 80                      # characters in a dataset or scenario name


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


_INSERT_SCENARIO = ('INSERT INTO scenarios (name, note, "values", ruleset, created, updated, owner, published) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def _owner(owner: Any) -> str:
    """A scenario's owner: an e-mail (kept lower-case) or "" for the local user."""
    if not isinstance(owner, str) or any(ord(ch) < 32 for ch in owner) or len(owner) > 320:
        raise StoreError(Message("store_owner", got=repr(owner)), code="owner")
    return owner.strip().lower()


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


# ---------------------------------------------------------------- the store
class Store(Database, AuditLog):
    """The datasets, catalogues, scenarios and the audit trail in one DuckDB file (opened, shared and
    written to as a Database). Cheap to create: nothing is opened until an operation runs."""

    @classmethod
    def default(cls) -> "Store":
        """The store named by env DIP_STORE, else data/dip.duckdb in the project."""
        return cls(os.environ.get("DIP_STORE") or DEFAULT_PATH)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ---------------------------------------------------------------- frames as tables
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
        f = frames.get                          # one per name of FRAMES
        return DataSet(hospitals=f("hospitals"), cases=f("cases"), fund=f("fund"), catalogue=f("catalogue"),
                       group_level_costs=f("group_level_costs"), history=f("history"), aux=f("aux"),
                       source=f"store:{info['id']}", version=info["version"],
                       warnings=load(json.loads(info["warnings"])))

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
        return _first(con.execute('SELECT name, note, "values", ruleset, created, updated, owner, published '
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
                      overwrite: bool = False, owner: str = "") -> str:
        """Save (or with overwrite=True replace) a named scenario; values are validated with
        load_params and kept as the changes against the rule set. `owner` (an e-mail, "" for the
        single local user) is recorded on a new scenario; replacing one keeps its owner and
        published flag (who may replace it is dip_model.access's rule). Returns the name."""
        name = _clean_name(name, "scenario")
        owner = _owner(owner)
        clean = _scenario_values(values)
        note = "" if note is None else str(note)
        now = _now()
        with self._write() as con:
            if self._scenario_row(con, name) is None:
                con.execute(_INSERT_SCENARIO, [name, note, _dumps(clean), DEFAULT_RULESET, now, now, owner, False])
            elif overwrite:
                con.execute('UPDATE scenarios SET note = ?, "values" = ?, ruleset = ?, updated = ? '
                            "WHERE name = ?", [note, _dumps(clean), DEFAULT_RULESET, now, name])
            else:
                self._need_free(con, name)
        return name

    def list_scenarios(self) -> pd.DataFrame:
        """name, note, created, updated, changed (number of parameters changed), owner ("" = the
        local user), published (bool), by name."""
        with self._connect() as con:
            rows = con.execute('SELECT name, note, created, updated, "values", owner, published FROM scenarios '
                               "ORDER BY name").fetchall()
        df = pd.DataFrame(
            [(n, note, c, u, count_changes(json.loads(v)), o or "", bool(p)) for n, note, c, u, v, o, p in rows],
            columns=["name", "note", "created", "updated", "changed", "owner", "published"])
        df["published"] = df["published"].astype(bool)
        return df

    def scenario_names(self) -> list[str]:
        with self._connect() as con:
            return [r[0] for r in con.execute("SELECT name FROM scenarios ORDER BY name").fetchall()]

    def scenario_info(self, name: str) -> dict:
        """name, note, values, ruleset, created, updated, owner, published of one scenario."""
        with self._connect() as con:
            row = self._need_scenario(con, str(name))
        keys = ("name", "note", "values", "ruleset", "created", "updated", "owner", "published")
        info = dict(zip(keys, row))
        info["values"] = json.loads(info["values"])
        info["owner"], info["published"] = info["owner"] or "", bool(info["published"])
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

    def duplicate_scenario(self, name: str, new: str, owner: str = "") -> None:
        """A copy under a new name, owned by `owner` and not published."""
        new = _clean_name(new, "scenario")
        owner = _owner(owner)
        with self._write() as con:
            _, note, values, ruleset, *_ = self._need_scenario(con, str(name))
            self._need_free(con, new)
            now = _now()
            con.execute(_INSERT_SCENARIO, [new, note, values, ruleset, now, now, owner, False])

    def publish_scenario(self, name: str, on: bool) -> None:
        """Publish (on=True) or withdraw a scenario (who may is dip_model.access's rule)."""
        if not isinstance(on, (bool, np.bool_)):
            raise StoreError(Message("store_publish_flag", got=repr(on)), code="type")
        with self._write() as con:
            self._need_scenario(con, str(name))
            con.execute("UPDATE scenarios SET published = ? WHERE name = ?", [bool(on), str(name)])

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
                             overwrite: bool = False, owner: str = "") -> str:
        """Save a scenario from YAML: an exported scenario (name, note, values) or a plain
        parameter file (then `name` is needed). Validated first; returns the name saved."""
        name, values, note = _read_scenario_yaml(text, name)
        return self.save_scenario(name, values, note=note, overwrite=overwrite, owner=owner)
