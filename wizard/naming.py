"""Local table and column names derived from CRM names: lower-case ASCII, no SQL
reserved words, at most 63 bytes (PostgreSQL's limit), unique and stable.

Stable means the same CRM name always gives the same local name, whatever order
fields come in: a collision is settled with a suffix hashed from the CRM name.
"""

from __future__ import annotations

import hashlib
import re

from anyascii import anyascii

MAX_IDENTIFIER = 63

# SQL words that would need quoting in hand-written SQL (SQL:2016, PostgreSQL and
# SQLite reserved words people meet in CRM field names).
RESERVED = frozenset(
    """
    all analyse analyze and any array as asc asymmetric authorization between binary both
    case cast check collate column constraint create cross current_catalog current_date
    current_role current_schema current_time current_timestamp current_user default
    deferrable desc distinct do else end except exists false fetch for foreign freeze from
    full grant group having ilike in index initially inner intersect into is isnull join key
    lateral leading left like limit localtime localtimestamp natural not notnull null offset
    on only or order outer overlaps placing primary references returning right select
    session_user similar some symmetric system_user table tablesample then to trailing true
    union unique user using values variadic verbose when where window with
    """.split()
)

# Columns every generated table has; CRM fields must not take these names.
SYSTEM_COLUMNS = frozenset(
    {"id", "crm_id", "crm_modstamp", "local_modstamp", "is_deleted", "deleted_at", "last_synced_at",
     "sync_provenance"}
)


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def normalize(crm_name: str) -> str:
    """CRM name → lower_snake ASCII (not yet checked for length or clashes)."""
    text = anyascii(crm_name)
    text = re.sub(r"([a-z])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    if not text:
        return "f_" + short_hash(crm_name)
    if text[0].isdigit():
        text = "f_" + text
    return text


def fit(name: str, source: str, limit: int = MAX_IDENTIFIER) -> str:
    """Shorten to `limit` bytes, keeping it unique with a hash of the source."""
    if len(name.encode()) <= limit:
        return name
    suffix = "_" + short_hash(source, 8)
    return name[: limit - len(suffix)].rstrip("_") + suffix


def column_name(crm_name: str, taken: set[str]) -> str:
    """A column for `crm_name` not in `taken` (which it is then added to)."""
    name = normalize(crm_name)
    if name in RESERVED or name in SYSTEM_COLUMNS:
        name += "_f"
    name = fit(name, crm_name)
    if name in taken:
        name = fit(f"{name}_{short_hash(crm_name, 4)}", crm_name + "#")
    counter = 2
    base = name
    while name in taken:  # a hash clash too: extremely rare, still never a duplicate
        name = fit(f"{base}_{counter}", f"{crm_name}#{counter}")
        counter += 1
    taken.add(name)
    return name


def table_name(account_internal_name: str, crm_table: str, taken: set[str]) -> str:
    """`crm_<account>_<table>`, unique among `taken` table names."""
    name = fit(f"crm_{normalize(account_internal_name)}_{normalize(crm_table)}", f"{account_internal_name}.{crm_table}")
    if name in taken:
        name = fit(f"{name}_{short_hash(crm_table, 4)}", f"{account_internal_name}.{crm_table}#")
    taken.add(name)
    return name
