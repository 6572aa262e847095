"""Moving values between CRM records (dicts by CRM field name) and local rows
(columns of the generated table), with the per-field conversions of the import
and the checks that keep one bad value from failing a whole page."""

from __future__ import annotations

import datetime as dt
import math
import operator
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils import timezone

from connectors.types import FieldType
from wizard.models import DataSchema, SchemaField

from .column_values import NONE_TYPE, ColumnValues

SYSTEM_CRM_COLUMNS = ("crm_id", "crm_modstamp")


@dataclass
class Mapper:
    """The fields an activity moves, in both directions."""

    schema: DataSchema
    model: type[models.Model]
    fields: list[SchemaField]
    conversions: dict[str, str]

    @classmethod
    def build(cls, schema, model, field_names=None, conversions=None) -> Mapper:
        fields = [f for f in schema.fields.filter(removed_from_crm=False)
                  if field_names is None or f.crm_name in field_names or f.is_system_column]
        return cls(schema, model, fields, conversions or {})

    @property
    def crm_names(self) -> list[str]:
        return [f.crm_name for f in self.fields]

    @property
    def writable_columns(self) -> set[str]:
        """Columns of fields crmsync can write to the CRM (not formulas or stamps)."""
        return {f.column_name for f in self.fields
                if not f.is_system_column and not f.read_only and (f.createable or f.updateable)}

    @property
    def data_columns(self) -> list[str]:
        return [f.column_name for f in self.fields if not f.is_system_column]

    def to_local(self, record: dict) -> dict:
        """Column values for a CRM record (only the fields that were read)."""
        values = {}
        for crm_name, column, f, mode in self._conversions:
            if crm_name in record:
                value = record[crm_name]
                values[column] = value if mode is None or value is None else convert(f, value, mode)
        return values

    def local_columns(self, crm_columns: dict[str, list]) -> dict[str, list] | None:
        """`to_local` of every record, column by column, from the records' values by
        CRM field; None when a field is missing (then each record is mapped by itself)."""
        columns = {}
        for crm_name, column, f, mode in self._conversions:
            values = crm_columns.get(crm_name)
            if values is None:
                return None
            columns[column] = values if mode is None else convert_column(f, values, mode)
        return columns

    def local_texts(self, crm_texts: dict[str, list]) -> dict[str, list]:
        """The CRM's texts of the columns whose values are kept as read."""
        return {column: crm_texts[crm_name] for crm_name, column, _, mode in self._conversions
                if mode is None and crm_name in crm_texts}

    def crm_columns(self, records: list[dict]) -> dict[str, list] | None:
        """The records' values by CRM field; None when a record lacks a field."""
        try:
            return {name: list(map(operator.itemgetter(name), records)) for name in self.crm_names}
        except KeyError:
            return None

    @cached_property
    def enumeration_check(self):
        """The multi-select enumerations, read once per run (the mapping is fixed for it)."""
        from wizard.multi_select import EnumerationCheck

        return EnumerationCheck.for_schema(self.schema.pk)

    @cached_property
    def traced_columns(self) -> frozenset:
        from wizard import provenance

        return provenance.traced_columns(self.schema)

    @cached_property
    def _conversions(self) -> list[tuple]:
        """(CRM name, column, field, mode) per field; mode None where a value is kept as read."""
        plan = []
        for f in self.fields:
            mode = self.conversions.get(f.crm_name, "default")
            kept = mode == "default" and f.type not in (FieldType.DATE, FieldType.MULTI_ENUM)
            plan.append((f.crm_name, f.column_name, f, None if kept else mode))
        return plan

    def check(self, values: dict) -> str | None:
        """Why these values cannot be stored, or None."""
        for column, checker in self._checkers:
            value = values.get(column)
            if value is None:
                continue
            problem = checker(value)
            if problem:
                return f"{column}: {problem}"
        return None

    def column_problems(self, columns: dict[str, ColumnValues]) -> dict[int, str]:
        """`check` of every row of `columns`, by row position, for the rows it refuses:
        each column is checked whole first, and only a column that fails is checked
        value by value to find its rows."""
        suspects: set[int] = set()
        for column, checker, fits in self._column_checkers:
            values = columns.get(column)
            if values is None or fits(values):
                continue
            suspects.update(i for i, value in enumerate(values.values) if value is not None and checker(value))
        found = {}
        for i in sorted(suspects):
            problem = self.check({column: values.values[i] for column, values in columns.items()})
            if problem:
                found[i] = problem
        return found

    @cached_property
    def _column_checkers(self) -> list[tuple]:
        fields = self._model_fields
        return [(column, checker, column_checker(fields[column])) for column, checker in self._checkers]

    @cached_property
    def _checkers(self) -> list[tuple]:
        """(column, check) for the columns whose values can be refused."""
        fields = self._model_fields
        return [(column, checker) for column in (f.column_name for f in self.fields)
                for checker in [value_checker(fields[column])] if checker is not None]

    @cached_property
    def _model_fields(self) -> dict[str, models.Field]:
        return {f.column: f for f in self.model._meta.concrete_fields}

    def to_crm(self, row, writable: list[SchemaField]) -> dict:
        return {f.crm_name: to_crm_value(f, getattr(row, f.column_name)) for f in writable}


