"""Builds SOQL from crmsync's structured read requests. Field names must exist in
the table's describe (so none can smuggle SOQL in) and every value is quoted or
converted for its field's type (so no filter value can either)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from simple_salesforce.format import quote_soql_value, soql_escapes, soql_like_escapes

from connectors.errors import InvalidRequest
from connectors.types import Condition, FieldType, Op, TableDescription

COMPARISONS = {Op.EQ: "=", Op.NE: "!=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
ALWAYS_READ = ("Id", "SystemModstamp")


def canonical_field(table: TableDescription, name: str) -> str:
    """The describe's spelling of `name`; InvalidRequest when the table has no such field."""
    for candidate in table.fields:
        if candidate.name.lower() == name.lower():
            return candidate.name
    raise InvalidRequest(f"{table.name} has no field {name!r}", code="INVALID_FIELD")


def select_fields(table: TableDescription, names: Sequence[str]) -> list[str]:
    """Validated field names, with Id and SystemModstamp always included."""
    wanted = [name for name in ALWAYS_READ if table_has(table, name)]
    wanted += [canonical_field(table, name) for name in names]
    return list(dict.fromkeys(wanted))


def table_has(table: TableDescription, name: str) -> bool:
    return any(f.name == name for f in table.fields)


def literal(table: TableDescription, field_name: str, value: Any) -> str:
    """`value` as a SOQL literal of the field's type."""
    kind = table.field(field_name).type
    if value is None:
        return "null"
    if kind is FieldType.BOOLEAN:
        return "true" if _truthy(value) else "false"
    if kind in (FieldType.INTEGER, FieldType.BIGINT, FieldType.DECIMAL, FieldType.FLOAT):
        return _number(field_name, value)
    if kind is FieldType.DATE:
        return _date(field_name, value).isoformat()
    if kind is FieldType.DATETIME:
        return datetime_literal(_datetime(field_name, value))
    return quote_soql_value(str(value))


def datetime_literal(moment: datetime) -> str:
    """UTC, whole seconds: the documented SOQL dateTime form."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "false", "0"):
        return str(value).lower() in ("true", "1")
    raise InvalidRequest(f"{value!r} is not a boolean")


def _number(field_name: str, value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidRequest(f"{field_name}: {value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidRequest(f"{field_name}: {value!r} is not a number")
    return format(number, "f")


def _date(field_name: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidRequest(f"{field_name}: {value!r} is not a date (YYYY-MM-DD)") from None


def _datetime(field_name: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{field_name}: {value!r} is not a date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def condition(table: TableDescription, cond: Condition) -> str:
    name = canonical_field(table, cond.field)
    if cond.op in COMPARISONS:
        return f"{name} {COMPARISONS[cond.op]} {literal(table, name, cond.value)}"
    if cond.op in (Op.IN, Op.NOT_IN):
        return _in_list(table, name, cond)
    if cond.op is Op.IS_NULL:
        return f"{name} {'=' if cond.value in (None, True) else '!='} null"
    return _like(table, name, cond)


def _in_list(table: TableDescription, name: str, cond: Condition) -> str:
    values = list(cond.value or ())
    if not values:
        # An empty IN list is a SOQL syntax error; it matches nothing (or everything).
        return f"Id {'=' if cond.op is Op.IN else '!='} null"
    items = ", ".join(literal(table, name, value) for value in values)
    return f"{name} {'IN' if cond.op is Op.IN else 'NOT IN'} ({items})"


def _like(table: TableDescription, name: str, cond: Condition) -> str:
    if table.field(name).type is FieldType.MULTI_ENUM and cond.op is Op.CONTAINS:
        return f"{name} INCLUDES ({quote_soql_value(str(cond.value))})"
    escaped = str(cond.value).translate(soql_escapes).translate(soql_like_escapes)
    pattern = f"%{escaped}%" if cond.op is Op.CONTAINS else f"{escaped}%"
    return f"{name} LIKE '{pattern}'"


def where_clause(table: TableDescription, conditions: Sequence[Condition], since: datetime | None,
                 ids: Sequence[str] | None = None) -> str:
    parts = [condition(table, cond) for cond in conditions]
    if since is not None:
        parts.append(f"SystemModstamp >= {datetime_literal(since)}")
    if ids is not None:
        parts.append(f"Id IN ({', '.join(quote_soql_value(str(i)) for i in ids)})")
    return " WHERE " + " AND ".join(f"({part})" if " OR " in part else part for part in parts) if parts else ""


def select(table: TableDescription, fields: Sequence[str], conditions: Sequence[Condition] = (),
           since: datetime | None = None, ids: Sequence[str] | None = None, ordered: bool = True) -> str:
    """A SELECT over validated fields; ordered by SystemModstamp, Id so that the
    highest stamp seen is a safe watermark after every page."""
    order = " ORDER BY SystemModstamp, Id" if ordered and table_has(table, "SystemModstamp") else ""
    return f"SELECT {', '.join(fields)} FROM {table.name}{where_clause(table, conditions, since, ids)}{order}"
