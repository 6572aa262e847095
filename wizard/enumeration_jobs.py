"""Running an enumeration sync as a job the console can poll: one mapping after
the other, progress saved after each, the CRM's message kept when it fails."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from connectors.crypto import UndecryptableSecret
from connectors.errors import ConnectorError
from connectors.models import ExternalAccount

from . import enumeration_catalog, enumeration_sync
from .enumeration_models import EnumerationValue
from .enumeration_models import EnumerationSyncJob
from .enumeration_plan import EnumerationPlan, Mapping
from .models import SchemaField

logger = logging.getLogger(__name__)
Status = EnumerationSyncJob.Status


def create(account: ExternalAccount, mappings: list[Mapping], user=None, scheduled=False) -> EnumerationSyncJob:
    return EnumerationSyncJob.objects.create(
        account=account, mappings=[m.as_dict() for m in mappings], total=len(mappings), scheduled=scheduled,
        requested_by=user if getattr(user, "pk", None) else None,
    )


def start(account: ExternalAccount, mappings: list[Mapping], user=None) -> EnumerationSyncJob:
    """Create the job and hand it to a worker once the job row is committed."""
    from .tasks import sync_enumerations

    job = create(account, mappings, user)
    transaction.on_commit(lambda: sync_enumerations.delay(job.pk))
    return job


def run(job: EnumerationSyncJob) -> EnumerationSyncJob:
    """Synchronize every mapping of the job; safe to run again (a redelivered task)."""
    if job.status == Status.DONE:
        return job
    _mark(job, status=Status.RUNNING, started_at=timezone.now(), done=0, results=[], error="")
    try:
        crm = {e.key: e for e in enumeration_catalog.crm_enumerations(job.account)}
        for mapping in [Mapping(**m) for m in job.mappings]:
            job.results.append(_sync_one(job.account, mapping, crm.get(mapping.crm)))
            _mark(job, done=job.done + 1, results=job.results)
        enumeration_sync.link_controllers(job.account, [m["enumeration"] for m in job.mappings])
    except (ConnectorError, UndecryptableSecret) as exc:
        logger.warning("enumeration sync %s of account %s failed: %s", job.pk, job.account.internal_name, exc)
        return _mark(job, status=Status.FAILED, error=f"CRM error: {exc}", finished_at=timezone.now())
    except Exception as exc:
        # Never leave the page polling a job that will not move again.
        _mark(job, status=Status.FAILED, error=f"internal error: {type(exc).__name__}", finished_at=timezone.now())
        raise
    return _mark(job, status=Status.DONE, finished_at=timezone.now())


# Rows store the CRM's value in a varchar(255) column too: a longer one cannot be kept.
VALUE_LENGTH = EnumerationValue._meta.get_field("value").max_length


def _sync_one(account, mapping: Mapping, crm) -> dict:
    if crm is None:
        return {**mapping.as_dict(), "error": "the CRM no longer has this enumeration", "changed": False,
                "created": False, "counts": {}, "fields_linked": 0, "in_use": []}
    too_long = max((len(v.value) for v in crm.values), default=0)
    if too_long > VALUE_LENGTH:
        return {**mapping.as_dict(), "changed": False, "created": False, "counts": {}, "fields_linked": 0,
                "in_use": [], "error": f"{crm.key} has a value of {too_long} characters; an enumeration value "
                                       f"holds at most {VALUE_LENGTH} (nothing was changed)"}
    plan, linked = enumeration_sync.synchronize(account, mapping, crm)
    return result_row(plan, linked)


def result_row(plan: EnumerationPlan, linked: int = 0) -> dict:
    return {
        **plan.mapping.as_dict(), "label": plan.crm_label, "created": plan.create, "changed": plan.changed or bool(linked),
        "counts": plan.counts(), "fields_linked": linked, "error": "",
        "in_use": [{"value": c.value, "label": c.label, "rows": c.rows,
                    "action": "deactivated" if c.kinds else "kept inactive"} for c in plan.in_use],
    }


def _mark(job: EnumerationSyncJob, **values) -> EnumerationSyncJob:
    for name, value in values.items():
        setattr(job, name, value)
    job.save(update_fields=list(values))
    return job


def replay_mappings(account: ExternalAccount) -> list[Mapping]:
    """The account's mappings as last synchronized, for a scheduled re-sync: every
    linked schema field's CRM enumeration into its local one."""
    links = (SchemaField.objects.filter(schema__account=account, enumeration__isnull=False, removed_from_crm=False)
             .exclude(enumeration_key="").values_list("enumeration_key", "enumeration__name", "enumeration__replace_on_sync")
             .distinct().order_by("enumeration_key"))
    mappings = {crm: Mapping(crm, name, replace) for crm, name, replace in links}
    shared = [m.enumeration for m in mappings.values()]
    # An enumeration fed by several CRM enumerations is only ever merged into.
    return [Mapping(m.crm, m.enumeration, m.replace and shared.count(m.enumeration) == 1) for m in mappings.values()]
