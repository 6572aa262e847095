"""sObject Collections (create, update, upsert, delete; at most 200 records, with
allOrNone) and the Composite resource, used by clients to batch describes."""

from __future__ import annotations

import json

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from .responses import ApiError, json_body, json_response
from .rest_meta import object_or_404
from .state import OrgState
from .writes import RecordError

MAX_RECORDS = 200
MAX_SUBREQUESTS = 25
ROLLED_BACK = RecordError("ALL_OR_NONE_OPERATION_ROLLED_BACK",
                          "Record rolled back because not all records were valid and the request was using AllOrNone header")


class _Rollback(Exception):
    pass


def collection_body(request) -> tuple[list[dict], bool]:
    body = json_body(request) or {}
    records = body.get("records") or []
    if len(records) > MAX_RECORDS:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call")
    return records, bool(body.get("allOrNone"))


def run_each(org: OrgState, items: list, operation, all_or_none: bool) -> list[dict]:
    """Apply `operation` to each item; with allOrNone, any failure rolls all back."""
    try:
        with org.store.transaction():
            results = [attempt(operation, item) for item in items]
            if all_or_none and not all(r["success"] for r in results):
                raise _Rollback()
    except _Rollback:
        return [r if not r["success"] else failed(ROLLED_BACK, r) for r in results]
    return results


def attempt(operation, item) -> dict:
    try:
        record_id, created = operation(item)
    except RecordError as error:
        return {"id": item.get("Id") if isinstance(item, dict) else item, "success": False, "errors": [error.as_json()]}
    result = {"id": record_id, "success": True, "errors": []}
    if created is not None:
        result["created"] = created
    return result


def failed(error: RecordError, result: dict) -> dict:
    return {"id": None, "success": False, "errors": [error.as_json()]}


def record_object(org: OrgState, record: dict):
    kind = (record.get("attributes") or {}).get("type")
    obj = org.schema.get(kind or "")
    if obj is None:
        raise RecordError("INVALID_TYPE", f"sObject type '{kind}' is not supported.", [])
    return obj


def create(org: OrgState, request, version: str):
    records, all_or_none = collection_body(request)
    if any(r.get("Id") or r.get("id") for r in records):
        raise ApiError(400, "INVALID_FIELD", "Can't specify an ID for a create request")
    results = run_each(org, records, lambda r: (org.writer.create(record_object(org, r), r), None), all_or_none)
    return json_response(results)


def update(org: OrgState, request, version: str):
    records, all_or_none = collection_body(request)
    results = run_each(org, records, lambda r: (org.writer.update(record_object(org, r), r.get("Id"), r), None), all_or_none)
    return json_response(results)


def upsert(org: OrgState, request, version: str, name: str, field: str):
    obj = object_or_404(org, name)
    records, all_or_none = collection_body(request)
    key = obj.field(field)
    if key is None or not (key.external_id or key.name == "Id"):
        raise ApiError(400, "INVALID_FIELD", f"Field name provided, {field} is not an External ID or indexed field for {obj.name}")
    operation = lambda r: org.writer.upsert(obj, key.name, r.get(key.name), {k: v for k, v in r.items() if k != key.name})
    return json_response(run_each(org, records, operation, all_or_none))


def delete(org: OrgState, request, version: str):
    record_ids = [i for i in request.args.get("ids", "").split(",") if i]
    if len(record_ids) > MAX_RECORDS:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call")
    all_or_none = request.args.get("allOrNone", "false").lower() == "true"
    return json_response(run_each(org, record_ids, lambda i: (org.writer.delete(None, i), None), all_or_none))


# --- Composite -------------------------------------------------------------------------
def composite(org: OrgState, request, version: str, dispatch):
    """Runs each subrequest through the same routes; one API call in all."""
    body = json_body(request) or {}
    subrequests = body.get("compositeRequest") or []
    if len(subrequests) > MAX_SUBREQUESTS:
        raise ApiError(400, "INVALID_COMPOSITE_REQUEST", f"Cannot have more than {MAX_SUBREQUESTS} subrequests")
    return json_response({"compositeResponse": [subresponse(request, sub, dispatch) for sub in subrequests]})


def subresponse(request, sub: dict, dispatch) -> dict:
    builder = EnvironBuilder(
        path=sub["url"].split("?")[0], query_string=sub["url"].partition("?")[2], method=sub.get("method", "GET"),
        base_url=request.host_url, headers={"Authorization": request.headers.get("Authorization", "")},
        data=json.dumps(sub["body"]) if "body" in sub else None, content_type="application/json",
    )
    response = dispatch(Request(builder.get_environ()), subrequest=True)
    text = response.get_data(as_text=True)
    return {"body": json.loads(text) if text else None, "httpHeaders": {}, "httpStatusCode": response.status_code,
            "referenceId": sub.get("referenceId")}
