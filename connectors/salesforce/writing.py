"""Writing and deleting records: sObject Collections in batches of 200 (one result
per record, in order), a Bulk API 2.0 ingest job above the bulk threshold, and
retries that can never create a record twice."""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any

from simple_salesforce.bulk2 import Operation

from connectors.base import chunked
from connectors.errors import ConnectorError
from connectors.retry import RetryPolicy
from connectors.types import OUTCOME_UNKNOWN, CrmError, RecordResult, WriteMode

from .client import SalesforceClient
from .faults import OutcomeUnknown
from .options import Options
from .types import to_csv_cell, to_wire

BATCH = 200
LOCKED = "UNABLE_TO_LOCK_ROW"
BULK_OPERATIONS = {WriteMode.CREATE: Operation.insert, WriteMode.UPDATE: Operation.update, WriteMode.UPSERT: Operation.upsert}


def record_result(raw: dict, mode: WriteMode) -> RecordResult:
    errors = [CrmError(e.get("statusCode", ""), e.get("message", ""), tuple(e.get("fields") or ())) for e in raw.get("errors") or []]
    created = raw.get("created", mode is WriteMode.CREATE) if raw["success"] else False
    return RecordResult(success=raw["success"], id=raw.get("id"), created=bool(created), errors=errors)


def unknown_outcome(error: OutcomeUnknown) -> RecordResult:
    message = f"{error.message}. Check the CRM before sending these records again (or upsert them by an external id)."
    return RecordResult(success=False, errors=[CrmError(OUTCOME_UNKNOWN, message)])


def is_locked(result: RecordResult) -> bool:
    return any(e.code == LOCKED for e in result.errors)


