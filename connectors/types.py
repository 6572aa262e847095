"""Plain data shapes every connector speaks: normalized fields, tables, enumerations,
pages of records and per-record write results. Nothing here knows Django or HTTP."""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import Any


class FieldType(str, enum.Enum):
    """The normalized types a CRM field is described with, whatever the CRM."""

    ID = "id"
    STRING = "string"  # with length
    TEXT = "text"  # long text, no practical limit
    INTEGER = "integer"
    BIGINT = "bigint"
    DECIMAL = "decimal"  # with precision and scale
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    ENUM = "enum"
    MULTI_ENUM = "multi_enum"
    REFERENCE = "reference"  # with targets


@dataclass(frozen=True)
class TableInfo:
    """One CRM table (Salesforce sObject, Dataverse entity) as listed."""

    name: str
    label: str
    custom: bool = False
    # Whether incremental reads of deletions are possible (Dataverse change tracking).
    tracks_changes: bool = True


@dataclass(frozen=True)
class FieldDescription:
    """One CRM field, normalized. `crm_type` keeps the CRM's own type name."""

    name: str
    label: str
    type: FieldType
    crm_type: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True
    read_only: bool = False
    # createable/updateable separately, since some fields are insert-only.
    createable: bool = True
    updateable: bool = True
    primary_key: bool = False
    external_id: bool = False
    unique: bool = False
    references: tuple[str, ...] = ()
    # Key of the enumeration this field takes its values from, e.g. "Contact.LeadSource".
    enumeration: str | None = None


@dataclass(frozen=True)
class TableDescription:
    """A described CRM table: its fields and the fields sync relies on."""

    name: str
    label: str
    fields: tuple[FieldDescription, ...]
    custom: bool = False
    id_field: str = "Id"
    modstamp_field: str | None = None
    tracks_changes: bool = True

    @cached_property
    def _by_name(self) -> dict[str, FieldDescription]:
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> FieldDescription:
        return self._by_name[name]


@dataclass(frozen=True)
class EnumerationValue:
    value: str
    label: str
    active: bool = True
    default: bool = False
    # Translated labels by language code, e.g. {"1036": "Oui"} or {"fr": "Oui"}.
    labels: dict[str, str] = field(default_factory=dict)
    # Controlling values this value is valid for (dependent picklists).
    valid_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class Enumeration:
    """A CRM picklist / option set. `key` is "Table.Field" or a global set's name."""

    key: str
    label: str
    values: tuple[EnumerationValue, ...]
    multi_select: bool = False
    global_name: str | None = None
    controlling_field: str | None = None
    restricted: bool = False


class Op(str, enum.Enum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    IS_NULL = "is_null"


@dataclass(frozen=True)
class Condition:
    """One structured filter condition; conditions in a list are ANDed."""

    field: str
    op: Op
    value: Any = None


@dataclass(frozen=True)
class ReadRequest:
    """What to read from one table.

    `since` is the watermark of the last committed page (exclusive, the connector
    applies its own safety overlap); `ids` restricts the read to those records.
    """

    table: str
    fields: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()
    since: datetime | None = None
    ids: tuple[str, ...] | None = None
    page_size: int | None = None
    # The `cursor` of the last page of an earlier read (e.g. a Dataverse delta link),
    # for connectors that resume from it rather than from `since`.
    cursor: str | None = None


class ColumnRecords(Sequence):
    """Records held field by field, as readers convert them: `columns` maps each
    field to its values in record order. It reads as a sequence of dicts, each built
    when asked for, so a consumer that works column-wise (the import) builds none."""

    def __init__(self, columns: dict[str, list], texts: dict[str, list] | None = None):
        self.columns = columns
        # For some fields, each value's text as the CRM sent it where PostgreSQL reads
        # that text as the same value (ISO 8601 date-times in UTC), None for a null:
        # the import writes it as it is instead of formatting the value again.
        self.texts = texts or {}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return {name: values[index] for name, values in self.columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = tuple(self.columns)
        return (dict(zip(names, row)) for row in zip(*self.columns.values()))

    def __eq__(self, other) -> bool:
        return isinstance(other, (list, tuple, ColumnRecords)) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"ColumnRecords({list(self)!r})"


def field_values(records: Sequence[dict], name: str) -> list:
    """The value of field `name` in each record (None where a record lacks it)."""
    try:
        return list(map(operator.itemgetter(name), records))
    except KeyError:
        return [record.get(name) for record in records]


_UTC_MOMENT = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|\+00:?00)"
_UTC_MOMENTS = re.compile(f"(?:{_UTC_MOMENT}\n)*")


def utc_moment_texts(texts: list) -> list | None:
    """These date-time texts (None or "" for a null) if each is a plain ISO 8601
    date-time in UTC, which PostgreSQL reads as the same moment as Python; else None."""
    present = [text for text in texts if text]
    if not all(type(text) is str for text in present) or not _UTC_MOMENTS.fullmatch("\n".join(present) + "\n"):
        return None
    return [text or None for text in texts]


@dataclass
class Page:
    """One page of records. `watermark` is the highest modification stamp seen so
    far, safe to store once this page's rows are committed (None where the read is
    not ordered by it, until its last page)."""

    records: list[dict[str, Any]]
    watermark: datetime | None = None
    # Where this read goes on (next page URL, Bulk locator): valid within this read only.
    cursor: str | None = None
    # A token a later read resumes from (a Dataverse delta link), set on the page
    # after which it is safe to store; later runs pass it back as ReadRequest.cursor.
    bookmark: str | None = None
    # The records the whole read holds, where the CRM tells it with the first page.
    total: int | None = None


@dataclass(frozen=True)
class DeletedRecord:
    id: str
    deleted_at: datetime | None = None


@dataclass
class DeletedPage:
    records: list[DeletedRecord]
    watermark: datetime | str | None = None
    # True when the CRM could not say for sure (window passed): caller must reconcile.
    complete: bool = True
    detail: str = ""


class WriteMode(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    UPSERT = "upsert"


@dataclass(frozen=True)
class CrmError:
    """An error exactly as the CRM gave it."""

    code: str
    message: str
    fields: tuple[str, ...] = ()


# The error code of a record whose write may or may not have happened (its answer was lost).
OUTCOME_UNKNOWN = "CRMSYNC_OUTCOME_UNKNOWN"


@dataclass
class RecordResult:
    """The outcome for one record of a batch, in the order the records were given."""

    success: bool
    id: str | None = None
    created: bool = False
    errors: list[CrmError] = field(default_factory=list)

    @property
    def outcome_unknown(self) -> bool:
        return any(e.code == OUTCOME_UNKNOWN for e in self.errors)


@dataclass(frozen=True)
class ApiUsage:
    """Calls this connector made, and the CRM's own count against its limit."""

    calls: int
    used: int | None = None
    limit: int | None = None


@dataclass(frozen=True)
class DailyAllocation:
    """The CRM's own daily API allocation and what is left of it, as it reports them."""

    limit: int
    remaining: int
    source: str

    @property
    def used(self) -> int:
        return max(0, self.limit - self.remaining)


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    detail: str
