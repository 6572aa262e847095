"""Running a workflow: one activity at a time, each in its own task, with the
run's status, counters and log kept in the database as it goes."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from connectors.errors import ConnectorError, TransientError
from connectors.services import redact
from wizard.live_models import model_for

from . import options as activity_options
from .context import ActivityContext, Cancelled
from .models import ACTIVE_STATUSES, Activity, ActivityRun, Reject, Run, RunStatus
from .operations import deletions, exporting, importing
from .runlog import append

logger = logging.getLogger("crmsync.workflows")

OPERATIONS = {
    "import": importing.run,
    "export": exporting.run,
    "import_deleted": deletions.import_deleted,
    "delete": deletions.delete_in_crm,
}


def begin(run_id: int) -> bool:
    """Mark a queued run running; False when it is no longer to be run."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in ACTIVE_STATUSES:
            return False
        now = timezone.now()
        Run.objects.filter(pk=run_id).update(status=RunStatus.RUNNING, started_at=run.started_at or now,
                                             heartbeat_at=now)
    append(run_id, f"run started ({run.trigger})")
    return True


def run_activity(run_id: int, position: int) -> bool:
    """Run one activity; False when the run must not go on."""
    run = Run.objects.select_related("workflow__account").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING:
        return False
    if run.cancel_requested:
        return False
    activity = Activity.objects.select_related("schema").filter(workflow=run.workflow, position=position).first()
    if activity is None:
        return True
    activity_run = _activity_run(run, activity)
    try:
        with run.workflow.account.connector() as connector:
            _execute(run, activity, activity_run, connector)
    except Cancelled:
        _close_activity(activity_run, RunStatus.CANCELLED)
        Run.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(
            status=RunStatus.CANCELLED, ended_at=timezone.now())
        append(run_id, f"run cancelled during activity {position + 1}")
        return False
    except TransientError:
        raise  # the task retries it with backoff; the watermark keeps what is done
    except Exception as exc:
        _fail(run, activity_run, exc)
        return False
    return True


def _activity_run(run: Run, activity: Activity) -> ActivityRun:
    activity_run, _ = ActivityRun.objects.get_or_create(
        run=run, position=activity.position,
        defaults={"activity": activity, "operation": activity.operation, "status": RunStatus.RUNNING,
                  "started_at": timezone.now()})
    return activity_run


def _execute(run: Run, activity: Activity, activity_run: ActivityRun, connector) -> None:
    schema = activity.schema
    ctx = ActivityContext(
        run=run, activity_run=activity_run, activity=activity, schema=schema, model=model_for(schema),
        connector=connector, options=activity_options.normalize(activity.operation, schema, activity.options),
        conflict_policy=run.workflow.conflict_policy,
    )
    append(run.pk, f"activity {activity.position + 1}: {activity.get_operation_display()} ({schema.crm_name})")
    OPERATIONS[activity.operation](ctx)
    activity_run.refresh_from_db()
    status = RunStatus.PARTIAL if (activity_run.rejected or ctx.warnings) else RunStatus.SUCCEEDED
    _close_activity(activity_run, status)
    append(run.pk, f"activity {activity.position + 1} {status}: " + _counter_text(activity_run))


def _counter_text(activity_run: ActivityRun) -> str:
    return ", ".join(f"{name} {getattr(activity_run, name)}" for name in ActivityRun.COUNTERS)


def _close_activity(activity_run: ActivityRun, status: str) -> None:
    ActivityRun.objects.filter(pk=activity_run.pk).update(status=status, ended_at=timezone.now())


def _fail(run: Run, activity_run: ActivityRun, exc: Exception) -> None:
    if isinstance(exc, ConnectorError):
        message = f"CRM error: {exc}"
    else:
        logger.exception("run %s failed", run.pk)
        message = f"{exc.__class__.__name__}: {exc}"
    message = redact(message, run.workflow.account.secrets)
    _close_activity(activity_run, RunStatus.FAILED)
    mark_failed(run.pk, f"activity {activity_run.position + 1} failed: {message}")


def finish(run_id: int) -> str:
    """Settle the run's final status from its activities."""
    run = Run.objects.get(pk=run_id)
    if run.status not in ACTIVE_STATUSES:
        return run.status
    statuses = set(run.activity_runs.values_list("status", flat=True))
    status = _final_status(run, statuses)
    Run.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(status=status, ended_at=timezone.now())
    append(run_id, f"run {status}")
    return status


def _final_status(run: Run, statuses: set[str]) -> str:
    if RunStatus.FAILED in statuses or run.error:
        return RunStatus.FAILED
    if run.cancel_requested or RunStatus.CANCELLED in statuses:
        return RunStatus.CANCELLED
    if RunStatus.PARTIAL in statuses or Reject.objects.filter(run=run).exists():
        return RunStatus.PARTIAL
    return RunStatus.SUCCEEDED


def mark_failed(run_id: int, message: str) -> None:
    Run.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(
        status=RunStatus.FAILED, error=message[:5000], ended_at=timezone.now())
    append(run_id, message)
