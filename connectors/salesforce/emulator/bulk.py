"""Bulk API 2.0: query jobs (CSV results paged with Sforce-Locator) and ingest jobs
(CSV upload, UploadComplete, successful/failed/unprocessed results). Jobs move
through their states with time, as a real org's queue would move them."""

from __future__ import annotations

import base64
import csv
import io
import time
from dataclasses import dataclass, field

from werkzeug.wrappers import Response

from . import values
from .responses import ApiError, json_body, json_response
from .rest_meta import object_or_404
from .soql_parser import SoqlError
from .state import OrgState
from .writes import RecordError

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")


@dataclass
class Job:
    id: str
    operation: str
    object: str
    version: str
    line_ending: str = "LF"
    delimiter: str = "COMMA"
    created: str = ""
    started: float = field(default_factory=time.monotonic)
    state_override: str | None = None

    def common_info(self, user_id: str) -> dict:
        return {
            "id": self.id, "operation": self.operation, "object": self.object, "createdById": user_id,
            "createdDate": self.created, "systemModstamp": self.created, "concurrencyMode": "Parallel",
            "contentType": "CSV", "apiVersion": float(self.version), "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
        }

    def writer(self, buffer: io.StringIO) -> csv.writer:
        return csv.writer(buffer, delimiter=DELIMITERS[self.delimiter], lineterminator=LINE_ENDINGS[self.line_ending], quoting=csv.QUOTE_ALL)


@dataclass
class QueryJob(Job):
    plan: object = None
    rowids: list[int] = field(default_factory=list)

    def state(self, delay: float) -> str:
        if self.state_override:
            return self.state_override
        elapsed = time.monotonic() - self.started
        return "UploadComplete" if elapsed < delay / 2 else "InProgress" if elapsed < delay else "JobComplete"

    def info(self, delay: float, user_id: str) -> dict:
        state = self.state(delay)
        done = len(self.rowids) if state == "JobComplete" else 0
        return {**self.common_info(user_id), "state": state, "jobType": "V2Query", "numberRecordsProcessed": done,
                "retries": 0, "totalProcessingTime": 0}


@dataclass
class IngestJob(Job):
    external_id: str | None = None
    chunks: list[str] = field(default_factory=list)
    state_name: str = "Open"
    closed: float = 0.0
    header: list[str] = field(default_factory=list)
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)

    def info(self, user_id: str) -> dict:
        body = {**self.common_info(user_id), "state": self.state_override or self.state_name, "jobType": "V2Ingest",
                "contentUrl": f"services/data/v{self.version}/jobs/ingest/{self.id}/batches",
                "numberRecordsProcessed": len(self.successes) + len(self.failures),
                "numberRecordsFailed": len(self.failures), "retries": 0, "totalProcessingTime": 0}
        if self.external_id:
            body["externalIdFieldName"] = self.external_id
        return body


def new_job_fields(org: OrgState, body: dict, version: str) -> dict:
    delimiter, ending = body.get("columnDelimiter", "COMMA"), body.get("lineEnding", "LF")
    if delimiter not in DELIMITERS or ending not in LINE_ENDINGS:
        raise ApiError(400, "INVALIDJOB", "Invalid columnDelimiter or lineEnding")
    return dict(id=org.store.ids.next("750"), version=version, line_ending=ending, delimiter=delimiter,
                created=values.format_datetime(org.clock.now()))


def job_or_404(org: OrgState, job_id: str, kind: type) -> Job:
    job = org.bulk_jobs.get(job_id)
    if not isinstance(job, kind):
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return job


# --- query jobs ---------------------------------------------------------------------
def create_query(org: OrgState, request, version: str):
    body = json_body(request) or {}
    if body.get("operation") not in ("query", "queryAll"):
        raise ApiError(400, "INVALIDJOB", "Operation is not supported for query jobs")
    try:
        plan = org.engine.plan(body.get("query", ""), include_deleted=body["operation"] == "queryAll")
    except SoqlError as error:
        raise ApiError(400, error.code, error.message) from None
    if plan.count or plan.limit_sql and "OFFSET 0" not in plan.limit_sql:
        raise ApiError(400, "INVALIDJOB", "Aggregate functions and OFFSET are not supported by Bulk API 2.0 queries")
    job = QueryJob(operation=body["operation"], object=plan.obj.name, plan=plan, rowids=org.engine.matching_rowids(plan),
                   **new_job_fields(org, body, version))
    org.bulk_jobs[job.id] = job
    return json_response(job.info(org.bulk_delay, org.store.admin_id))


def query_info(org: OrgState, request, version: str, job_id: str):
    return json_response(job_or_404(org, job_id, QueryJob).info(org.bulk_delay, org.store.admin_id))


def query_results(org: OrgState, request, version: str, job_id: str):
    job = job_or_404(org, job_id, QueryJob)
    if job.state(org.bulk_delay) != "JobComplete":
        raise ApiError(400, "INVALIDJOB", "Results are only available once the job is complete")
    start = decode_locator(request.args.get("locator"))
    size = int(request.args.get("maxRecords") or 50_000)
    chunk = job.rowids[start : start + size]
    following = start + len(chunk)
    headers = {"Sforce-Locator": encode_locator(following) if following < len(job.rowids) else "null",
               "Sforce-NumberOfRecords": str(len(chunk))}
    return Response(results_csv(org, job, chunk), headers=headers, content_type="text/csv")


