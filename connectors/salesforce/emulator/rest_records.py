"""Single-record REST endpoints (create, read, update, delete, upsert by external
id) and the replication resources getUpdated and getDeleted."""

from __future__ import annotations

from datetime import timedelta

from werkzeug.wrappers import Response

from . import ids, values
from .query_engine import attributes
from .responses import ApiError, json_body, json_response
from .rest_meta import object_or_404
from .state import OrgState
from .writes import RecordError

UPDATED_WINDOW_DAYS = 30
DELETED_WINDOW_DAYS = 15


def record_error(error: RecordError) -> Response:
    return json_response([error.as_rest_error()], error.status)


def record_body(org: OrgState, obj, row: dict, version: str, wanted: str | None) -> dict:
    names = [name.strip() for name in wanted.split(",")] if wanted else obj.field_names
    body = {"attributes": attributes(obj.name, row["Id"], version)}
    for name in names:
        f = obj.field(name)
        if f is None:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj.name}'.")
        body[f.name] = values.to_json(f, row[f.name])
    return body


def create(org: OrgState, request, version: str, name: str) -> Response:
    obj = object_or_404(org, name)
    try:
        record_id = org.writer.create(obj, json_body(request) or {})
    except RecordError as error:
        return record_error(error)
    return json_response({"id": record_id, "success": True, "errors": []}, 201)


def read(org: OrgState, request, version: str, name: str, record_id: str) -> Response:
    obj = object_or_404(org, name)
    normalized = ids.normalize(record_id)
    row = org.store.get(obj.name, normalized) if normalized and normalized[:3] == obj.key_prefix else None
    if row is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return json_response(record_body(org, obj, row, version, request.args.get("fields")))


def update(org: OrgState, request, version: str, name: str, record_id: str) -> Response:
    obj = object_or_404(org, name)
    try:
        org.writer.update(obj, record_id, json_body(request) or {})
    except RecordError as error:
        return record_error(error)
    return Response(status=204)


def delete(org: OrgState, request, version: str, name: str, record_id: str) -> Response:
    obj = object_or_404(org, name)
    try:
        org.writer.delete(obj, record_id)
    except RecordError as error:
        return record_error(error)
    return Response(status=204)


def read_by_external_id(org: OrgState, request, version: str, name: str, field: str, value: str) -> Response:
    obj = object_or_404(org, name)
    try:
        matches = org.writer.matches(obj, field, value)
    except RecordError as error:
        return record_error(error)
    if not matches:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    if len(matches) > 1:
        return json_response([f"/services/data/v{version}/sobjects/{obj.name}/{i}" for i in matches], 300)
    return json_response(record_body(org, obj, org.store.get(obj.name, matches[0]), version, request.args.get("fields")))


def upsert(org: OrgState, request, version: str, name: str, field: str, value: str) -> Response:
    obj = object_or_404(org, name)
    try:
        record_id, created = org.writer.upsert(obj, field, value, json_body(request) or {})
    except RecordError as error:
        return record_error(error)
    return json_response({"id": record_id, "success": True, "errors": [], "created": created}, 201 if created else 200)


# --- replication ----------------------------------------------------------------------
def window(org: OrgState, request, days: int, purged: str | None) -> tuple[str, str]:
    """(start, end) as stored datetimes, seconds truncated, checked against the
    window the org keeps; INVALID_REPLICATION_DATE otherwise."""
    try:
        start = values.floor_minute(values.parse_datetime(request.args["start"]))
        end = values.floor_minute(values.parse_datetime(request.args["end"]))
    except (KeyError, ValueError):
        raise ApiError(400, "MALFORMED_QUERY", "start and end are required ISO 8601 date-times") from None
    now = org.clock.now()
    if start >= end:
        raise ApiError(400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate")
    if start < now - timedelta(days=days):
        raise ApiError(400, "INVALID_REPLICATION_DATE", f"startDate cannot be more than {days} days ago")
    if purged and values.format_datetime(start) < purged:
        raise ApiError(400, "INVALID_REPLICATION_DATE", "startDate is before the earliest date available; the delete log was purged")
    return values.format_datetime(start), values.format_datetime(min(end, values.floor_minute(now)))


def updated(org: OrgState, request, version: str, name: str) -> Response:
    obj = object_or_404(org, name)
    start, end = window(org, request, UPDATED_WINDOW_DAYS, None)
    return json_response({"ids": org.store.updated_between(obj.name, start, end), "latestDateCovered": end})


def deleted(org: OrgState, request, version: str, name: str) -> Response:
    obj = object_or_404(org, name)
    purged = org.delete_log_purged.get(obj.name)
    start, end = window(org, request, DELETED_WINDOW_DAYS, purged)
    oldest = values.format_datetime(values.floor_minute(org.clock.now() - timedelta(days=DELETED_WINDOW_DAYS)))
    return json_response({
        "deletedRecords": [{"id": i, "deletedDate": d} for i, d in org.store.deleted_between(obj.name, start, end)],
        "earliestDateAvailable": max(purged or oldest, oldest),
        "latestDateCovered": end,
    })
