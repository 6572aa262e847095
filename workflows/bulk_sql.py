"""Writing many rows of a generated table at once. On PostgreSQL the rows go in by
COPY (values written once as COPY text, no SQL expression per value), and updates
by COPY into a temporary table then one UPDATE … FROM; on SQLite, executemany.
Django's bulk_create/bulk_update build one SQL expression per value, which costs
far more than the database itself for the page sizes sync works with. Identifiers
are always quoted; values never reach the SQL text."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

# COPY's text format: backslash escapes for the characters that delimit it.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _columns(model: type[models.Model], names) -> list[models.Field]:
    return [model._meta.get_field(name) for name in names]


def _prepared(fields: list[models.Field], rows: list[dict]) -> list[tuple]:
    return [tuple(f.get_db_prep_save(row.get(f.attname), connection) for f in fields) for row in rows]


def insert(model: type[models.Model], rows: list[dict]) -> None:
    """Insert rows given as {column: value}; every row has the same keys."""
    if not rows:
        return
    fields = _columns(model, rows[0].keys())
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, f"{table} ({names})", fields, rows)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", _prepared(fields, rows))


def update(model: type[models.Model], rows: list[dict], names: list[str]) -> None:
    """Update `names` of rows given as {column: value}, matched by primary key "id"."""
    if not rows:
        return
    fields = _columns(model, ["id", *names])
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    # The temporary table lives until the transaction commits: one is needed even
    # when the caller runs in autocommit.
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = ", ".join(quote(f.column) for f in fields)
            cursor.execute(f"CREATE TEMPORARY TABLE _crmsync_update ON COMMIT DROP AS "
                           f"SELECT {columns} FROM {table} WITH NO DATA")
            _copy(cursor, f"_crmsync_update ({columns})", fields, rows)
            sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:])
            cursor.execute(f"UPDATE {table} AS t SET {sets} FROM _crmsync_update AS v WHERE t.id = v.id")
            cursor.execute("DROP TABLE _crmsync_update")
        else:
            sets = ", ".join(f"{quote(f.column)} = %s" for f in fields[1:])
            values = _prepared(fields, rows)
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", [v[1:] + v[:1] for v in values])


def _copy(cursor, target: str, fields: list[models.Field], rows: list[dict]) -> None:
    plan = [(f.attname, _json_text(f) if isinstance(f, models.JSONField) else copy_text) for f in fields]
    text = "".join("\t".join([write(row.get(key)) for key, write in plan]) + "\n" for row in rows)
    cursor.cursor.copy_expert(f"COPY {target} FROM STDIN", io.StringIO(text))


def _json_text(field: models.JSONField):
    """A JSON column's value as COPY text: the JSON document, whatever its type."""
    return lambda value: _NULL if value is None else json.dumps(value, cls=field.encoder).translate(_COPY_ESCAPES)


def copy_text(value) -> str:
    """One value in COPY's text format, as PostgreSQL's input functions read it."""
    if value is None:
        return _NULL
    kind = type(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES)
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is float or kind is Decimal:
        return str(value)
    if kind is dt.datetime:
        # A naive value means the default time zone, as Django's DateTimeField takes it.
        return (value if value.tzinfo else timezone.make_aware(value, timezone.get_default_timezone())).isoformat()
    if kind is list or kind is tuple:
        return _array(value).translate(_COPY_ESCAPES)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def _array(items) -> str:
    """A one-dimensional PostgreSQL array literal of text items."""
    quoted = ('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' if item is not None else "NULL"
              for item in items)
    return "{" + ",".join(quoted) + "}"
