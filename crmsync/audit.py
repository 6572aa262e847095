"""The audit log (django-auditlog): who changed external accounts, schemas,
enumerations and workflows, and who started or cancelled runs. Credentials are
never written to it: the encrypted field is logged only as "changed"."""

from __future__ import annotations

from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.utils.functional import SimpleLazyObject

SECRET_SHOWN_AS = "(encrypted, not logged)"
# Fields whose change says nothing about who configured what (connection tests, clocks).
NOISE = ("updated_at", "created_at", "last_test_ok", "last_test_detail", "last_tested_at")
AUDITED = {
    "connectors.ExternalAccount": {"mask_fields": ["secrets"], "mask_callable": "crmsync.audit.hide_secret"},
    "wizard.DataSchema": {},
    "wizard.SchemaField": {},
    "wizard.Enumeration": {},
    "wizard.EnumerationValue": {},
    "workflows.Workflow": {},
    "workflows.Activity": {},
}
# How a run was started, as the log names the one who did it when no user did.
VIA = {"schedule": "scheduler", "command": "command line", "api": "API", "manual": "console", "retry": "console"}


def hide_secret(value: str) -> str:
    return SECRET_SHOWN_AS


def register_models() -> None:
    for label, options in AUDITED.items():
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=list(NOISE), **options)


def run_started(run, user=None) -> None:
    _run_event(run, "run started", user, VIA.get(run.trigger, run.trigger), LogEntry.Action.CREATE)


def run_cancelled(run, user=None, via: str = "API") -> None:
    _run_event(run, "run cancelled", user, via, LogEntry.Action.UPDATE)


def _run_event(run, event: str, user, via: str, action: int) -> None:
    actor = user if getattr(user, "pk", None) else None
    LogEntry.objects.log_create(
        run, force_log=True, action=action, actor=actor, actor_email=getattr(actor, "email", None),
        changes={"event": [None, event]}, additional_data={"event": event, "via": via, "workflow": run.workflow_id},
    )


class AuditActorMiddleware(AuditlogMiddleware):
    """auditlog's middleware, with the actor read when an entry is written rather than
    when the request comes in: the API authenticates tokens after the middleware."""

    @staticmethod
    def _get_actor(request):
        return SimpleLazyObject(lambda: AuditlogMiddleware._get_actor(request))
