"""Scheduled re-sync of an account's enumerations: one Celery beat periodic task
per account, replaying its last mappings; none exists until it is switched on."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from connectors.models import ExternalAccount

TASK = "wizard.resync_account_enumerations"
DEFAULT_HOURS = 24


@dataclass(frozen=True)
class Schedule:
    enabled: bool
    every_hours: int


def task_name(account: ExternalAccount) -> str:
    return f"Synchronizing enumerations of {account.internal_name} (#{account.pk})"


def periodic_task(account: ExternalAccount) -> PeriodicTask | None:
    return PeriodicTask.objects.filter(name=task_name(account)).select_related("interval").first()


def current(account: ExternalAccount) -> Schedule:
    task = periodic_task(account)
    if task is None or task.interval is None:
        return Schedule(False, DEFAULT_HOURS)
    hours = task.interval.every * (24 if task.interval.period == IntervalSchedule.DAYS else 1)
    return Schedule(task.enabled, hours)


def set_schedule(account: ExternalAccount, enabled: bool, every_hours: int = DEFAULT_HOURS) -> Schedule:
    """Switch the re-sync on or off; switching off keeps the task, disabled."""
    with transaction.atomic():
        task = periodic_task(account)
        if task is None and not enabled:
            return Schedule(False, every_hours)
        interval, _ = IntervalSchedule.objects.get_or_create(every=every_hours, period=IntervalSchedule.HOURS)
        PeriodicTask.objects.update_or_create(
            name=task_name(account),
            defaults={"task": TASK, "interval": interval, "kwargs": json.dumps({"account_id": account.pk}),
                      "enabled": enabled, "description": "Re-runs the account's enumeration sync (crmsync)."},
        )
    return Schedule(enabled, every_hours)
