"""A table's audit schedule as a django-celery-beat periodic task, kept in step
with its AuditSchedule row (created, changed, disabled, removed)."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .audit_models import AuditSchedule
from .schedules import parse_cron

TASK = "workflows.scheduled_audit"


def task_name(schema_id: int) -> str:
    return f"audit:schema:{schema_id}"


@transaction.atomic
def sync_audit_schedule(schedule: AuditSchedule) -> PeriodicTask | None:
    existing = PeriodicTask.objects.filter(name=task_name(schedule.schema_id)).first()
    if not schedule.cron.strip():
        if existing:
            existing.delete()
        return None
    crontab_row, _ = CrontabSchedule.objects.get_or_create(**parse_cron(schedule.cron), timezone="UTC")
    task = existing or PeriodicTask(name=task_name(schedule.schema_id), task=TASK)
    task.crontab = crontab_row
    task.args = json.dumps([schedule.schema_id])
    task.enabled = schedule.enabled
    task.queue = settings.CRMSYNC_QUEUE
    task.description = f"Audits {schedule.schema}"
    task.save()
    return task
