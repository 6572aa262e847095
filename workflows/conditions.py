"""Structured filter conditions ({"field", "op", "value"}) checked against a
generated schema: typed values, known fields, operators that fit the type. The
result is a list of `Condition`s for the connector to compile to SOQL / OData, or
a Django Q over the local table; user input never becomes query text here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db.models import Q

from connectors.types import Condition, FieldType, Op
from wizard.models import DataSchema, SchemaField

TEXT_TYPES = {FieldType.STRING, FieldType.TEXT, FieldType.ENUM, FieldType.ID, FieldType.REFERENCE}
ORDERED_TYPES = {FieldType.INTEGER, FieldType.BIGINT, FieldType.DECIMAL, FieldType.FLOAT, FieldType.DATE,
                 FieldType.DATETIME, FieldType.TIME} | TEXT_TYPES
MAX_IN_VALUES = 1000


class ConditionError(ValueError):
    """Messages by condition position, e.g. {"filter[0].value": ["…"]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def parse_conditions(schema: DataSchema, raw, label: str = "filter") -> list[Condition]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ConditionError({label: ["must be a list of {field, op, value} conditions"]})
    fields = {f.crm_name: f for f in schema.fields.filter(removed_from_crm=False)}
    conditions, errors = [], {}
    for index, item in enumerate(raw):
        try:
            conditions.append(_parse_one(item, fields))
        except ValueError as exc:
            errors[f"{label}[{index}]"] = [str(exc)]
    if errors:
        raise ConditionError(errors)
    return conditions


def _parse_one(item, fields: dict[str, SchemaField]) -> Condition:
    if not isinstance(item, dict) or set(item) - {"field", "op", "value"} or "field" not in item or "op" not in item:
        raise ValueError("expected an object with field, op and value")
    field = fields.get(item["field"])
    if field is None:
        raise ValueError(f"unknown field {item['field']!r}")
    try:
        op = Op(item["op"])
    except ValueError:
        raise ValueError(f"unknown op {item['op']!r}; expected one of {', '.join(o.value for o in Op)}") from None
    return Condition(field.crm_name, op, _typed_value(field, op, item.get("value")))


def _typed_value(field: SchemaField, op: Op, value):
    ftype = FieldType(field.type)
    if op is Op.IS_NULL:
        if not isinstance(value, bool):
            raise ValueError("is_null takes true or false")
        return value
    if op in (Op.CONTAINS, Op.STARTS_WITH):
        if ftype not in TEXT_TYPES | {FieldType.MULTI_ENUM}:
            raise ValueError(f"{op.value} applies to text fields, not {ftype.value}")
        return _coerce(FieldType.STRING, value)
    if op in (Op.IN, Op.NOT_IN):
        if not isinstance(value, list) or not value or len(value) > MAX_IN_VALUES:
            raise ValueError(f"{op.value} takes a list of 1 to {MAX_IN_VALUES} values")
        return tuple(_coerce(ftype, v) for v in value)
    if op in (Op.LT, Op.LE, Op.GT, Op.GE) and ftype not in ORDERED_TYPES:
        raise ValueError(f"{op.value} does not apply to {ftype.value} fields")
    if ftype is FieldType.MULTI_ENUM:
        raise ValueError("multi-select fields take contains or is_null")
    return _coerce(ftype, value)


def _coerce(ftype: FieldType, value):
    try:
        return COERCERS.get(ftype, _text)(value)
    except (TypeError, ValueError, InvalidOperation):
        raise ValueError(f"{value!r} is not a valid {ftype.value} value") from None


def _text(value):
    if not isinstance(value, str):
        raise TypeError
    return value


def _integer(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    return value


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError
    return number


def _boolean(value):
    if not isinstance(value, bool):
        raise TypeError
    return value


def _datetime(value):
    parsed = dt.datetime.fromisoformat(_text(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a date-time needs a time zone offset")
    return parsed


COERCERS = {
    FieldType.INTEGER: _integer,
    FieldType.BIGINT: _integer,
    FieldType.DECIMAL: _number,
    FieldType.FLOAT: _number,
    FieldType.BOOLEAN: _boolean,
    FieldType.DATE: lambda v: dt.date.fromisoformat(_text(v)),
    FieldType.DATETIME: _datetime,
    FieldType.TIME: lambda v: dt.time.fromisoformat(_text(v)),
}

LOOKUPS = {Op.EQ: "exact", Op.LT: "lt", Op.LE: "lte", Op.GT: "gt", Op.GE: "gte", Op.IN: "in",
           Op.CONTAINS: "contains", Op.STARTS_WITH: "startswith"}


def to_q(schema: DataSchema, conditions: list[Condition]) -> Q:
    """The same conditions over the local table, by column."""
    columns = dict(schema.fields.values_list("crm_name", "column_name"))
    query = Q()
    for c in conditions:
        column = columns[c.field]
        if c.op is Op.IS_NULL:
            query &= Q(**{f"{column}__isnull": c.value})
        elif c.op is Op.NE:
            query &= ~Q(**{column: c.value})
        elif c.op is Op.NOT_IN:
            query &= ~Q(**{f"{column}__in": c.value})
        else:
            query &= Q(**{f"{column}__{LOOKUPS[c.op]}": c.value})
    return query
