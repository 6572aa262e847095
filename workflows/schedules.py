"""A workflow's cron schedule as a django-celery-beat periodic task, kept in step
with the workflow (created, changed, disabled, removed)."""

from __future__ import annotations

import json

from celery.schedules import crontab
from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .models import Workflow

TASK = "workflows.scheduled_run"


def parse_cron(expression: str) -> dict[str, str]:
    """Five cron fields → CrontabSchedule fields; ValueError with a clear message."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError("a cron expression has five fields: minute hour day-of-month month day-of-week")
    minute, hour, day_of_month, month_of_year, day_of_week = parts
    fields = {"minute": minute, "hour": hour, "day_of_month": day_of_month, "month_of_year": month_of_year,
              "day_of_week": day_of_week}
    try:
        crontab(**fields)  # celery's own parser decides what is valid
    except Exception as exc:
        raise ValueError(f"invalid cron expression: {exc}") from None
    return fields


def task_name(workflow: Workflow) -> str:
    return f"workflow:{workflow.internal_name}:{workflow.pk}"


def sync_schedule(workflow: Workflow) -> PeriodicTask | None:
    return sync_periodic_task(task_name(workflow), TASK, workflow.schedule, [workflow.pk], workflow.enabled,
                              f"Runs workflow {workflow.name}")


@transaction.atomic
def sync_periodic_task(name: str, task_path: str, cron: str, args: list, enabled: bool,
                       description: str) -> PeriodicTask | None:
    """The periodic task `name` made to match a cron expression: created, changed,
    disabled, or removed when the expression is blank."""
    existing = PeriodicTask.objects.filter(name=name).first()
    if not cron.strip():
        if existing:
            existing.delete()
        return None
    crontab_row, _ = CrontabSchedule.objects.get_or_create(**parse_cron(cron), timezone="UTC")
    task = existing or PeriodicTask(name=name, task=task_path)
    task.crontab = crontab_row
    task.args = json.dumps(args)
    task.enabled = enabled
    task.queue = settings.CRMSYNC_QUEUE
    task.description = description
    task.save()
    return task


def remove_schedule(workflow: Workflow) -> None:
    PeriodicTask.objects.filter(name=task_name(workflow)).delete()


def next_run_at(workflow: Workflow):
    return next_runs_at([workflow]).get(workflow.pk)


def next_runs_at(workflows) -> dict:
    """When each scheduled workflow runs next (workflow id → date-time), in one query."""
    from django.utils import timezone

    names = {task_name(workflow): workflow.pk for workflow in workflows}
    tasks = PeriodicTask.objects.filter(name__in=names, enabled=True, crontab__isnull=False).select_related("crontab")
    now = timezone.now()
    return {names[task.name]: now + task.crontab.schedule.remaining_estimate(task.last_run_at or now)
            for task in tasks}
