"""The emulated environment's schema: entities, attributes and option sets, and how
they render as Dataverse metadata JSON (EntityMetadata, AttributeMetadata,
OptionSetMetadata) with the property names the real Web API uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

LANGUAGES = (1033, 1036, 1028)  # English, French, Traditional Chinese
_NAMESPACE = uuid.UUID("5f0c1d2e-8a43-4c1b-9f7e-2b6d0c8e4a10")

# AttributeType -> AttributeTypeName.Value, as Dataverse reports them.
TYPE_NAMES = {
    "String": "StringType", "Memo": "MemoType", "Integer": "IntegerType", "BigInt": "BigIntType",
    "Decimal": "DecimalType", "Double": "DoubleType", "Money": "MoneyType", "DateTime": "DateTimeType",
    "Boolean": "BooleanType", "Picklist": "PicklistType", "State": "StateType", "Status": "StatusType",
    "Lookup": "LookupType", "Customer": "CustomerType", "Owner": "OwnerType",
    "Uniqueidentifier": "UniqueidentifierType", "MultiSelectPicklist": "MultiSelectPicklistType",
}
LOOKUP_TYPES = ("Lookup", "Customer", "Owner")
OPTION_TYPES = ("Picklist", "State", "Status", "MultiSelectPicklist")


def metadata_id(*names: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(names)))


def label_json(labels: dict[int, str] | None) -> dict:
    """A Label: every translation, plus the user's (English) one."""
    localized = [
        {"Label": text, "LanguageCode": code, "IsManaged": True, "MetadataId": metadata_id(text, str(code)),
         "HasChanged": None}
        for code, text in (labels or {}).items()
    ]
    user = next((item for item in localized if item["LanguageCode"] == 1033), None)
    return {"LocalizedLabels": localized, "UserLocalizedLabel": user}


@dataclass(frozen=True)
class Option:
    value: int
    labels: dict[int, str]
    state: int | None = None  # Status options: the state they belong to
    default_status: int | None = None  # State options: their default status

    def as_json(self, option_set_type: str) -> dict:
        body = {"Value": self.value, "Label": label_json(self.labels), "Description": label_json({}),
                "Color": None, "IsManaged": True, "ExternalValue": "", "ParentValues": [],
                "MetadataId": None, "HasChanged": None}
        if option_set_type == "Status":
            body["@odata.type"] = "#Microsoft.Dynamics.CRM.StatusOptionMetadata"
            body["State"] = self.state
        if option_set_type == "State":
            body["@odata.type"] = "#Microsoft.Dynamics.CRM.StateOptionMetadata"
            body["DefaultStatus"] = self.default_status
            body["InvariantName"] = self.labels.get(1033, "")
        return body


@dataclass(frozen=True)
class OptionSetDef:
    name: str
    labels: dict[int, str]
    options: tuple[Option, ...]
    is_global: bool = False
    kind: str = "Picklist"  # Picklist, State, Status, Boolean

    def values(self) -> set[int]:
        return {option.value for option in self.options}

    def label(self, value: int, language: int = 1033) -> str:
        for option in self.options:
            if option.value == value:
                return option.labels.get(language, "")
        return ""

    def as_json(self) -> dict:
        body = {"@odata.type": "#Microsoft.Dynamics.CRM.OptionSetMetadata", "MetadataId": metadata_id(self.name),
                "Name": self.name, "IsGlobal": self.is_global, "IsCustomOptionSet": self.name.startswith("cr8a1_"),
                "OptionSetType": self.kind, "DisplayName": label_json(self.labels),
                "Description": label_json({}), "IsManaged": False}
        if self.kind == "Boolean":
            body["@odata.type"] = "#Microsoft.Dynamics.CRM.BooleanOptionSetMetadata"
            false, true = sorted(self.options, key=lambda option: option.value)
            body["FalseOption"] = false.as_json("Boolean")
            body["TrueOption"] = true.as_json("Boolean")
        else:
            body["Options"] = [option.as_json(self.kind) for option in self.options]
        return body


@dataclass(frozen=True)
class AttributeDef:
    name: str
    type: str
    labels: dict[int, str]
    max_length: int | None = None
    precision: int | None = None
    required: str = "None"  # None, Recommended, ApplicationRequired, SystemRequired
    create: bool = True
    update: bool = True
    targets: tuple[str, ...] = ()
    option_set: OptionSetDef | None = None
    format: str | None = None  # String: Email/Phone/Url/Text; DateTime: DateOnly/DateAndTime
    min_value: float | None = None
    max_value: float | None = None
    schema_name: str = ""
    custom: bool = False
    primary_id: bool = False
    primary_name: bool = False

    @property
    def is_lookup(self) -> bool:
        return self.type in LOOKUP_TYPES

    @property
    def wire_name(self) -> str:
        """The property name in entity JSON: lookups read as _x_value."""
        return f"_{self.name}_value" if self.is_lookup else self.name


@dataclass
class EntityDef:
    name: str
    set_name: str
    labels: dict[int, str]
    collection_labels: dict[int, str]
    attributes: tuple[AttributeDef, ...]
    primary_id: str
    primary_name: str
    object_type_code: int
    change_tracking: bool = True
    custom: bool = False
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key schema name -> attributes
    # Navigation property (for @odata.bind) -> (lookup attribute, target entity)
    navigation: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {attribute.name: attribute for attribute in self.attributes}
        self.by_wire_name = {attribute.wire_name: attribute for attribute in self.attributes}

    schema: str = ""

    @property
    def schema_name(self) -> str:
        return self.schema or self.name.capitalize()

    def attribute(self, name: str) -> AttributeDef | None:
        return self.by_name.get(name)
