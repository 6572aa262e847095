"""Soak (3 cycles in the suite; CRMSYNC_SOAK_CYCLES or CRMSYNC_RELIABILITY_FULL=1
for 40): a scheduled two-way Contact workflow keeps both sides identical field by
field while the CRM and local SQL keep changing records, through a transient
fault every cycle (each class in turn, on reads and on writes) and a worker kill
every tenth cycle."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler

from crmsync.celery import app
from tests.reliability.checks import count
from tests.reliability.faults import FAULTS, fault_for
from tests.workflows.helpers import generate, rows, workflow
from tests.workflows.test_worker import crm_rows, finished, local_rows, wait_for
from workflows import schedules
from workflows.models import Run

pytestmark = pytest.mark.django_db(transaction=True)

CYCLES = count("CRMSYNC_SOAK_CYCLES", 3, 40)
# Transient faults the soak goes through, each in turn; a hang is the fault matrix's
# business (it needs a short account timeout).
SOAK_FAULTS = [f for f in FAULTS if f.transient and f.kind != "hang"]


def change_both_sides(crm, schema, rng: random.Random, cycle: int) -> None:
    local = list(rows(schema).filter(is_deleted=False).values_list("crm_id", flat=True))
    crm_side, local_side = rng.sample(local, 3), rng.sample(local, 3)
    for crm_id in crm_side:
        crm.update(crm_id, **{crm.name_field: f"CRM-{cycle}-{crm_id[-4:]}"})
    column = connection.ops.quote_name(schema.fields.get(crm_name=crm.compared[1]).column_name)
    table = connection.ops.quote_name(schema.table_name)
    with connection.cursor() as cursor:
        for crm_id in local_side:
            if crm_id not in crm_side:  # rows changed on both sides are the conflict tests' business
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE crm_id = %s", [f"SQL-{cycle}", crm_id])
    name = schema.fields.get(crm_name=crm.name_field).column_name
    key = schema.fields.get(crm_name=crm.key_field).column_name
    rows(schema).model.objects.create(**{name: f"New-{cycle}", key: f"SOAK-{cycle}"})
    crm.create(**{crm.name_field: f"CrmNew-{cycle}"})


def fire(wf) -> Run:
    """Let beat fire the every-minute schedule now, and wait for the run."""
    task = schedules.sync_schedule(wf)
    task.last_run_at = timezone.now() - dt.timedelta(minutes=5)
    task.save()
    seen = set(Run.objects.filter(workflow=wf).values_list("pk", flat=True))
    scheduler = DatabaseScheduler(app=app, lazy=False)
    scheduler.tick()
    scheduler.tick()
    run = wait_for(lambda: Run.objects.filter(workflow=wf).exclude(pk__in=seen).first(), timeout=30)
    return finished(run)


def test_a_scheduled_two_way_workflow_keeps_both_sides_identical(crm_account, crm, celery_workers, settings):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}), ("export", {"key": crm.key_field}), name="soak")
    wf.schedule = "* * * * *"
    wf.save()
    worker = celery_workers.start()
    assert fire(wf).status == "succeeded"
    rng = random.Random(7)
    for cycle in range(CYCLES):
        change_both_sides(crm, schema, rng, cycle)
        fault = fault_for(SOAK_FAULTS[cycle % len(SOAK_FAULTS)], crm.crm, ("import", "export")[cycle % 2], skip=0)
        (crm.emulator.instrumentation if crm.crm == "salesforce" else crm.emulator).inject(fault)
        if cycle % 10 == 1:
            worker.kill()
            worker = celery_workers.start()
        run = fire(wf)
        assert run.status == "succeeded", run.log
        assert fault.served == 1
    final = fire(wf)  # one quiet cycle: what the last one exported comes back as unchanged
    assert final.status == "succeeded"
    assert local_rows(schema, crm) == crm_rows(crm, schema)
