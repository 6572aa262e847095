"""Creating, updating, upserting and deleting records as Salesforce does, with its
validation and error codes. Shared by single-record REST, sObject Collections and
Bulk API 2.0 ingest."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ids
from .describe import controlling_values
from .schema import FieldDef, ObjectDef
from .store import Store
from .values import BadValue, to_storage

SYSTEM_KEYS = {"attributes"}


@dataclass
class RecordError(Exception):
    code: str
    message: str
    fields: list[str] = field(default_factory=list)
    status: int = 400

    def as_json(self) -> dict:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}

    def as_rest_error(self) -> dict:
        return {"message": self.message, "errorCode": self.code, "fields": self.fields}


class Writer:
    def __init__(self, store: Store):
        self.store = store

    # --- operations --------------------------------------------------------------
    def create(self, obj: ObjectDef, data: dict) -> str:
        values = self.validated(obj, data, existing=None)
        return self.store.insert(obj.name, values)

    def update(self, obj: ObjectDef, record_id: object, data: dict) -> str:
        record_id = self.live_id(obj, record_id)
        existing = self.store.get(obj.name, record_id)
        self.store.update(obj.name, record_id, self.validated(obj, data, existing))
        return record_id

    def delete(self, obj: ObjectDef | None, record_id: object) -> str:
        obj = obj or self.object_of(record_id)
        record_id = self.live_id(obj, record_id)
        self.store.soft_delete(obj.name, record_id)
        return record_id

    def upsert(self, obj: ObjectDef, key: str, key_value, data: dict) -> tuple[str, bool]:
        """(id, created); key "Id" updates by Id when the record has one."""
        matches = self.matches(obj, key, key_value)
        if len(matches) > 1:
            raise RecordError("DUPLICATE_EXTERNAL_ID", f"{key}: more than one record found for external id field: {matches}", [key], 300)
        if matches:
            return self.update(obj, matches[0], data), False
        if key.lower() != "id" and key_value not in (None, ""):
            data = {**data, obj.field(key).name: key_value}
        return self.create(obj, data), True

    def matches(self, obj: ObjectDef, key: str, key_value) -> list[str]:
        key_field = obj.field(key)
        if key_field is None or not (key_field.external_id or key_field.name == "Id"):
            raise RecordError("INVALID_FIELD", f"Field name provided, {key} is not an External ID or indexed field for {obj.name}", [key])
        if key_field.name == "Id":
            return [self.live_id(obj, key_value)] if key_value else []
        if key_value in (None, ""):
            raise RecordError("MISSING_ARGUMENT", f"{key_field.name} not specified", [key_field.name])
        return self.store.find_ids(obj.name, key_field.name, str(key_value))

    # --- ids ---------------------------------------------------------------------
    def live_id(self, obj: ObjectDef, record_id: object) -> str:
        normalized = ids.normalize(record_id)
        if normalized is None or normalized[:3] != obj.key_prefix:
            raise RecordError("MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {record_id}", ["Id"])
        if self.store.get(obj.name, normalized) is None:
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [])
        return normalized

    def object_of(self, record_id: object) -> ObjectDef:
        normalized = ids.normalize(record_id)
        obj = self.store.schema.by_prefix.get(normalized[:3]) if normalized else None
        if obj is None:
            raise RecordError("MALFORMED_ID", f"malformed id {record_id}", [])
        return obj

    # --- validation --------------------------------------------------------------
    def validated(self, obj: ObjectDef, data: dict, existing: dict | None) -> dict:
        """Stored values for the given fields, or the first RecordError found."""
        given = {key: value for key, value in data.items() if key not in SYSTEM_KEYS and key.lower() != "id"}
        fields = self.known_fields(obj, given)
        self.check_writable(fields, creating=existing is None)
        values = {f.name: self.converted(f, given[name]) for name, f in fields.items()}
        merged = {**(existing or self.defaults(obj)), **values}
        self.check_required(obj, merged, values, creating=existing is None)
        for f in fields.values():
            self.check_value(obj, f, merged, existing)
            values[f.name] = merged[f.name]  # references come back as 18-character Ids
        return values if existing else {**self.defaults(obj), **values}

    def known_fields(self, obj: ObjectDef, given: dict) -> dict[str, FieldDef]:
        fields = {}
        for name in given:
            f = obj.field(name)
            if f is None:
                raise RecordError("INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}", [name])
            fields[name] = f
        return fields

    def check_writable(self, fields: dict[str, FieldDef], creating: bool) -> None:
        refused = [f.name for f in fields.values() if not (f.createable if creating else f.updateable)]
        if refused:
            raise RecordError("INVALID_FIELD_FOR_INSERT_UPDATE", (
                f"Unable to create/update fields: {', '.join(refused)}. Please check the security settings of this "
                "field and verify that it is read/write for your profile or permission set."), refused)

    def converted(self, f: FieldDef, value):
        try:
            return to_storage(f, value)
        except BadValue as error:
            raise RecordError(error.code, error.message, [f.name]) from None

    def defaults(self, obj: ObjectDef) -> dict:
        values = {f.name: 0 for f in obj.fields if f.type == "boolean" and f.createable}
        values.update({f.name: entry.value for f in obj.fields for entry in f.picklist if entry.default})
        return values

    def check_required(self, obj: ObjectDef, merged: dict, given: dict, creating: bool) -> None:
        if creating:
            missing = [f.name for f in obj.fields if f.required and merged.get(f.name) in (None, "")]
        else:
            missing = [f.name for f in obj.fields if f.name in given and not f.nillable and given[f.name] in (None, "")]
        if missing:
            raise RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)

    def check_value(self, obj: ObjectDef, f: FieldDef, merged: dict, existing: dict | None) -> None:
        value = merged.get(f.name)
        if value is None:
            return
        if f.type == "picklist" and f.restricted and value not in f.active_values():
            raise RecordError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f"{f.label}: bad value for restricted picklist field: {value}", [f.name])
        if f.controller:
            self.check_dependent(obj, f, value, merged)
        if f.type == "reference":
            merged[f.name] = self.check_reference(f, value)
        if f.unique or f.external_id:
            self.check_unique(obj, f, value, existing)

    def check_dependent(self, obj: ObjectDef, f: FieldDef, value, merged: dict) -> None:
        controller = obj.field(f.controller)
        controlling = merged.get(controller.name)
        entry = next((e for e in f.picklist if e.value == value), None)
        if controlling is not None and controller.type == "boolean":
            controlling = controlling_values(controller)[int(controlling)]
        if entry is not None and controlling is not None and controlling not in entry.valid_for:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{f.label}: bad value for dependent picklist field: {value}", [f.name])

    def check_reference(self, f: FieldDef, value) -> str:
        normalized = ids.normalize(value)
        if normalized is None:
            raise RecordError("MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}", [f.name])
        target = self.store.schema.get(f.reference_to[0])
        if normalized[:3] != target.key_prefix:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"field integrity exception: unknown ({f.label}: id value of incorrect type: {value})", [f.name])
        if self.store.get(target.name, normalized) is None:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name])
        return normalized

    def check_unique(self, obj: ObjectDef, f: FieldDef, value, existing: dict | None) -> None:
        others = [i for i in self.store.find_ids(obj.name, f.name, value) if not existing or i != existing["Id"]]
        if others:
            raise RecordError("DUPLICATE_VALUE", f"duplicate value found: {f.name} duplicates value on record with id: {others[0]}", [])
