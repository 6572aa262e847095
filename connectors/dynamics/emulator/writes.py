"""Create, update, upsert and delete, validated as Dataverse validates them:
unknown, read-only and missing required attributes, MaxLength, option values,
@odata.bind lookups, If-Match / If-None-Match and etags."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import (
    CONCURRENCY_VERSION_MISMATCH,
    DUPLICATE_RECORD,
    INVALID_ARGUMENT,
    DataverseError,
    bad_request,
    key_not_found,
    not_found,
)
from .metadata import EntityDef
from .protocol import Preferences, empty_response, json_response, parse_key
from .rendering import context_url, etag, parse_select, render_row
from .store import Store
from .values import to_storage

_BIND_TARGET = re.compile(r"^(?:.*/)?([A-Za-z_]\w*)\((.+)\)$")


@dataclass
class WriteContext:
    store: Store
    base: str
    entity: EntityDef
    args: dict
    prefer: Preferences
    headers: dict

    def entity_id_url(self, record_id: str) -> str:
        return f"{self.base}/{self.entity.set_name}({record_id})"


def unknown_attribute(entity: EntityDef, name: str) -> DataverseError:
    return DataverseError(400, "0x80060888",
                          f"The property '{name}' does not exist on type 'Microsoft.Dynamics.CRM.{entity.name}'. Make "
                          f"sure to only use property names that are defined by the type or mark the type as open type.")


def decode_body(ctx: WriteContext, body: dict, creating: bool) -> dict:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    values = {}
    for name, value in body.items():
        if name.endswith("@odata.bind"):
            values.update(_bind(ctx, name[: -len("@odata.bind")], value))
        elif "@" not in name:
            values.update(_attribute_value(ctx, name, value, creating))
    return values


def _attribute_value(ctx: WriteContext, name: str, value, creating: bool) -> dict:
    entity = ctx.entity
    attribute = entity.attribute(name)
    if attribute is None or attribute.is_lookup:
        raise unknown_attribute(entity, name)
    if not (attribute.create if creating else attribute.update):
        operation = "create" if creating else "update"
        raise DataverseError(400, INVALID_ARGUMENT,
                             f"The attribute '{name}' of entity '{entity.name}' is not valid for {operation} "
                             f"(IsValidFor{operation.capitalize()} is false).")
    if value is None and attribute.required == "SystemRequired":
        raise _required_missing(entity, name)
    return {name: to_storage(entity, attribute, value)}


def _required_missing(entity: EntityDef, name: str) -> DataverseError:
    return DataverseError(400, INVALID_ARGUMENT,
                          f"The attribute '{name}' of entity '{entity.name}' is required (SystemRequired) but no value "
                          f"was provided.")


def _bind(ctx: WriteContext, navigation: str, reference) -> dict:
    entity = ctx.entity
    if navigation not in entity.navigation:
        raise unknown_attribute(entity, navigation)
    attribute, target_name = entity.navigation[navigation]
    if reference is None:
        return {attribute: None, attribute + "__target": None}
    match = _BIND_TARGET.match(str(reference))
    target = ctx.store.entities.get(target_name)
    if not match or target is None or match.group(1) != target.set_name:
        raise bad_request(f"The @odata.bind value '{reference}' for '{navigation}' must reference {target_name} records.")
    row = find(ctx.store, target, parse_key(match.group(2)))
    return {attribute: row[target.primary_id], attribute + "__target": target_name}


def find(store: Store, entity: EntityDef, key) -> dict:
    """A row by GUID or alternate key; a 404 error in Dataverse's words when missing."""
    row = lookup(store, entity, key)
    if row is None:
        raise not_found(entity.name, key) if isinstance(key, str) else key_not_found(entity.name)
    return row


def lookup(store: Store, entity: EntityDef, key) -> dict | None:
    if isinstance(key, str):
        return store.get(entity, key)
    _check_alternate_key(entity, key)
    return store.find_by_key(entity, {name: value for name, value in key.items()})


