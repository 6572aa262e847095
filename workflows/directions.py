"""Per-field direction rules of a workflow: which way each field's values go,
their defaults from the CRM field's flags, their validation, and the questions
import and export ask of them."""

from __future__ import annotations

from dataclasses import dataclass

from wizard.models import DataSchema, SchemaField

from .models import Direction

# A field the CRM computes (formula, roll-up, system stamp) cannot be written.
READ_ONLY_CHOICES = (Direction.CRM_TO_LOCAL, Direction.DONT_SYNC)
IMPORTED = (Direction.TWO_WAY, Direction.CRM_TO_LOCAL, Direction.PREFER_CRM_UNLESS_BLANK)
EXPORTED = (Direction.TWO_WAY, Direction.LOCAL_TO_CRM, Direction.PREFER_CRM_UNLESS_BLANK)


def is_read_only(field: SchemaField) -> bool:
    return field.read_only or not (field.createable or field.updateable)


def default(field: SchemaField) -> str:
    return Direction.CRM_TO_LOCAL if is_read_only(field) else Direction.TWO_WAY


def default_by_name(workflow, table: str, field_name: str) -> str:
    field = SchemaField.objects.filter(schema__account_id=workflow.account_id, schema__crm_name=table,
                                       crm_name=field_name).first()
    return default(field) if field else Direction.TWO_WAY


def blank(value) -> bool:
    return value is None or value == "" or value == []


def errors(schemas: dict[str, DataSchema], given) -> dict[str, list[str]]:
    """Field messages for `given` ({table: {field: direction}}), keyed
    field_directions.<table>.<field>; empty when all is well."""
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        return {"field_directions": ['must map tables to {"field": "direction"} objects']}
    found: dict[str, list[str]] = {}
    for table, rules in given.items():
        schema = schemas.get(table)
        if schema is None:
            found[f"field_directions.{table}"] = [f"no generated schema for {table!r} on this account"]
            continue
        fields = {f.crm_name: f for f in schema.fields.filter(removed_from_crm=False)}
        for name, direction in rules.items():
            problem = _problem(fields.get(name), name, direction)
            if problem:
                found[f"field_directions.{table}.{name}"] = [problem]
    return found


def _problem(field: SchemaField | None, name: str, direction) -> str | None:
    if field is None or field.is_system_column:
        return f"unknown field {name!r}" if field is None else f"{name} is the CRM's id or stamp: it always syncs"
    if direction not in Direction.values:
        return f"must be one of: {', '.join(Direction.values)}"
    if is_read_only(field) and direction not in READ_ONLY_CHOICES:
        return (f"{name} is read-only in the CRM (a formula or system field): it can only be "
                f"{' or '.join(READ_ONLY_CHOICES)}")
    return None


@dataclass(frozen=True)
class Directions:
    """The direction of each column of one generated table in one workflow."""

    by_column: dict[str, str]

    @classmethod
    def of(cls, workflow, schema: DataSchema) -> Directions:
        chosen = (workflow.field_directions or {}).get(schema.crm_name, {})
        return cls({f.column_name: chosen.get(f.crm_name, default(f))
                    for f in schema.fields.all() if not f.is_system_column})

    @classmethod
    def table(cls, workflow, schema: DataSchema) -> list[dict]:
        """Every field with its direction and whether it was chosen or defaulted."""
        chosen = (workflow.field_directions or {}).get(schema.crm_name, {}) if workflow else {}
        return [{"field": f.crm_name, "direction": chosen.get(f.crm_name, default(f)), "default": default(f),
                 "read_only": is_read_only(f)}
                for f in schema.fields.all() if not (f.removed_from_crm or f.is_system_column)]  # .all(): prefetched in lists

    def of_column(self, column: str) -> str:
        return self.by_column.get(column, Direction.TWO_WAY)

    def importable(self, values: dict) -> dict:
        """The CRM values an import may store: not local-only or unsynced fields, and
        not a blank where the CRM is preferred unless blank."""
        kept = {}
        for column, value in values.items():
            direction = self.of_column(column)
            if direction not in IMPORTED:
                continue
            if direction == Direction.PREFER_CRM_UNLESS_BLANK and blank(value):
                continue
            kept[column] = value
        return kept

    def importable_columns(self, columns: dict[str, list]) -> dict[str, list] | None:
        """`importable` for whole columns; None when a column's blanks would be
        dropped from some rows only (then each row is taken by itself)."""
        kept = {}
        for column, values in columns.items():
            direction = self.of_column(column)
            if direction not in IMPORTED:
                continue
            if direction == Direction.PREFER_CRM_UNLESS_BLANK and any(map(blank, values)):
                return None
            kept[column] = values
        return kept

    def crm_owned(self, column: str) -> bool:
        """The CRM's value wins without asking the conflict policy."""
        return self.of_column(column) in (Direction.CRM_TO_LOCAL, Direction.PREFER_CRM_UNLESS_BLANK)

    def exported(self, column: str) -> bool:
        return self.of_column(column) in EXPORTED

    def fills_blank_only(self, column: str) -> bool:
        return self.of_column(column) == Direction.PREFER_CRM_UNLESS_BLANK
