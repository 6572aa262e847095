"""The type mapping: a normalized CRM field type → the Django model field (and so
the SQL column type) of its local column. One table, documented in the README."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

from connectors.types import FieldType

DEFAULT_STRING_LENGTH = 255
DEFAULT_ID_LENGTH = 64
# Beyond this, a "string" is stored as text: varchar(n) gains nothing there.
MAX_VARCHAR = 10000
DEFAULT_PRECISION, DEFAULT_SCALE = 38, 10
MAX_PRECISION = 1000


def _string(length, precision, scale, vendor):
    if not length or length > MAX_VARCHAR:
        return models.TextField()
    return models.CharField(max_length=length)


def _id(length, precision, scale, vendor):
    return models.CharField(max_length=max(length or 0, DEFAULT_ID_LENGTH))


def _decimal(length, precision, scale, vendor):
    digits = min(precision or DEFAULT_PRECISION, MAX_PRECISION)
    places = DEFAULT_SCALE if precision is None and scale is None else (scale or 0)
    return models.DecimalField(max_digits=max(digits, places, 1), decimal_places=min(places, digits))


def _multi_enum(length, precision, scale, vendor):
    if vendor == "postgresql":
        from django.contrib.postgres.fields import ArrayField

        field = ArrayField(models.CharField(max_length=DEFAULT_STRING_LENGTH))
    else:
        field = models.JSONField()
    field.crmsync_multi_select = True  # one value per element (wizard.multi_select)
    return field


FIELD_FACTORIES: dict[FieldType, Callable[..., models.Field]] = {
    FieldType.ID: _id,
    FieldType.REFERENCE: _id,
    FieldType.STRING: _string,
    FieldType.TEXT: lambda *args: models.TextField(),
    FieldType.INTEGER: lambda *args: models.IntegerField(),
    FieldType.BIGINT: lambda *args: models.BigIntegerField(),
    FieldType.DECIMAL: _decimal,
    FieldType.FLOAT: lambda *args: models.FloatField(),
    FieldType.BOOLEAN: lambda *args: models.BooleanField(),
    FieldType.DATE: lambda *args: models.DateField(),
    FieldType.DATETIME: lambda *args: models.DateTimeField(),
    FieldType.TIME: lambda *args: models.TimeField(),
    FieldType.ENUM: lambda *args: models.CharField(max_length=DEFAULT_STRING_LENGTH),
    FieldType.MULTI_ENUM: _multi_enum,
}


def model_field(field_type: str, length, precision, scale, vendor: str, column: str) -> models.Field:
    """A nullable Django field for one CRM field's column.

    Every CRM column is nullable locally: a run may read a subset of fields, and
    records created locally are incomplete until exported.
    """
    field = FIELD_FACTORIES[FieldType(field_type)](length, precision, scale, vendor)
    field.null = True
    field.blank = True
    field.db_column = column
    return field
