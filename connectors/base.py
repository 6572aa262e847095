"""The connector plug-in interface. One subclass per CRM, in its own package under
`connectors/`, registered with `connectors.registry.register`.

A connector is built from an `AccountConfig` (plain values, secrets already
decrypted) and knows nothing of Django: the external account model builds the
config, the wizard and the workflow engine call the methods below.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from .types import (
    ApiUsage,
    ConnectionResult,
    DailyAllocation,
    DeletedPage,
    Enumeration,
    Page,
    ReadRequest,
    RecordResult,
    TableDescription,
    TableInfo,
    WriteMode,
)


@dataclass(frozen=True)
class SettingSpec:
    """One CRM-specific setting of an external account.

    Secret settings are stored encrypted, are write-only everywhere, and are never
    shown again once saved.
    """

    name: str
    label: str
    secret: bool = False
    required: bool = False
    default: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    help_text: str = ""
    multiline: bool = False
    # Required only when another setting has one of these values, e.g.
    # {"auth_flow": ("password",)}.
    required_when: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountConfig:
    """Everything a connector needs to reach one CRM, as plain values."""

    server_url: str
    api_version: str = ""
    timeout: float = 60.0
    ca_pem: str = ""
    settings: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    # The share of the CRM's daily API allocation this account may use (0-1).
    api_budget_share: float = 0.9
    # The largest answer accepted from the CRM in one response (decompressed).
    max_response_bytes: int = 100 * 2**20

    def value(self, name: str, default: str = "") -> str:
        return self.secrets.get(name) or self.settings.get(name) or default


class Connector(abc.ABC):
    """Base class of all CRM connectors.

    Subclasses set the class attributes and implement the abstract methods; the
    optional ones raise `NotImplementedError` unless their capability is declared.
    """

    crm_type: ClassVar[str]
    label: ClassVar[str]
    default_server_url: ClassVar[str] = ""
    default_api_version: ClassVar[str] = ""
    settings_spec: ClassVar[tuple[SettingSpec, ...]] = ()
    capabilities: ClassVar[frozenset[str]] = frozenset()
    # Records one write call carries. Callers send no more at a time, so each call's
    # results are stored before the next call goes out (None: no limit).
    write_batch_size: ClassVar[int | None] = None

    def __init__(self, config: AccountConfig):
        self.config = config

    @classmethod
    def secret_names(cls) -> tuple[str, ...]:
        return tuple(spec.name for spec in cls.settings_spec if spec.secret)

    # --- connection and introspection -------------------------------------------
    @abc.abstractmethod
    def test_connection(self) -> ConnectionResult:
        """Authenticate and make one cheap call; never raise, explain instead."""

    @abc.abstractmethod
    def list_tables(self) -> list[TableInfo]:
        """Every table that can be read, in one listing call where the CRM allows."""

    @abc.abstractmethod
    def describe_tables(self, names: Sequence[str]) -> dict[str, TableDescription]:
        """Describe several tables, batching calls where the CRM allows."""

    def describe_table(self, name: str) -> TableDescription:
        return self.describe_tables([name])[name]

    @abc.abstractmethod
    def list_enumerations(self, tables: Sequence[str]) -> list[Enumeration]:
        """The picklists / option sets used by these tables' fields."""

    # --- reading ----------------------------------------------------------------
    @abc.abstractmethod
    def read(self, request: ReadRequest) -> Iterator[Page]:
        """Pages of records; all pages are followed. Each record is a dict keyed by
        CRM field names with values in Python types (str, int, Decimal, bool, date,
        datetime, list for multi-select)."""

    def stamp_bounds(self, request: ReadRequest) -> tuple[datetime, datetime] | None:
        """The lowest and highest modification stamps among the records `request`
        would read, so that a large read can be split into stamp ranges read in
        parallel; None when the CRM cannot tell cheaply or there is nothing to read."""
        return None

    def list_ids(self, table: str) -> Iterator[list[str]]:
        """The ids of every live record of `table`, page by page, by the cheapest
        calls the CRM has (Id-only queries, a bulk job for large tables), for
        reconciliation audits. Connectors declare the capability "list_ids"."""
        raise NotImplementedError(f"{self.label} cannot list record ids")

    @abc.abstractmethod
    def read_deleted(self, table: str, since: datetime | str | None) -> Iterator[DeletedPage]:
        """Deletions since a watermark returned by an earlier DeletedPage."""

    # --- writing ----------------------------------------------------------------
    @abc.abstractmethod
    def write(
        self,
        table: str,
        records: Sequence[dict[str, Any]],
        mode: WriteMode,
        key: str | None = None,
        all_or_none: bool = False,
    ) -> list[RecordResult]:
        """Create, update or upsert records, one result per record in order. For
        update the CRM id is in the record under the table's id field; for upsert
        `key` names the external-id / alternate-key field (the id field if None)."""

    @abc.abstractmethod
    def delete(self, table: str, ids: Sequence[str]) -> list[RecordResult]:
        """Delete records by CRM id, one result per id in order."""

    # --- accounting -------------------------------------------------------------
    @abc.abstractmethod
    def api_usage(self) -> ApiUsage:
        """Calls made by this instance and the CRM's own usage figures if known."""

    # --- forecasting (the API budget governor) ------------------------------------
    read_page_size: ClassVar[int] = 1000
    write_batch_size: ClassVar[int] = 200

    def open_session(self, tables: Sequence[str], writing: Sequence[str] = ()) -> None:
        """Sign in and read what a run's activities need before their first call:
        the tables' descriptions (batched where the CRM allows), and what writing to
        `writing` needs besides. The forecast calls it on the connector the run then
        uses, so that these calls are made once per run."""
        if tables:
            self.describe_tables(list(dict.fromkeys(tables)))

    def daily_allocation(self) -> DailyAllocation | None:
        """The CRM's daily API allocation and what remains, if the CRM reports it."""
        return None

    def count(self, request: ReadRequest) -> int | None:
        """How many records `request` would read (one cheap call), or None."""
        return None

    def read_calls(self, records: int) -> int:
        return max(1, -(-records // self.read_page_size))

    def write_calls(self, records: int) -> int:
        return -(-records // self.write_batch_size)

    def delete_calls(self, records: int) -> int:
        return self.write_calls(records)

    def deleted_calls(self) -> int:
        """Calls to list the deletions since a watermark (one page is assumed)."""
        return 1

    def close(self) -> None:
        """Release sessions; connectors are also context managers."""

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Split an iterable into lists of at most `size` items."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
