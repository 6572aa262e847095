"""One-click repairs of an audit's findings, each a normal workflow run of the
table's "audit repairs" workflow, restricted to the ids the audit found: re-import
the missing, refresh the stale (a full re-read of those records), flag the deleted
(after checking once more that the CRM no longer has them)."""

from __future__ import annotations

from django.db import transaction

from connectors.types import ReadRequest

from . import runs
from .audit_models import AuditCategory, AuditReport, AuditStatus
from .context import ActivityContext
from .models import Activity, Run, Workflow

ACTIVITIES = {
    AuditCategory.MISSING: ("import", {"incremental": False}),
    AuditCategory.STALE: ("import", {"incremental": False}),
    AuditCategory.DELETED: ("import_deleted", {"action": "flag"}),
}


class RepairRefused(ValueError):
    """Nothing to repair, or the audit did not finish."""


def repair(report: AuditReport, category: str, user=None) -> Run:
    """Start the repair run; raises RepairRefused, or runs.RunAlreadyActive."""
    if category not in ACTIVITIES:
        raise RepairRefused(f"category must be one of: {', '.join(ACTIVITIES)}")
    if report.status != AuditStatus.SUCCEEDED:
        raise RepairRefused(f"audit {report.pk} is {report.status}: only a finished audit can be repaired")
    ids = list(report.findings.get(category) or [])
    if not ids:
        raise RepairRefused(f"audit {report.pk} found no {AuditCategory(category).label} rows")
    operation, options = ACTIVITIES[category]
    with transaction.atomic():
        workflow = repair_workflow(report.schema)
        Activity.objects.update_or_create(workflow=workflow, position=0, defaults={
            "operation": operation, "schema": report.schema, "options": {**options, "ids": ids}})
        run = runs.start_run(workflow, trigger="audit", user=user)
        report.repairs = {**report.repairs, category: run.pk}
        report.save(update_fields=["repairs"])
    return run


def repair_workflow(schema) -> Workflow:
    workflow, _ = Workflow.objects.get_or_create(
        internal_name=f"audit-repairs-{schema.pk}",
        defaults={"name": f"Audit repairs: {schema.label} ({schema.account.internal_name})", "account": schema.account})
    if not workflow.enabled:
        Workflow.objects.filter(pk=workflow.pk).update(enabled=True)
        workflow.enabled = True
    return workflow


def flag_confirmed_deletions(ctx: ActivityContext, apply_deletions) -> None:
    """The import_deleted activity given `ids`: those the CRM still lacks are flagged."""
    ids = list(ctx.options["ids"])
    ctx.log(f"deletions in {ctx.schema.crm_name}: {len(ids)} id(s) an audit found gone from the CRM, checked again")
    present: set[str] = set()
    for page in ctx.connector.read(ReadRequest(table=ctx.schema.crm_name, fields=(), ids=tuple(ids))):
        present.update(record[ctx.schema.id_field] for record in page.records)
    if present:
        ctx.log(f"{len(present)} of them are in the CRM again and were left alone: " + ", ".join(sorted(present)[:20]))
    with transaction.atomic():
        counts = apply_deletions(ctx, [i for i in ids if i not in present], {})
        counts.unchanged += len(present)
        ctx.add(counts)