def convert(field: SchemaField, value, mode: str):
    """The reference product's conversions: default (time zones handled), date
    only (drop the time), without time offset (wall-clock time kept as UTC),
    copy (raw text)."""
    if value is None:
        return None
    if mode == "copy":
        return value if isinstance(value, (str, list)) else str(value)
    if isinstance(value, dt.datetime):
        if mode == "date_only":
            return value.date() if field.type == FieldType.DATE else value.replace(hour=0, minute=0, second=0, microsecond=0)
        if mode == "without_offset":
            return value.replace(tzinfo=dt.timezone.utc)
        if field.type == FieldType.DATE:
            return value.date()
    if field.type == FieldType.MULTI_ENUM and isinstance(value, str):
        return [part for part in value.split(";") if part]
    return value


def convert_column(field: SchemaField, values: list, mode: str) -> list:
    """`convert` of each value; a column it would leave as it is is not copied."""
    if mode == "default":
        kinds = set(map(type, values))
        dated = any(issubclass(kind, dt.datetime) for kind in kinds)
        split = field.type == FieldType.MULTI_ENUM and any(issubclass(kind, str) for kind in kinds)
        if not dated and not split:
            return values
    return [None if value is None else convert(field, value, mode) for value in values]


# What a column of each kind takes, checked before a page is written so that one
# record of the wrong type is rejected with its reason and the others are stored.
EXPECTED_TYPES = (
    (models.DateTimeField, dt.datetime, "date-time"),
    (models.DateField, dt.date, "date"),
    (models.TimeField, dt.time, "time"),
    (models.BooleanField, bool, "boolean"),
    (models.FloatField, (int, float, Decimal), "number"),
    (models.CharField, str, "text"),
    (models.TextField, str, "text"),
)


def value_checker(field: models.Field):
    """A fast `check_value` for one column, or None when any value fits it."""
    if isinstance(field, models.CharField):
        limit = field.max_length
        return lambda value: (None if type(value) is str and len(value) <= limit and "\x00" not in value
                              else check_value(field, value))
    if isinstance(field, models.DecimalField):
        # Clearly inside the column's range: no exact (and slower) check needed.
        bound = 10 ** (field.max_digits - field.decimal_places) - 1

        def check_decimal(value):
            try:
                if type(value) in (int, float, Decimal) and -bound < value < bound:
                    return None
            except ArithmeticError:  # NaN
                pass
            return check_value(field, value)

        return check_decimal
    if isinstance(field, (models.IntegerField, models.BigIntegerField)) and not isinstance(field, models.AutoField):
        low, high = (-2**31, 2**31 - 1) if type(field) is models.IntegerField else (-2**63, 2**63 - 1)
        return lambda value: None if type(value) is int and low <= value <= high else check_value(field, value)
    for kind, accepted, _ in EXPECTED_TYPES:
        if isinstance(field, kind):
            # The plain accepted types pass at once; anything else gets the full check.
            exact = {accepted} if isinstance(accepted, type) else set(accepted)
            if accepted is not bool:
                exact.discard(bool)
            return lambda value: (None if type(value) in exact and not (type(value) is str and "\x00" in value)
                                  else check_value(field, value))
    return None


