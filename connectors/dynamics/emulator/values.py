"""Converting attribute values between Web API JSON, the SQLite store and $filter
literals, validating writes the way Dataverse does (MaxLength, option ranges,
types)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from .errors import PICKLIST_OUT_OF_RANGE, VALIDATION_FAILED, DataverseError, bad_request
from .metadata import AttributeDef, EntityDef

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def micros(moment: datetime) -> int:
    """Datetimes are stored as integer microseconds so that they order and compare exactly."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, tz=timezone.utc)


def format_datetime(value: int) -> str:
    """Dataverse returns DateAndTime values in UTC to the second."""
    return from_micros(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def to_json(attribute: AttributeDef, stored):
    """A stored value as the Web API returns it."""
    if stored is None:
        return None
    kind = attribute.type
    if kind == "DateTime":
        return stored if attribute.format == "DateOnly" else format_datetime(stored)
    if kind == "Boolean":
        return bool(stored)
    if kind in ("Money", "Decimal"):
        return round(float(stored), attribute.precision or 2)
    return stored


def formatted(attribute: AttributeDef, stored, language: int = 1033) -> str | None:
    """The OData.Community.Display.V1.FormattedValue annotation for a value."""
    if stored is None:
        return None
    option_set = attribute.option_set
    if attribute.type == "MultiSelectPicklist":
        return "; ".join(option_set.label(int(value), language) for value in str(stored).split(","))
    if option_set is not None:
        return option_set.label(int(stored), language)
    if attribute.type == "Money":
        return f"${float(stored):,.{attribute.precision or 2}f}"
    if attribute.type == "DateTime" and attribute.format != "DateOnly":
        return from_micros(stored).strftime("%m/%d/%Y %I:%M %p").lstrip("0")
    if attribute.type in ("Integer", "BigInt"):
        return f"{stored:,}"
    return None


def to_storage(entity: EntityDef, attribute: AttributeDef, value):
    """A JSON value from a write, validated and converted for the store."""
    if value is None:
        return None
    converter = _CONVERTERS.get(attribute.type, _unchanged)
    try:
        return converter(entity, attribute, value)
    except DataverseError:
        raise
    except (TypeError, ValueError):
        raise _payload_error(entity, attribute, value) from None


def _payload_error(entity: EntityDef, attribute: AttributeDef, value) -> DataverseError:
    return bad_request(
        f"Error identified in Payload provided by the user for Entity :'{entity.set_name}', "
        f"For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293 "
        f"----> InnerException : Microsoft.OData.ODataException: Cannot convert the literal '{value}' to the expected "
        f"type 'Edm.{_edm_type(attribute)}'.", code="0x80048d19")


def _edm_type(attribute: AttributeDef) -> str:
    return {"Integer": "Int32", "BigInt": "Int64", "Money": "Decimal", "Decimal": "Decimal", "Double": "Double",
            "Boolean": "Boolean", "DateTime": "DateTimeOffset", "Uniqueidentifier": "Guid"}.get(attribute.type, "String")


def _string(entity: EntityDef, attribute: AttributeDef, value) -> str:
    if not isinstance(value, str):
        raise TypeError
    if attribute.max_length is not None and len(value) > attribute.max_length:
        raise DataverseError(400, VALIDATION_FAILED,
                             f"A validation error occurred. The length of the '{attribute.name}' attribute of the "
                             f"'{entity.name}' entity exceeded the maximum allowed length of '{attribute.max_length}'.")
    return value


def _option(entity: EntityDef, attribute: AttributeDef, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    if value not in attribute.option_set.values():
        raise _out_of_range(entity, attribute, value)
    return value


def _out_of_range(entity: EntityDef, attribute: AttributeDef, value) -> DataverseError:
    accepted = ",".join(str(option) for option in sorted(attribute.option_set.values()))
    return DataverseError(400, PICKLIST_OUT_OF_RANGE,
                          f"A validation error occurred. The value {value} of '{attribute.name}' on record of type "
                          f"'{entity.name}' is outside the valid range. Accepted Values: {accepted}")


def _multi_option(entity: EntityDef, attribute: AttributeDef, value) -> str:
    if not isinstance(value, str):
        raise TypeError
    chosen = [int(part) for part in value.split(",") if part.strip()]
    for option in chosen:
        if option not in attribute.option_set.values():
            raise _out_of_range(entity, attribute, option)
    return ",".join(str(option) for option in sorted(set(chosen))) or None


def _integer(entity: EntityDef, attribute: AttributeDef, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    _check_range(entity, attribute, value)
    return value


def _number(entity: EntityDef, attribute: AttributeDef, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    _check_range(entity, attribute, value)
    return float(value)


def _check_range(entity: EntityDef, attribute: AttributeDef, value) -> None:
    low, high = attribute.min_value, attribute.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        raise DataverseError(400, VALIDATION_FAILED,
                             f"A validation error occurred. The value {value} of '{attribute.name}' on record of type "
                             f"'{entity.name}' is outside the valid range.")


def _boolean(entity: EntityDef, attribute: AttributeDef, value) -> int:
    if not isinstance(value, bool):
        raise TypeError
    return int(value)


def _datetime(entity: EntityDef, attribute: AttributeDef, value):
    if not isinstance(value, str):
        raise TypeError
    if attribute.format == "DateOnly":
        return date.fromisoformat(value[:10]).isoformat()
    return micros(parse_datetime(value))


def _guid(entity: EntityDef, attribute: AttributeDef, value) -> str:
    return str(uuid.UUID(str(value)))


def _unchanged(entity: EntityDef, attribute: AttributeDef, value):
    return value


_CONVERTERS = {
    "String": _string, "Memo": _string, "Picklist": _option, "State": _option, "Status": _option,
    "MultiSelectPicklist": _multi_option, "Integer": _integer, "BigInt": _integer, "Money": _number,
    "Decimal": _number, "Double": _number, "Boolean": _boolean, "DateTime": _datetime,
    "Uniqueidentifier": _guid, "Lookup": _guid, "Customer": _guid, "Owner": _guid,
}
