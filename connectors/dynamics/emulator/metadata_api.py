"""The metadata endpoints: EntityDefinitions (with $select, $filter, $expand of
Attributes, Keys and ManyToOneRelationships), one entity by LogicalName, its
Attributes and their type casts with OptionSet/GlobalOptionSet, and
GlobalOptionSetDefinitions."""

from __future__ import annotations

import re

from .errors import DataverseError, bad_request
from .metadata import metadata_id
from .metadata_json import ATTRIBUTE_CLASSES, attribute_json, entity_json, keys_json, many_to_one_json, option_sets_json
from .odata_parser import evaluate, parse_filter
from .protocol import json_response, parse_expand

_ENTITY = re.compile(r"^EntityDefinitions(?:\((?:LogicalName='(?P<name>[^']*)'|(?P<id>[0-9a-fA-F-]{36}))\))?$")
_ATTRIBUTES = re.compile(r"^Attributes(?:\(LogicalName='(?P<name>[^']*)'\))?$")
_CAST = re.compile(r"^Microsoft\.Dynamics\.CRM\.(?P<cast>\w+AttributeMetadata)$")
_OPTION_SET = re.compile(r"^GlobalOptionSetDefinitions(?:\(Name='(?P<name>[^']*)'\))?$")
NAVIGATION = ("Attributes", "Keys", "ManyToOneRelationships", "OneToManyRelationships")


