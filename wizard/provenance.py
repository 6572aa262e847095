"""Field provenance: for each row of a generated table, which side last set each
synced field, when, in which run or by which user, and when it last went to the
CRM. Kept in the row itself (the `sync_provenance` JSON column), written by the
same statement that writes the row, so it costs no extra round trip:

    {"e": [[side, at, run, user], ...],   events, referenced by index
     "f": {column: event},                 the last setter of each column ("*": of
                                           every column not named, when one import
                                           inserted the row with all its fields)
     "x": {column: event}}                 the last export of each column

`side` is "crm" (an import), "local" (an edit through crmsync: the records API or
the console) or "local→crm" (an export). Writers crmsync does not see (plain SQL)
leave no event: the row's trigger-stamped local_modstamp says it changed, and when."""

from __future__ import annotations

import datetime as dt

CRM, LOCAL, EXPORTED = "crm", "local", "local→crm"
COLUMN = "sync_provenance"
UNTRACED = frozenset({"crm_id", "crm_modstamp"})  # the CRM's own id and stamp: always the CRM's


def event(side: str, at: dt.datetime, run: int | None = None, user: int | None = None) -> list:
    return [side, at.isoformat(), run, user]


def stamped(current: dict | None, columns, happened: list, key: str = "f") -> dict:
    """`current` with `columns` last set (key "f") or exported (key "x") by `happened`;
    events no column refers to any more are dropped, so the value stays small."""
    current = current or {}
    events = list(current.get("e", []))
    setters, exports = dict(current.get("f", {})), dict(current.get("x", {}))
    target = setters if key == "f" else exports
    columns = [column for column in columns if column not in UNTRACED]
    if not columns:
        return current
    events.append(happened)
    for column in columns:
        target[column] = len(events) - 1
    return _compacted(events, setters, exports)


def _compacted(events: list, setters: dict, exports: dict) -> dict:
    used = sorted(set(setters.values()) | set(exports.values()))
    renumber = {old: new for new, old in enumerate(used)}
    return {"e": [events[i] for i in used], "f": {c: renumber[i] for c, i in setters.items()},
            "x": {c: renumber[i] for c, i in exports.items()}}


def fresh(columns, happened: list, all_columns: frozenset | None = None) -> dict:
    """The provenance of a row inserted with `columns` by `happened` (the import's fast
    path): `{"*": 0}` when they are all the table's columns, so it stays a few bytes."""
    if all_columns is not None and all_columns.issubset(columns):
        return {"e": [happened], "f": {"*": 0}, "x": {}}
    return {"e": [happened], "f": dict.fromkeys((c for c in columns if c not in UNTRACED), 0), "x": {}}


def traced_columns(schema) -> frozenset:
    return frozenset(f.column_name for f in schema.fields.filter(removed_from_crm=False)) - UNTRACED


def history(value: dict | None, fields) -> list[dict]:
    """One entry per synced field (SchemaField rows), oldest knowledge included."""
    value = value or {}
    events = value.get("e", [])

    def described(index):
        if index is None or index >= len(events):
            return {"side": None, "at": None, "run": None, "user": None}
        side, at, run, user = events[index]
        return {"side": side, "at": at, "run": run, "user": user}

    entries = []
    for field in fields:
        setters = value.get("f", {})
        setter = described(setters.get(field.column_name, setters.get("*")))
        export = described(value.get("x", {}).get(field.column_name))
        entries.append({"field": field.crm_name, "column": field.column_name, **setter,
                        "exported_at": export["at"], "exported_in_run": export["run"]})
    return entries


def edited_locally(row, changes: dict, user) -> dict:
    """The row's provenance after a person changed `changes` through crmsync."""
    changed = [column for column, value in changes.items() if getattr(row, column) != value]
    happened = event(LOCAL, _now(), None, getattr(user, "pk", None))
    return stamped(row.sync_provenance, changed, happened)


def row_history(schema, row) -> dict:
    """The answer of GET /api/schemas/{id}/records/{crm_id}/history/."""
    from django.contrib.auth import get_user_model

    entries = history(row.sync_provenance, schema.fields.filter(removed_from_crm=False)
                      .exclude(column_name__in=("crm_id", "crm_modstamp")))
    users = dict(get_user_model().objects.filter(pk__in={e["user"] for e in entries if e["user"]})
                 .values_list("pk", "username"))
    for entry in entries:
        entry["user"] = users.get(entry["user"]) if entry["user"] else None
    unknown_writer = bool(row.local_modstamp and row.last_synced_at and row.local_modstamp > row.last_synced_at
                          and not _edited_after(row.sync_provenance, row.last_synced_at))
    return {"crm_id": row.crm_id, "local_modstamp": row.local_modstamp, "last_synced_at": row.last_synced_at,
            "changed_outside_crmsync": unknown_writer, "fields": entries}


def _edited_after(value: dict | None, moment) -> bool:
    """Whether crmsync recorded a local edit after `moment` (else a plain-SQL writer changed the row)."""
    return any(e[0] == LOCAL and dt.datetime.fromisoformat(e[1]) >= moment for e in (value or {}).get("e", []))


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()
