"""Reconciliation audit of one generated table: the CRM's id set (by the cheapest
calls the connector has) against the local table's, then optionally the synced
values of a sample of rows, or of all, against the CRM's. Finds rows missing
locally, rows deleted in the CRM but alive locally (however old the deletion: the
CRM's delete log is not used), and rows whose values differ although no stamp
moved (a formula recomputed, a change the incremental reads could not see)."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import close_old_connections, connections, models, transaction
from django.utils import timezone

from connectors.errors import ConnectorError
from connectors.services import redact
from connectors.types import ReadRequest
from wizard.live_models import model_for
from wizard.models import DataSchema

from .audit_models import SAMPLE_SIZE, AuditReport, AuditStatus, CompareMode
from .conflicts import changed_locally
from .mapping import Mapper

# The repairs act on the ids kept per category; past this many, run the audit again after a repair.
MAX_FINDINGS = 50_000


@dataclass
class Findings:
    crm_rows: int = 0
    local_rows: int = 0
    missing: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    stale: dict[str, list[str]] = field(default_factory=dict)
    compared: int = 0


# --- starting ------------------------------------------------------------------------
def start(schema: DataSchema, compare: str = CompareMode.SAMPLE, sample_size: int = 200, trigger: str = "manual",
          user=None) -> AuditReport:
    """Queue an audit; its task is sent once the report row is committed."""
    report = AuditReport.objects.create(schema=schema, compare=compare, sample_size=sample_size, trigger=trigger,
                                        started_by=user if getattr(user, "pk", None) else None)
    transaction.on_commit(lambda: dispatch(report.pk))
    return report


def start_scheduled(schema_id: int) -> AuditReport | None:
    schema = DataSchema.objects.filter(pk=schema_id).select_related("audit_schedule").first()
    schedule = getattr(schema, "audit_schedule", None) if schema else None
    if schedule is None or not schedule.enabled:
        return None
    if AuditReport.objects.filter(schema=schema, status__in=(AuditStatus.QUEUED, AuditStatus.RUNNING)).exists():
        return None
    return start(schema, schedule.compare, schedule.sample_size, trigger="schedule")


def dispatch(report_id: int) -> None:
    from .audit_tasks import run_audit

    if not settings.CRMSYNC_IN_PROCESS_TASKS:
        run_audit.apply_async((report_id,), queue=settings.CRMSYNC_QUEUE)
    elif getattr(settings, "CRMSYNC_IN_PROCESS_SYNCHRONOUS", False):
        run(report_id)
    else:
        threading.Thread(target=_run_in_thread, args=(report_id,), daemon=True, name=f"audit-{report_id}").start()


def _run_in_thread(report_id: int) -> None:
    close_old_connections()
    try:
        run(report_id)
    finally:
        connections.close_all()


# --- running -------------------------------------------------------------------------
def run(report_id: int) -> AuditReport | None:
    """Run a queued audit and store its report; a CRM error fails it with the CRM's message."""
    claimed = AuditReport.objects.filter(pk=report_id, status=AuditStatus.QUEUED).update(status=AuditStatus.RUNNING)
    if not claimed:
        return None
    report = AuditReport.objects.select_related("schema__account").get(pk=report_id)
    account = report.schema.account
    connector = account.connector()
    try:
        findings = reconcile(report.schema, connector, report.compare, report.sample_size)
    except Exception as exc:  # every failure ends in a clear state, with the CRM's own message
        message = f"CRM error: {exc}" if isinstance(exc, ConnectorError) else f"{exc.__class__.__name__}: {exc}"
        _store_failure(report, redact(message, account.secrets), connector.api_usage().calls)
        return report
    finally:
        connector.close()
    _store(report, findings, connector.api_usage().calls)
    return report


