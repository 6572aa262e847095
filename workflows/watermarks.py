"""Watermarks as stored text: an ISO date-time for modification stamps, or an
opaque token (a Dataverse delta link) kept as is."""

from __future__ import annotations

import datetime as dt

DATETIME_PREFIX = "dt:"


def dump(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return DATETIME_PREFIX + value.isoformat()
    return str(value)


def load(text: str):
    if not text:
        return None
    if text.startswith(DATETIME_PREFIX):
        return dt.datetime.fromisoformat(text[len(DATETIME_PREFIX):])
    return text
