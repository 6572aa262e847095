"""Render stored rows as Web API entity JSON: @odata.etag, selected attributes
(lookups as _x_value), the primary id, and formatted-value / lookup annotations
when the client asks for them with Prefer: odata.include-annotations."""

from __future__ import annotations

from .errors import unknown_property
from .metadata import AttributeDef, EntityDef
from .values import formatted, to_json

FORMATTED = "@OData.Community.Display.V1.FormattedValue"


def parse_select(entity: EntityDef, text: str | None) -> list[AttributeDef]:
    """The attributes named by $select (all of them when absent)."""
    if not text:
        return list(entity.attributes)
    selected = []
    for name in (part.strip() for part in text.split(",") if part.strip()):
        attribute = entity.by_wire_name.get(name)
        if attribute is None:
            raise unknown_property(entity.name, name)
        selected.append(attribute)
    return selected


def etag(row: dict) -> str:
    return f'W/"{row["versionnumber"]}"'


def render_row(entity: EntityDef, row: dict, selected: list[AttributeDef], annotations: bool, names=None) -> dict:
    body = {"@odata.etag": etag(row)}
    for attribute in selected:
        stored = row.get(attribute.name)
        if annotations and stored is not None:
            body.update(_annotations(entity, attribute, row, names))
        body[attribute.wire_name] = to_json(attribute, stored)
    body[entity.primary_id] = row[entity.primary_id]
    return body


def _annotations(entity: EntityDef, attribute: AttributeDef, row: dict, names) -> dict:
    wire = attribute.wire_name
    if attribute.is_lookup:
        target = row.get(attribute.name + "__target") or attribute.targets[0]
        navigation = next((nav for nav, (attr, tgt) in entity.navigation.items()
                           if attr == attribute.name and tgt == target), attribute.name)
        label = names(target, row[attribute.name]) if names else None
        return {f"{wire}{FORMATTED}": label, f"{wire}@Microsoft.Dynamics.CRM.associatednavigationproperty": navigation,
                f"{wire}@Microsoft.Dynamics.CRM.lookuplogicalname": target}
    text = formatted(attribute, row[attribute.name])
    return {f"{wire}{FORMATTED}": text} if text is not None else {}


def context_url(base: str, entity: EntityDef, selected_text: str | None, suffix: str = "") -> str:
    projection = f"({selected_text})" if selected_text else ""
    return f"{base}/$metadata#{entity.set_name}{projection}{suffix}"
