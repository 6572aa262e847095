"""Multi-select picklist columns: one value per array element (varchar[] with a GIN
index on PostgreSQL, a JSON array elsewhere), queried per value, and every value
checked against the field's local enumeration, so an unknown one is named, never
silently kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL

from connectors.types import FieldType

from .naming import short_hash

UNKNOWN_VALUE = "CRMSYNC_UNKNOWN_VALUE"


@dataclass
class EnumerationCheck:
    """For each multi-select column with a local enumeration: its CRM name, the
    enumeration's name and the values it knows (inactive ones included)."""

    allowed: dict[str, tuple[str, str, frozenset[str]]] = field(default_factory=dict)

    @classmethod
    def for_schema(cls, schema_id: int) -> EnumerationCheck:
        from .models import SchemaField

        fields = SchemaField.objects.filter(schema_id=schema_id, type=FieldType.MULTI_ENUM.value,
                                            enumeration__isnull=False, removed_from_crm=False)
        return cls({f.column_name: (f.crm_name, f.enumeration.name,
                                    frozenset(f.enumeration.values.values_list("value", flat=True)))
                    for f in fields.select_related("enumeration")})

    def problems(self, values: dict) -> dict[str, list[str]]:
        """{column: [message per unknown value]} for the multi-select values given."""
        found: dict[str, list[str]] = {}
        for column, (crm_name, enumeration, known) in self.allowed.items():
            unknown = [item for item in values.get(column) or () if str(item) not in known]
            if unknown:
                found[column] = [f"{crm_name}: {item!r} is not a value of the enumeration {enumeration!r}"
                                 for item in unknown]
        return found

    def message(self, values: dict) -> str:
        return "; ".join(text for texts in self.problems(values).values() for text in texts)


def is_multi_select(model_field: models.Field) -> bool:
    """A multi-select picklist's column (not any JSON column: sync_provenance is one)."""
    return getattr(model_field, "crmsync_multi_select", False)


def contains_value(model_field: models.Field, value: str) -> Q:
    """Rows whose multi-select column holds `value` (one element equal to it)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{model_field.name}__contains": [value]})
    column = connection.ops.quote_name(model_field.column)
    exists = RawSQL(f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = %s)", [value],
                    output_field=models.BooleanField())
    return Q(exists)


def index_sql(table: str, column: str) -> str | None:
    """A GIN index on an array column (PostgreSQL), so `@>` per-value filters use it."""
    if connection.vendor != "postgresql":
        return None
    quote = connection.ops.quote_name
    name = quote(f"crmsync_gin_{short_hash(table + '.' + column, 12)}")
    return f"CREATE INDEX IF NOT EXISTS {name} ON {quote(table)} USING gin ({quote(column)})"
