"""The query and queryAll resources, and their nextRecordsUrl pages."""

from __future__ import annotations

import re

from .responses import ApiError, json_response
from .soql_parser import SoqlError
from .state import OrgState

DEFAULT_BATCH = 2000
BATCH_OPTION = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


def batch_size(request) -> int:
    """`Sforce-Query-Options: batchSize=N`, kept within Salesforce's 200..2000."""
    match = BATCH_OPTION.search(request.headers.get("Sforce-Query-Options", ""))
    return min(max(int(match.group(1)), 200), DEFAULT_BATCH) if match else DEFAULT_BATCH


def run(org: OrgState, request, version: str, include_deleted: bool):
    soql = request.args.get("q")
    if not soql:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    try:
        return json_response(org.engine.start(soql, include_deleted, batch_size(request), version))
    except SoqlError as error:
        raise ApiError(400, error.code, error.message) from None


def query(org: OrgState, request, version: str):
    return run(org, request, version, include_deleted=False)


def query_all(org: OrgState, request, version: str):
    return run(org, request, version, include_deleted=True)


def query_more(org: OrgState, request, version: str, locator: str):
    cursor_id, _, position = locator.rpartition("-")
    try:
        return json_response(org.engine.page(cursor_id, int(position), batch_size(request), version))
    except (KeyError, ValueError):
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator") from None


query_all_more = query_more
