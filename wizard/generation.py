"""Generating data schemas from CRM table descriptions: a new table gets a schema,
its field mappings and a real table, in one transaction; a table generated before
gets its drift applied (new columns added, removed fields kept and flagged)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction

from connectors.models import ExternalAccount
from connectors.types import FieldDescription, TableDescription

from . import ddl, naming
from .live_models import build_model, forget
from .models import DataSchema, SchemaField


class SelectionError(ValueError):
    """Fields or tables chosen that the CRM does not have."""


@dataclass
class TypeChange:
    crm_name: str
    local: str
    crm: str


@dataclass
class Drift:
    """How the CRM's description differs from a generated schema."""

    new_fields: list[FieldDescription] = field(default_factory=list)
    changed_types: list[TypeChange] = field(default_factory=list)
    removed_fields: list[str] = field(default_factory=list)
    returned_fields: list[str] = field(default_factory=list)

    @property
    def applies_changes(self) -> bool:
        """Type changes are only reported: changing a column's type could lose data."""
        return bool(self.new_fields or self.removed_fields or self.returned_fields)


@dataclass
class TableOutcome:
    crm_name: str
    schema: DataSchema
    action: str  # created, updated, unchanged
    drift: Drift = field(default_factory=Drift)


def selected_fields(description: TableDescription, chosen: Sequence[str] | None) -> list[FieldDescription]:
    """The chosen fields (all when None), always with the id and modstamp fields."""
    if chosen is None:
        return list(description.fields)
    known = {f.name for f in description.fields}
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise SelectionError(f"{description.name} has no field(s): {', '.join(unknown)}")
    required = {description.id_field, description.modstamp_field}
    return [f for f in description.fields if f.name in set(chosen) or f.name in required]


def diff(schema: DataSchema, description: TableDescription, chosen: Sequence[str] | None = None) -> Drift:
    existing = {f.crm_name: f for f in schema.fields.all()}
    described = {f.name: f for f in description.fields}
    drift = Drift()
    for f in selected_fields(description, chosen):
        if f.name not in existing:
            drift.new_fields.append(f)
    for name, local in existing.items():
        crm = described.get(name)
        if crm is None:
            if not local.removed_from_crm:
                drift.removed_fields.append(name)
            continue
        if local.removed_from_crm:
            drift.returned_fields.append(name)
        if (crm.type.value, crm.length, crm.precision, crm.scale) != (local.type, local.length, local.precision, local.scale):
            drift.changed_types.append(TypeChange(name, _type_text(local.type, local.length, local.precision, local.scale),
                                                  _type_text(crm.type.value, crm.length, crm.precision, crm.scale)))
    return drift


def plan_columns(description: TableDescription, schema: DataSchema | None = None) -> dict[str, tuple[str, str]]:
    """For the wizard's preview: each CRM field's local column and SQL type, the
    existing ones for a generated table, the ones it would get otherwise."""
    existing = {f.crm_name: f.column_name for f in schema.fields.all()} if schema else {}
    taken = set(existing.values()) | naming.SYSTEM_COLUMNS
    plan = {}
    for f in sorted(description.fields, key=lambda f: f.name):
        column = existing.get(f.name) or _column_for(description, f, taken)
        plan[f.name] = (column, sql_type(f))
    return plan


def sql_type(f: FieldDescription) -> str:
    from .column_types import model_field

    if f.type.value == "id":
        return "varchar(64)"
    return model_field(f.type.value, f.length, f.precision, f.scale, connection.vendor, "x").db_type(connection) or ""


def _type_text(type_, length, precision, scale) -> str:
    if precision is not None:
        return f"{type_}({precision},{scale or 0})"
    return f"{type_}({length})" if length else type_


def generate(
    account: ExternalAccount,
    descriptions: Iterable[TableDescription],
    selection: dict[str, Sequence[str] | None] | None = None,
    user=None,
) -> list[TableOutcome]:
    """Generate or update one schema per description; each table in its own
    transaction, so that one failure leaves the others done."""
    selection = selection or {}
    return [generate_one(account, d, selection.get(d.name), user) for d in descriptions]


