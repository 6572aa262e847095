"""Browsing and editing the rows of a generated table: a serializer built for
its live model, and filters by column that never put user input into SQL."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from rest_framework import serializers

from .multi_select import EnumerationCheck, contains_value, is_multi_select

SYNC_COLUMNS = ("id", "crm_id", "crm_modstamp", "local_modstamp", "is_deleted", "deleted_at", "last_synced_at",
                "sync_provenance")
READ_ONLY_COLUMNS = ("id", "crm_id", "crm_modstamp", "local_modstamp", "deleted_at", "last_synced_at",
                     "sync_provenance")
HIDDEN_COLUMNS = ("sync_provenance",)  # shown by the row's history, not with its values
RESERVED_PARAMS = {"page", "page_size", "search", "ordering", "format"}
# What people type in a query string; Django's own BooleanField only takes True/False/t/f/1/0.
BOOLEAN_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class RecordSerializer(serializers.ModelSerializer):
    """A row of a generated table. The sync's own columns are refused, not silently
    ignored: a client writing them would otherwise believe it had."""

    def validate(self, attrs):
        refused = sorted(set(getattr(self, "initial_data", {})) & set(READ_ONLY_COLUMNS))
        if refused:
            raise serializers.ValidationError({name: ["read-only sync column"] for name in refused})
        self._check_multi_select(attrs)
        return attrs

    def _check_multi_select(self, attrs) -> None:
        """A list of strings, each a value of the field's local enumeration."""
        model = self.Meta.model
        errors = {name: ["must be a list of values"] for name, value in attrs.items()
                  if value is not None and is_multi_select(model._meta.get_field(name))
                  and not (isinstance(value, list) and all(isinstance(v, str) for v in value))}
        if not errors and getattr(model, "crmsync_schema_id", None):
            errors = EnumerationCheck.for_schema(model.crmsync_schema_id).problems(attrs)
        if errors:
            raise serializers.ValidationError(errors)


def record_serializer_class(model: type[models.Model]) -> type[RecordSerializer]:
    meta = type("Meta", (), {"model": model, "exclude": HIDDEN_COLUMNS,
                             "read_only_fields": [c for c in READ_ONLY_COLUMNS if c not in HIDDEN_COLUMNS]})
    from .enumeration_labels import serializer_attributes

    attributes = {"Meta": meta, **serializer_attributes(model)}  # the labels of enumerated values
    return type(f"{model.__name__}RecordSerializer", (RecordSerializer,), attributes)


def filter_records(queryset, params) -> models.QuerySet:
    """`?column=value` (exact, typed) for any column, by its column or CRM field name;
    on a multi-select column, rows holding that value; `?search=` over text columns."""
    model = queryset.model
    columns = {f.name: f for f in model._meta.concrete_fields}
    columns.update({crm: columns[column] for crm, column in _crm_names(model).items()
                    if column in columns and crm not in columns})
    errors = {}
    for name, value in params.items():
        if name in RESERVED_PARAMS:
            continue
        field = columns.get(name)
        if field is None:
            errors[name] = ["no such column"]
            continue
        try:
            if is_multi_select(field):
                queryset = queryset.filter(contains_value(field, value))
                continue
            queryset = queryset.filter(**{field.name: _typed(field, value)})
        except (ValidationError, ValueError, TypeError) as exc:
            errors[name] = list(getattr(exc, "messages", [str(exc)]))
    if errors:
        raise serializers.ValidationError(errors)
    search = params.get("search", "").strip()
    if search:
        text = [f.name for f in columns.values() if isinstance(f, (models.CharField, models.TextField))]
        condition = Q()
        for name in text:
            condition |= Q(**{f"{name}__icontains": search})
        queryset = queryset.filter(condition)
    return queryset


def _crm_names(model) -> dict[str, str]:
    """CRM field name → column, for filters written with the CRM's names."""
    from .models import SchemaField

    schema_id = getattr(model, "crmsync_schema_id", None)
    if schema_id is None:
        return {}
    return dict(SchemaField.objects.filter(schema_id=schema_id).values_list("crm_name", "column_name"))


def _typed(field: models.Field, value: str):
    """A query-string value as the column's Python type ("" is NULL)."""
    if value == "":
        return None
    if isinstance(field, models.BooleanField) and value.lower() in BOOLEAN_WORDS:
        return BOOLEAN_WORDS[value.lower()]
    return field.to_python(value)
