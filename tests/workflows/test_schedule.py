"""Schedules: a workflow's cron kept as a Celery beat periodic task; beat's own
scheduler firing it (a missed window runs once); disabled workflows never run."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from crmsync.celery import app
from tests.workflows.helpers import generate, workflow
from tests.workflows.test_worker import finished, wait_for
from workflows import schedules
from workflows.models import Run

pytestmark = pytest.mark.django_db(transaction=True)


def scheduled(account, crm, cron="* * * * *"):
    wf = workflow(account, generate(account, crm.table), ("import", {}))
    wf.schedule = cron
    wf.save()
    return wf, schedules.sync_schedule(wf)


def test_a_cron_schedule_becomes_a_periodic_task_that_follows_the_workflow(salesforce_account):
    from tests.fixtures.crm_drivers import SalesforceDriver

    wf, task = scheduled(salesforce_account, SalesforceDriver(None), "*/15 8-18 * * 1-5")
    assert (task.task, json.loads(task.args), task.enabled) == ("workflows.scheduled_run", [wf.pk], True)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("*/15", "8-18", "1-5")
    wf.enabled = False
    schedules.sync_schedule(wf)
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False
    wf.schedule = ""
    schedules.sync_schedule(wf)
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


@pytest.mark.parametrize("cron, message", [
    ("* * *", "a cron expression has five fields"),
    ("61 * * * *", "invalid cron expression"),
])
def test_a_bad_cron_expression_is_refused_with_a_clear_message(cron, message):
    with pytest.raises(ValueError, match=message):
        schedules.parse_cron(cron)


def test_beat_fires_a_missed_schedule_once_and_the_worker_runs_it(crm_account, crm, celery_workers):
    celery_workers.start()
    wf, task = scheduled(crm_account, crm)
    task.last_run_at = timezone.now() - dt.timedelta(hours=1)  # beat was down for an hour
    task.save()
    scheduler = DatabaseScheduler(app=app, lazy=False)
    scheduler.tick()
    scheduler.tick()
    run = wait_for(lambda: Run.objects.filter(workflow=wf).first(), timeout=30)
    assert finished(run).status == "succeeded", run.log
    assert run.trigger == "schedule"
    assert Run.objects.filter(workflow=wf).count() == 1


def test_a_disabled_workflow_does_not_run_when_its_schedule_fires(salesforce_account):
    from tests.fixtures.crm_drivers import SalesforceDriver
    from workflows import runs

    wf, _ = scheduled(salesforce_account, SalesforceDriver(None))
    wf.enabled = False
    wf.save()
    assert runs.start_scheduled(wf.pk) is None
    assert Run.objects.count() == 0
