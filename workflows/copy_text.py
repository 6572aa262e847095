"""Values in COPY's text format, one column at a time: a column whose values are
all of one plain kind (text, numbers, booleans, date-times…) is formatted with a
few list operations instead of one Python call per value; anything else goes
through `copy_text`, value by value. The text is the same either way."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.utils import timezone

from .column_values import NONE_TYPE, ColumnValues

# COPY's text format: backslash escapes for the characters that delimit it.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_DELIMITERS = ("\\", "\t", "\n", "\r")
NULL = "\\N"
_NULLS = {None: NULL}
NONE_TYPE_TEXTS = {"None": NULL}
_BOOLEANS = {True: "t", False: "f", None: NULL}
_STR_KINDS = frozenset({int, float, Decimal, dt.date, dt.time, NONE_TYPE})


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


def column_texts(column: ColumnValues) -> list[str]:
    """`copy_text` of each value, done column-wise where the kinds allow it."""
    if column.texts is not None:
        return list(map(_NULLS.get, column.texts, column.texts))
    values, kinds, nulls = column.values, column.kinds, column.nulls
    if kinds <= {str, NONE_TYPE}:
        if any(mark in column.joined for mark in _DELIMITERS):
            values = [value if value is None else value.translate(_COPY_ESCAPES) for value in values]
        return list(map(_NULLS.get, values, values)) if nulls else values
    if kinds <= {bool, NONE_TYPE}:
        return list(map(_BOOLEANS.__getitem__, values))
    if kinds <= _STR_KINDS:
        # str() of these is the text PostgreSQL reads: numbers as Python writes them,
        # dates and times in ISO 8601.
        texts = list(map(str, values))
        return list(map(NONE_TYPE_TEXTS.get, texts, texts)) if nulls else texts
    if kinds <= {dt.datetime, NONE_TYPE} and None not in map(_tzinfo, column.present):
        if not nulls:
            return list(map(dt.datetime.isoformat, values))
        return [NULL if value is None else value.isoformat() for value in values]
    if kinds <= {list, NONE_TYPE}:
        plain = _plain_arrays(column.present)
        if plain:
            return [NULL if value is None else '{"' + '","'.join(value) + '"}' if value else "{}" for value in values]
    return [copy_text(value) for value in values]


def _plain_arrays(lists: list[list]) -> bool:
    """Lists of texts none of which needs an escape, in an array literal or in COPY."""
    try:
        joined = "".join(map("".join, lists))
    except TypeError:  # an item that is not text
        return False
    return not any(mark in joined for mark in ('"', *_DELIMITERS))


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


def _tzinfo(value: dt.datetime):
    return value.tzinfo


def _aware(value: dt.datetime) -> dt.datetime:
    # A naive value means the default time zone, as Django's DateTimeField takes it.
    return value if value.tzinfo else timezone.make_aware(value, timezone.get_default_timezone())


def array_literal(items) -> str:
    """A one-dimensional PostgreSQL array literal of text items (NULL for None)."""
    if _plain_arrays([items]):
        return '{"' + '","'.join(items) + '"}' if items else "{}"
    return _array(items)


def _array(items) -> str:
    """A one-dimensional PostgreSQL array literal of text items."""
    quoted = ('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' if item is not None else "NULL"
              for item in items)
    return "{" + ",".join(quoted) + "}"