def _store(report: AuditReport, findings: Findings, calls: int) -> None:
    stale_ids = sorted(findings.stale)
    report.status = AuditStatus.SUCCEEDED
    report.ended_at = timezone.now()
    report.crm_rows, report.local_rows, report.compared = findings.crm_rows, findings.local_rows, findings.compared
    report.missing, report.deleted, report.stale = len(findings.missing), len(findings.deleted), len(stale_ids)
    report.api_calls = calls
    report.samples = {
        "missing": findings.missing[:SAMPLE_SIZE], "deleted": findings.deleted[:SAMPLE_SIZE],
        "stale": [{"id": i, "fields": findings.stale[i]} for i in stale_ids[:SAMPLE_SIZE]],
    }
    report.findings = {"missing": findings.missing[:MAX_FINDINGS], "deleted": findings.deleted[:MAX_FINDINGS],
                       "stale": stale_ids[:MAX_FINDINGS]}
    report.save()


def _store_failure(report: AuditReport, message: str, calls: int) -> None:
    AuditReport.objects.filter(pk=report.pk).update(status=AuditStatus.FAILED, error=message[:5000], api_calls=calls,
                                                    ended_at=timezone.now())
    report.refresh_from_db()


def reconcile(schema: DataSchema, connector, compare: str, sample_size: int) -> Findings:
    model = model_for(schema)
    crm_ids: set[str] = set()
    for page in connector.list_ids(schema.crm_name):
        crm_ids.update(page)
    linked = model.objects.filter(crm_id__isnull=False)
    alive = set(linked.filter(is_deleted=False).values_list("crm_id", flat=True))
    # Flagged locally, on their way to a delete in the CRM: not missing, just not sent yet.
    leaving = set(linked.filter(is_deleted=True, deleted_at__isnull=True).values_list("crm_id", flat=True))
    findings = Findings(crm_rows=len(crm_ids), local_rows=len(alive))
    findings.missing = sorted(crm_ids - alive - leaving)
    findings.deleted = sorted(alive - crm_ids)
    if compare != CompareMode.NONE:
        compare_values(schema, model, connector, alive & crm_ids, compare, sample_size, findings)
    return findings


# --- values ----------------------------------------------------------------------------
def compare_values(schema, model, connector, ids: set[str], compare: str, sample_size: int, findings: Findings) -> None:
    """The synced fields of rows both sides have, read again from the CRM and compared
    with the local values as the import would store them. Rows changed locally since
    their last sync are left out: they differ because an export is pending."""
    if not ids:
        return
    mapper = Mapper.build(schema, model)
    request = ReadRequest(table=schema.crm_name, fields=tuple(mapper.crm_names))
    if compare == CompareMode.SAMPLE:
        chosen = random.sample(sorted(ids), min(sample_size, len(ids)))
        request = ReadRequest(table=schema.crm_name, fields=tuple(mapper.crm_names), ids=tuple(sorted(chosen)))
    columns = {f.column_name: f for f in mapper.fields}
    fields = {f.column: f for f in model._meta.concrete_fields}
    for page in connector.read(request):
        records = {r[schema.id_field]: r for r in page.records if r.get(schema.id_field) in ids}
        for row in model.objects.filter(crm_id__in=list(records)):
            if changed_locally(row):
                continue
            findings.compared += 1
            values = mapper.to_local(records[row.crm_id])
            differing = [columns[c].crm_name for c, v in values.items()
                         if c != "crm_modstamp" and not same(fields[c], getattr(row, c), v)]
            if differing:
                findings.stale[row.crm_id] = sorted(differing)


def same(field: models.Field, local, crm) -> bool:
    """Equal as the column stores them: decimals at the column's scale, floats closely."""
    if local == crm:
        return True
    if local is None or crm is None:
        return False
    if isinstance(field, models.DecimalField):
        places = Decimal(1).scaleb(-field.decimal_places)
        return Decimal(str(local)).quantize(places) == Decimal(str(crm)).quantize(places)
    if isinstance(field, models.FloatField):
        return math.isclose(float(local), float(crm), rel_tol=1e-9)
    return False
