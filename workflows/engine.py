"""Running a workflow: one activity at a time, each in its own task, a large
import split into parts that several workers take at once; the run's status,
counters and log are kept in the database as it goes."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from connectors.errors import ApiLimitReached, ConnectorError, TransientError
from connectors.services import redact
from wizard.live_models import model_for

from . import budget, guardrails, sessions, watermarks
from . import options as activity_options
from .context import ActivityContext, Cancelled
from .models import ACTIVE_STATUSES, Activity, ActivityRun, Reject, Run, RunStatus
from .operations import deletions, exporting, importing, parts
from .runlog import append

logger = logging.getLogger("crmsync.workflows")

OPERATIONS = {
    "import": importing.run,
    "export": exporting.run,
    "import_deleted": deletions.import_deleted,
    "delete": deletions.delete_in_crm,
}


@dataclass(frozen=True)
class Step:
    """What a run does after a task: go on to `position`, finish, stop, or wait
    for `parts` of the current activity to be done by other tasks."""

    kind: str  # "activity", "finish", "stop", "parts"
    position: int | None = None
    parts: tuple[parts.Part, ...] = ()


STOP = Step("stop")


def begin(run_id: int) -> Step:
    """Forecast a queued (or waiting) run against the API budget; then mark it
    running and go to its first activity, or let it wait, or stop it."""
    run = Run.objects.select_related("workflow__account").filter(pk=run_id).first()
    if run is None or run.status not in ACTIVE_STATUSES or run.status == RunStatus.AWAITING_CONFIRMATION:
        return STOP
    allowed = run.budget_allowed
    if run.status != RunStatus.RUNNING:
        # A worker has the run from here on: the forecast calls the CRM, so a worker
        # killed during it must be found vanished like one killed while running.
        Run.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(heartbeat_at=timezone.now())
        verdict = budget.assess(run)
        if verdict.kind == "wait":
            if budget.waited_too_long(run):
                _settle(run_id, "stopped: API budget: waited 24 hours", status=RunStatus.STOPPED_BUDGET,
                        error=verdict.message[:5000])
            elif Run.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(status=RunStatus.WAITING_BUDGET):
                append(run_id, verdict.message + "; the run starts when the budget allows")
            sessions.release(run_id)  # it is forecast anew, on fresh figures, when released
            return STOP
        if verdict.kind == "stop":
            _settle(run_id, verdict.message, status=RunStatus.STOPPED_BUDGET, error=verdict.message[:5000])
            return STOP
        append(run_id, verdict.message)
        allowed = verdict.allowed
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in ACTIVE_STATUSES:
            return STOP
        now = timezone.now()
        Run.objects.filter(pk=run_id).update(status=RunStatus.RUNNING, started_at=run.started_at or now,
                                             heartbeat_at=now, budget_allowed=allowed)
    append(run_id, f"run started ({run.trigger})")
    return next_step(run, -1)


def next_step(run: Run, position: int) -> Step:
    following = run.workflow.activities.filter(position__gt=position).order_by("position").first()
    return Step("activity", following.position) if following else Step("finish")


def run_activity(run_id: int, position: int) -> Step:
    """Run one activity (or plan its parts) and say what comes next."""
    run = _running(run_id)
    if run is None:
        return STOP
    activity = Activity.objects.select_related("schema").filter(workflow=run.workflow, position=position).first()
    if activity is None:
        return next_step(run, position)
    activity_run = _activity_run(run, activity)
    planned, warned = _guarded(run, activity_run, lambda ctx: OPERATIONS[activity.operation](ctx), activity)
    if planned is False:
        return STOP
    if planned:
        return Step("parts", position, tuple(planned))
    _close_successfully(run, activity_run, warned)
    return next_step(run, position)


def run_part(run_id: int, position: int, part: parts.Part) -> Step:
    """One part of a split import; the last part to finish settles the activity."""
    run = _running(run_id)
    if run is None:
        return STOP
    activity = Activity.objects.select_related("schema").get(workflow=run.workflow, position=position)
    activity_run = ActivityRun.objects.get(run=run, position=position)
    done, warned = _guarded(run, activity_run, lambda ctx: importing.run_part(ctx, part), activity)
    if done is False:
        return STOP
    with transaction.atomic():
        ActivityRun.objects.filter(pk=activity_run.pk).update(parts_done=F("parts_done") + 1)
        activity_run = ActivityRun.objects.select_for_update().get(pk=activity_run.pk)
        if activity_run.parts_done < activity_run.parts_total:
            return STOP
        _save_parts_watermark(activity, activity_run.parts_until)
    _close_successfully(run, activity_run, warned)
    return next_step(run, position)


def _save_parts_watermark(activity: Activity, until: dt.datetime) -> None:
    from .models import SyncState

    SyncState.objects.update_or_create(activity=activity,
                                       defaults={"watermark": watermarks.dump(watermarks.Bookmark(until, None))})


def _running(run_id: int) -> Run | None:
    run = Run.objects.select_related("workflow__account").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING or run.cancel_requested:
        if run is not None and run.cancel_requested and run.status == RunStatus.RUNNING:
            _cancel(run.pk, "run cancelled")
        return None
    return run


def _guarded(run: Run, activity_run: ActivityRun, work, activity: Activity) -> tuple[object, bool]:
    """Run `work(ctx)`: its result and whether it warned; False as the result when
    the run must stop (failed or cancelled)."""
    try:
        with sessions.connector_for(run) as connector:
            ctx = _context(run, activity, activity_run, connector)
            return work(ctx), bool(ctx.warnings)
    except Cancelled:
        _close_activity(activity_run, RunStatus.CANCELLED)
        _cancel(run.pk, f"run cancelled during activity {activity_run.position + 1}")
        return False, False
    except guardrails.AwaitingConfirmation as pause:
        _await_confirmation(run, activity_run, pause)
        return False, False
    except (budget.BudgetExhausted, ApiLimitReached) as exc:
        _stop_for_budget(run, activity_run, exc)
        return False, False
    except TransientError:
        raise  # the task retries it with backoff; the watermark keeps what is done
    except (OperationalError, InterfaceError):
        raise  # the database went away (a restart): the task retries once it is back
    except Exception as exc:
        _fail(run, activity_run, exc)
        return False, False


def _context(run: Run, activity: Activity, activity_run: ActivityRun, connector) -> ActivityContext:
    schema = activity.schema
    return ActivityContext(
        run=run, activity_run=activity_run, activity=activity, schema=schema, model=model_for(schema),
        connector=connector, options=activity_options.normalize(activity.operation, schema, activity.options),
        conflict_policy=run.workflow.conflict_policy,
    )


def _activity_run(run: Run, activity: Activity) -> ActivityRun:
    activity_run, created = ActivityRun.objects.get_or_create(
        run=run, position=activity.position,
        defaults={"activity": activity, "operation": activity.operation, "status": RunStatus.RUNNING,
                  "started_at": timezone.now()})
    if created:
        append(run.pk, f"activity {activity.position + 1}: {activity.get_operation_display()} "
                       f"({activity.schema.crm_name})")
    return activity_run


def _close_successfully(run: Run, activity_run: ActivityRun, warned: bool) -> None:
    activity_run.refresh_from_db()
    status = RunStatus.PARTIAL if (activity_run.rejected or warned) else RunStatus.SUCCEEDED
    _close_activity(activity_run, status)
    append(run.pk, f"activity {activity_run.position + 1} {status}: " + _counter_text(activity_run))


def _counter_text(activity_run: ActivityRun) -> str:
    return ", ".join(f"{name} {getattr(activity_run, name)}" for name in ActivityRun.COUNTERS)


def _close_activity(activity_run: ActivityRun, status: str) -> None:
    ActivityRun.objects.filter(pk=activity_run.pk).update(status=status, ended_at=timezone.now())


def _cancel(run_id: int, message: str) -> None:
    _settle(run_id, message, status=RunStatus.CANCELLED)


def settle(run_id: int, message: str, **changes) -> None:
    _settle(run_id, message, **changes)


def _settle(run_id: int, message: str, **changes) -> None:
    """End an active run with `changes`, its last log line written first, so that
    whoever sees the final status also sees why."""
    if Run.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).exists():
        append(run_id, message)
    Run.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(ended_at=timezone.now(), **changes)
    sessions.release(run_id)


def _stop_for_budget(run: Run, activity_run: ActivityRun, exc: Exception) -> None:
    """Never "succeeded": the run ends with its own status and the reason."""
    message = str(exc) if isinstance(exc, budget.BudgetExhausted) else f"stopped: API budget: the CRM said {exc}"
    message = redact(message, run.workflow.account.secrets)
    if getattr(exc, "calls", None) is not None:
        ActivityRun.objects.filter(pk=activity_run.pk).update(api_calls=exc.calls)
    _close_activity(activity_run, RunStatus.STOPPED_BUDGET)
    _settle(run.pk, f"activity {activity_run.position + 1} {message}", status=RunStatus.STOPPED_BUDGET,
            error=message[:5000])


def _await_confirmation(run: Run, activity_run: ActivityRun, pause: guardrails.AwaitingConfirmation) -> None:
    """Pause the run with what the activity would delete; nothing was deleted."""
    table = activity_run.activity.schema.crm_name if activity_run.activity else ""
    pending = {"position": activity_run.position, "table": table, "operation": activity_run.operation,
               "count": pause.count, "limit": pause.limit_text, "crm_ids": pause.crm_ids, "confirmed": False}
    ActivityRun.objects.filter(pk=activity_run.pk).update(status=RunStatus.AWAITING_CONFIRMATION)
    append(run.pk, f"activity {activity_run.position + 1} paused: it would delete {pause.count} row(s) of {table}, "
                   f"more than {pause.limit_text}; an administrator must confirm or cancel")
    Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(status=RunStatus.AWAITING_CONFIRMATION,
                                                                   pending_deletions=pending)


def resume_confirmed(run_id: int) -> Step:
    """After a confirmation: the paused activity again, allowed that many deletions."""
    run = Run.objects.filter(pk=run_id, status=RunStatus.RUNNING).first()
    if run is None:
        return STOP
    position = run.pending_deletions["position"]
    ActivityRun.objects.filter(run=run, position=position).update(status=RunStatus.RUNNING)
    return Step("activity", position)


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
    _settle(run_id, f"run {status}", status=status)
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
    _settle(run_id, message, status=RunStatus.FAILED, error=message[:5000])