def results_csv(org: OrgState, job: QueryJob, rowids: list[int]) -> str:
    buffer = io.StringIO()
    writer = job.writer(buffer)
    writer.writerow([column.path for column in job.plan.columns])
    joins = len(job.plan.parents)
    for row in org.engine.fetch_rows(job.plan, rowids):
        writer.writerow([values.to_csv(c.field, v) for c, v in zip(job.plan.columns, row[1 + joins :])])
    return buffer.getvalue()


def encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str | None) -> int:
    if not locator or locator == "null":
        return 0
    try:
        return int(base64.b64decode(locator + "=" * (-len(locator) % 4)).decode())
    except ValueError:
        raise ApiError(400, "INVALIDJOB", "Invalid locator") from None


def change_query(org: OrgState, request, version: str, job_id: str):
    job = job_or_404(org, job_id, QueryJob)
    if (json_body(request) or {}).get("state") == "Aborted":
        job.state_override = "Aborted"
    return json_response(job.info(org.bulk_delay, org.store.admin_id))


def delete_job(org: OrgState, request, version: str, job_id: str):
    if org.bulk_jobs.pop(job_id, None) is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return Response(status=204)


# --- ingest jobs --------------------------------------------------------------------
def create_ingest(org: OrgState, request, version: str):
    body = json_body(request) or {}
    obj = object_or_404(org, body.get("object", ""))
    if body.get("operation") not in INGEST_OPERATIONS:
        raise ApiError(400, "INVALIDJOB", "Operation is not supported for ingest jobs")
    if body["operation"] == "upsert" and not body.get("externalIdFieldName"):
        raise ApiError(400, "INVALIDJOB", "External ID was blank for Upsert")
    job = IngestJob(operation=body["operation"], object=obj.name, external_id=body.get("externalIdFieldName"),
                    **new_job_fields(org, body, version))
    org.bulk_jobs[job.id] = job
    return json_response(job.info(org.store.admin_id))


def upload(org: OrgState, request, version: str, job_id: str):
    job = job_or_404(org, job_id, IngestJob)
    if job.state_name != "Open":
        raise ApiError(400, "INVALIDJOB", "Job is not open for uploads")
    job.chunks.append(request.get_data(as_text=True))
    return Response(status=201)


def change_ingest(org: OrgState, request, version: str, job_id: str):
    job = job_or_404(org, job_id, IngestJob)
    wanted = (json_body(request) or {}).get("state")
    if wanted == "UploadComplete" and job.state_name == "Open":
        job.state_name, job.closed = "UploadComplete", time.monotonic()
    elif wanted == "UploadComplete" and not job.state_override:
        pass  # closing twice (a retried close) changes nothing
    elif wanted == "Aborted":
        job.state_override = "Aborted"
    else:
        raise ApiError(400, "INVALIDJOB", f"Cannot change state to {wanted}")
    return json_response(job.info(org.store.admin_id))


def ingest_info(org: OrgState, request, version: str, job_id: str):
    job = job_or_404(org, job_id, IngestJob)
    advance(org, job)
    return json_response(job.info(org.store.admin_id))


def advance(org: OrgState, job: IngestJob) -> None:
    """UploadComplete → InProgress → JobComplete as time passes; rows are
    processed when the job completes."""
    if job.state_override or job.state_name not in ("UploadComplete", "InProgress"):
        return
    elapsed = time.monotonic() - job.closed
    if elapsed >= org.bulk_delay:
        process(org, job)
        job.state_name = "JobComplete"
    elif elapsed >= org.bulk_delay / 2:
        job.state_name = "InProgress"


def process(org: OrgState, job: IngestJob) -> None:
    obj = org.schema.get(job.object)
    for chunk in job.chunks:
        header, *rows = parse_csv(job, chunk) or [[]]
        job.header = header
        for row in rows:
            process_row(org, job, obj, header, row)


def process_row(org: OrgState, job: IngestJob, obj, header: list[str], row: list[str]) -> None:
    # An empty cell leaves the field alone; #N/A sets it to null.
    data = {name: (None if cell == "#N/A" else cell) for name, cell in zip(header, row) if cell != ""}
    try:
        record_id, created = ingest_row(org, job, obj, data)
    except RecordError as error:
        job.failures.append([data.get("Id") or "", f"{error.code}:{error.message}:{','.join(error.fields)} --", *row])
        return
    job.successes.append([record_id, "true" if created else "false", *row])


def parse_csv(job: IngestJob, text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=DELIMITERS[job.delimiter]))


def ingest_row(org: OrgState, job: IngestJob, obj, data: dict) -> tuple[str, bool]:
    if job.operation == "insert":
        return org.writer.create(obj, data), True
    if job.operation == "update":
        return org.writer.update(obj, data.get("Id"), data), False
    if job.operation == "upsert":
        key = obj.field(job.external_id)
        return org.writer.upsert(obj, key.name, data.get(key.name), {k: v for k, v in data.items() if k != key.name})
    record_id = org.writer.delete(obj, data.get("Id"))
    if job.operation == "hardDelete":
        org.store.query(f'DELETE FROM "{obj.name}" WHERE Id = ?', (record_id,))
    return record_id, False


def ingest_results(org: OrgState, request, version: str, job_id: str, kind: str):
    job = job_or_404(org, job_id, IngestJob)
    advance(org, job)
    buffer = io.StringIO()
    writer = job.writer(buffer)
    if kind == "successfulResults":
        writer.writerow(["sf__Id", "sf__Created", *job.header])
        writer.writerows(job.successes)
    elif kind == "failedResults":
        writer.writerow(["sf__Id", "sf__Error", *job.header])
        writer.writerows(job.failures)
    else:
        writer.writerow(job.header)
    return Response(buffer.getvalue(), content_type="text/csv")