class MetadataApi:
    def __init__(self, entities: dict, global_option_sets: dict):
        self.entities = entities
        self.global_option_sets = global_option_sets

    def handle(self, base: str, segments: list[str], args: dict):
        if _OPTION_SET.match(segments[0]):
            return self._option_sets(base, _OPTION_SET.match(segments[0]).group("name"), args)
        match = _ENTITY.match(segments[0])
        if not match:
            raise DataverseError(404, "0x80060888", f"Resource not found for the segment '{segments[0]}'.")
        if not match.group("name") and not match.group("id"):
            return self._entity_collection(base, args)
        entity = self._entity(match.group("name"), match.group("id"))
        if len(segments) == 1:
            body = self._entity_body(entity, args)
            return json_response({"@odata.context": f"{base}/$metadata#EntityDefinitions/$entity", **body})
        return self._entity_child(base, entity, segments[1:], args)

    def _entity(self, name: str | None, metadata: str | None):
        for entity in self.entities.values():
            if entity.name == name or metadata_id(entity.name) == (metadata or "").lower():
                return entity
        raise DataverseError(404, "0x80040217",
                             f"Could not find entity with logical name = '{name or metadata}'.")

    def _entity_collection(self, base: str, args: dict):
        bodies = [self._entity_body(entity, args, apply_select=False) for entity in self.entities.values()]
        if args.get("$filter"):
            tree = parse_filter(args["$filter"])
            bodies = [body for body in bodies if evaluate(tree, body)]
        bodies = [_select(body, args.get("$select"), keep=tuple(parse_expand(args.get("$expand", "")))) for body in bodies]
        return json_response({"@odata.context": f"{base}/$metadata#EntityDefinitions", "value": bodies})

    def _entity_body(self, entity, args: dict, apply_select: bool = True) -> dict:
        body = entity_json(entity)
        expand = parse_expand(args.get("$expand", ""))
        for navigation, options in expand.items():
            body[navigation] = self._navigation(entity, navigation, options)
        return _select(body, args.get("$select"), keep=tuple(expand)) if apply_select else body

    def _navigation(self, entity, navigation: str, options: dict) -> list[dict]:
        if navigation == "Attributes":
            items = [attribute_json(entity, attribute, i) for i, attribute in enumerate(entity.attributes)]
        elif navigation == "Keys":
            items = keys_json(entity)
        elif navigation == "ManyToOneRelationships":
            items = many_to_one_json(entity, self.entities)
        elif navigation == "OneToManyRelationships":
            items = [rel for other in self.entities.values() for rel in many_to_one_json(other, self.entities)
                     if rel["ReferencedEntity"] == entity.name]
        else:
            raise bad_request(f"Could not find a property named '{navigation}' on type 'Microsoft.Dynamics.CRM.EntityMetadata'.")
        if options.get("$filter"):
            tree = parse_filter(options["$filter"])
            items = [item for item in items if evaluate(tree, item)]
        return [_select(item, options.get("$select"), strict=False) for item in items]

    def _entity_child(self, base: str, entity, segments: list[str], args: dict):
        match = _ATTRIBUTES.match(segments[0])
        if segments[0] in ("Keys", "ManyToOneRelationships", "OneToManyRelationships"):
            items = self._navigation(entity, segments[0], args)
            return json_response({"@odata.context": f"{base}/$metadata#EntityDefinitions('{entity.name}')/{segments[0]}",
                                  "value": items})
        if not match:
            raise DataverseError(404, "0x80060888", f"Resource not found for the segment '{segments[0]}'.")
        attributes = list(enumerate(entity.attributes))
        if match.group("name"):
            attributes = [(i, a) for i, a in attributes if a.name == match.group("name")]
            if not attributes:
                raise DataverseError(404, "0x80040217", f"Could not find attribute '{match.group('name')}' of entity '{entity.name}'.")
        cast = _CAST.match(segments[1]).group("cast") if len(segments) > 1 and _CAST.match(segments[1]) else None
        if cast:
            attributes = [(i, a) for i, a in attributes if ATTRIBUTE_CLASSES[a.type] == cast]
        items = [self._attribute_body(entity, attribute, i, args) for i, attribute in attributes]
        context = f"{base}/$metadata#EntityDefinitions('{entity.name}')/Attributes" + (f"/Microsoft.Dynamics.CRM.{cast}" if cast else "")
        if match.group("name"):
            if len(segments) > 1 and not items:
                raise bad_request(f"The attribute '{match.group('name')}' is not of type {segments[1]}.")
            return json_response({"@odata.context": context + "/$entity", **items[0]})
        if args.get("$filter"):
            tree = parse_filter(args["$filter"])
            items = [item for item in items if evaluate(tree, item)]
        return json_response({"@odata.context": context, "value": items})

    def _attribute_body(self, entity, attribute, position: int, args: dict) -> dict:
        body = attribute_json(entity, attribute, position)
        expand = parse_expand(args.get("$expand", ""))
        if expand and attribute.option_set is None:
            raise bad_request(f"Could not find a property named '{next(iter(expand))}' on type '{body['@odata.type'][1:]}'.")
        navigation = option_sets_json(attribute) if expand else {}
        for name, options in expand.items():
            if name not in navigation:
                raise bad_request(f"Could not find a property named '{name}' on type '{body['@odata.type'][1:]}'.")
            value = navigation[name]
            body[name] = _select(value, options.get("$select")) if value else None
        return _select(body, args.get("$select"), keep=tuple(expand))

    def _option_sets(self, base: str, name: str | None, args: dict):
        if name is None:
            items = [option_set.as_json() for option_set in self.global_option_sets.values()]
            return json_response({"@odata.context": f"{base}/$metadata#GlobalOptionSetDefinitions",
                                  "value": [_select(item, args.get("$select")) for item in items]})
        option_set = self.global_option_sets.get(name)
        if option_set is None:
            raise DataverseError(404, "0x80040217", f"Could not find optionset with name = '{name}'.")
        return json_response({"@odata.context": f"{base}/$metadata#GlobalOptionSetDefinitions/$entity",
                              **_select(option_set.as_json(), args.get("$select"))})


def _select(body: dict, select: str | None, keep: tuple = (), strict: bool = True) -> dict:
    """Keep the $select'ed properties (plus MetadataId, @odata.type and expansions)."""
    if not select:
        return body
    wanted = {name.strip() for name in select.split(",")}
    unknown = wanted - set(body)
    if unknown and strict:
        raise bad_request(f"Could not find a property named '{sorted(unknown)[0]}' on type "
                          f"'{body.get('@odata.type', '#Microsoft.Dynamics.CRM.MetadataBase')[1:]}'.")
    return {key: value for key, value in body.items()
            if key in wanted or key in keep or key in ("MetadataId", "@odata.type")}
