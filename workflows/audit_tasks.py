"""Celery tasks of reconciliation audits: thin, ids only."""

from __future__ import annotations

from celery import shared_task

from . import audit


@shared_task(name="workflows.run_audit", acks_late=True)
def run_audit(report_id: int) -> str | None:
    report = audit.run(report_id)
    return report.status if report else None


@shared_task(name="workflows.scheduled_audit")
def scheduled_audit(schema_id: int) -> int | None:
    report = audit.start_scheduled(schema_id)
    return report.pk if report else None