def _check_alternate_key(entity: EntityDef, key: dict) -> None:
    if tuple(sorted(key)) not in {tuple(sorted(attributes)) for attributes in entity.keys.values()}:
        raise bad_request(f"The key attributes {', '.join(key)} are not defined as an alternate key for entity "
                          f"'{entity.name}'.")


def _check_required(entity: EntityDef, values: dict) -> None:
    for attribute in entity.attributes:
        if attribute.required == "SystemRequired" and attribute.create and not attribute.primary_id \
                and attribute.name not in ("ownerid", "statuscode") and values.get(attribute.name) is None:
            raise _required_missing(entity, attribute.name)


def _check_unique_keys(ctx: WriteContext, values: dict, own_id: str | None = None) -> None:
    for attributes in ctx.entity.keys.values():
        key = {name: values.get(name) for name in attributes}
        if all(value is not None for value in key.values()):
            row = ctx.store.find_by_key(ctx.entity, key)
            if row and row[ctx.entity.primary_id] != own_id:
                raise DataverseError(412, DUPLICATE_RECORD, "A record with matching key values already exists.")


# --- operations ---------------------------------------------------------------
def create(ctx: WriteContext, body: dict, key=None):
    values = decode_body(ctx, body, creating=True)
    values.update(_key_values(ctx.entity, key))
    if ctx.entity.primary_id in values and ctx.store.get(ctx.entity, values[ctx.entity.primary_id]):
        raise DataverseError(412, DUPLICATE_RECORD, "A record with matching key values already exists.")
    _check_required(ctx.entity, values)
    with ctx.store.lock:
        _check_unique_keys(ctx, values)
        row = ctx.store.insert(ctx.entity, values)
    return _written(ctx, row, created=True)


def _key_values(entity: EntityDef, key) -> dict:
    if key is None:
        return {}
    if isinstance(key, str):
        return {entity.primary_id: key}
    return {name: to_storage(entity, entity.attribute(name), value) for name, value in key.items()}


def upsert(ctx: WriteContext, key, body: dict):
    """PATCH: update when the row exists, create it otherwise, unless If-Match /
    If-None-Match says which one is wanted."""
    if_match, if_none_match = ctx.headers.get("If-Match"), ctx.headers.get("If-None-Match")
    with ctx.store.lock:
        row = lookup(ctx.store, ctx.entity, key)
        if row is None:
            if if_match:
                raise not_found(ctx.entity.name, key) if isinstance(key, str) else key_not_found(ctx.entity.name)
            return create(ctx, body, key)
        if if_none_match == "*":
            raise DataverseError(412, DUPLICATE_RECORD, "A record with matching key values already exists.")
        if if_match and if_match != "*" and if_match != etag(row):
            raise DataverseError(412, CONCURRENCY_VERSION_MISMATCH,
                                 "The version of the existing record doesn't match the RowVersion property provided.")
        values = decode_body(ctx, body, creating=False)
        _check_unique_keys(ctx, {**row, **values}, row[ctx.entity.primary_id])
        row = ctx.store.update(ctx.entity, row[ctx.entity.primary_id], values)
    return _written(ctx, row, created=False)


def delete(ctx: WriteContext, key):
    with ctx.store.lock:
        row = find(ctx.store, ctx.entity, key)
        ctx.store.delete(ctx.entity, row[ctx.entity.primary_id])
    return empty_response(204)


def _written(ctx: WriteContext, row: dict, created: bool):
    record_url = ctx.entity_id_url(row[ctx.entity.primary_id])
    headers = {"OData-EntityId": record_url, "Location": record_url}
    if not ctx.prefer.return_representation:
        return empty_response(204, headers)
    selected = parse_select(ctx.entity, ctx.args.get("$select"))
    body = render_row(ctx.entity, row, selected, ctx.prefer.annotations)
    body = {"@odata.context": context_url(ctx.base, ctx.entity, ctx.args.get("$select"), "/$entity"), **body}
    headers["Preference-Applied"] = "return=representation"
    return json_response(body, 201 if created else 200, headers)
