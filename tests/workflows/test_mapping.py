"""The import's per-field conversions (the reference product's Default, Date only,
Without time offset and Copy/Paste), and the checks that keep a bad value from
failing a whole page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import models

from connectors.types import FieldType
from workflows.mapping import check_value, convert
from wizard.models import SchemaField

PARIS_EVENING = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def field(kind: FieldType) -> SchemaField:
    return SchemaField(crm_name="F", type=kind.value, column_name="f")


@pytest.mark.parametrize("mode, kind, expected", [
    ("default", FieldType.DATETIME, PARIS_EVENING),
    ("date_only", FieldType.DATETIME, PARIS_EVENING.replace(hour=0, minute=0)),
    ("without_offset", FieldType.DATETIME, dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone.utc)),
    ("copy", FieldType.DATETIME, str(PARIS_EVENING)),
    ("default", FieldType.DATE, dt.date(2026, 3, 1)),
])
def test_conversions_of_date_and_time_values(mode, kind, expected):
    assert convert(field(kind), PARIS_EVENING, mode) == expected


def test_multi_select_text_becomes_a_list_and_none_stays_none():
    assert convert(field(FieldType.MULTI_ENUM), "Chess;Go;", "default") == ["Chess", "Go"]
    assert convert(field(FieldType.STRING), None, "copy") is None


@pytest.mark.parametrize("model_field, value, problem", [
    (models.CharField(max_length=5), "abcdef", "6 characters, longer than the column's 5"),
    (models.CharField(max_length=5), "abcde", None),
    (models.DecimalField(max_digits=5, decimal_places=2), Decimal("1234.5"), "1234.5 does not fit numeric(5,2)"),
    (models.DecimalField(max_digits=5, decimal_places=2), Decimal("999.99"), None),
    (models.DecimalField(max_digits=5, decimal_places=2), Decimal("999.999"), "999.999 does not fit numeric(5,2)"),
    (models.IntegerField(), 2**31, f"{2**31} is not an integer the column can hold"),
    (models.BigIntegerField(), 2**40, None),
])
def test_values_the_column_cannot_hold_are_named(model_field, value, problem):
    assert check_value(model_field, value) == problem
