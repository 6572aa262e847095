"""Dataverse attribute metadata -> normalized field descriptions, as a table: one
row per AttributeType (or AttributeTypeName for virtual types such as
MultiSelectPicklist), and small functions for the per-type details (length,
precision, date or datetime, lookup targets)."""

from __future__ import annotations

from connectors.types import FieldDescription, FieldType

# AttributeType (or AttributeTypeName.Value) -> normalized type.
TYPE_TABLE: dict[str, FieldType] = {
    "String": FieldType.STRING,
    "Memo": FieldType.TEXT,
    "EntityName": FieldType.STRING,
    "Integer": FieldType.INTEGER,
    "BigInt": FieldType.BIGINT,
    "Decimal": FieldType.DECIMAL,
    "Money": FieldType.DECIMAL,
    "Double": FieldType.FLOAT,
    "Boolean": FieldType.BOOLEAN,
    "DateTime": FieldType.DATETIME,
    "Picklist": FieldType.ENUM,
    "State": FieldType.ENUM,
    "Status": FieldType.ENUM,
    "MultiSelectPicklistType": FieldType.MULTI_ENUM,
    "Lookup": FieldType.REFERENCE,
    "Customer": FieldType.REFERENCE,
    "Owner": FieldType.REFERENCE,
    "Uniqueidentifier": FieldType.ID,
}
ENUM_TYPES = ("Picklist", "State", "Status", "MultiSelectPicklistType")
LOOKUP_TYPES = ("Lookup", "Customer", "Owner")
# Dataverse money keeps at most 4 decimals; the precision attribute says how many are used.
MONEY_SCALE_DEFAULT = 2
DECIMAL_DIGITS = 23  # Dataverse decimals and money hold up to 23 significant digits


def crm_type(attribute: dict) -> str:
    """The type name the table is keyed by: AttributeType, or the type name for virtual types."""
    kind = attribute.get("AttributeType") or ""
    type_name = (attribute.get("AttributeTypeName") or {}).get("Value") or ""
    return type_name if kind == "Virtual" else kind


def is_mappable(attribute: dict) -> bool:
    return crm_type(attribute) in TYPE_TABLE and attribute.get("IsValidForRead", True) and not attribute.get("AttributeOf")


def field_type(attribute: dict) -> FieldType:
    kind = crm_type(attribute)
    if kind == "DateTime" and attribute.get("Format") == "DateOnly":
        return FieldType.DATE
    return TYPE_TABLE[kind]


def describe_attribute(entity: str, attribute: dict, primary_id: str, key_attributes: set[str]) -> FieldDescription:
    """One attribute's metadata JSON as a FieldDescription."""
    kind, name = crm_type(attribute), attribute["LogicalName"]
    creatable, updatable = bool(attribute.get("IsValidForCreate")), bool(attribute.get("IsValidForUpdate"))
    return FieldDescription(
        name=name, label=user_label(attribute.get("DisplayName")) or name, type=field_type(attribute), crm_type=kind,
        length=attribute.get("MaxLength") if kind in ("String", "Memo") else None,
        precision=DECIMAL_DIGITS if kind in ("Money", "Decimal") else None,
        scale=_scale(kind, attribute), nullable=_nullable(attribute), read_only=not (creatable or updatable),
        createable=creatable, updateable=updatable, primary_key=name == primary_id,
        external_id=name in key_attributes, unique=name == primary_id or name in key_attributes,
        references=tuple(attribute.get("Targets") or ()) if kind in LOOKUP_TYPES else (),
        enumeration=f"{entity}.{name}" if kind in ENUM_TYPES or kind == "Boolean" else None,
    )


def _scale(kind: str, attribute: dict) -> int | None:
    if kind == "Money":
        precision = attribute.get("Precision")
        return MONEY_SCALE_DEFAULT if precision is None else precision
    if kind == "Decimal":
        return attribute.get("Precision")
    return None


def _nullable(attribute: dict) -> bool:
    return ((attribute.get("RequiredLevel") or {}).get("Value") or "None") != "SystemRequired"


def user_label(label: dict | None, language: int = 1033) -> str:
    """The label in `language`, else the user's label, else any translation."""
    if not label:
        return ""
    for localized in label.get("LocalizedLabels") or ():
        if localized.get("LanguageCode") == language:
            return localized.get("Label") or ""
    user = label.get("UserLocalizedLabel") or {}
    return user.get("Label") or next((item.get("Label", "") for item in label.get("LocalizedLabels") or ()), "")


def all_labels(label: dict | None) -> dict[str, str]:
    """Every translation of a label by language code, e.g. {"1036": "Oui"}."""
    return {str(item["LanguageCode"]): item.get("Label") or "" for item in (label or {}).get("LocalizedLabels") or ()}
