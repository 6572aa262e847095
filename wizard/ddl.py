"""Creating and altering generated tables through Django's schema editor (so the
same code serves PostgreSQL and SQLite, with every identifier quoted), plus the
trigger that stamps `local_modstamp` on any write, plain SQL included."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, models

from .naming import short_hash


@contextmanager
def schema_editor():
    """Django's schema editor, usable inside a transaction on SQLite too.

    Django refuses SQLite schema edits inside atomic() because it cannot switch
    off foreign-key checks there; generated tables have no foreign keys, so the
    check is not needed and the table and its schema rows commit together.
    """
    editor = connection.schema_editor(atomic=False)
    if connection.vendor != "sqlite":
        with editor:
            yield editor
        return
    editor.deferred_sql = []
    yield editor
    for sql in editor.deferred_sql:
        editor.execute(sql)


def create_table(model: type[models.Model]) -> None:
    with schema_editor() as editor:
        editor.create_model(model)
    for statement in _trigger_sql(model._meta.db_table) + _value_indexes(model, None):
        with connection.cursor() as cursor:
            cursor.execute(statement)


def add_columns(model: type[models.Model], column_names: list[str]) -> None:
    with schema_editor() as editor:
        for name in column_names:
            editor.add_field(model, model._meta.get_field(name))
    for statement in _value_indexes(model, column_names):
        with connection.cursor() as cursor:
            cursor.execute(statement)


def _value_indexes(model: type[models.Model], column_names: list[str] | None) -> list[str]:
    """GIN indexes on the multi-select array columns (PostgreSQL only)."""
    from .multi_select import index_sql, is_multi_select

    fields = [f for f in model._meta.concrete_fields if is_multi_select(f)
              and (column_names is None or f.column in column_names)]
    return [sql for sql in (index_sql(model._meta.db_table, f.column) for f in fields) if sql]


def drop_column(model: type[models.Model], column_name: str) -> None:
    with schema_editor() as editor:
        editor.remove_field(model, model._meta.get_field(column_name))


def drop_table(table: str) -> None:
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quoted}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {connection.ops.quote_name(_function_name(table))}()")


def table_exists(table: str) -> bool:
    with connection.cursor() as cursor:
        return table in connection.introspection.table_names(cursor)


def _function_name(table: str) -> str:
    return f"crmsync_stamp_{short_hash(table, 12)}"


def _trigger_sql(table: str) -> list[str]:
    """An insert or update that does not set local_modstamp itself gets now():
    so any writer marks the row as changed locally, and the sync engine, which
    sets it explicitly, does not (no echo)."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        function = quote(_function_name(table))
        return [
            f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF (TG_OP = 'INSERT' AND NEW.local_modstamp IS NULL)
                 OR (TG_OP = 'UPDATE' AND NEW.local_modstamp IS NOT DISTINCT FROM OLD.local_modstamp) THEN
                NEW.local_modstamp := clock_timestamp();
              END IF;
              RETURN NEW;
            END $$""",
            f"CREATE TRIGGER {quote(_function_name(table))} BEFORE INSERT OR UPDATE ON {quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]
    # Django keeps SQLite date-times as text with microseconds: match it exactly.
    now = "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"
    return [
        f"CREATE TRIGGER {quote(_function_name(table) + '_ins')} AFTER INSERT ON {quote(table)} "
        f"WHEN NEW.local_modstamp IS NULL BEGIN "
        f"UPDATE {quote(table)} SET local_modstamp = {now} WHERE id = NEW.id; END",
        f"CREATE TRIGGER {quote(_function_name(table) + '_upd')} AFTER UPDATE ON {quote(table)} "
        f"WHEN NEW.local_modstamp IS OLD.local_modstamp BEGIN "
        f"UPDATE {quote(table)} SET local_modstamp = {now} WHERE id = NEW.id; END",
    ]
