"""Field values between their JSON, stored (SQLite) and CSV forms.

Datetimes are stored as fixed-width UTC strings ("2024-05-01T12:00:00.000+0000"),
so that string order is time order and SQL comparisons need no conversion."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from .schema import FieldDef

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class BadValue(ValueError):
    """A value that cannot be stored in a field; carries Salesforce's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def format_datetime(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def format_bulk_datetime(stored: str) -> str:
    """Bulk API CSV writes datetimes with a Z suffix."""
    return stored[:23] + "Z"


def parse_datetime(text: str) -> datetime:
    """ISO 8601 with Z, +HH:MM or +HHMM; naive values are UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def days_ago(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)


def to_storage(f: FieldDef, value):
    """Convert a JSON (or CSV text) value for `f`; raises BadValue."""
    if value is None or value == "":
        return None
    converter = _CONVERTERS.get(f.type, _string)
    try:
        return converter(f, value)
    except BadValue:
        raise
    except (TypeError, ValueError):
        raise BadValue("INVALID_TYPE_ON_FIELD_IN_RECORD", f"{f.label}: value not of required type: {value}") from None


def _string(f: FieldDef, value) -> str:
    text = value if isinstance(value, str) else str(value)
    if f.length and len(text) > f.length:
        raise BadValue("STRING_TOO_LONG", f"{f.label}: data value too large: {text[:40]} (max length={f.length})")
    return text


def _email(f: FieldDef, value) -> str:
    text = _string(f, value)
    if not EMAIL.match(text):
        raise BadValue("INVALID_EMAIL_ADDRESS", f"{f.label}: invalid email address: {text}")
    return text


def _boolean(f: FieldDef, value) -> int:
    if isinstance(value, bool):
        return int(value)
    if str(value).lower() in ("true", "1"):
        return 1
    if str(value).lower() in ("false", "0"):
        return 0
    raise ValueError(value)


def _number(f: FieldDef, value) -> float:
    number = float(value)
    return round(number, f.scale) if f.scale else number


def _integer(f: FieldDef, value) -> int:
    return int(value)


def _date(f: FieldDef, value) -> str:
    return date.fromisoformat(str(value)[:10]).isoformat()


def _datetime(f: FieldDef, value) -> str:
    return format_datetime(parse_datetime(str(value)))


def _multipicklist(f: FieldDef, value) -> str:
    items = value if isinstance(value, list) else str(value).split(";")
    return _string(f, ";".join(item.strip() for item in items if item.strip()))


_CONVERTERS = {
    "email": _email, "boolean": _boolean, "double": _number, "currency": _number, "percent": _number,
    "int": _integer, "date": _date, "datetime": _datetime, "multipicklist": _multipicklist,
}


def to_json(f: FieldDef, stored):
    """The value as the REST API returns it."""
    if stored is None:
        return None
    if f.type == "boolean":
        return bool(stored)
    if f.type in ("double", "currency", "percent"):
        return float(stored)
    return stored


def to_csv(f: FieldDef, stored) -> str:
    """The value as a Bulk API 2.0 query result cell (empty for null)."""
    if stored is None:
        return ""
    if f.type == "boolean":
        return "true" if stored else "false"
    if f.type == "datetime":
        return format_bulk_datetime(stored)
    if f.type in ("double", "currency", "percent"):
        return repr(float(stored)) if f.scale else str(int(stored)) if float(stored).is_integer() else repr(float(stored))
    return str(stored)