MAX_EXACT_DIGITS = 28  # the default decimal context's precision


def column_checker(field: models.Field):
    """Whether a whole column (ColumnValues) passes, true only when every value would
    pass the fast path of `value_checker` (a False sends the column to the
    value-by-value check)."""
    if isinstance(field, models.CharField):
        limit = field.max_length
        return lambda column: _texts_fit(column, limit)
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        if digits <= MAX_EXACT_DIGITS:
            # The largest value the column holds (999.99 in numeric(5,2)): anything up
            # to it passes `check_value`, so no value of the column needs checking.
            bound = Decimal(10 ** digits - 1).scaleb(-places)
            return lambda column: _numbers_fit(column, {int, float, Decimal}, -bound, bound, strict=False)
        bound = 10 ** (digits - places) - 1
        return lambda column: _numbers_fit(column, {int, float, Decimal}, -bound, bound, strict=True)
    if isinstance(field, (models.IntegerField, models.BigIntegerField)) and not isinstance(field, models.AutoField):
        low, high = (-2**31, 2**31 - 1) if type(field) is models.IntegerField else (-2**63, 2**63 - 1)
        return lambda column: _numbers_fit(column, {int}, low, high, strict=False)
    for kind, accepted, _ in EXPECTED_TYPES:
        if isinstance(field, kind):
            exact = {accepted} if isinstance(accepted, type) else set(accepted)
            if accepted is not bool:
                exact.discard(bool)
            if str in exact:
                return lambda column: _texts_fit(column, None)
            return lambda column: column.kinds <= exact | {NONE_TYPE}
    return lambda column: False


def _texts_fit(column: ColumnValues, limit: int | None) -> bool:
    if not column.kinds <= {str, NONE_TYPE}:
        return False
    if limit is not None and column.present and max(map(len, column.present)) > limit:
        return False
    return "\x00" not in column.joined


def _numbers_fit(column: ColumnValues, kinds: set, low, high, strict: bool) -> bool:
    present = column.present
    if not present:
        return True
    if not column.kinds - {NONE_TYPE} <= kinds:
        return False
    try:
        if float in kinds and not all(map(math.isfinite, present)):
            return False
        least, most = min(present), max(present)
        return low < least and most < high if strict else low <= least and most <= high
    except (ArithmeticError, ValueError, OverflowError):  # NaN, a signaling NaN, a huge integer
        return False


def check_value(field: models.Field, value) -> str | None:
    if value is None:
        return None
    problem = _check_type(field, value)
    if problem:
        return problem
    if isinstance(field, models.CharField) and isinstance(value, str) and len(value) > field.max_length:
        return f"{len(value)} characters, longer than the column's {field.max_length}"
    if isinstance(field, models.DecimalField):
        return _check_decimal(field, value)
    if isinstance(field, (models.IntegerField, models.BigIntegerField)) and not isinstance(field, models.AutoField):
        low, high = (-2**31, 2**31 - 1) if type(field) is models.IntegerField else (-2**63, 2**63 - 1)
        if not isinstance(value, int) or not low <= value <= high:
            return f"{_shown(value)} is not an integer the column can hold"
    return None


def _check_type(field: models.Field, value) -> str | None:
    for kind, accepted, name in EXPECTED_TYPES:
        if isinstance(field, kind):
            wrong = not isinstance(value, accepted) or (
                accepted is not bool and isinstance(value, bool)) or (
                kind is models.DateField and isinstance(value, dt.datetime))
            if wrong:
                return f"{_shown(value)} is not a valid {name}"
            if isinstance(value, str) and "\x00" in value:
                return "contains a NUL character (\\x00), which the database cannot store"
            return None
    return None


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _check_decimal(field: models.DecimalField, value) -> str | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return f"{_shown(value)} is not a number"
    # As the database will store it: rounded to the column's scale first.
    whole = int(abs(number.quantize(Decimal(1).scaleb(-field.decimal_places))))
    digits_before = len(str(whole)) if whole else 0
    if digits_before > field.max_digits - field.decimal_places:
        return f"{value} does not fit numeric({field.max_digits},{field.decimal_places})"
    return None


def to_crm_value(field: SchemaField, value):
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, dt.timezone.utc)
    return value
