"""The audit trail: who did what, when (UTC), on which dataset and parameters. Append-only: the store has
no operation that edits or deletes an entry (deleting a dataset or a scenario leaves its entries)."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from ...messages import Items, Message
from .database import StoreError

SIGN_IN, SIGN_OUT, REFUSED = "sign_in", "sign_out", "refused"
IMPORT, DATASET_DELETE = "import", "dataset_delete"
SCENARIO_SAVE, SCENARIO_RENAME, SCENARIO_DELETE = "scenario_save", "scenario_rename", "scenario_delete"
SCENARIO_PUBLISH, SCENARIO_UNPUBLISH = "scenario_publish", "scenario_unpublish"
EXPORT = "export"
AUDIT_ACTIONS = (SIGN_IN, SIGN_OUT, REFUSED, IMPORT, DATASET_DELETE, SCENARIO_SAVE, SCENARIO_RENAME,
                 SCENARIO_DELETE, SCENARIO_PUBLISH, SCENARIO_UNPUBLISH, EXPORT)
# the table is created with the schema (database._SCHEMA)
AUDIT_COLUMNS = ("time_utc", "user", "role", "action", "target", "dataset", "params", "detail")
TEXT_MAX = 4000                      # characters in one field of an entry


def _utc_now() -> datetime:
    """Now in UTC, without a time zone (stored as TIMESTAMP)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _field(name: str, value, required: bool) -> str:
    if not isinstance(value, str):
        raise StoreError(Message("audit_field_type", field=name, got=type(value).__name__), code="audit")
    if required and not value.strip():
        raise StoreError(Message("audit_field_empty", field=name), code="audit")
    if len(value) > TEXT_MAX:
        raise StoreError(Message("audit_field_long", field=name, max=TEXT_MAX), code="audit")
    return value


class AuditLog:
    """Mixed into the Store (uses its _write / _connect)."""

    def audit(self, user: str, role: str, action: str, target: str = "", dataset: str = "", params: str = "",
              detail: str = "") -> None:
        """Append one entry (time in UTC). A bad argument (not text, empty user / role, unknown action) is a
        StoreError, never skipped."""
        if action not in AUDIT_ACTIONS:
            raise StoreError(Message("audit_action", action=str(action), known=Items(AUDIT_ACTIONS)), code="audit")
        values = [_field("user", user, True), _field("role", role, True), action,
                  _field("target", target, False), _field("dataset", dataset, False),
                  _field("params", params, False), _field("detail", detail, False)]
        with self._write() as con:                                  # type: ignore[attr-defined]
            con.execute('INSERT INTO audit (time_utc, "user", role, action, target, dataset, params, detail) '
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [_utc_now(), *values])

    def audit_log(self, limit: int | None = None, user: str | None = None,
                  action: str | None = None) -> pd.DataFrame:
        """The entries, newest first (columns AUDIT_COLUMNS), of one user and / or action when given."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise StoreError(Message("audit_limit", got=repr(limit)), code="audit")
        if action is not None and action not in AUDIT_ACTIONS:
            raise StoreError(Message("audit_action", action=str(action), known=Items(AUDIT_ACTIONS)), code="audit")
        where, args = [], []
        if user is not None:
            where.append('"user" = ?')
            args.append(str(user))
        if action is not None:
            where.append("action = ?")
            args.append(action)
        sql = (f"SELECT {', '.join(chr(34) + c + chr(34) for c in AUDIT_COLUMNS)} FROM audit"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY time_utc DESC, seq DESC"
               + ("" if limit is None else f" LIMIT {int(limit)}"))
        with self._connect() as con:                                # type: ignore[attr-defined]
            df = con.execute(sql, args).df()
        return df.reset_index(drop=True)
