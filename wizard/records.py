"""Browsing and editing the rows of a generated table: a serializer built for
its live model, and filters by column that never put user input into SQL."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from rest_framework import serializers

SYNC_COLUMNS = ("id", "crm_id", "crm_modstamp", "local_modstamp", "is_deleted", "deleted_at", "last_synced_at")
READ_ONLY_COLUMNS = ("id", "crm_id", "crm_modstamp", "local_modstamp", "deleted_at", "last_synced_at")
RESERVED_PARAMS = {"page", "page_size", "search", "ordering", "format"}


def record_serializer_class(model: type[models.Model]) -> type[serializers.ModelSerializer]:
    meta = type("Meta", (), {"model": model, "fields": "__all__", "read_only_fields": READ_ONLY_COLUMNS})
    from .enumeration_labels import serializer_attributes

    attributes = {"Meta": meta, **serializer_attributes(model)}  # the labels of enumerated values
    return type(f"{model.__name__}RecordSerializer", (serializers.ModelSerializer,), attributes)


def filter_records(queryset, params) -> models.QuerySet:
    """`?column=value` (exact, typed) for any column, `?search=` over text columns."""
    model = queryset.model
    columns = {f.name: f for f in model._meta.concrete_fields}
    errors = {}
    for name, value in params.items():
        if name in RESERVED_PARAMS:
            continue
        field = columns.get(name)
        if field is None:
            errors[name] = ["no such column"]
            continue
        try:
            queryset = queryset.filter(**{name: None if value == "" else field.to_python(value)})
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
