"""Values in COPY's text format, one column at a time: a column whose values are
all of one plain kind (text, numbers, booleans, date-times…) is formatted with a
few list operations instead of one Python call per value; anything else goes
through `copy_text`, value by value. The text is the same either way."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.utils import timezone

# COPY's text format: backslash escapes for the characters that delimit it.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_DELIMITERS = ("\\", "\t", "\n", "\r")
NULL = "\\N"
_NONE = type(None)
_BOOLEANS = {True: "t", False: "f", None: NULL}
_NUMBERS = frozenset({int, float, Decimal, _NONE})
_ISO_KINDS = {dt.date: dt.date.isoformat, dt.time: dt.time.isoformat}


def copy_text(value) -> str:
    """One value in COPY's text format, as PostgreSQL's input functions read it."""
    if value is None:
        return NULL
    kind = type(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES)
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is float or kind is Decimal:
        return str(value)
    if kind is dt.datetime:
        return _aware(value).isoformat()
    if kind is list or kind is tuple:
        return _array(value).translate(_COPY_ESCAPES)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def column_texts(values: list) -> list[str]:
    """`copy_text` of each value, done column-wise where the kinds allow it."""
    kinds = set(map(type, values))
    if kinds <= {str, _NONE}:
        return _texts(values)
    if kinds <= {bool, _NONE}:
        return list(map(_BOOLEANS.__getitem__, values))
    if kinds <= _NUMBERS:
        return _with_nulls(values, str)
    if kinds <= {dt.datetime, _NONE}:
        present = _present(values)
        if None in map(_tzinfo, present):
            return [copy_text(value) for value in values]
        return _with_nulls(values, dt.datetime.isoformat)
    kinds.discard(_NONE)
    if len(kinds) == 1 and next(iter(kinds)) in _ISO_KINDS:
        return _with_nulls(values, _ISO_KINDS[next(iter(kinds))])
    return [copy_text(value) for value in values]


def json_texts(values: list, encoder=None) -> list[str]:
    """A JSON column: each document once, however many rows share the same object."""
    done: dict[int, str] = {}
    texts = []
    for value in values:
        if value is None:
            texts.append(NULL)
            continue
        text = done.get(id(value))
        if text is None:
            text = done[id(value)] = json.dumps(value, cls=encoder).translate(_COPY_ESCAPES)
        texts.append(text)
    return texts


def lines(columns: list[list[str]]) -> str:
    """COPY input: one line per row, the columns' texts separated by tabs."""
    if not columns or not columns[0]:
        return ""
    return "\n".join(map("\t".join, zip(*columns))) + "\n"


def _texts(values: list) -> list[str]:
    present = _present(values)
    joined = "".join(present)
    if any(mark in joined for mark in _DELIMITERS):
        present = [value.translate(_COPY_ESCAPES) for value in present]
    return _with_nulls(values, None, present)


def _with_nulls(values: list, write, written: list | None = None) -> list[str]:
    """`write` of each value (or the values `written` for the present ones), \\N for None."""
    if None not in values:
        return written if written is not None else list(map(write, values))
    texts = iter(written if written is not None else map(write, _present(values)))
    return [NULL if value is None else next(texts) for value in values]


def _present(values: list) -> list:
    return [value for value in values if value is not None] if None in values else values


def _tzinfo(value: dt.datetime):
    return value.tzinfo


def _aware(value: dt.datetime) -> dt.datetime:
    # A naive value means the default time zone, as Django's DateTimeField takes it.
    return value if value.tzinfo else timezone.make_aware(value, timezone.get_default_timezone())


def _array(items) -> str:
    """A one-dimensional PostgreSQL array literal of text items."""
    quoted = ('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' if item is not None else "NULL"
              for item in items)
    return "{" + ",".join(quoted) + "}"
