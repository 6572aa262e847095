"""The label of a value stored in a generated table, from the enumeration its
schema field is linked to (rows store the CRM's value, people read the label)."""

from __future__ import annotations

from .enumeration_models import EnumerationValue
from .models import DataSchema, SchemaField


def stored_text(value) -> str:
    """How an enumeration names a stored value (two-option booleans are 0 and 1)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def value_labels(enumeration_id: int, language: str | None = None) -> dict[str, str]:
    rows = EnumerationValue.objects.filter(enumeration_id=enumeration_id)
    return {row.value: row.label_in(language) for row in rows}


def label_for(field: SchemaField, value, language: str | None = None):
    """The label of `value` (a list of labels for a multi-select value); None when
    the field has no enumeration or the value is not in it."""
    if value is None or field.enumeration_id is None:
        return None
    labels = value_labels(field.enumeration_id, language)
    if isinstance(value, (list, tuple)):
        return [labels.get(stored_text(item)) for item in value]
    return labels.get(stored_text(value))


class RowLabels:
    """Labels of every enumerated column of a schema's rows, read once per schema."""

    def __init__(self, schema: DataSchema | int, language: str | None = None):
        fields = SchemaField.objects.filter(schema=schema, enumeration__isnull=False)
        self.columns = {f.column_name: value_labels(f.enumeration_id, language) for f in fields}

    def of(self, row) -> dict:
        return {column: _label(labels, getattr(row, column, None)) for column, labels in self.columns.items()}


def _label(labels: dict[str, str], value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [labels.get(stored_text(item)) for item in value]
    return labels.get(stored_text(value))


def serializer_attributes(model) -> dict:
    """A read-only `labels` entry for a generated table's record serializer:
    {column: label} for every column linked to an enumeration."""
    name = "labels" if "labels" not in {f.name for f in model._meta.concrete_fields} else "enumeration_labels"

    def get_labels(serializer, row) -> dict:
        root = serializer.root
        if not hasattr(root, "_crmsync_row_labels"):  # read once per response, not per row
            root._crmsync_row_labels = RowLabels(model.crmsync_schema_id)
        return root._crmsync_row_labels.of(row)

    from rest_framework import serializers

    return {name: serializers.SerializerMethodField(), f"get_{name}": get_labels}
