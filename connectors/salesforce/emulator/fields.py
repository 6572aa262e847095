"""Short constructors for field definitions, so the demo org reads like a table."""

from __future__ import annotations

from .schema import FieldDef, PicklistValue


def text(name: str, label: str, length: int = 255, **kw) -> FieldDef:
    return FieldDef(name, label, kw.pop("type", "string"), length=length, custom=name.endswith("__c"), **kw)


def email(name: str, label: str, **kw) -> FieldDef:
    return text(name, label, 80, type="email", **kw)


def phone(name: str, label: str, **kw) -> FieldDef:
    return text(name, label, 40, type="phone", **kw)


def url(name: str, label: str, **kw) -> FieldDef:
    return text(name, label, 255, type="url", **kw)


def long_text(name: str, label: str, length: int = 32000, **kw) -> FieldDef:
    return text(name, label, length, type="textarea", **kw)


def number(name: str, label: str, type: str = "double", precision: int = 18, scale: int = 0, **kw) -> FieldDef:
    return FieldDef(name, label, type, precision=precision, scale=scale, custom=name.endswith("__c"), **kw)


def integer(name: str, label: str, **kw) -> FieldDef:
    return FieldDef(name, label, "int", digits=9, custom=name.endswith("__c"), **kw)


def boolean(name: str, label: str, **kw) -> FieldDef:
    return FieldDef(name, label, "boolean", nillable=False, defaulted_on_create=True, custom=name.endswith("__c"), **kw)


def date(name: str, label: str, **kw) -> FieldDef:
    return FieldDef(name, label, "date", custom=name.endswith("__c"), **kw)


def datetime_(name: str, label: str, **kw) -> FieldDef:
    return FieldDef(name, label, "datetime", custom=name.endswith("__c"), **kw)


def values(*entries) -> tuple[PicklistValue, ...]:
    """Picklist entries from strings, (value, label) pairs or PicklistValue objects."""
    result = []
    for entry in entries:
        if isinstance(entry, PicklistValue):
            result.append(entry)
        elif isinstance(entry, tuple):
            result.append(PicklistValue(entry[0], entry[1]))
        else:
            result.append(PicklistValue(entry, entry))
    return tuple(result)


def picklist(name: str, label: str, entries, **kw) -> FieldDef:
    kind, length = kw.pop("type", "picklist"), kw.pop("length", 255)
    return FieldDef(name, label, kind, length=length, picklist=values(*entries), custom=name.endswith("__c"), **kw)


def multipicklist(name: str, label: str, entries, **kw) -> FieldDef:
    return picklist(name, label, entries, type="multipicklist", length=4099, **kw)


def reference(name: str, label: str, target: str, relationship: str, **kw) -> FieldDef:
    return FieldDef(
        name, label, "reference", length=18, reference_to=(target,), relationship_name=relationship,
        custom=name.endswith("__c"), **kw,
    )


def system_fields() -> list[FieldDef]:
    """The fields every sObject has, read-only except the owner."""
    read_only = dict(createable=False, updateable=False)
    return [
        FieldDef("Id", "Record ID", "id", length=18, nillable=False, defaulted_on_create=True, **read_only),
        FieldDef("IsDeleted", "Deleted", "boolean", nillable=False, defaulted_on_create=True, **read_only),
        reference("OwnerId", "Owner ID", "User", "Owner", nillable=False, defaulted_on_create=True),
        FieldDef("CreatedDate", "Created Date", "datetime", nillable=False, defaulted_on_create=True, **read_only),
        reference("CreatedById", "Created By ID", "User", "CreatedBy", nillable=False, defaulted_on_create=True, **read_only),
        FieldDef("LastModifiedDate", "Last Modified Date", "datetime", nillable=False, defaulted_on_create=True, **read_only),
        reference("LastModifiedById", "Last Modified By ID", "User", "LastModifiedBy", nillable=False, defaulted_on_create=True, **read_only),
        FieldDef("SystemModstamp", "System Modstamp", "datetime", nillable=False, defaulted_on_create=True, **read_only),
    ]
