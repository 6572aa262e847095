"""Metadata endpoints: API versions, resources, limits, describeGlobal, describe."""

from __future__ import annotations

from .describe import describe_global, describe_object, global_entry
from .responses import ApiError, json_response
from .state import SUPPORTED_VERSIONS, OrgState


def versions(org: OrgState, request) -> object:
    return json_response([{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in SUPPORTED_VERSIONS])


def resources(org: OrgState, request, version: str) -> object:
    names = ("sobjects", "query", "queryAll", "limits", "composite", "jobs")
    return json_response({name: f"/services/data/v{version}/{name}" for name in names})


def limits(org: OrgState, request, version: str) -> object:
    daily = org.limits
    return json_response({
        "DailyApiRequests": {"Max": daily.daily, "Remaining": max(daily.daily - daily.used, 0)},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
        "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
    })


def sobjects(org: OrgState, request, version: str) -> object:
    return json_response(describe_global(org.schema, version))


def object_or_404(org: OrgState, name: str):
    obj = org.schema.get(name)
    if obj is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return obj


def sobject_info(org: OrgState, request, version: str, name: str) -> object:
    obj = object_or_404(org, name)
    return json_response({"objectDescribe": global_entry(obj, version), "recentItems": []})


def describe(org: OrgState, request, version: str, name: str) -> object:
    return json_response(describe_object(org.schema, object_or_404(org, name), version))
