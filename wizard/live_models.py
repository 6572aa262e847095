"""Django model classes for generated tables, built at run time from the schema
rows in the database, so every process (web, workers, beat) sees a new or
changed schema on its next use, without a restart."""

from __future__ import annotations

import threading

from django.apps.registry import Apps
from django.db import connection, models

from .column_types import model_field
from .models import DataSchema

GENERATED_APP_LABEL = "generated"

_lock = threading.Lock()
_cache: dict[int, tuple[int, type[models.Model]]] = {}


def system_fields() -> dict[str, models.Field]:
    """Columns every generated table has, for sync bookkeeping."""
    return {
        "id": models.BigAutoField(primary_key=True),
        "crm_id": models.CharField(max_length=64, null=True, blank=True, unique=True),
        "crm_modstamp": models.DateTimeField(null=True, blank=True, db_index=True),
        "local_modstamp": models.DateTimeField(null=True, blank=True),
        "is_deleted": models.BooleanField(default=False),
        "deleted_at": models.DateTimeField(null=True, blank=True),
        "last_synced_at": models.DateTimeField(null=True, blank=True),
        # Which side last set each field, when, in which run (wizard.provenance).
        "sync_provenance": models.JSONField(null=True, blank=True),
    }


def build_model(schema: DataSchema, fields=None) -> type[models.Model]:
    """A fresh model class for `schema` (not cached), registered in a private
    app registry so it never collides with other versions of itself."""
    attrs: dict[str, object] = {"__module__": "wizard.generated", **system_fields()}
    for field in fields if fields is not None else schema.fields.all():
        if field.is_system_column:
            continue
        attrs[field.column_name] = model_field(
            field.type, field.length, field.precision, field.scale, connection.vendor, field.column_name
        )
    attrs["Meta"] = type(
        "Meta",
        (),
        {"db_table": schema.table_name, "app_label": GENERATED_APP_LABEL, "apps": Apps()},
    )
    model = type(f"Schema{schema.pk}", (models.Model,), attrs)
    model.crmsync_schema_id = schema.pk
    model.crmsync_schema_version = schema.version
    return model


def model_for(schema: DataSchema) -> type[models.Model]:
    """The model of `schema` at its current version, rebuilt when it changed."""
    with _lock:
        cached = _cache.get(schema.pk)
        if cached and cached[0] == schema.version:
            return cached[1]
    model = build_model(schema)
    with _lock:
        _cache[schema.pk] = (schema.version, model)
    return model


def model_for_id(schema_id: int) -> type[models.Model]:
    """Re-read the schema row (its version may have moved) and give its model."""
    return model_for(DataSchema.objects.get(pk=schema_id))


def forget(schema_id: int) -> None:
    with _lock:
        _cache.pop(schema_id, None)
