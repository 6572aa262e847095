"""Describe payloads in Salesforce's JSON shape: describeGlobal entries, sObject
describes (fields, picklists with validFor bitmaps, child relationships)."""

from __future__ import annotations

import base64

from .schema import FieldDef, ObjectDef, PicklistValue, Schema


def object_urls(obj: ObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def global_entry(obj: ObjectDef, version: str) -> dict:
    """One describeGlobal `sobjects` entry."""
    return {
        "activateable": False, "createable": True, "custom": obj.custom, "customSetting": False,
        "deletable": True, "deprecatedAndHidden": False, "feedEnabled": False, "hasSubtypes": False,
        "isSubtype": False, "keyPrefix": obj.key_prefix, "label": obj.label, "labelPlural": obj.label_plural,
        "layoutable": True, "mergeable": False, "mruEnabled": True, "name": obj.name, "queryable": True,
        "replicateable": True, "retrieveable": True, "searchable": True, "triggerable": True,
        "undeletable": True, "updateable": True, "urls": object_urls(obj, version),
    }


def describe_global(schema: Schema, version: str) -> dict:
    return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [global_entry(o, version) for o in schema]}


def describe_object(schema: Schema, obj: ObjectDef, version: str) -> dict:
    """The full `/sobjects/{name}/describe` body."""
    body = global_entry(obj, version)
    body.update(
        {
            "childRelationships": [child_relationship(child, f) for child, f in schema.children_of(obj.name)],
            "fields": [describe_field(obj, f) for f in obj.fields],
            "recordTypeInfos": [master_record_type(obj, version)],
            "supportedScopes": [{"label": "All records", "name": "everything"}],
            "urls": {**object_urls(obj, version), "layouts": f"/services/data/v{version}/sobjects/{obj.name}/describe/layouts"},
        }
    )
    return body


def describe_field(obj: ObjectDef, f: FieldDef) -> dict:
    return {
        "aggregatable": f.type not in ("textarea", "multipicklist"),
        "autoNumber": False, "byteLength": f.length * 3, "calculated": f.calculated,
        "calculatedFormula": None, "cascadeDelete": False, "caseSensitive": False,
        "controllerName": f.controller, "createable": f.createable, "custom": f.custom,
        "defaultValue": None, "defaultedOnCreate": f.defaulted_on_create, "dependentPicklist": f.controller is not None,
        "deprecatedAndHidden": False, "digits": f.digits, "externalId": f.external_id,
        "filterable": f.type != "textarea" or f.length <= 255, "groupable": f.type not in ("double", "currency", "percent", "textarea"),
        "htmlFormatted": False, "idLookup": f.name == "Id" or f.external_id, "inlineHelpText": None,
        "label": f.label, "length": f.length, "name": f.name, "nameField": f.name_field,
        "nillable": f.nillable, "permissionable": f.custom or f.nillable, "picklistValues": picklist_entries(obj, f),
        "precision": f.precision, "referenceTo": list(f.reference_to), "relationshipName": f.relationship_name,
        "restrictedPicklist": f.restricted, "scale": f.scale, "soapType": f.soap_type, "sortable": f.type != "textarea",
        "type": f.type, "unique": f.unique, "updateable": f.updateable,
    }


def picklist_entries(obj: ObjectDef, f: FieldDef) -> list[dict]:
    controller = obj.field(f.controller) if f.controller else None
    return [picklist_entry(entry, controller) for entry in f.picklist]


def picklist_entry(entry: PicklistValue, controller: FieldDef | None) -> dict:
    return {
        "active": entry.active, "defaultValue": entry.default, "label": entry.label or entry.value,
        "validFor": valid_for_bitmap(entry, controller), "value": entry.value,
    }


def controlling_values(controller: FieldDef) -> list[str]:
    """A boolean controller's values are false then true; a picklist's are its
    entries in order (inactive ones included, as Salesforce indexes them)."""
    if controller.type == "boolean":
        return ["false", "true"]
    return [entry.value for entry in controller.picklist]


def valid_for_bitmap(entry: PicklistValue, controller: FieldDef | None) -> str | None:
    """Base64 of a bitmap with bit i (most significant first) set when the entry is
    valid for the controller's i-th value, as Salesforce encodes `validFor`."""
    if controller is None:
        return None
    values = controlling_values(controller)
    bitmap = bytearray((len(values) + 7) // 8 or 1)
    for index, value in enumerate(values):
        if value in entry.valid_for:
            bitmap[index // 8] |= 0x80 >> (index % 8)
    return base64.b64encode(bytes(bitmap)).decode()


def child_relationship(child: ObjectDef, f: FieldDef) -> dict:
    name = f"{child.name.removesuffix('__c')}s__r" if child.custom else child.label_plural.replace(" ", "")
    return {
        "cascadeDelete": False, "childSObject": child.name, "deprecatedAndHidden": False, "field": f.name,
        "junctionIdListNames": [], "junctionReferenceTo": [], "relationshipName": name, "restrictedDelete": False,
    }


def master_record_type(obj: ObjectDef, version: str) -> dict:
    return {
        "active": True, "available": True, "defaultRecordTypeMapping": True, "developerName": "Master",
        "master": True, "name": "Master", "recordTypeId": "012000000000000AAA",
        "urls": {"layout": f"/services/data/v{version}/sobjects/{obj.name}/describe/layouts/012000000000000AAA"},
    }
