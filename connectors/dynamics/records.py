"""Record values between the Web API's JSON and Python types. Reading: Money and
Decimal as Decimal, Double as float, DateOnly as date, DateAndTime as an aware UTC
datetime, Boolean as bool, option values as strings ("100000000") and a
multi-select as a list of such strings, lookups from _x_value under the attribute's
own name. Writing does the reverse, lookups as @odata.bind references."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from connectors.errors import InvalidRequest
from connectors.types import ColumnRecords, field_values, utc_moment_texts

from .entities import EntityInfo
from .odata import guid, property_name
from .types import LOOKUP_TYPES, crm_type


def from_wire(attribute: dict, value: Any) -> Any:
    if value is None:
        return None
    kind = crm_type(attribute)
    if kind in ("Money", "Decimal"):
        return Decimal(str(value))
    if kind == "Double":
        return float(value)
    if kind in ("Integer", "BigInt"):
        return int(value)
    if kind == "DateTime":
        return _read_date(attribute, value)
    if kind in ("Picklist", "State", "Status"):
        return str(value)
    if kind == "MultiSelectPicklistType":
        return [part.strip() for part in str(value).split(",") if part.strip()]
    return value


def _read(name: str, attribute: dict, value: Any) -> Any:
    """A value that does not parse as its type is kept as sent: the import rejects
    that record with the reason rather than failing the page (modifiedon must parse)."""
    try:
        return from_wire(attribute, value)
    except (ValueError, TypeError, ArithmeticError, AttributeError):
        if name == "modifiedon":
            raise
        return value


def _read_date(attribute: dict, value: str):
    if attribute.get("Format") == "DateOnly":
        return date.fromisoformat(value[:10])
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def read_record(entity: EntityInfo, body: dict, fields: tuple[str, ...]) -> dict:
    record = {name: _read(name, entity.attributes[name], body.get(property_name(entity.attributes[name])))
              for name in fields}
    record[entity.primary_id] = body.get(entity.primary_id)
    return record


def read_records(entity: EntityInfo, bodies: list[dict], fields: tuple[str, ...]) -> ColumnRecords:
    """`read_record` of each body, done field by field (column-wise)."""
    columns, texts = {}, {}
    for name in fields:
        attribute = entity.attributes[name]
        values = field_values(bodies, property_name(attribute))
        columns[name] = _read_column(name, attribute, values)
        if crm_type(attribute) == "DateTime" and attribute.get("Format") != "DateOnly":
            moments = utc_moment_texts(values)
            if moments is not None:
                texts[name] = moments
    columns[entity.primary_id] = field_values(bodies, entity.primary_id)
    return ColumnRecords(columns, texts)


# The types `from_wire` converts; the JSON value of any other is kept as sent.
_CONVERTED = frozenset({"Money", "Decimal", "Double", "Integer", "BigInt", "DateTime", "Picklist", "State", "Status",
                        "MultiSelectPicklistType"})


def _read_column(name: str, attribute: dict, values: list) -> list:
    kind = crm_type(attribute)
    try:
        if kind not in _CONVERTED:
            return values
        if kind == "DateTime" and attribute.get("Format") != "DateOnly" and set(map(type, values)) <= {str, type(None)}:
            return _datetimes(values)
        if kind in ("Picklist", "State", "Status") and set(map(type, values)) <= {int, type(None)}:
            texts = list(map(str, values))
            return list(map(_NO_TEXT.get, texts, texts))  # "None" only from a null: the others are numbers
        if kind == "MultiSelectPicklistType" and set(map(type, values)) <= {str, type(None)} and _plain_lists(values):
            return [None if value is None else value.split(",") for value in values]
        convert = _COLUMN_READERS.get(kind)
        if convert is not None:
            return [None if value is None else convert(value) for value in values]
        return [from_wire(attribute, value) for value in values]
    except (ValueError, TypeError, ArithmeticError, AttributeError):
        return [_read(name, attribute, value) for value in values]


_COLUMN_READERS = {"Money": lambda v: Decimal(str(v)), "Decimal": lambda v: Decimal(str(v)), "Double": float,
                   "Integer": int, "BigInt": int, "Picklist": str, "State": str, "Status": str}


_NO_TEXT = {"None": None}


def _plain_lists(texts: list) -> bool:
    """Comma-separated option values with no blank or padded item (a split is enough)."""
    joined = "\n".join(text for text in texts if text is not None)
    return not any(mark in joined for mark in (",,", ",\n", "\n,", " ", "\t", "\r")) and \
        not joined.startswith(",") and not joined.endswith(",") and "" not in texts


def _datetimes(texts: list) -> list:
    """ISO date-times in UTC parse as they are; others one by one."""
    moments = [None if text is None else datetime.fromisoformat(text) for text in texts]
    if {moment.tzinfo for moment in moments if moment is not None} <= {timezone.utc}:
        return moments
    return [None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
            for text in texts]


def to_wire(attribute: dict, value: Any) -> Any:
    if value is None:
        return None
    kind = crm_type(attribute)
    try:
        return _WRITERS.get(kind, _as_is)(attribute, value)
    except (TypeError, ValueError, ArithmeticError):
        raise InvalidRequest(f"{value!r} is not a valid value for {attribute['LogicalName']} ({kind})") from None


def _as_is(attribute: dict, value: Any) -> Any:
    return value


def _write_date(attribute: dict, value: Any) -> str:
    if attribute.get("Format") == "DateOnly":
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_multi(attribute: dict, value: Any) -> str:
    values = value.split(",") if isinstance(value, str) else value
    return ",".join(str(int(item)) for item in values)


_WRITERS = {
    "Money": lambda a, v: float(Decimal(str(v))), "Decimal": lambda a, v: float(Decimal(str(v))),
    "Double": lambda a, v: float(v), "Integer": lambda a, v: int(v), "BigInt": lambda a, v: int(v),
    "Boolean": lambda a, v: bool(v), "Picklist": lambda a, v: int(v), "State": lambda a, v: int(v),
    "Status": lambda a, v: int(v), "MultiSelectPicklistType": _write_multi, "DateTime": _write_date,
    "String": lambda a, v: str(v), "Memo": lambda a, v: str(v),
}


def write_body(entity: EntityInfo, record: dict, set_names: dict[str, str], skip: tuple[str, ...] = ()) -> dict:
    """The JSON body writing `record` (skipping the addressing attributes)."""
    body = {}
    for name, value in record.items():
        if name in skip or name == entity.primary_id:
            continue
        attribute = entity.attribute(name)
        if crm_type(attribute) in LOOKUP_TYPES:
            body.update(_bind(entity, attribute, value, set_names))
        else:
            body[name] = to_wire(attribute, value)
    return body


def _bind(entity: EntityInfo, attribute: dict, value: Any, set_names: dict[str, str]) -> dict:
    """A lookup as {navigation@odata.bind: /targets(guid)}; a value "target:guid"
    picks the target of a polymorphic lookup (the first target otherwise)."""
    name, targets = attribute["LogicalName"], attribute.get("Targets") or []
    target, _, record_id = str(value).rpartition(":") if value is not None else ("", "", "")
    target = target or (targets[0] if targets else "")
    navigation = entity.navigation.get((name, target))
    if navigation is None or target not in set_names:
        raise InvalidRequest(f"{entity.name}.{name} can't reference a {target or 'record'!r}")
    reference = None if value is None else f"/{set_names[target]}({guid(record_id)})"
    return {f"{navigation}@odata.bind": reference}
