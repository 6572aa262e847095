"""Runs executed by a real Celery worker process over Redis, against PostgreSQL
and the emulators: a plain run, a worker killed mid-import and mid-export, and
concurrent run requests."""

import time

import pytest

from tests.workflows.helpers import generate, rows, workflow
from workflows import runs
from workflows.models import Run

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout=60, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def finished(run: Run, timeout=90) -> Run:
    wait_for(lambda: Run.objects.get(pk=run.pk).status not in ("queued", "running"), timeout)
    run.refresh_from_db()
    return run


def crm_rows(crm, schema):
    """What the CRM holds, read through a fresh connector (one more full read)."""
    from connectors.types import ReadRequest

    fields = tuple(crm.compared)
    with schema.account.connector() as connector:
        records = [r for page in connector.read(ReadRequest(schema.crm_name, fields)) for r in page.records]
    return {r[schema.id_field]: tuple(r.get(f) for f in fields) for r in records}


def local_rows(schema, crm):
    columns = [schema.fields.get(crm_name=f).column_name for f in crm.compared]
    return {row[0]: tuple(row[1:]) for row in rows(schema).filter(is_deleted=False).values_list("crm_id", *columns)}


def test_a_run_is_executed_by_a_real_worker(crm_account, crm, celery_workers):
    celery_workers.start()
    schema = generate(crm_account, crm.table)
    run = finished(runs.start_run(workflow(crm_account, schema, ("import", {})), trigger="api"))
    assert run.status == "succeeded", run.log
    assert local_rows(schema, crm) == crm_rows(crm, schema)


def test_a_worker_killed_mid_import_loses_and_doubles_nothing_after_a_rerun(crm_account, crm, celery_workers):
    crm.generate(12_000)
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}))
    worker = celery_workers.start()
    first = runs.start_run(wf, trigger="api")
    wait_for(lambda: first.activity_runs.filter(read__gte=2000).exists())
    worker.kill()
    committed = rows(schema).count()
    assert 0 < committed < crm.count()
    celery_workers.start()
    time.sleep(3.5)  # the killed run stops beating
    second = finished(runs.start_run(wf, trigger="api"))
    first.refresh_from_db()
    assert first.status == "failed" and "vanished" in first.error
    assert second.status == "succeeded", second.log
    assert local_rows(schema, crm) == crm_rows(crm, schema)
    assert rows(schema).count() == crm.count()


def test_a_worker_killed_mid_export_creates_nothing_twice(crm_account, crm, celery_workers):
    schema = generate(crm_account, crm.table)
    Model = rows(schema).model
    name = schema.fields.get(crm_name=crm.name_field).column_name
    key = schema.fields.get(crm_name=crm.key_field).column_name
    Model.objects.bulk_create([Model(**{name: f"Local-{i}", key: f"LOCAL-{i:05d}"}) for i in range(3000)])
    before = crm.count()
    wf = workflow(crm_account, schema, ("export", {"key": crm.key_field}))
    worker = celery_workers.start()
    first = runs.start_run(wf, trigger="api")
    wait_for(lambda: first.activity_runs.filter(inserted__gte=1).exists(), every=0.01)
    worker.kill()
    celery_workers.start()
    time.sleep(3.5)
    second = finished(runs.start_run(wf, trigger="api"))
    assert second.status == "succeeded", second.log
    assert crm.count() == before + 3000
    assert Model.objects.filter(crm_id__isnull=True).count() == 0
    assert len(set(Model.objects.values_list("crm_id", flat=True))) == Model.objects.count()


def test_a_second_run_request_while_one_is_active_answers_409_with_its_id(crm_account, crm, admin_api,
                                                                           celery_workers):
    crm.generate(6000)
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}))
    celery_workers.start()
    answers = [admin_api.post(f"/api/workflows/{wf.pk}/run/") for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 409, 409]
    run_id = answers[0].json()["run"]
    assert all(a.json()["run"] == run_id for a in answers[1:])
    assert finished(Run.objects.get(pk=run_id)).status == "succeeded"
    assert admin_api.post(f"/api/workflows/{wf.pk}/run/").status_code == 202


def test_two_workers_share_one_large_import_and_get_the_same_rows(salesforce_account, salesforce_emulator,
                                                                   celery_workers):
    """Split into stamp ranges, read by two worker processes at once; the result is
    the CRM's table row for row, and the next incremental run starts after it."""
    from tests.fixtures.crm_drivers import SalesforceDriver

    crm = SalesforceDriver(salesforce_emulator)
    crm.generate(12_000)
    schema = generate(salesforce_account, crm.table)
    wf = workflow(salesforce_account, schema, ("import", {"parallel": 4}))
    celery_workers.start()
    celery_workers.start()
    run = finished(runs.start_run(wf, trigger="api"))
    assert run.status == "succeeded", run.log
    activity = run.activity_runs.get()
    assert (activity.parts_total, activity.parts_done) == (4, 4)
    assert "split into 4 parts" in run.log
    assert local_rows(schema, crm) == crm_rows(crm, schema)
    assert rows(schema).count() == crm.count()
    again = finished(runs.start_run(wf, trigger="api"))
    assert again.activity_runs.get().inserted == 0


def test_a_run_cancelled_mid_import_stops_between_pages_and_the_next_run_completes(crm_account, crm, admin_api,
                                                                                    celery_workers):
    crm.generate(12_000)
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}))
    celery_workers.start()
    run = runs.start_run(wf, trigger="api")
    wait_for(lambda: run.activity_runs.filter(read__gte=2000).exists())
    assert admin_api.post(f"/api/runs/{run.pk}/cancel/").status_code == 200
    run = finished(run)
    assert run.status == "cancelled" and "cancelled during activity 1" in run.log
    assert rows(schema).count() < crm.count()
    assert finished(runs.start_run(wf, trigger="api")).status == "succeeded"
    assert local_rows(schema, crm) == crm_rows(crm, schema)
