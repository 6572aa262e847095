"""The Salesforce connector: crmsync's plug-in interface over the Salesforce REST,
Composite, sObject Collections and Bulk API 2.0 resources."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import requests

from connectors.base import AccountConfig, Connector, chunked
from connectors.errors import ConnectorError, ReplicationWindowExceeded
from connectors.http import describe_request_error
from connectors.registry import register
from connectors.retry import RetryPolicy
from connectors.types import (
    ApiUsage, ConnectionResult, DailyAllocation, DeletedPage, DeletedRecord, Enumeration, Page, ReadRequest, RecordResult,
    TableDescription, TableInfo, WriteMode,
)

from . import describing, soql
from .client import SalesforceClient
from .login import LoginSettings
from .options import DEFAULT_API_VERSION, DEFAULT_SERVER_URL, SETTINGS_SPEC, Options
from .reading import Reader
from .types import parse_datetime
from .writing import BATCH, Writer

IDS_PER_QUERY = 300  # keeps a GET query URL well under Salesforce's 16 KB
DELETE_LOG_DAYS = 14  # a first deletions read covers what the 15-day log keeps
FRESH_USAGE_SECONDS = 60  # an api-usage header this recent stands for the limits call


@register
class SalesforceConnector(Connector):
    crm_type = "salesforce"
    label = "Salesforce"
    default_server_url = DEFAULT_SERVER_URL
    default_api_version = DEFAULT_API_VERSION
    settings_spec = SETTINGS_SPEC
    write_batch_size = BATCH  # sObject Collections; above the bulk threshold a caller may send more
    capabilities = frozenset({"incremental", "deletions", "upsert", "bulk_read", "bulk_write", "enumerations", "dependent_enumerations",
                              "list_ids"})

    def __init__(self, config: AccountConfig, *, retry_policy: RetryPolicy = RetryPolicy(), sleep=None):
        super().__init__(config)
        self.options = Options.from_config(config)
        self.client = SalesforceClient(config, login_settings(config, self.options), budget_share=config.api_budget_share,
                                       policy=retry_policy, sleep=sleep)
        pause = sleep or time.sleep
        self.reader = Reader(self.client, self.options, pause)
        self.writer = Writer(self.client, self.options, retry_policy, pause)
        self._described: dict[str, dict] = {}

    # --- connection and introspection ----------------------------------------------
    def test_connection(self) -> ConnectionResult:
        try:
            daily = self.client.limits()["DailyApiRequests"]
        except ConnectorError as error:
            return ConnectionResult(False, str(error))
        except requests.RequestException as error:
            return ConnectionResult(False, describe_request_error(error, self.config.timeout))
        used = daily["Max"] - daily["Remaining"]
        return ConnectionResult(True, f"Connected to {self.client.instance_url} with API v{self.options.version}; "
                                      f"{used} of {daily['Max']} daily API requests used.")

    def list_tables(self) -> list[TableInfo]:
        return describing.list_tables(self.client)

    def describe_tables(self, names: Sequence[str]) -> dict[str, TableDescription]:
        missing = [name for name in names if name not in self._described]
        self._described.update(describing.describe_raw(self.client, missing) if missing else {})
        return {name: describing.table_description(self._described[name]) for name in names}

    def list_enumerations(self, tables: Sequence[str]) -> list[Enumeration]:
        self.describe_tables(tables)
        return [e for name in tables for e in describing.enumerations(self._described[name])]

    # --- reading ------------------------------------------------------------------
    def read(self, request: ReadRequest) -> Iterator[Page]:
        table = self.describe_table(request.table)
        fields = soql.select_fields(table, request.fields)
        if request.ids is not None:
            yield from self._read_ids(table, fields, request)
            return
        since = self._start_of(request.since)
        statement = soql.select(table, fields, request.conditions, since)
        bulk_statement = soql.select(table, fields, request.conditions, since, ordered=False)
        yield from self.reader.pages(table, fields, statement, bulk_statement)

    def stamp_bounds(self, request: ReadRequest) -> tuple[datetime, datetime] | None:
        """Two one-row queries: the first and the last SystemModstamp in the read."""
        table = self.describe_table(request.table)
        if not soql.table_has(table, "SystemModstamp"):
            return None
        statement = soql.select(table, ["SystemModstamp"], request.conditions, self._start_of(request.since))
        low = self.client.query(statement + " LIMIT 1", 200)["records"]
        descending = statement.replace("ORDER BY SystemModstamp, Id", "ORDER BY SystemModstamp DESC, Id DESC")
        high = self.client.query(descending + " LIMIT 1", 200)["records"]
        if not low or not high:
            return None
        return parse_datetime(low[0]["SystemModstamp"]), parse_datetime(high[0]["SystemModstamp"])

    def _start_of(self, since: datetime | None) -> datetime | None:
        """The watermark minus the overlap, so changes committed late are not missed."""
        return since - timedelta(seconds=self.options.overlap_seconds) if since else None

    def _read_ids(self, table: TableDescription, fields: list[str], request: ReadRequest) -> Iterator[Page]:
        for batch in chunked(request.ids, IDS_PER_QUERY):
            statement = soql.select(table, fields, request.conditions, ids=batch)
            yield from self.reader.pages(table, fields, statement, None)

    def list_ids(self, table: str) -> Iterator[list[str]]:
        """`SELECT Id FROM X`: REST pages of 2,000, a Bulk API 2.0 query job above the
        bulk read threshold (its results repeat the first page's ids: harmless in a set)."""
        description = self.describe_table(table)
        statement = f"SELECT Id FROM {description.name}"
        for page in self.reader.pages(description, ["Id"], statement, statement):
            yield [record["Id"] for record in page.records]

    def read_deleted(self, table: str, since: datetime | str | None) -> Iterator[DeletedPage]:
        start = parse_datetime(since) if isinstance(since, str) else since
        self.client.sf  # log in: its answer tells the CRM's clock, which "now" must follow
        now = self.client.meter.server_now()
        start = start or now - timedelta(days=DELETE_LOG_DAYS)
        if now - start < timedelta(minutes=1):
            # getDeleted works in whole minutes: nothing can be covered yet.
            yield DeletedPage([], watermark=start)
            return
        try:
            result = self.client.get_deleted(table, start, now)
        except ReplicationWindowExceeded as error:
            yield from self._deleted_from_recycle_bin(table, start, now, error)
            return
        records = [DeletedRecord(r["id"], parse_datetime(r["deletedDate"])) for r in result["deletedRecords"]]
        yield DeletedPage(records, watermark=parse_datetime(result["latestDateCovered"]))

    def _deleted_from_recycle_bin(self, table: str, start: datetime, now: datetime, cause: ConnectorError) -> Iterator[DeletedPage]:
        """Beyond the delete log: queryAll IsDeleted = true. Rows purged from the recycle
        bin are not there either, so the last page says the caller must reconcile Ids."""
        description = self.describe_table(table)
        statement = (f"SELECT Id, SystemModstamp FROM {description.name} WHERE IsDeleted = true AND "
                     f"SystemModstamp >= {soql.datetime_literal(self._start_of(start))} ORDER BY SystemModstamp, Id")
        pages = list(self.reader.pages(description, ["Id", "SystemModstamp"], statement, None, include_deleted=True))
        detail = (f"Salesforce no longer keeps deletions of {table} back to {start.isoformat()} ({cause}). Deletions were "
                  "read from the recycle bin instead, which misses records already purged from it: reconcile the full "
                  "set of Ids to find those.")
        for index, page in enumerate(pages):
            last = index == len(pages) - 1
            records = [DeletedRecord(r["Id"], r["SystemModstamp"]) for r in page.records]
            yield DeletedPage(records, watermark=now if last else None, complete=not last, detail=detail if last else "")

    # --- writing ------------------------------------------------------------------
    def write(self, table: str, records: Sequence[dict[str, Any]], mode: WriteMode, key: str | None = None,
              all_or_none: bool = False) -> list[RecordResult]:
        description = self.describe_table(table)
        key = self._checked_key(description, key) if mode is WriteMode.UPSERT else None
        return self.writer.write(description.name, records, mode, key, all_or_none)

    def _checked_key(self, table: TableDescription, key: str | None) -> str:
        name = soql.canonical_field(table, key or "Id")
        if not (table.field(name).external_id or name == "Id"):
            raise ConnectorError(f"{table.name}.{name} is not an external id field; upsert needs one", code="INVALID_FIELD")
        return name

    def delete(self, table: str, ids: Sequence[str]) -> list[RecordResult]:
        return self.writer.delete(ids)

    # --- accounting ---------------------------------------------------------------
    def api_usage(self) -> ApiUsage:
        meter = self.client.meter
        return ApiUsage(calls=meter.calls, used=meter.used, limit=meter.limit)

    # --- forecasting ----------------------------------------------------------------
    write_batch_size = 200  # sObject Collections

    def daily_allocation(self) -> DailyAllocation:
        """From the Sforce-Limit-Info header of an answer of the last minute (the same
        daily count as the limits resource's DailyApiRequests), else from the limits
        resource."""
        meter = self.client.meter
        age = meter.usage_age()
        if meter.limit and age is not None and age < FRESH_USAGE_SECONDS:
            return DailyAllocation(meter.limit, meter.limit - meter.used, "Salesforce Sforce-Limit-Info: api-usage")
        daily = self.client.limits()["DailyApiRequests"]
        return DailyAllocation(int(daily["Max"]), int(daily["Remaining"]), "Salesforce limits: DailyApiRequests")

    def count(self, request: ReadRequest) -> int:
        table = self.describe_table(request.table)
        where = soql.where_clause(table, request.conditions, self._start_of(request.since), request.ids)
        return int(self.client.query(f"SELECT COUNT() FROM {table.name}{where}", self.options.page_size)["totalSize"])

    def read_calls(self, records: int) -> int:
        if records > self.options.bulk_read_threshold:
            # The first REST page, then a Bulk API 2.0 job: create, poll (at least once), result pages.
            return 1 + 2 + -(-records // self.options.bulk_page_size)
        return max(1, -(-records // self.options.page_size))

    def write_calls(self, records: int) -> int:
        if records > self.options.bulk_write_threshold:
            return 5  # Bulk API 2.0 ingest: create, upload, close, poll, results
        return -(-records // self.write_batch_size)

    def close(self) -> None:
        self.client.close()


def login_settings(config: AccountConfig, options: Options) -> LoginSettings:
    value = config.value
    return LoginSettings(
        server_url=config.server_url or DEFAULT_SERVER_URL, version=options.version, flow=options.auth_flow,
        username=value("username"), password=value("password"), security_token=value("security_token"),
        consumer_key=value("consumer_key"), consumer_secret=value("consumer_secret"),
        refresh_token=value("refresh_token"), private_key=value("private_key"),
    )
