"""The settings of each CRM connector activity: defaults, validation against the
generated schema, with messages by option name for a 400 answer."""

from __future__ import annotations

from wizard.models import DataSchema

from .conditions import ConditionError, parse_conditions
from .models import Operation

CONVERSIONS = ("default", "date_only", "without_offset", "copy")
MAX_PARALLEL = 16

DEFAULTS = {
    Operation.IMPORT: {"incremental": True, "fields": None, "filter": [], "population": None, "conversions": {},
                       "parallel": 1, "ids": None},
    Operation.EXPORT: {"rows": "changed", "filter": [], "mode": "upsert", "key": None, "fields": None,
                       "all_or_none": False},
    Operation.IMPORT_DELETED: {"action": "flag", "ids": None},
    Operation.DELETE: {"rows": "flagged", "filter": []},
}
CHOICES = {
    ("export", "rows"): ("changed", "all", "filter"),
    ("export", "mode"): ("insert", "update", "upsert"),
    ("import_deleted", "action"): ("flag", "remove"),
    ("delete", "rows"): ("flagged", "filter"),
}


class OptionsError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def normalize(operation: str, schema: DataSchema, given: dict) -> dict:
    """Defaults filled in and every value checked; raises OptionsError."""
    operation = Operation(operation)
    defaults = DEFAULTS[operation]
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(given) - set(defaults))
    for name in unknown:
        errors[name] = [f"not an option of {operation.value}"]
    options = {**defaults, **{k: v for k, v in given.items() if k in defaults}}
    for (op, name), allowed in CHOICES.items():
        if op == operation.value and options[name] not in allowed:
            errors[name] = [f"must be one of: {', '.join(allowed)}"]
    errors.update(_check_fields(schema, options))
    errors.update(_check_filters(schema, options))
    errors.update(_check_specific(operation, schema, options))
    if errors:
        raise OptionsError(errors)
    return options


def _live_fields(schema: DataSchema) -> dict:
    return {f.crm_name: f for f in schema.fields.filter(removed_from_crm=False)}


def _check_fields(schema, options) -> dict:
    if "fields" not in options or options["fields"] is None:
        return {}
    fields = options["fields"]
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        return {"fields": ["must be a list of CRM field names"]}
    unknown = sorted(set(fields) - set(_live_fields(schema)))
    return {"fields": [f"unknown field(s): {', '.join(unknown)}"]} if unknown else {}


def _check_filters(schema, options) -> dict:
    errors = {}
    for name in ("filter", "population"):
        if options.get(name) is None:
            continue
        try:
            parse_conditions(schema, options[name], name)
        except ConditionError as exc:
            errors.update(exc.errors)
    return errors


def _check_ids(options) -> dict:
    """`ids`: exactly these CRM records (an audit's repair), read in chunks."""
    ids = options.get("ids")
    if ids is None:
        return {}
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        return {"ids": ["must be a list of CRM ids"]}
    return {}


def _check_specific(operation, schema, options) -> dict:
    errors = _check_ids(options)
    if errors:
        return errors
    if operation is Operation.IMPORT:
        conversions = options["conversions"]
        if not isinstance(conversions, dict):
            return {"conversions": ["must map field names to a conversion"]}
        fields = _live_fields(schema)
        bad = [f"{k}: {v}" for k, v in conversions.items() if k not in fields or v not in CONVERSIONS]
        if bad:
            return {"conversions": [f"unknown field or conversion ({', '.join(bad)}); conversions: "
                                    + ", ".join(CONVERSIONS)]}
        if not isinstance(options["incremental"], bool):
            return {"incremental": ["must be true or false"]}
        if isinstance(options["parallel"], bool) or not isinstance(options["parallel"], int) \
                or not 1 <= options["parallel"] <= MAX_PARALLEL:
            return {"parallel": [f"must be a whole number from 1 to {MAX_PARALLEL}"]}
    if operation is Operation.EXPORT and options["key"] is not None:
        field = _live_fields(schema).get(options["key"])
        if field is None:
            return {"key": [f"unknown field {options['key']!r}"]}
        if not (field.external_id or field.primary_key):
            return {"key": [f"{field.crm_name} is not an external id or alternate key field in the CRM"]}
    return {}
