"""A table's audit schedule as a django-celery-beat periodic task, kept in step
with its AuditSchedule row (created, changed, disabled, removed)."""

from __future__ import annotations

from django_celery_beat.models import PeriodicTask

from .audit_models import AuditSchedule
from .schedules import sync_periodic_task

TASK = "workflows.scheduled_audit"


def task_name(schema_id: int) -> str:
    return f"audit:schema:{schema_id}"


def sync_audit_schedule(schedule: AuditSchedule) -> PeriodicTask | None:
    return sync_periodic_task(task_name(schedule.schema_id), TASK, schedule.cron, [schedule.schema_id],
                              schedule.enabled, f"Audits {schedule.schema}")
