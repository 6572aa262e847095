"""Record storage for the emulated org: one in-memory SQLite table per sObject
(compact enough for a million rows), plus the delete log getDeleted reads.

Callers hold no SQLite objects: they go through these methods, which take the
store's lock, so the threaded HTTPS server can share one connection."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator

from .clock import Clock
from .ids import IdAllocator
from .schema import FieldDef, ObjectDef, Schema
from .values import format_datetime

ADMIN_USERNAME = "demo@crmsync.example"


def column_type(f: FieldDef) -> str:
    if f.type in ("id", "reference"):
        return "TEXT"
    if f.type in ("boolean", "int"):
        return "INTEGER"
    if f.type in ("double", "currency", "percent"):
        return "REAL"
    # SOQL compares text case-insensitively.
    return "TEXT COLLATE NOCASE"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Store:
    def __init__(self, schema: Schema, clock: Clock):
        self.schema = schema
        self.clock = clock
        self.ids = IdAllocator()
        self.lock = threading.RLock()
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._create_tables()
        self.admin_id = self.insert("User", {"Username": ADMIN_USERNAME, "Name": "Demo Admin", "Email": ADMIN_USERNAME, "IsActive": 1})

    # --- schema ------------------------------------------------------------------
    def _create_tables(self) -> None:
        for obj in self.schema:
            self.create_table(obj)
        self.db.execute("CREATE TABLE _delete_log (object TEXT, id TEXT, deleted TEXT)")
        self.db.execute("CREATE INDEX _delete_log_idx ON _delete_log (object, deleted)")

    def create_table(self, obj: ObjectDef) -> None:
        with self.lock:
            columns = ", ".join(f"{quoted(f.name)} {column_type(f)}" for f in obj.fields)
            self.db.execute(f"CREATE TABLE {quoted(obj.name)} ({columns})")
            self.db.execute(f"CREATE UNIQUE INDEX {quoted(obj.name + '_id')} ON {quoted(obj.name)} (Id)")
            self.db.execute(f"CREATE INDEX {quoted(obj.name + '_stamp')} ON {quoted(obj.name)} (SystemModstamp)")
            for f in obj.fields:
                if f.external_id or f.unique:
                    self.db.execute(f"CREATE INDEX {quoted(obj.name + '_' + f.name)} ON {quoted(obj.name)} ({quoted(f.name)})")

    def recreate_table(self, obj: ObjectDef) -> None:
        """Rebuild `obj`'s table for its new field list (rows read with SELECT * must
        match it column for column), keeping the values of the fields it still has."""
        with self.lock:
            before = {row[1] for row in self.db.execute(f"PRAGMA table_info({quoted(obj.name)})")}
            kept = ", ".join(quoted(f.name) for f in obj.fields if f.name in before)
            rows = self.db.execute(f"SELECT {kept} FROM {quoted(obj.name)}").fetchall()
            self.db.execute(f"DROP TABLE {quoted(obj.name)}")
            self.create_table(obj)
            marks = ", ".join("?" for f in obj.fields if f.name in before)
            self.db.executemany(f"INSERT INTO {quoted(obj.name)} ({kept}) VALUES ({marks})", rows)

    # --- plumbing ----------------------------------------------------------------
    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self.lock:
            return self.db.execute(sql, tuple(params)).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all (allOrNone)."""
        with self.lock:
            self.db.execute("SAVEPOINT tx")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK TO tx")
                self.db.execute("RELEASE tx")
                raise
            self.db.execute("RELEASE tx")

    def obj(self, name: str) -> ObjectDef:
        return self.schema.get(name)

    # --- rows --------------------------------------------------------------------
    def get(self, object_name: str, record_id: str, include_deleted: bool = False) -> dict | None:
        obj = self.obj(object_name)
        rows = self.query(f"SELECT * FROM {quoted(obj.name)} WHERE Id = ?", (record_id,))
        if not rows:
            return None
        row = dict(zip(obj.field_names, rows[0]))
        return row if include_deleted or not row["IsDeleted"] else None

    def find_ids(self, object_name: str, field_name: str, value) -> list[str]:
        """Ids of live records whose field equals `value` (case-insensitively)."""
        obj = self.obj(object_name)
        sql = f"SELECT Id FROM {quoted(obj.name)} WHERE {quoted(obj.field(field_name).name)} = ? COLLATE NOCASE AND IsDeleted = 0"
        return [row[0] for row in self.query(sql, (value,))]

    def count(self, object_name: str, include_deleted: bool = False) -> int:
        where = "" if include_deleted else " WHERE IsDeleted = 0"
        return self.query(f"SELECT COUNT(*) FROM {quoted(self.obj(object_name).name)}{where}")[0][0]

    def insert(self, object_name: str, values: dict) -> str:
        obj = self.obj(object_name)
        stamp = format_datetime(self.clock.stamp())
        row = {**values, **self._system_values(obj, stamp)}
        row.setdefault("OwnerId", getattr(self, "admin_id", None))
        self._fill_name(obj, row)
        self._write_row(obj, row)
        return row["Id"]

    def _system_values(self, obj: ObjectDef, stamp: str) -> dict:
        user = getattr(self, "admin_id", None)
        return {
            "Id": self.ids.next(obj.key_prefix), "IsDeleted": 0, "CreatedDate": stamp, "CreatedById": user,
            "LastModifiedDate": stamp, "LastModifiedById": user, "SystemModstamp": stamp,
        }

    def _write_row(self, obj: ObjectDef, row: dict) -> None:
        names = [f.name for f in obj.fields if f.name in row]
        sql = f"INSERT INTO {quoted(obj.name)} ({', '.join(map(quoted, names))}) VALUES ({', '.join('?' * len(names))})"
        with self.lock:
            self.db.execute(sql, [row[name] for name in names])

    def _fill_name(self, obj: ObjectDef, row: dict) -> None:
        """Contacts and Leads have a read-only Name made of first and last names."""
        if obj.field("FirstName") and obj.field("LastName"):
            row["Name"] = " ".join(part for part in (row.get("FirstName"), row.get("LastName")) if part)

    def update(self, object_name: str, record_id: str, values: dict) -> None:
        obj = self.obj(object_name)
        stamp = format_datetime(self.clock.stamp())
        changes = {**values, "LastModifiedDate": stamp, "SystemModstamp": stamp}
        if "FirstName" in values or "LastName" in values:
            merged = {**self.get(obj.name, record_id), **values}
            self._fill_name(obj, merged)
            changes["Name"] = merged["Name"]
        assignments = ", ".join(f"{quoted(obj.field(name).name)} = ?" for name in changes)
        with self.lock:
            self.db.execute(f"UPDATE {quoted(obj.name)} SET {assignments} WHERE Id = ?", [*changes.values(), record_id])

    def set_quietly(self, object_name: str, record_id: str, values: dict) -> None:
        """Change values without moving SystemModstamp or LastModifiedDate, as a
        formula field's result changes when something it reads changes elsewhere."""
        obj = self.obj(object_name)
        assignments = ", ".join(f"{quoted(obj.field(name).name)} = ?" for name in values)
        with self.lock:
            self.db.execute(f"UPDATE {quoted(obj.name)} SET {assignments} WHERE Id = ?", [*values.values(), record_id])

    def soft_delete(self, object_name: str, record_id: str) -> None:
        """Move to the recycle bin: IsDeleted, a new stamp, and a delete-log entry."""
        obj = self.obj(object_name)
        stamp = format_datetime(self.clock.stamp())
        with self.lock:
            self.db.execute(
                f"UPDATE {quoted(obj.name)} SET IsDeleted = 1, SystemModstamp = ?, LastModifiedDate = ? WHERE Id = ?",
                (stamp, stamp, record_id),
            )
            self.db.execute("INSERT INTO _delete_log VALUES (?, ?, ?)", (obj.name, record_id, stamp))

    def empty_recycle_bin(self, object_name: str | None = None) -> int:
        """Hard-delete recycled rows: queryAll no longer sees them."""
        names = [self.obj(object_name).name] if object_name else [o.name for o in self.schema]
        removed = 0
        with self.lock:
            for name in names:
                removed += self.db.execute(f"DELETE FROM {quoted(name)} WHERE IsDeleted = 1").rowcount
        return removed

    def deleted_between(self, object_name: str, start: str, end: str) -> list[tuple[str, str]]:
        sql = "SELECT id, deleted FROM _delete_log WHERE object = ? AND deleted >= ? AND deleted < ? ORDER BY deleted"
        return self.query(sql, (self.obj(object_name).name, start, end))

    def purge_delete_log(self, before: str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM _delete_log WHERE deleted < ?", (before,))

    def updated_between(self, object_name: str, start: str, end: str) -> list[str]:
        sql = f"SELECT Id FROM {quoted(self.obj(object_name).name)} WHERE IsDeleted = 0 AND SystemModstamp >= ? AND SystemModstamp < ? ORDER BY SystemModstamp"
        return [row[0] for row in self.query(sql, (start, end))]

    def insert_many(self, object_name: str, columns: list[str], rows: Iterable[tuple]) -> None:
        """Fast path for seeding: rows already hold every system column."""
        obj = self.obj(object_name)
        sql = f"INSERT INTO {quoted(obj.name)} ({', '.join(map(quoted, columns))}) VALUES ({', '.join('?' * len(columns))})"
        with self.lock:
            self.db.execute("BEGIN")
            self.db.executemany(sql, rows)
            self.db.execute("COMMIT")
