"""The wizard's "Generate" as a job the console can poll: the chosen tables are
described again, then generated one after the other, progress saved after each,
the CRM's own message kept when it fails."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from connectors.crypto import UndecryptableSecret
from connectors.errors import ConnectorError
from connectors.models import ExternalAccount

from . import generation, introspection
from .generation_job_models import GenerationJob

logger = logging.getLogger(__name__)
Status = GenerationJob.Status


def start(account: ExternalAccount, selection: dict, user=None) -> GenerationJob:
    """Create the job and hand it to a worker once the job row is committed."""
    from .tasks import generate_schemas

    job = GenerationJob.objects.create(account=account, selection=selection, total=len(selection),
                                       requested_by=user if getattr(user, "pk", None) else None)
    transaction.on_commit(lambda: generate_schemas.delay(job.pk))
    return job


def run(job: GenerationJob) -> GenerationJob:
    """Generate every table of the job; a redelivered task finds it done and stops."""
    if job.finished:
        return job
    _mark(job, status=Status.RUNNING, started_at=timezone.now(), done=0, results=[], error="")
    try:
        descriptions = introspection.describe(job.account, list(job.selection))
        for name, chosen in job.selection.items():
            outcome = generation.generate_one(job.account, descriptions[name], chosen, job.requested_by)
            job.results.append(outcome_message(outcome))
            _mark(job, done=job.done + 1, results=job.results)
    except (ConnectorError, UndecryptableSecret, generation.SelectionError) as exc:
        logger.warning("schema generation %s of account %s failed: %s", job.pk, job.account.internal_name, exc)
        return _mark(job, status=Status.FAILED, error=f"CRM error: {exc}", finished_at=timezone.now())
    except KeyError as exc:
        return _mark(job, status=Status.FAILED, error=f"the CRM no longer has the table {exc}",
                     finished_at=timezone.now())
    except Exception as exc:
        # Never leave the page polling a job that will not move again.
        _mark(job, status=Status.FAILED, error=f"internal error: {type(exc).__name__}", finished_at=timezone.now())
        raise
    return _mark(job, status=Status.DONE, finished_at=timezone.now())


def outcome_message(outcome: generation.TableOutcome) -> str:
    name = f"{outcome.schema.label} → table {outcome.schema.table_name}"
    if outcome.action == "created":
        return f"Generated {name} ({outcome.schema.fields.count()} fields)."
    if outcome.action == "updated":
        added = ", ".join(f.name for f in outcome.drift.new_fields) or "none"
        removed = ", ".join(outcome.drift.removed_fields) or "none"
        return f"Updated {name}: columns added: {added}; fields gone from the CRM (kept): {removed}."
    return f"{name} is up to date."


def _mark(job: GenerationJob, **values) -> GenerationJob:
    for name, value in values.items():
        setattr(job, name, value)
    job.save(update_fields=list(values))
    return job