def generate_one(account, description: TableDescription, chosen, user=None) -> TableOutcome:
    fields = selected_fields(description, chosen)
    with transaction.atomic():
        # Serialises generations for one account: two administrators clicking
        # "Generate" at once cannot both create the same table.
        ExternalAccount.objects.select_for_update().get(pk=account.pk)
        schema = DataSchema.objects.filter(account=account, crm_name=description.name).first()
        if schema is None:
            return TableOutcome(description.name, _create(account, description, fields, user), "created")
        return _update(schema, description, chosen)


def _create(account, description: TableDescription, fields: list[FieldDescription], user) -> DataSchema:
    taken_tables = set(DataSchema.objects.values_list("table_name", flat=True))
    taken_tables |= set(connection.introspection.table_names())
    schema = DataSchema.objects.create(
        account=account,
        crm_name=description.name,
        label=description.label,
        custom=description.custom,
        table_name=naming.table_name(account.internal_name, description.name, taken_tables),
        id_field=description.id_field,
        modstamp_field=description.modstamp_field or "",
        tracks_changes=description.tracks_changes,
        created_by=user if getattr(user, "pk", None) else None,
    )
    rows = _field_rows(schema, description, fields, taken=set(), start=0)
    SchemaField.objects.bulk_create(rows)
    ddl.create_table(build_model(schema, rows))
    return schema


def _field_rows(schema, description, fields, taken: set[str], start: int) -> list[SchemaField]:
    taken |= naming.SYSTEM_COLUMNS
    rows = []
    for position, f in enumerate(sorted(fields, key=lambda f: f.name), start=start):
        rows.append(_field_row(schema, description, f, _column_for(description, f, taken), position))
    return rows


def _column_for(description: TableDescription, f: FieldDescription, taken: set[str]) -> str:
    if f.name == description.id_field:
        return "crm_id"
    if f.name == description.modstamp_field:
        return "crm_modstamp"
    return naming.column_name(f.name, taken)


def _field_row(schema, description, f: FieldDescription, column: str, position: int) -> SchemaField:
    return SchemaField(
        schema=schema,
        position=position,
        crm_name=f.name,
        label=f.label[:255],
        crm_type=f.crm_type,
        type=f.type.value,
        length=f.length,
        precision=f.precision,
        scale=f.scale,
        nullable=f.nullable,
        read_only=f.read_only,
        createable=f.createable,
        updateable=f.updateable,
        primary_key=f.primary_key or f.name == description.id_field,
        external_id=f.external_id,
        unique=f.unique,
        references=list(f.references),
        enumeration_key=f.enumeration or "",
        column_name=column,
    )


def _update(schema: DataSchema, description: TableDescription, chosen) -> TableOutcome:
    drift = diff(schema, description, chosen)
    if not drift.applies_changes:
        return TableOutcome(description.name, schema, "unchanged", drift)
    existing = list(schema.fields.all())
    taken = {f.column_name for f in existing}
    rows = _field_rows(schema, description, drift.new_fields, taken, start=len(existing))
    SchemaField.objects.bulk_create(rows)
    schema.fields.filter(crm_name__in=drift.removed_fields).update(removed_from_crm=True)
    schema.fields.filter(crm_name__in=drift.returned_fields).update(removed_from_crm=False)
    schema.version += 1
    schema.save(update_fields=["version", "updated_at"])
    if rows:
        model = build_model(schema, existing + rows)
        ddl.add_columns(model, [r.column_name for r in rows if not r.is_system_column])
    forget(schema.pk)
    return TableOutcome(description.name, schema, "updated", drift)


def remove_field(field: SchemaField) -> None:
    """Drop a field's column and its data: only ever on an administrator's request."""
    schema = field.schema
    with transaction.atomic():
        model = build_model(schema)
        if not field.is_system_column:
            ddl.drop_column(model, field.column_name)
        field.delete()
        schema.version += 1
        schema.save(update_fields=["version", "updated_at"])
    forget(schema.pk)


def delete_schema(schema: DataSchema) -> None:
    """Drop the schema and its table, on an administrator's explicit request."""
    with transaction.atomic():
        ddl.drop_table(schema.table_name)
        forget(schema.pk)
        schema.delete()
