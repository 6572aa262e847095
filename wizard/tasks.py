"""Celery tasks of the wizard: thin wrappers that re-read their rows by id and
call the enumeration services (in-process when no broker is configured)."""

from __future__ import annotations

from celery import shared_task

from connectors.models import ExternalAccount

from . import enumeration_jobs
from .enumeration_models import EnumerationSyncJob


@shared_task(name="wizard.sync_enumerations")
def sync_enumerations(job_id: int) -> str | None:
    """Run one enumeration sync job; a vanished job is quietly ignored."""
    job = EnumerationSyncJob.objects.select_related("account").filter(pk=job_id).first()
    if job is None:
        return None
    return enumeration_jobs.run(job).status


@shared_task(name="wizard.resync_account_enumerations")
def resync_account_enumerations(account_id: int) -> int | None:
    """Scheduled re-sync: replay the account's last mappings; returns the job id."""
    account = ExternalAccount.objects.filter(pk=account_id, enabled=True).first()
    if account is None:
        return None
    mappings = enumeration_jobs.replay_mappings(account)
    if not mappings:
        return None
    job = enumeration_jobs.create(account, mappings, scheduled=True)
    enumeration_jobs.run(job)
    return job.pk


@shared_task(name="wizard.generate_schemas")
def generate_schemas(job_id: int) -> str | None:
    """Run one schema generation job of the configuration wizard; a vanished job is ignored."""
    from . import generation_jobs
    from .generation_job_models import GenerationJob

    job = GenerationJob.objects.select_related("account", "requested_by").filter(pk=job_id).first()
    if job is None:
        return None
    return generation_jobs.run(job).status
