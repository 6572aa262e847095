"""Listing and describing sObjects: describeGlobal once, describes batched 25 to a
Composite call, and picklists (with dependent validFor bitmaps) as enumerations."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from connectors.base import chunked
from connectors.errors import InvalidRequest
from connectors.types import Enumeration, EnumerationValue, TableDescription, TableInfo

from .client import SalesforceClient
from .types import describe_field

COMPOSITE_LIMIT = 25


def list_tables(client: SalesforceClient) -> list[TableInfo]:
    objects = client.describe_global()["sobjects"]
    return [TableInfo(o["name"], o["label"], custom=o["custom"], tracks_changes=o.get("replicateable", True))
            for o in objects if o["queryable"]]


def describe_raw(client: SalesforceClient, names: Sequence[str]) -> dict[str, dict]:
    """Describe bodies by name, in ceil(len(names) / 25) Composite calls."""
    bodies = {}
    for batch in chunked(names, COMPOSITE_LIMIT):
        subrequests = [{"method": "GET", "url": f"/services/data/v{client.version}/sobjects/{name}/describe",
                        "referenceId": f"d{index}"} for index, name in enumerate(batch)]
        for name, answer in zip(batch, client.composite(subrequests)):
            bodies[name] = checked(name, answer)
    return bodies


def checked(name: str, answer: dict) -> dict:
    if answer["httpStatusCode"] != 200:
        error = (answer.get("body") or [{}])[0]
        raise InvalidRequest(f"cannot describe {name}: {error.get('message', '')}", code=error.get("errorCode"),
                             status=answer["httpStatusCode"])
    return answer["body"]


def table_description(body: dict) -> TableDescription:
    fields = tuple(describe_field(body["name"], f) for f in body["fields"] if f["type"] not in ("address", "location"))
    has_stamp = any(f.name == "SystemModstamp" for f in fields)
    return TableDescription(name=body["name"], label=body["label"], fields=fields, custom=body["custom"],
                            id_field="Id", modstamp_field="SystemModstamp" if has_stamp else "LastModifiedDate",
                            tracks_changes=body.get("replicateable", True))


def enumerations(body: dict) -> list[Enumeration]:
    by_name = {f["name"]: f for f in body["fields"]}
    return [enumeration(body["name"], f, by_name.get(f.get("controllerName") or ""))
            for f in body["fields"] if f["type"] in ("picklist", "multipicklist")]


def enumeration(table: str, field: dict, controller: dict | None) -> Enumeration:
    controlling = controlling_values(controller) if controller else []
    values = tuple(EnumerationValue(
        value=entry["value"], label=entry["label"] or entry["value"], active=entry["active"], default=entry["defaultValue"],
        valid_for=decode_valid_for(entry.get("validFor"), controlling)) for entry in field["picklistValues"])
    return Enumeration(key=f"{table}.{field['name']}", label=field["label"], values=values,
                       multi_select=field["type"] == "multipicklist", controlling_field=field.get("controllerName"),
                       restricted=field.get("restrictedPicklist", False))


def controlling_values(controller: dict) -> list[str]:
    if controller["type"] == "boolean":
        return ["false", "true"]
    return [entry["value"] for entry in controller["picklistValues"]]


def decode_valid_for(bitmap: str | None, controlling: list[str]) -> tuple[str, ...]:
    """Controlling values whose bit is set; bit i is (byte i // 8) & (0x80 >> i % 8)."""
    if not bitmap or not controlling:
        return ()
    data = base64.b64decode(bitmap)
    return tuple(value for index, value in enumerate(controlling)
                 if index // 8 < len(data) and data[index // 8] & (0x80 >> (index % 8)))
