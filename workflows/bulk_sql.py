"""Writing many rows of a generated table at once: multi-row INSERT and UPDATE …
FROM (VALUES …) on PostgreSQL (psycopg2's execute_values), executemany on SQLite.
Django's bulk_create/bulk_update build one SQL expression per value, which costs
far more than the database itself for the page sizes sync works with. Values are
always parameters, identifiers always quoted."""

from __future__ import annotations

from django.db import connection, models

PAGE = 1000


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
    values = _prepared(fields, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(cursor.cursor, f"INSERT INTO {table} ({names}) VALUES %s", values, page_size=PAGE)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)


def update(model: type[models.Model], rows: list[dict], names: list[str]) -> None:
    """Update `names` of rows given as {column: value}, matched by primary key "id"."""
    if not rows:
        return
    fields = _columns(model, ["id", *names])
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    values = _prepared(fields, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:])
            aliases = ", ".join(quote(f.column) for f in fields)
            template = "(" + ", ".join(f"%s::{f.cast_db_type(connection) or f.db_type(connection)}" for f in fields) + ")"
            execute_values(cursor.cursor, f"UPDATE {table} AS t SET {sets} FROM (VALUES %s) AS v({aliases}) "
                                          f"WHERE t.id = v.id", values, template=template, page_size=PAGE)
        else:
            sets = ", ".join(f"{quote(f.column)} = %s" for f in fields[1:])
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", [v[1:] + v[:1] for v in values])
