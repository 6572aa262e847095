"""The sync task: in-process (no broker), in a real Celery worker consuming the
broker, and the scheduled re-sync that replays an account's last mappings."""

from __future__ import annotations

import pytest

from tests.enumerations.conftest import NO_CHANGE, generate_demo_schemas, sync, wait_for
from wizard import enumeration_jobs
from wizard.enumeration_plan import Mapping
from wizard.models import Enumeration, EnumerationSyncJob
from wizard.tasks import resync_account_enumerations, sync_enumerations

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_real_worker_runs_the_sync_task_from_the_broker(salesforce_account, real_worker):
    generate_demo_schemas(salesforce_account)
    job = enumeration_jobs.start(salesforce_account, [Mapping("Contact.Level__c", "level", True)])
    job = wait_for(job)
    assert (job.status, job.progress, job.results[0]["counts"]) == ("done", 100, {**NO_CHANGE, "added": 3})
    assert [v.value for v in Enumeration.objects.get(name="level").values.all()] == ["Primary", "Secondary", "Tertiary"]


def test_the_task_ignores_a_vanished_job_and_does_not_rerun_a_finished_one(salesforce_account):
    generate_demo_schemas(salesforce_account)
    assert sync_enumerations(987654) is None
    job = enumeration_jobs.create(salesforce_account, [Mapping("Lead.Rating", "rating")])
    assert sync_enumerations(job.pk) == "done"
    finished_at = EnumerationSyncJob.objects.get(pk=job.pk).finished_at
    assert sync_enumerations(job.pk) == "done"
    assert EnumerationSyncJob.objects.get(pk=job.pk).finished_at == finished_at


def test_a_crm_failure_fails_the_job_with_the_crm_message(salesforce_account, salesforce_emulator):
    generate_demo_schemas(salesforce_account)
    job = enumeration_jobs.create(salesforce_account, [Mapping("Lead.Rating", "rating")])
    body = '[{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]'
    salesforce_emulator.inject("status", path=".*", status=401, body=body, count=50)
    assert sync_enumerations(job.pk) == "failed"
    job.refresh_from_db()
    assert "CRM error" in job.error and job.results == [] and not Enumeration.objects.exists()


def test_scheduled_resync_replays_the_last_mappings_with_their_replace_choice(salesforce_account, admin_api):
    generate_demo_schemas(salesforce_account)
    sync(admin_api, salesforce_account, ("Contact.LeadSource", "leadSource", True), ("Lead.Rating", "rating", False))
    Enumeration.objects.get(name="leadSource").values.create(value="Shop", label="Shop", position=9)
    Enumeration.objects.get(name="rating").values.create(value="Lukewarm", label="Lukewarm", position=9)
    job = EnumerationSyncJob.objects.get(pk=resync_account_enumerations(salesforce_account.pk))
    assert job.scheduled and job.mappings == [
        {"crm": "Contact.LeadSource", "enumeration": "leadSource", "replace": True},
        {"crm": "Lead.Rating", "enumeration": "rating", "replace": False}]
    assert [row["counts"]["removed"] for row in job.results] == [1, 0]
    assert Enumeration.objects.get(name="rating").values.filter(value="Lukewarm").exists()