class Writer:
    def __init__(self, client: SalesforceClient, options: Options, policy: RetryPolicy, sleep=time.sleep):
        self.client, self.options, self.policy, self.sleep = client, options, policy, sleep

    # --- collections -------------------------------------------------------------
    def write(self, table: str, records: Sequence[dict], mode: WriteMode, key: str | None, all_or_none: bool) -> list[RecordResult]:
        if len(records) > self.options.bulk_write_threshold and not all_or_none:
            return self.bulk_write(table, records, mode, key)
        return [result for batch in chunked(records, BATCH) for result in self.write_batch(table, batch, mode, key, all_or_none)]

    def write_batch(self, table: str, batch: list[dict], mode: WriteMode, key: str | None, all_or_none: bool) -> list[RecordResult]:
        results = self.send(table, batch, mode, key, all_or_none)
        for attempt in range(1, self.policy.attempts):
            pending = [i for i, r in enumerate(results) if is_locked(r) or (all_or_none and any(map(is_locked, results)))]
            if not pending:
                break
            # Locked rows were not written, so sending them again is safe even for creates.
            self.sleep(min(self.policy.initial_wait * 2 ** attempt, self.policy.max_wait))
            for index, result in zip(pending, self.send(table, [batch[i] for i in pending], mode, key, all_or_none)):
                results[index] = result
        return results

    def send(self, table: str, batch: list[dict], mode: WriteMode, key: str | None, all_or_none: bool) -> list[RecordResult]:
        payload = [{"attributes": {"type": table}, **{name: to_wire(value) for name, value in record.items()}} for record in batch]
        try:
            if mode is WriteMode.CREATE:
                raw = self.client.create_records(payload, all_or_none)
            elif mode is WriteMode.UPDATE:
                raw = self.client.update_records(payload, all_or_none)
            else:
                raw = self.client.upsert_records(table, key or "Id", payload, all_or_none)
        except OutcomeUnknown as error:
            return [unknown_outcome(error) for _ in batch]
        return [record_result(item, mode) for item in raw]

    def delete(self, ids: Sequence[str]) -> list[RecordResult]:
        results = []
        for batch in chunked(ids, BATCH):
            attempts: list[int] = []
            raw = self.client.delete_records(batch, attempts)
            results += [self.delete_result(item, record_id, retried=len(attempts) > 1) for item, record_id in zip(raw, batch)]
        return results

    def delete_result(self, raw: dict, record_id: str, retried: bool) -> RecordResult:
        result = record_result(raw, WriteMode.UPDATE)
        result.id = result.id or record_id
        if retried and [e.code for e in result.errors] == ["ENTITY_IS_DELETED"]:
            # Our own first attempt deleted it before its answer was lost.
            return RecordResult(success=True, id=record_id)
        return result

    # --- Bulk API 2.0 ingest --------------------------------------------------------------
    def bulk_write(self, table: str, records: Sequence[dict], mode: WriteMode, key: str | None) -> list[RecordResult]:
        header = list(dict.fromkeys(name for record in records for name in record))
        rows = [[to_csv_cell(record.get(name)) if name in record else "" for name in header] for record in records]
        job_id = self.run_ingest_job(table, mode, key, header, rows)
        return self.ingest_results(table, job_id, header, rows)

    def run_ingest_job(self, table: str, mode: WriteMode, key: str | None, header: list[str], rows: list[list[str]]) -> str:
        external_id = (key or "Id") if mode is WriteMode.UPSERT else None
        job = self.client.bulk_call(table, "create_job", BULK_OPERATIONS[mode], external_id_field=external_id)
        try:
            # An upload whose answer was lost is not retried: a second upload could double the rows.
            self.client.bulk_call(table, "upload_job_data", job["id"], csv_text(header, rows), idempotent=False)
        except OutcomeUnknown:
            self.client.bulk_call(table, "abort_job", job["id"], False)
            raise ConnectorError(f"Bulk API upload to job {job['id']} was interrupted; the job was aborted, nothing was written")
        self.client.bulk_call(table, "close_job", job["id"])
        self.wait_for(table, job["id"])
        return job["id"]

    def wait_for(self, table: str, job_id: str) -> None:
        while True:
            info = self.client.bulk_call(table, "get_job", job_id, False)
            if info["state"] == "JobComplete":
                return
            if info["state"] in ("Failed", "Aborted"):
                raise ConnectorError(f"Bulk API ingest job {job_id} {info['state'].lower()}: {info.get('errorMessage', '')}", code=info["state"])
            self.sleep(self.options.bulk_poll_seconds)

    def ingest_results(self, table: str, job_id: str, header: list[str], rows: list[list[str]]) -> list[RecordResult]:
        """Results in input order, matched by the uploaded cells (Salesforce does not
        keep the order across its result files)."""
        positions: dict[tuple, deque] = defaultdict(deque)
        for index, row in enumerate(rows):
            positions[tuple(row)].append(index)
        results: list[RecordResult | None] = [None] * len(rows)
        for kind, parse in (("successfulResults", success_result), ("failedResults", failure_result)):
            for item in csv.DictReader(io.StringIO(self.client.bulk_call(table, "get_ingest_results", job_id, kind))):
                queue = positions.get(tuple(item.get(name, "") for name in header))
                if queue:
                    results[queue.popleft()] = parse(item)
        missing = RecordResult(success=False, errors=[CrmError("CRMSYNC_NOT_PROCESSED", f"Bulk API job {job_id} did not process this record")])
        return [result or missing for result in results]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def success_result(item: dict[str, Any]) -> RecordResult:
    return RecordResult(success=True, id=item["sf__Id"], created=item["sf__Created"] == "true")


def failure_result(item: dict[str, Any]) -> RecordResult:
    """sf__Error reads "CODE:message:FIELD1,FIELD2 --"."""
    code, _, rest = item["sf__Error"].partition(":")
    message, _, fields = rest.rstrip(" -").rpartition(":")
    return RecordResult(success=False, id=item.get("sf__Id") or None,
                        errors=[CrmError(code, message or rest, tuple(f for f in fields.split(",") if f))])
