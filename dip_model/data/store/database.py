"""The store's DuckDB file: opened only while operations run and `linger` seconds after (the threads
of one process, e.g. Streamlit sessions, share it, each with its own cursor); every write is one
transaction, serialised by a lock in this process; another process holding the file is waited for
(retry), then reported as a StoreError. The schema (catalogue tables) is checked on first use."""
from __future__ import annotations

import atexit
import os
import threading
import time
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import duckdb

from ...errors import DipError
from ...messages import Message

SCHEMA_VERSION = "2"
# "1" → "2": scenarios get owner and published; the audit table (created by the schema)
MIGRATIONS = {"1": ["ALTER TABLE scenarios ADD COLUMN owner VARCHAR DEFAULT ''",
                    "ALTER TABLE scenarios ADD COLUMN published BOOLEAN DEFAULT false",
                    "UPDATE scenarios SET owner = '' WHERE owner IS NULL",
                    "UPDATE scenarios SET published = false WHERE published IS NULL"]}

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
    created TIMESTAMP, updated TIMESTAMP, owner VARCHAR DEFAULT '', published BOOLEAN DEFAULT false);
CREATE SEQUENCE IF NOT EXISTS audit_seq;
CREATE TABLE IF NOT EXISTS audit (
    seq BIGINT DEFAULT nextval('audit_seq'), time_utc TIMESTAMP, "user" VARCHAR, role VARCHAR,
    action VARCHAR, target VARCHAR, dataset VARCHAR, params VARCHAR, detail VARCHAR);
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


def _first(cur) -> tuple | None:
    """The first row of a result, read to the end (DuckDB wants every result finished)."""
    rows = cur.fetchall()
    return rows[0] if rows else None


class Database:
    """One DuckDB file. Cheap to create: nothing is opened until an operation runs."""

    def __init__(self, path: str | os.PathLike, timeout: float = 20.0, linger: float = 2.0):
        self.path = Path(path).expanduser().resolve()
        self.timeout = timeout          # seconds to wait for another process holding the file
        self.linger = linger            # seconds the file stays open after the last operation
        self._shared = _shared_for(self.path)

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
                elif row[0] in MIGRATIONS:                  # an older file: brought up to date in place
                    found = row[0]
                    while found in MIGRATIONS:
                        for sql in MIGRATIONS[found]:
                            con.execute(sql)
                        found = str(int(found) + 1)
                    con.execute("UPDATE store_meta SET value = ? WHERE key = 'schema'", [SCHEMA_VERSION])
                elif row[0] != SCHEMA_VERSION:
                    raise StoreError(Message("store_version", path=str(self.path), found=row[0],
                                             version=SCHEMA_VERSION), code="version")
                con.execute("COMMIT")
            except BaseException:
                with suppress(Exception):
                    con.execute("ROLLBACK")
                raise
        self._shared.schema_ok = True
