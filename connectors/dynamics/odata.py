"""Safe OData query text from structured input: $filter from `Condition`s with
every attribute name checked against the entity's metadata and every value
rendered as a typed literal (strings quoted with '' escaping, GUIDs validated,
dates in ISO form), so user input can never change the query's structure."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from connectors.errors import InvalidRequest
from connectors.types import Condition, Op

from .types import LOOKUP_TYPES, crm_type

_COMPARISONS = {Op.EQ: "eq", Op.NE: "ne", Op.LT: "lt", Op.LE: "le", Op.GT: "gt", Op.GE: "ge"}
_TEXT_FUNCTIONS = {Op.CONTAINS: "contains", Op.STARTS_WITH: "startswith"}


class FilterBuilder:
    """Builds $filter text for one entity from its attributes' metadata."""

    def __init__(self, entity: str, attributes: dict[str, dict]):
        self.entity = entity
        self.attributes = attributes  # logical name -> attribute metadata JSON

    def build(self, conditions: Iterable[Condition]) -> str:
        return " and ".join(self.condition(condition) for condition in conditions)

    def condition(self, condition: Condition) -> str:
        attribute = self._attribute(condition.field)
        name = property_name(attribute)
        if condition.op in _COMPARISONS:
            return f"{name} {_COMPARISONS[condition.op]} {literal(attribute, condition.value)}"
        if condition.op in (Op.IN, Op.NOT_IN):
            return self._membership(name, attribute, condition)
        if condition.op in _TEXT_FUNCTIONS:
            return f"{_TEXT_FUNCTIONS[condition.op]}({name},{quote(str(condition.value))})"
        if condition.op == Op.IS_NULL:
            return f"{name} {'eq' if condition.value in (None, True) else 'ne'} null"
        raise InvalidRequest(f"the operator {condition.op.value!r} is not supported for Dynamics 365")

    def _membership(self, name: str, attribute: dict, condition: Condition) -> str:
        values = list(condition.value or ())
        if not values:
            return "false" if condition.op == Op.IN else "true"
        op, joiner = ("eq", " or ") if condition.op == Op.IN else ("ne", " and ")
        return "(" + joiner.join(f"{name} {op} {literal(attribute, value)}" for value in values) + ")"

    def _attribute(self, name: str) -> dict:
        attribute = self.attributes.get(name)
        if attribute is None:
            raise InvalidRequest(f"{self.entity} has no attribute named {name!r}")
        return attribute


def property_name(attribute: dict) -> str:
    """The name a property has in queries: lookups are _x_value."""
    name = attribute["LogicalName"]
    return f"_{name}_value" if crm_type(attribute) in LOOKUP_TYPES else name


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def literal(attribute: dict, value: Any) -> str:
    """A typed OData literal for a value compared with this attribute."""
    if value is None:
        return "null"
    kind = crm_type(attribute)
    if kind in (*LOOKUP_TYPES, "Uniqueidentifier"):
        return guid(value)
    if kind == "DateTime":
        return _date_literal(attribute, value)
    if kind == "Boolean":
        return _boolean(value)
    if kind in ("Integer", "BigInt", "Picklist", "State", "Status", "Decimal", "Money", "Double"):
        return _number(value)
    return quote(str(value))


def guid(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidRequest(f"{value!r} is not a GUID") from None


def _boolean(value: Any) -> str:
    if not isinstance(value, bool):
        raise InvalidRequest(f"{value!r} is not a boolean")
    return "true" if value else "false"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            raise InvalidRequest(f"{value!r} is not a number") from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidRequest(f"{value!r} is not a number")
    return format(value, "f") if isinstance(value, Decimal) else repr(value)


def _date_literal(attribute: dict, value: Any) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        text = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return text[:10] if attribute.get("Format") == "DateOnly" else text
    if isinstance(value, date):
        return value.isoformat() if attribute.get("Format") == "DateOnly" else value.isoformat() + "T00:00:00Z"
    raise InvalidRequest(f"{value!r} is not a date")


def key_segment(attributes: dict[str, dict], key_values: dict[str, Any]) -> str:
    """The (name='value',...) segment addressing a row by an alternate key."""
    parts = []
    for name, value in key_values.items():
        attribute = attributes.get(name)
        if attribute is None:
            raise InvalidRequest(f"no attribute named {name!r}")
        parts.append(f"{name}={literal(attribute, value)}")
    return "(" + ",".join(parts) + ")"


def select(names: Sequence[str], attributes: dict[str, dict]) -> str:
    return ",".join(property_name(attributes[name]) for name in names)
