"""Writing many rows of a generated table at once. On PostgreSQL the rows go in by
COPY (values written once as COPY text, no SQL expression per value), and updates
by COPY into a temporary table then one UPDATE … FROM; on SQLite, executemany.
Django's bulk_create/bulk_update build one SQL expression per value, which costs
far more than the database itself for the page sizes sync works with. Identifiers
are always quoted; values never reach the SQL text."""

from __future__ import annotations

import io

from django.db import connection, models, transaction

from .column_values import ColumnValues
from .copy_text import array_literal, column_texts, copy_text, json_texts, lines

__all__ = ["copy_text", "insert", "insert_columns", "present", "update"]


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


def insert_columns(model: type[models.Model], columns: dict[str, list | ColumnValues], constants: dict | None = None
                   ) -> None:
    """Insert rows given column by column ({column: values}, all of one length),
    plus `constants` ({column: the value of every row})."""
    columns = {name: _values(column) for name, column in columns.items()}
    count = len(next(iter(columns.values())).values) if columns else 0
    if not count:
        return
    constants = constants or {}
    if connection.vendor != "postgresql":
        names = list(columns)
        insert(model, [{**dict(zip(names, row)), **constants} for row in zip(*(c.values for c in columns.values()))])
        return
    fields = _columns(model, [*columns, *constants])
    quote = connection.ops.quote_name
    target = f"{quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    texts = [_texts(f, columns[f.attname]) if f.attname in columns else _texts(f, [constants[f.attname]]) * count
             for f in fields]
    with connection.cursor() as cursor:
        _copy_texts(cursor, target, texts)


def present(model: type[models.Model], name: str, values: list) -> list:
    """Those of `values` that the column `name` holds (one array parameter on PostgreSQL)."""
    if not values:
        return []
    if connection.vendor != "postgresql":
        return list(model.objects.filter(**{f"{name}__in": values}).values_list(name, flat=True))
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(name).column)
    with connection.cursor() as cursor:
        # One text parameter (an array literal) parses far faster than an ARRAY[...] of thousands.
        cursor.execute(f"SELECT {column} FROM {quote(model._meta.db_table)} WHERE {column} = ANY(%s::text[])",
                       [array_literal(values)])
        return [found for (found,) in cursor.fetchall()]


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
    _copy_columns(cursor, target, fields, [[row.get(f.attname) for row in rows] for f in fields])


def _copy_columns(cursor, target: str, fields: list[models.Field], columns: list[list]) -> None:
    _copy_texts(cursor, target, [_texts(field, values) for field, values in zip(fields, columns)])


def _copy_texts(cursor, target: str, texts: list[list[str]]) -> None:
    cursor.cursor.copy_expert(f"COPY {target} FROM STDIN", io.StringIO(lines(texts)))


def _texts(field: models.Field, values: list | ColumnValues) -> list[str]:
    column = _values(values)
    return json_texts(column.values, field.encoder) if isinstance(field, models.JSONField) else column_texts(column)


def _values(values: list | ColumnValues) -> ColumnValues:
    return values if isinstance(values, ColumnValues) else ColumnValues(values)
