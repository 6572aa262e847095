"""Entity metadata as the connector needs it, read in one call per entity
(EntityDefinitions with Attributes, Keys and ManyToOneRelationships expanded),
and the option sets of several entities in one $batch of type-cast queries."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

from connectors.errors import InvalidRequest
from connectors.types import Enumeration, EnumerationValue, TableDescription

from . import batch_format
from .client import DataverseClient, error_for
from .types import all_labels, describe_attribute, is_mappable, user_label

ENTITY_SELECT = ("LogicalName,SchemaName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,IsCustomEntity,"
                 "ChangeTrackingEnabled,DisplayName")
ENTITY_EXPAND = ("Attributes,Keys($select=LogicalName,KeyAttributes),"
                 "ManyToOneRelationships($select=ReferencingAttribute,ReferencedEntity,"
                 "ReferencingEntityNavigationPropertyName)")
OPTION_CASTS = ("PicklistAttributeMetadata", "MultiSelectPicklistAttributeMetadata", "StateAttributeMetadata",
                "StatusAttributeMetadata", "BooleanAttributeMetadata")
MODIFIED_ON = "modifiedon"


@dataclass
class EntityInfo:
    name: str
    set_name: str
    label: str
    custom: bool
    primary_id: str
    change_tracking: bool
    attributes: dict[str, dict]  # logical name -> AttributeMetadata JSON
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    navigation: dict[tuple[str, str], str] = field(default_factory=dict)  # (attribute, target) -> nav property

    def attribute(self, name: str) -> dict:
        if name not in self.attributes:
            raise InvalidRequest(f"the Dynamics 365 entity {self.name!r} has no attribute {name!r}")
        return self.attributes[name]

    @property
    def key_attributes(self) -> set[str]:
        return {name for names in self.keys.values() for name in names}

    @property
    def has_modified_on(self) -> bool:
        return MODIFIED_ON in self.attributes

    def describe(self) -> TableDescription:
        fields = tuple(describe_attribute(self.name, attribute, self.primary_id, self.key_attributes)
                       for attribute in self.attributes.values() if is_mappable(attribute))
        return TableDescription(name=self.name, label=self.label, fields=fields, custom=self.custom,
                                id_field=self.primary_id, modstamp_field=MODIFIED_ON if self.has_modified_on else None,
                                tracks_changes=self.change_tracking)


def entity_url(client: DataverseClient, name: str) -> str:
    return f"{client.api_url}/EntityDefinitions(LogicalName='{urllib.parse.quote(name, safe='')}')"


def fetch_entity(client: DataverseClient, name: str) -> EntityInfo:
    body = client.get_json(entity_url(client, name), params={"$select": ENTITY_SELECT, "$expand": ENTITY_EXPAND})
    return _entity_info(body, name)


def fetch_entities(client: DataverseClient, names: list[str],
                   with_set_names: bool = False) -> tuple[dict[str, EntityInfo], dict[str, str] | None]:
    """Several entities' metadata from $batch calls of up to BATCH_GETS queries each;
    with `with_set_names`, the entity set names of all entities too, in the first."""
    query = urllib.parse.urlencode({"$select": ENTITY_SELECT, "$expand": ENTITY_EXPAND}, quote_via=urllib.parse.quote)
    listing = [f"{client.api_url}/EntityDefinitions?" + urllib.parse.urlencode(LISTING, quote_via=urllib.parse.quote)]
    found, set_names = {}, None
    for start in range(0, max(len(names), 1), BATCH_GETS):
        chunk = names[start:start + BATCH_GETS]
        urls = [f"{entity_url(client, name)}?{query}" for name in chunk] + (listing if with_set_names else [])
        operations = [batch_format.Operation("GET", url, headers={"Accept": "application/json"}) for url in urls]
        answers = [_checked(answer) for _, answer in client.batch(operations, atomic=False, idempotent=True)]
        found.update((name, _entity_info(body, name)) for name, body in zip(chunk, answers))
        if with_set_names:
            set_names, with_set_names = set_names_of(answers[-1].get("value", [])), False
    return found, set_names


# The entity listing: names, labels and the entity set names lookups bind to.
LISTING = {"$select": "LogicalName,EntitySetName,DisplayName,IsCustomEntity,ChangeTrackingEnabled",
           "$filter": "IsValidForAdvancedFind eq true"}


def set_names_of(items: list[dict]) -> dict[str, str]:
    return {item["LogicalName"]: item["EntitySetName"] for item in items if item.get("EntitySetName")}


def _checked(answer: batch_format.OperationResult) -> dict:
    if answer.status >= 400:
        raise error_for(_AsResponse(answer))
    return answer.json()


def _entity_info(body: dict, name: str) -> EntityInfo:
    return EntityInfo(
        name=body["LogicalName"], set_name=body["EntitySetName"], label=user_label(body.get("DisplayName")) or name,
        custom=bool(body.get("IsCustomEntity")), primary_id=body["PrimaryIdAttribute"],
        change_tracking=bool(body.get("ChangeTrackingEnabled")),
        attributes={attribute["LogicalName"]: attribute for attribute in body.get("Attributes") or ()},
        keys={key["LogicalName"]: tuple(key["KeyAttributes"]) for key in body.get("Keys") or ()},
        navigation={(rel["ReferencingAttribute"], rel["ReferencedEntity"]): rel["ReferencingEntityNavigationPropertyName"]
                    for rel in body.get("ManyToOneRelationships") or ()},
    )


BATCH_GETS = 1000  # operations per $batch, Dataverse's limit


def fetch_enumerations(client: DataverseClient, entities: list[EntityInfo]) -> list[Enumeration]:
    """Every option set of these entities, from one $batch of type-cast queries."""
    operations = [batch_format.Operation("GET", _cast_url(client, entity, cast), headers={"Accept": "application/json"})
                  for entity in entities for cast in OPTION_CASTS]
    if not operations:
        return []
    answers = client.batch(operations, atomic=False, idempotent=True)
    enumerations = []
    for (entity, cast), (_, answer) in zip(((e, c) for e in entities for c in OPTION_CASTS), answers):
        if answer.status >= 400:
            raise error_for(_AsResponse(answer))
        enumerations += [_enumeration(entity, cast, item) for item in answer.json().get("value", ())]
    return enumerations


def _cast_url(client: DataverseClient, entity: EntityInfo, cast: str) -> str:
    expand = "OptionSet,GlobalOptionSet" if cast in OPTION_CASTS[:2] else "OptionSet"
    return f"{entity_url(client, entity.name)}/Attributes/Microsoft.Dynamics.CRM.{cast}?$select=LogicalName&$expand={expand}"


def _enumeration(entity: EntityInfo, cast: str, item: dict) -> Enumeration:
    option_set = item.get("GlobalOptionSet") or item.get("OptionSet") or {}
    is_status = cast == "StatusAttributeMetadata"
    values = tuple(EnumerationValue(value=str(option["Value"]), label=user_label(option.get("Label")),
                                    labels=all_labels(option.get("Label")),
                                    valid_for=(str(option["State"]),) if is_status and "State" in option else ())
                   for option in _options(option_set))
    return Enumeration(key=f"{entity.name}.{item['LogicalName']}", label=user_label(option_set.get("DisplayName")),
                       values=values, multi_select=cast == "MultiSelectPicklistAttributeMetadata",
                       global_name=option_set.get("Name") if option_set.get("IsGlobal") else None,
                       controlling_field="statecode" if is_status else None, restricted=True)


def _options(option_set: dict) -> list[dict]:
    """A two-option Boolean's set has FalseOption and TrueOption instead of Options."""
    if "Options" in option_set:
        return option_set.get("Options") or []
    return [option_set[name] for name in ("FalseOption", "TrueOption") if option_set.get(name)]


class _AsResponse:
    """Lets error_for read a $batch operation's answer like a requests.Response."""

    def __init__(self, answer: batch_format.OperationResult):
        self.status_code, self.headers, self.reason = answer.status, answer.headers, ""
        self._answer = answer

    def json(self) -> dict:
        return self._answer.json()
