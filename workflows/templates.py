"""Ready-made workflows ("Import contacts", "Two-way contacts", "Import deletions"):
a template names its activities; `create_workflow` builds one on a generated schema."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from wizard.models import DataSchema

from . import options as activity_options
from . import schedules
from .models import Activity, ConflictPolicy, Operation, Workflow


@dataclass(frozen=True)
class WorkflowTemplate:
    key: str
    name: str
    description: str
    activities: tuple[tuple[str, dict], ...]
    conflict_policy: str = ConflictPolicy.CRM_WINS


TEMPLATES = (
    WorkflowTemplate(
        "import-contacts", "Import contacts",
        "Reads the records changed in the CRM since the last run into the local table.",
        ((Operation.IMPORT, {"incremental": True}),)),
    WorkflowTemplate(
        "two-way-contacts", "Two-way contacts",
        "Imports the CRM's changes, then exports the local changes (upsert by CRM id); the CRM wins a conflict.",
        ((Operation.IMPORT, {"incremental": True}), (Operation.EXPORT, {"rows": "changed", "mode": "upsert"}))),
    WorkflowTemplate(
        "import-deletions", "Import deletions",
        "Flags the local rows whose record was deleted in the CRM.",
        ((Operation.IMPORT_DELETED, {"action": "flag"}),)),
)
BY_KEY = {template.key: template for template in TEMPLATES}


class TemplateError(ValueError):
    """Bad input, with messages by field name (for a form or a 400 answer)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def get(key: str) -> WorkflowTemplate:
    try:
        return BY_KEY[key]
    except KeyError:
        raise TemplateError({"template": [f"unknown template {key!r}; one of: {', '.join(BY_KEY)}"]}) from None


def default_name(template: WorkflowTemplate, schema: DataSchema) -> str:
    return f"{template.name} ({schema.account.name}, {schema.crm_name})"


def free_internal_name(name: str) -> str:
    base = slugify(name)[:90] or "workflow"
    candidate, number = base, 1
    while Workflow.objects.filter(internal_name=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@transaction.atomic
def create_workflow(template: WorkflowTemplate, schema: DataSchema, name: str = "", schedule: str = "") -> Workflow:
    """A new workflow with the template's activities on `schema`; raises TemplateError."""
    schedule = schedule.strip()
    errors = _check(template, schema, schedule)
    if errors:
        raise TemplateError(errors)
    name = name.strip() or default_name(template, schema)
    workflow = Workflow.objects.create(name=name, internal_name=free_internal_name(name), account=schema.account,
                                       schedule=schedule, conflict_policy=template.conflict_policy)
    for position, (operation, given) in enumerate(template.activities):
        Activity.objects.create(workflow=workflow, position=position, operation=operation, schema=schema,
                                options=dict(given))
    schedules.sync_schedule(workflow)
    return workflow


def _check(template: WorkflowTemplate, schema: DataSchema, schedule: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if schedule:
        try:
            schedules.parse_cron(schedule)
        except ValueError as exc:
            errors["schedule"] = [str(exc)]
    for operation, given in template.activities:
        try:
            activity_options.normalize(operation, schema, given)
        except activity_options.OptionsError as exc:
            errors.setdefault("schema", []).append(str(exc))
    return errors
