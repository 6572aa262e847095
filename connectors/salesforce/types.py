"""Salesforce field types mapped to crmsync's normalized types, and values converted
between Salesforce's wire forms (JSON, Bulk CSV) and Python. Pure, table-driven."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

from connectors.types import FieldDescription, FieldType

LONG_TEXT_THRESHOLD = 255

# Salesforce type → normalized type; textarea and double depend on length/scale.
TYPE_TABLE: dict[str, FieldType] = {
    "id": FieldType.ID, "reference": FieldType.REFERENCE, "string": FieldType.STRING, "email": FieldType.STRING,
    "phone": FieldType.STRING, "url": FieldType.STRING, "combobox": FieldType.STRING,
    "encryptedstring": FieldType.STRING, "textarea": FieldType.TEXT, "picklist": FieldType.ENUM,
    "multipicklist": FieldType.MULTI_ENUM, "boolean": FieldType.BOOLEAN, "int": FieldType.INTEGER,
    "long": FieldType.BIGINT, "double": FieldType.FLOAT, "currency": FieldType.DECIMAL, "percent": FieldType.DECIMAL,
    "date": FieldType.DATE, "datetime": FieldType.DATETIME, "time": FieldType.TIME, "base64": FieldType.TEXT,
    "anyType": FieldType.TEXT, "address": FieldType.TEXT, "location": FieldType.TEXT,
}


def field_type(sf_field: dict) -> FieldType:
    """The normalized type of one describe field entry."""
    kind = sf_field["type"]
    if kind == "textarea" and 0 < sf_field.get("length", 0) <= LONG_TEXT_THRESHOLD:
        return FieldType.STRING
    if kind == "double" and sf_field.get("scale", 0) > 0:
        return FieldType.DECIMAL
    if kind == "double" and sf_field.get("precision", 0) > 0:
        return FieldType.BIGINT  # Number(p, 0): whole numbers up to 18 digits
    return TYPE_TABLE.get(kind, FieldType.STRING)


def describe_field(table: str, sf_field: dict) -> FieldDescription:
    """A describe field entry as a normalized FieldDescription."""
    normalized = field_type(sf_field)
    enumerated = normalized in (FieldType.ENUM, FieldType.MULTI_ENUM)
    return FieldDescription(
        name=sf_field["name"], label=sf_field["label"], type=normalized, crm_type=sf_field["type"],
        length=sf_field.get("length") or None, precision=sf_field.get("precision") or sf_field.get("digits") or None,
        scale=sf_field.get("scale") if normalized is FieldType.DECIMAL else None, nullable=sf_field["nillable"],
        read_only=not (sf_field["createable"] or sf_field["updateable"]), createable=sf_field["createable"],
        updateable=sf_field["updateable"], primary_key=sf_field["type"] == "id", external_id=sf_field["externalId"],
        unique=sf_field["unique"] or sf_field["type"] == "id", references=tuple(sf_field.get("referenceTo") or ()),
        enumeration=f"{table}.{sf_field['name']}" if enumerated else None,
    )


# --- values ----------------------------------------------------------------------------
def parse_datetime(text: str) -> datetime:
    """Salesforce datetimes ("…+0000" in JSON, "…Z" in Bulk CSV) as aware UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _whole(value: Any) -> int:
    return int(Decimal(str(value)))


FROM_WIRE = {
    FieldType.BOOLEAN: _boolean, FieldType.INTEGER: _whole, FieldType.BIGINT: _whole,
    FieldType.DECIMAL: lambda v: Decimal(str(v)), FieldType.FLOAT: float,
    FieldType.DATE: lambda v: date.fromisoformat(str(v)[:10]), FieldType.DATETIME: lambda v: parse_datetime(str(v)),
    FieldType.TIME: lambda v: time.fromisoformat(str(v).rstrip("Z")),
    FieldType.MULTI_ENUM: lambda v: [item for item in str(v).split(";") if item],
}


def to_python(kind: FieldType, value: Any) -> Any:
    """A JSON or CSV value as the Python type of its normalized field type."""
    if value is None or value == "":
        return None
    converter = FROM_WIRE.get(kind)
    return converter(value) if converter else str(value)


_NONE = type(None)
_BOOLEAN_TEXTS = {"true": True, "false": False, "": None, None: None}
_EMPTY_TEXTS = {"": None}


def column_to_python(kind: FieldType, values: list) -> list:
    """`to_python` of each value of one field, with a few list operations where the
    column's values allow it; raises as `to_python` would on a value that does not
    parse (the caller then converts that column value by value)."""
    kinds = set(map(type, values))
    if kind not in FROM_WIRE and kinds <= {str, _NONE}:
        return list(map(_EMPTY_TEXTS.get, values, values))
    if kind is FieldType.BOOLEAN and kinds <= {bool, str, _NONE}:
        return [value if type(value) is bool else _BOOLEAN_TEXTS[value] for value in values]
    if kind is FieldType.DATETIME and kinds <= {str, _NONE}:
        return _datetimes(values)
    if kind is FieldType.DECIMAL and kinds <= {str, _NONE}:
        return [Decimal(value) if value else None for value in values]
    if kind in (FieldType.INTEGER, FieldType.BIGINT) and kinds <= {str, _NONE}:
        return [int(value) if value else None for value in values]  # "12.0" raises: then one by one
    if kind is FieldType.MULTI_ENUM and kinds <= {str, _NONE} and _plain_lists(values):
        return [value.split(";") if value else None for value in values]
    return [to_python(kind, value) for value in values]


def _plain_lists(texts: list) -> bool:
    """No empty item in any of these ";"-separated lists (so a split needs no filter)."""
    joined = "\n".join(text for text in texts if text)
    return ";;" not in joined and not any(mark in joined for mark in (";\n", "\n;")) and \
        not joined.startswith(";") and not joined.endswith(";")


def _datetimes(texts: list) -> list:
    """ISO date-times in UTC ("Z" or "+0000") parse as they are; others one by one."""
    moments = [datetime.fromisoformat(text) if text else None for text in texts]
    if {moment.tzinfo for moment in moments if moment is not None} <= {timezone.utc}:
        return moments
    return [parse_datetime(text) if text else None for text in texts]


def to_wire(value: Any) -> Any:
    """A Python value as Salesforce's JSON expects it."""
    if isinstance(value, Decimal):
        # A JSON number keeps the type; beyond 15 digits a float would round.
        return float(value) if len(value.as_tuple().digits) <= 15 else str(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return ";".join(str(item) for item in value)
    return value


def to_csv_cell(value: Any) -> str:
    """A Python value as a Bulk API 2.0 ingest cell; #N/A sets a field to null."""
    if value is None:
        return "#N/A"
    if isinstance(value, bool):
        return "true" if value else "false"
    wired = to_wire(value)
    return wired if isinstance(wired, str) else repr(wired) if isinstance(wired, float) else str(wired)
