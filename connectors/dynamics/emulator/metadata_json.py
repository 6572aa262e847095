"""Render the schema as Dataverse metadata JSON: EntityMetadata, the
AttributeMetadata subtypes, EntityKeyMetadata and relationship metadata."""

from __future__ import annotations

from .metadata import AttributeDef, EntityDef, label_json, metadata_id

ATTRIBUTE_CLASSES = {
    "String": "StringAttributeMetadata", "Memo": "MemoAttributeMetadata", "Integer": "IntegerAttributeMetadata",
    "BigInt": "BigIntAttributeMetadata", "Decimal": "DecimalAttributeMetadata", "Double": "DoubleAttributeMetadata",
    "Money": "MoneyAttributeMetadata", "DateTime": "DateTimeAttributeMetadata", "Boolean": "BooleanAttributeMetadata",
    "Picklist": "PicklistAttributeMetadata", "State": "StateAttributeMetadata", "Status": "StatusAttributeMetadata",
    "Lookup": "LookupAttributeMetadata", "Customer": "LookupAttributeMetadata", "Owner": "LookupAttributeMetadata",
    "Uniqueidentifier": "UniqueIdentifierAttributeMetadata",
    "MultiSelectPicklist": "MultiSelectPicklistAttributeMetadata",
}
_TYPE_NAMES = {"MultiSelectPicklist": "MultiSelectPicklistType"}


def entity_json(entity: EntityDef) -> dict:
    return {
        "@odata.type": "#Microsoft.Dynamics.CRM.EntityMetadata", "MetadataId": metadata_id(entity.name),
        "LogicalName": entity.name, "SchemaName": entity.schema_name, "EntitySetName": entity.set_name,
        "LogicalCollectionName": entity.set_name, "CollectionSchemaName": entity.schema_name + "s",
        "PrimaryIdAttribute": entity.primary_id, "PrimaryNameAttribute": entity.primary_name,
        "ObjectTypeCode": entity.object_type_code, "IsCustomEntity": entity.custom,
        "ChangeTrackingEnabled": entity.change_tracking,
        "CanChangeTrackingBeEnabled": {"Value": True, "CanBeChanged": True,
                                       "ManagedPropertyLogicalName": "canchangetrackingbeenabled"},
        "IsActivity": False, "IsIntersect": False, "IsValidForAdvancedFind": True,
        "IsOptimisticConcurrencyEnabled": True, "IsManaged": not entity.custom,
        "OwnershipType": "BusinessOwned" if entity.name == "systemuser" else "UserOwned",
        "DisplayName": label_json(entity.labels), "DisplayCollectionName": label_json(entity.collection_labels),
        "Description": label_json({}),
    }


def attribute_json(entity: EntityDef, attribute: AttributeDef, position: int = 0) -> dict:
    body = {
        "@odata.type": "#Microsoft.Dynamics.CRM." + ATTRIBUTE_CLASSES[attribute.type],
        "MetadataId": metadata_id(entity.name, attribute.name), "LogicalName": attribute.name,
        "SchemaName": attribute.schema_name or attribute.name.capitalize(), "EntityLogicalName": entity.name,
        "AttributeType": "Virtual" if attribute.type == "MultiSelectPicklist" else attribute.type,
        "AttributeTypeName": {"Value": _TYPE_NAMES.get(attribute.type, attribute.type + "Type")},
        "DisplayName": label_json(attribute.labels), "Description": label_json({}),
        "RequiredLevel": {"Value": attribute.required, "CanBeChanged": not attribute.primary_id,
                          "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"},
        "IsValidForCreate": attribute.create, "IsValidForUpdate": attribute.update, "IsValidForRead": True,
        "IsPrimaryId": attribute.primary_id, "IsPrimaryName": attribute.primary_name,
        "IsCustomAttribute": attribute.custom, "IsLogical": False, "AttributeOf": None, "ColumnNumber": position + 1,
        "IsValidForAdvancedFind": {"Value": True, "CanBeChanged": False, "ManagedPropertyLogicalName": "canmodifysearchsettings"},
    }
    body.update(_type_specific(attribute))
    return body


def _type_specific(attribute: AttributeDef) -> dict:
    kind = attribute.type
    if kind in ("String", "Memo"):
        return {"MaxLength": attribute.max_length, "DatabaseLength": (attribute.max_length or 0) * 2,
                "Format": attribute.format, "FormatName": {"Value": attribute.format}}
    if kind in ("Money", "Decimal", "Double"):
        extra = {"PrecisionSource": 2} if kind == "Money" else {}
        return {"Precision": attribute.precision, "MinValue": attribute.min_value, "MaxValue": attribute.max_value, **extra}
    if kind in ("Integer", "BigInt"):
        low, high = (-2147483648, 2147483647) if kind == "Integer" else (-9223372036854775808, 9223372036854775807)
        return {"MinValue": attribute.min_value if attribute.min_value is not None else low,
                "MaxValue": attribute.max_value if attribute.max_value is not None else high,
                **({"Format": "None"} if kind == "Integer" else {})}
    if kind == "DateTime":
        behavior = "DateOnly" if attribute.format == "DateOnly" else "UserLocal"
        return {"Format": attribute.format, "DateTimeBehavior": {"Value": behavior}}
    if attribute.is_lookup:
        return {"Targets": list(attribute.targets), "Format": "None"}
    if kind in ("Picklist", "MultiSelectPicklist", "State", "Status", "Boolean"):
        return {"DefaultFormValue": -1 if kind != "Boolean" else 0}
    return {}


def option_sets_json(attribute: AttributeDef) -> dict:
    """The navigation properties an $expand=OptionSet,GlobalOptionSet adds."""
    option_set = attribute.option_set
    return {"OptionSet": option_set.as_json(), "GlobalOptionSet": option_set.as_json() if option_set.is_global else None}


def keys_json(entity: EntityDef) -> list[dict]:
    return [{"MetadataId": metadata_id(entity.name, "key", name), "LogicalName": name, "SchemaName": name,
             "KeyAttributes": list(attributes), "EntityLogicalName": entity.name, "EntityKeyIndexStatus": "Active",
             "DisplayName": label_json({1033: name})}
            for name, attributes in entity.keys.items()]


def many_to_one_json(entity: EntityDef, entities: dict[str, EntityDef]) -> list[dict]:
    return [{"MetadataId": metadata_id(entity.name, "rel", navigation),
             "SchemaName": f"{entity.name}_{navigation}", "RelationshipType": "OneToManyRelationship",
             "ReferencedEntity": target, "ReferencedAttribute": entities[target].primary_id if target in entities else f"{target}id",
             "ReferencingEntity": entity.name, "ReferencingAttribute": attribute,
             "ReferencingEntityNavigationPropertyName": navigation,
             "ReferencedEntityNavigationPropertyName": f"{entity.name}_{navigation}"}
            for navigation, (attribute, target) in entity.navigation.items()]
