"""Salesforce record Ids: 15-character case-sensitive Ids and their 18-character
case-safe form (a 3-character checksum encoding which letters are upper case)."""

from __future__ import annotations

import itertools
import re
import threading

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SHAPE = re.compile(r"^[0-9A-Za-z]{15}([0-9A-Z]{3})?$")
# Pod "5g" and a reserved "0", as in Ids of orgs on current instances.
_POD = "5g0"


def checksum(id15: str) -> str:
    """The 3 suffix characters: one per 5-character block, bit i set when the
    block's i-th character is an upper-case letter."""
    suffix = []
    for start in (0, 5, 10):
        bits = sum(1 << pos for pos, char in enumerate(id15[start : start + 5]) if "A" <= char <= "Z")
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def to18(record_id: str) -> str:
    """The 18-character form of a valid 15- or 18-character Id."""
    return record_id[:15] + checksum(record_id[:15])


def is_valid(record_id: object) -> bool:
    """Well formed: 15 characters, or 18 whose suffix matches the checksum."""
    if not isinstance(record_id, str) or not _SHAPE.match(record_id):
        return False
    return len(record_id) == 15 or record_id[15:] == checksum(record_id[:15])


def normalize(record_id: object) -> str | None:
    """The 18-character Id, or None when `record_id` is not a well-formed Id."""
    return to18(record_id) if is_valid(record_id) else None


def base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    return "".join(reversed(digits))


def make_id(key_prefix: str, number: int) -> str:
    """The 18-character Id of the `number`-th record with this key prefix."""
    return to18(key_prefix + _POD + base62(number, 9))


class IdAllocator:
    """Hands out unique, increasing Ids per key prefix, safe across threads."""

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)
        self._lock = threading.Lock()

    def next(self, key_prefix: str) -> str:
        with self._lock:
            return make_id(key_prefix, next(self._counter))

    def reserve(self, count: int) -> int:
        """Reserve `count` consecutive numbers for a bulk seed; returns the first."""
        with self._lock:
            first = next(self._counter)
            self._counter = itertools.count(first + count)
            return first


def sql_make_id(key_prefix: str, number_sql: str) -> str:
    """An SQL expression equal to make_id(key_prefix, <number_sql>), computed inside
    SQLite so that seeding a million rows needs no Python call per row."""
    digits = [f"(({number_sql}) / {62 ** (8 - k)} % 62)" for k in range(9)]
    chars = [f"substr('{_BASE62}', {d} + 1, 1)" for d in digits]
    upper = [f"({d} BETWEEN 10 AND 35)" for d in digits]
    head = key_prefix + _POD  # characters 0-5, constant
    first_block = _SUFFIX_ALPHABET[sum(1 << pos for pos, char in enumerate(head[:5]) if "A" <= char <= "Z")]
    second_bits = " + ".join(f"{upper[k]} * {1 << (k + 1)}" for k in range(4))
    third_bits = " + ".join(f"{upper[4 + k]} * {1 << k}" for k in range(5))
    suffix = f"'{first_block}' || substr('{_SUFFIX_ALPHABET}', {second_bits} + 1, 1) || substr('{_SUFFIX_ALPHABET}', {third_bits} + 1, 1)"
    return f"'{head}' || " + " || ".join(chars) + f" || {suffix}"
