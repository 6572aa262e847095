"""How many rows of the generated tables store an enumeration value: what decides
whether Replace may delete a local value or must only deactivate it."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

from connectors.types import FieldType

from .live_models import model_for
from .models import SchemaField


def fields_using(account_id: int | None, crm_key: str, enumeration_id: int | None) -> list[SchemaField]:
    """Live schema fields linked to the enumeration, or about to be (same CRM key)."""
    condition = Q(pk__in=[])
    if account_id is not None:
        condition |= Q(schema__account_id=account_id, enumeration_key=crm_key)
    if enumeration_id is not None:
        condition |= Q(enumeration_id=enumeration_id)
    return list(SchemaField.objects.filter(condition, removed_from_crm=False).select_related("schema").distinct())


class UsageCounter:
    """Counts rows storing a value, over every column of the given fields."""

    def __init__(self, fields: list[SchemaField]):
        self.fields = [f for f in fields if not f.is_system_column]

    def rows_using(self, value: str) -> int:
        return sum(rows_storing(field, value) for field in self.fields)


def rows_storing(field: SchemaField, value: str) -> int:
    model = model_for(field.schema)
    if field.type == FieldType.MULTI_ENUM.value:
        return _rows_containing(model, field.column_name, value)
    column = model._meta.get_field(field.column_name)
    try:
        typed = column.to_python(value)
    except Exception:  # a value the column cannot hold is stored by no row
        return 0
    return model.objects.filter(**{field.column_name: typed}).count()


def _rows_containing(model, column: str, value: str) -> int:
    if connection.vendor == "postgresql":
        return model.objects.filter(**{f"{column}__contains": [value]}).count()
    # SQLite stores multi-select values as a JSON array, which Django cannot search.
    quote = connection.ops.quote_name
    sql = (f"SELECT COUNT(*) FROM {quote(model._meta.db_table)} "
           f"WHERE EXISTS (SELECT 1 FROM json_each({quote(column)}) WHERE json_each.value = %s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        return cursor.fetchone()[0]
