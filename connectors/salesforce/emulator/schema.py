"""The emulated org's metadata: sObjects and their fields, with just enough
information to answer describe calls, validate writes and store rows."""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT_TYPES = frozenset({"string", "email", "phone", "url", "textarea", "picklist", "multipicklist", "combobox"})
NUMBER_TYPES = frozenset({"double", "currency", "percent"})
SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int",
    "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double",
    "date": "xsd:date", "datetime": "xsd:dateTime", "time": "xsd:time",
}


@dataclass(frozen=True)
class PicklistValue:
    value: str
    label: str = ""
    active: bool = True
    default: bool = False
    # Controlling values (by value) this entry is valid for, for dependent picklists.
    valid_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    calculated: bool = False
    custom: bool = False
    external_id: bool = False
    unique: bool = False
    defaulted_on_create: bool = False
    picklist: tuple[PicklistValue, ...] = ()
    restricted: bool = False
    controller: str | None = None
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    name_field: bool = False

    @property
    def required(self) -> bool:
        """Must be given on create (what describe shows as not nillable, createable,
        and not defaulted)."""
        return not self.nillable and self.createable and not self.defaulted_on_create and self.type != "boolean"

    @property
    def soap_type(self) -> str:
        return SOAP_TYPES.get(self.type, "xsd:string")

    def active_values(self) -> set[str]:
        return {entry.value for entry in self.picklist if entry.active}


@dataclass
class ObjectDef:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    custom: bool = False
    fields: list[FieldDef] = field(default_factory=list)
    _by_name: dict[str, FieldDef] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {f.name.lower(): f for f in self.fields}

    def field(self, name: str) -> FieldDef | None:
        """Field lookup is case-insensitive, as in SOQL and the REST API."""
        return self._by_name.get(name.lower())

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


class Schema:
    """All sObjects of the org, looked up case-insensitively by name or key prefix."""

    def __init__(self, objects: list[ObjectDef]):
        self.objects = {obj.name.lower(): obj for obj in objects}
        self.by_prefix = {obj.key_prefix: obj for obj in objects}

    def get(self, name: str) -> ObjectDef | None:
        return self.objects.get(name.lower())

    def add(self, obj: ObjectDef) -> None:
        """Add a new sObject; its name and key prefix must both be free."""
        if obj.name.lower() in self.objects or obj.key_prefix in self.by_prefix:
            raise ValueError(f"the org already has an object named {obj.name} or with key prefix {obj.key_prefix}")
        self.objects[obj.name.lower()] = obj
        self.by_prefix[obj.key_prefix] = obj

    def replace(self, obj: ObjectDef) -> None:
        """Put a new definition (same name and key prefix) in place of an object's."""
        self.objects[obj.name.lower()] = obj
        self.by_prefix[obj.key_prefix] = obj

    def __iter__(self):
        return iter(self.objects.values())

    def children_of(self, parent: str) -> list[tuple[ObjectDef, FieldDef]]:
        """(child object, reference field) pairs pointing at `parent`."""
        return [
            (obj, f) for obj in self for f in obj.fields if f.type == "reference" and parent in f.reference_to
        ]
