"""Reading records: REST query pages followed to the end, switching to a Bulk API
2.0 query job when the first page reveals more rows than the bulk threshold; the
watermark is the highest SystemModstamp that is safe to store after each page."""

from __future__ import annotations

import csv
import itertools
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import partial

from simple_salesforce.bulk2 import Operation

from connectors.errors import ConnectorError, TransientError
from connectors.types import ColumnRecords, FieldType, Page, TableDescription, field_values, utc_moment_texts

from .client import BulkResultPage, SalesforceClient
from .options import Options
from .types import column_to_python, to_python

TERMINAL_FAILURES = ("Failed", "Aborted")
BULK_PART = 5000


def _csv_columns(header: list[str], rows: list[list[str]]) -> dict[str, list]:
    """CSV rows as their values by column, as csv.DictReader would read them (blank
    lines skipped, a short row's missing cells None)."""
    rows = [row for row in rows if row]
    if not set(map(len, rows)) <= {len(header)}:
        return {name: [row[i] if i < len(row) else None for row in rows] for i, name in enumerate(header)}
    if not rows:
        return {name: [] for name in header}
    return {name: list(values) for name, values in zip(header, zip(*rows))}


class Watermark:
    def __init__(self) -> None:
        self.value: datetime | None = None

    def see(self, records) -> None:
        stamps = (records.columns.get("SystemModstamp") or () if isinstance(records, ColumnRecords)
                  else [r.get("SystemModstamp") for r in records])
        stamps = [stamp for stamp in stamps if stamp is not None]
        if stamps:
            self.value = max([*stamps, *([self.value] if self.value else [])])


class Reader:
    def __init__(self, client: SalesforceClient, options: Options, sleep=time.sleep):
        self.client = client
        self.options = options
        self.sleep = sleep

    def convert(self, table: TableDescription, fields: Sequence[str], raw: dict) -> dict:
        return {name: self.value(table, name, raw.get(name)) for name in fields}

    def records(self, table: TableDescription, fields: Sequence[str], raw: list[dict] | dict[str, list]
                ) -> ColumnRecords | list[dict]:
        """`convert` of each record, done field by field (column-wise); `raw` holds the
        records as sent (JSON objects), or their values by field (Bulk API CSV)."""
        count = len(next(iter(raw.values()), ())) if isinstance(raw, dict) else len(raw)
        if not fields:
            return [{} for _ in range(count)]
        sent = (lambda name: raw.get(name) or [None] * count) if isinstance(raw, dict) else partial(field_values, raw)
        columns, texts = {}, {}
        for name in fields:
            values = sent(name)
            columns[name] = self.column(table, name, values)
            if table.field(name).type is FieldType.DATETIME and (moments := utc_moment_texts(values)) is not None:
                texts[name] = moments
        return ColumnRecords(columns, texts)

    def column(self, table: TableDescription, name: str, values: list) -> list:
        try:
            return column_to_python(table.field(name).type, values)
        except (ValueError, TypeError, ArithmeticError, KeyError):
            return [self.value(table, name, value) for value in values]

    @staticmethod
    def value(table: TableDescription, name: str, value):
        """The field's Python value; a value that does not parse as its type (an
        invalid date…) is kept as sent, so that the import rejects this record with
        the reason instead of failing the page. The modification stamp must parse."""
        try:
            return to_python(table.field(name).type, value)
        except (ValueError, TypeError, ArithmeticError):
            if name == table.modstamp_field:
                raise
            return value

    def page(self, table: TableDescription, fields: Sequence[str], raw: list[dict], watermark: Watermark,
             cursor: str | None, advance: bool = True, total: int | None = None) -> Page:
        records = self.records(table, fields, raw)
        held = watermark.value
        watermark.see(records)
        return Page(records, watermark=watermark.value if advance else held, cursor=cursor, total=total)

    # --- REST --------------------------------------------------------------------
    def pages(self, table: TableDescription, fields: Sequence[str], soql: str, bulk_soql: str | None,
              include_deleted: bool = False) -> Iterator[Page]:
        watermark = Watermark()
        result = self.client.query(soql, self.options.page_size, include_deleted)
        yield self.page(table, fields, result["records"], watermark, result.get("nextRecordsUrl"),
                        total=result["totalSize"])
        if not result["done"] and bulk_soql and result["totalSize"] > self.options.bulk_read_threshold:
            yield from self.bulk_pages(table, fields, bulk_soql, watermark)
            return
        while not result["done"]:
            result = self.client.query_more(result["nextRecordsUrl"], self.options.page_size)
            yield self.page(table, fields, result["records"], watermark, result.get("nextRecordsUrl"))

    # --- Bulk API 2.0 ------------------------------------------------------------------
    def bulk_pages(self, table: TableDescription, fields: Sequence[str], soql: str, watermark: Watermark) -> Iterator[Page]:
        """All rows again (those of the first REST page too: duplicates are harmless),
        unordered, so the watermark only moves with the last page."""
        job = self.client.bulk_call(table.name, "create_job", Operation.query, query=soql)
        self.wait_for(table.name, job["id"])
        locator = ""
        while True:
            page = self.client.bulk_results(job["id"], locator, self.options.bulk_page_size)
            # A result page (50,000 rows) is read from the wire as it arrives and handed
            # on in parts, so memory holds a few thousand records, never the whole page.
            rows = self.result_rows(job["id"], locator, page)
            header = next(rows, [])
            part = list(itertools.islice(rows, BULK_PART))
            while True:
                following = list(itertools.islice(rows, BULK_PART))
                last = not page.locator and not following
                yield self.page(table, fields, _csv_columns(header, part), watermark, page.locator or None, advance=last)
                if not following:
                    break
                part = following
            locator = page.locator
            if not locator:
                return

    def result_rows(self, job_id: str, locator: str, page: BulkResultPage) -> Iterator[list[str]]:
        """The page's CSV rows, its header first; a stream broken midway is opened again
        (the same locator gives the same rows) and read on past the rows already handed on."""
        handed, opened = 0, 1
        while True:
            try:
                for index, row in enumerate(csv.reader(page.lines)):
                    if index >= handed:
                        handed += 1
                        yield row
                return
            except TransientError:
                if opened >= self.client.policy.attempts:
                    raise
                opened += 1
                page = self.client.bulk_results(job_id, locator, self.options.bulk_page_size)

    def wait_for(self, table: str, job_id: str) -> None:
        while True:
            info = self.client.bulk_call(table, "get_job", job_id, True)
            if info["state"] == "JobComplete":
                return
            if info["state"] in TERMINAL_FAILURES:
                raise ConnectorError(f"Bulk API query job {job_id} {info['state'].lower()}: {info.get('errorMessage', '')}",
                                     code=info["state"])
            self.sleep(self.options.bulk_poll_seconds)
