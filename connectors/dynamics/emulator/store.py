"""The emulator's data: one in-memory SQLite table per entity plus a table of
deletions for change tracking. System attributes are kept as Dataverse keeps them:
GUID keys, createdon, a strictly increasing modifiedon, a global versionnumber
(the row version behind etags and delta tokens), statecode/statuscode and ownerid.
All access goes through one lock, so the threaded HTTPS server stays consistent."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable

from .filter_sql import column
from .metadata import EntityDef

SYSTEM_USER_ID = "d3b0c5a1-0000-4000-8000-0000000000a1"


class Store:
    def __init__(self, entities: dict[str, EntityDef]):
        self.entities = entities
        self.lock = threading.RLock()
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.version = 1000
        self.clock = 0
        self.columns: dict[str, tuple[str, ...]] = {}
        self._create_tables()

    # --- schema ---------------------------------------------------------------
    def _create_tables(self) -> None:
        for entity in self.entities.values():
            self.create_table(entity)
        self.db.execute("CREATE TABLE _deleted (entity TEXT, id TEXT, version INTEGER, deleted_at INTEGER)")
        self.db.execute("CREATE INDEX _deleted_version ON _deleted (entity, version)")

    def create_table(self, entity: EntityDef) -> None:
        """The table of an entity in `entities` (a new one, or a redefined one)."""
        with self.lock:
            self.columns[entity.name] = self._column_names(entity)
            self.db.execute(f"CREATE TABLE {column(entity.name)} ({', '.join(self._columns(entity))})")
            for name in (entity.primary_id, "modifiedon", "versionnumber", *self._key_columns(entity)):
                if entity.attribute(name):
                    unique = "UNIQUE " if name == entity.primary_id else ""
                    self.db.execute(f"CREATE {unique}INDEX {column(entity.name + '_' + name)} "
                                    f"ON {column(entity.name)} ({column(name)})")

    def recreate_table(self, entity: EntityDef) -> None:
        """Rebuild an entity's table for its new attributes, keeping the values of
        the attributes it still has (and the row order)."""
        with self.lock:
            kept = [name for name in self._column_names(entity) if name in self.columns[entity.name]]
            names = ", ".join(column(name) for name in ['_rowid', *kept])
            rows = self.db.execute(f"SELECT {names} FROM {column(entity.name)}").fetchall()
            self.db.execute(f"DROP TABLE {column(entity.name)}")
            self.create_table(entity)
            marks = ", ".join("?" for _ in range(len(kept) + 1))
            self.db.executemany(f"INSERT INTO {column(entity.name)} ({names}) VALUES ({marks})", rows)

    @staticmethod
    def _columns(entity: EntityDef) -> list[str]:
        columns = ['"_rowid" INTEGER PRIMARY KEY']
        for attribute in entity.attributes:
            columns.append(column(attribute.name))
            if attribute.is_lookup:
                columns.append(column(attribute.name + "__target"))
        return columns

    @staticmethod
    def _column_names(entity: EntityDef) -> tuple[str, ...]:
        names = []
        for attribute in entity.attributes:
            names += [attribute.name, attribute.name + "__target"] if attribute.is_lookup else [attribute.name]
        return tuple(names)

    @staticmethod
    def _key_columns(entity: EntityDef) -> list[str]:
        return [name for attributes in entity.keys.values() for name in attributes]

    # --- clocks ---------------------------------------------------------------
    def next_version(self) -> int:
        self.version += 1
        return self.version

    def tick(self) -> int:
        """Now in microseconds, strictly later than any modifiedon handed out before."""
        self.clock = max(int(time.time() * 1_000_000), self.clock + 1)
        return self.clock

    # --- reads ----------------------------------------------------------------
    def get(self, entity: EntityDef, record_id: str) -> dict | None:
        rows = self.select(entity, f"{column(entity.primary_id)} = ?", [record_id.lower()], limit=1)
        return rows[0] if rows else None

    def display_name(self, entity_name: str, record_id: str) -> str | None:
        """The primary name of a row, for a lookup's formatted value."""
        entity = self.entities.get(entity_name)
        row = self.get(entity, record_id) if entity else None
        return row.get(entity.primary_name) if row else None

    def find_by_key(self, entity: EntityDef, values: dict) -> dict | None:
        where = " AND ".join(f"{column(name)} = ?" for name in values)
        rows = self.select(entity, where, list(values.values()), limit=2)
        return rows[0] if rows else None

    def select(self, entity: EntityDef, where: str = "", params: Iterable = (), order: str = '"_rowid"',
               limit: int | None = None, offset: int = 0) -> list[dict]:
        sql = f"SELECT * FROM {column(entity.name)}" + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        with self.lock:
            cursor = self.db.execute(sql, list(params))
            names = [description[0] for description in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def count(self, entity: EntityDef, where: str = "", params: Iterable = ()) -> int:
        sql = f"SELECT COUNT(*) FROM {column(entity.name)}" + (f" WHERE {where}" if where else "")
        with self.lock:
            return self.db.execute(sql, list(params)).fetchone()[0]

    def deletions(self, entity: EntityDef, after_version: int, up_to_version: int, limit: int) -> list[tuple]:
        with self.lock:
            return self.db.execute(
                "SELECT version, id FROM _deleted WHERE entity = ? AND version > ? AND version <= ? "
                "ORDER BY version LIMIT ?", (entity.name, after_version, up_to_version, limit)).fetchall()

    # --- writes ---------------------------------------------------------------
    def insert(self, entity: EntityDef, values: dict) -> dict:
        with self.lock:
            row = self._new_row(entity, values)
            self._insert_rows(entity, [row])
            return row

    def _new_row(self, entity: EntityDef, values: dict) -> dict:
        now = self.tick()
        row = {"statecode": 0, "ownerid": SYSTEM_USER_ID,
               "ownerid__target": "systemuser", **values, "createdon": now, "modifiedon": now,
               "versionnumber": self.next_version()}
        row[entity.primary_id] = row.get(entity.primary_id) or str(uuid.uuid4())
        if entity.attribute("statuscode") and row.get("statuscode") is None:
            row["statuscode"] = default_status(entity, row["statecode"])
        return compute(entity, row)

    def _insert_rows(self, entity: EntityDef, rows: list[dict]) -> None:
        names = self.columns[entity.name]
        sql = (f"INSERT INTO {column(entity.name)} ({', '.join(column(name) for name in names)}) "
               f"VALUES ({', '.join('?' for _ in names)})")
        self.db.executemany(sql, ([row.get(name) for name in names] for row in rows))

    def update(self, entity: EntityDef, record_id: str, values: dict) -> dict:
        with self.lock:
            current = self.get(entity, record_id)
            changes = {**values, "modifiedon": self.tick(), "versionnumber": self.next_version()}
            if "statecode" in values and "statuscode" not in values and entity.attribute("statuscode"):
                changes["statuscode"] = default_status(entity, values["statecode"])
            changes = {name: value for name, value in compute(entity, {**current, **changes}).items()
                       if name in changes or name == entity.primary_name}
            assignments = ", ".join(f"{column(name)} = ?" for name in changes)
            self.db.execute(f"UPDATE {column(entity.name)} SET {assignments} WHERE {column(entity.primary_id)} = ?",
                            [*changes.values(), record_id.lower()])
            return {**current, **changes}

    def set_quietly(self, entity: EntityDef, record_id: str, values: dict) -> None:
        """Change values without a new modifiedon or version: change tracking and
        modifiedon filters cannot see it (a calculated column's result moving)."""
        with self.lock:
            assignments = ", ".join(f"{column(name)} = ?" for name in values)
            self.db.execute(f"UPDATE {column(entity.name)} SET {assignments} WHERE {column(entity.primary_id)} = ?",
                            [*values.values(), record_id.lower()])

    def delete(self, entity: EntityDef, record_id: str) -> None:
        with self.lock:
            self.db.execute(f"DELETE FROM {column(entity.name)} WHERE {column(entity.primary_id)} = ?",
                            [record_id.lower()])
            self.db.execute("INSERT INTO _deleted VALUES (?, ?, ?, ?)",
                            (entity.name, record_id.lower(), self.next_version(), self.tick()))

    def bulk_insert(self, entity: EntityDef, rows: Iterable[dict], batch: int = 20_000) -> int:
        """Insert many rows fast (seeding); each still gets its own version and modifiedon."""
        total, pending = 0, []
        with self.lock:
            self.db.execute("BEGIN")
            for values in rows:
                pending.append(self._new_row(entity, values))
                if len(pending) == batch:
                    total += self._flush(entity, pending)
            total += self._flush(entity, pending)
            self.db.execute("COMMIT")
        return total

    def _flush(self, entity: EntityDef, rows: list[dict]) -> int:
        count = len(rows)
        if rows:
            self._insert_rows(entity, rows)
            rows.clear()
        return count

    @contextlib.contextmanager
    def transaction(self):
        """All or nothing (a $batch change set): a savepoint rolled back on error."""
        with self.lock:
            self.db.execute("SAVEPOINT changeset")
            saved = (self.version, self.clock)
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK TO changeset")
                self.db.execute("RELEASE changeset")
                self.version, self.clock = saved
                raise
            self.db.execute("RELEASE changeset")


def default_status(entity: EntityDef, state: int) -> int | None:
    for option in entity.attribute("statecode").option_set.options:
        if option.value == state:
            return option.default_status
    return None


def compute(entity: EntityDef, row: dict) -> dict:
    """Calculated attributes, e.g. a contact's fullname from its first and last names."""
    if entity.name == "contact":
        parts = [row.get("firstname"), row.get("lastname")]
        row["fullname"] = " ".join(part for part in parts if part) or None
    return row
