"""Starting, cancelling and watching runs: at most one active run per workflow,
runs whose worker vanished detected and failed, rejects retried."""

from __future__ import annotations

import datetime as dt
import threading

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.db.models import Q
from django.utils import timezone

from connectors.types import OUTCOME_UNKNOWN
from crmsync import audit

from . import engine
from .models import ACTIVE_STATUSES, ExportJournal, Reject, Run, RunStatus, Workflow
from .runlog import append


class RunAlreadyActive(Exception):
    def __init__(self, run: Run):
        super().__init__(f"workflow {run.workflow} already has run {run.pk} {run.status}")
        self.run = run


class WorkflowDisabled(Exception):
    pass


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "CRMSYNC_RUN_STALE_AFTER", 300))


def start_run(workflow: Workflow, trigger: str = "manual", user=None, retry_of: Run | None = None,
              dry_run: bool = False) -> Run:
    """Queue a run (or a dry run) and send its task chain once the run row is committed."""
    if not workflow.enabled:
        raise WorkflowDisabled(f"workflow {workflow.internal_name} is disabled")
    fail_vanished_runs(workflow)
    try:
        with transaction.atomic():
            run = Run.objects.create(workflow=workflow, trigger=trigger, dry_run=dry_run,
                                     started_by=user if getattr(user, "pk", None) else None, retry_of=retry_of)
    except IntegrityError:
        raise RunAlreadyActive(Run.objects.get(workflow=workflow, status__in=ACTIVE_STATUSES)) from None
    audit.run_started(run, user)
    transaction.on_commit(lambda: dispatch(run))
    return run


def start_scheduled(workflow_id: int) -> Run | None:
    workflow = Workflow.objects.filter(pk=workflow_id, enabled=True).first()
    if workflow is None:
        return None
    try:
        return start_run(workflow, trigger="schedule")
    except RunAlreadyActive:
        return None


def run_chain(run: Run, resume: bool = False):
    """The run's first task (or the one resuming it after a confirmation); each
    task sends the next step itself."""
    from . import tasks

    if resume:
        return tasks.resume_run.si(run.pk)
    if run.dry_run:
        return tasks.dry_run.si(run.pk)
    return tasks.begin_run.si(run.pk)


def dispatch(run: Run, resume: bool = False) -> None:
    """To the broker; or, with in-process tasks, to a background thread so that
    the page that started the run can show its progress."""
    signature = run_chain(run, resume)
    if not settings.CRMSYNC_IN_PROCESS_TASKS:
        signature.apply_async(queue=settings.CRMSYNC_QUEUE)
    elif getattr(settings, "CRMSYNC_IN_PROCESS_SYNCHRONOUS", False):
        signature.apply()
    else:
        threading.Thread(target=_apply_in_thread, args=(signature,), daemon=True, name=f"run-{run.pk}").start()


def _apply_in_thread(signature) -> None:
    close_old_connections()
    try:
        signature.apply()
    finally:
        # This thread's connections die with it: close them rather than leak them.
        connections.close_all()


PAUSED = (RunStatus.QUEUED, RunStatus.WAITING_BUDGET, RunStatus.AWAITING_CONFIRMATION)


class NotAwaitingConfirmation(Exception):
    pass


def cancel(run: Run, user=None, via: str = "API") -> Run:
    """Ask a run to stop between pages; a run not yet started, waiting for budget
    or awaiting a confirmation stops at once."""
    if run.is_active and not run.cancel_requested:
        audit.run_cancelled(run, user, via)
    Run.objects.filter(pk=run.pk).update(cancel_requested=True)
    if Run.objects.filter(pk=run.pk, status__in=PAUSED).exists():
        engine.settle(run.pk, "run cancelled", status=RunStatus.CANCELLED)
    run.refresh_from_db()
    return run


def confirm_deletions(run: Run, user=None) -> Run:
    """An administrator allows the paused activity its deletions: it runs again,
    and may delete as many rows as it announced (no more)."""
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.AWAITING_CONFIRMATION:
            raise NotAwaitingConfirmation(f"run {run.pk} is {locked.status}, not awaiting a confirmation")
        pending = {**locked.pending_deletions, "confirmed": True}
        Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, pending_deletions=pending,
                                             heartbeat_at=timezone.now(),
                                             deletions_confirmed_by=user if getattr(user, "pk", None) else None)
    who = getattr(user, "username", "") or "an administrator"
    append(run.pk, f"{who} confirmed {pending['count']} deletion(s) of {pending['table']}")
    transaction.on_commit(lambda: dispatch(run, resume=True))
    run.refresh_from_db()
    return run


def fail_vanished_runs(workflow: Workflow | None = None) -> int:
    """Runs that stopped beating (their worker was killed) are failed, so the next
    run can start and resume from the last committed watermark."""
    limit = timezone.now() - stale_after()
    runs = Run.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=limit)
    # A queued run a worker picked up (it beat once, before its forecast) goes stale like
    # a running one; one no worker ever picked up is given twice as long.
    queued = Run.objects.filter(Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, created_at__lt=limit - stale_after()),
                                status=RunStatus.QUEUED)
    if workflow is not None:
        runs, queued = runs.filter(workflow=workflow), queued.filter(workflow=workflow)
    count = 0
    for run in list(runs) + list(queued):
        engine.mark_failed(run.pk, "the worker running this run vanished (no heartbeat since "
                           f"{run.heartbeat_at or run.created_at:%Y-%m-%d %H:%M:%S}); the next run resumes "
                           "from the last committed watermark")
        count += 1
    return count


def release_waiting_runs() -> int:
    """Runs waiting for API budget try again (each is forecast anew)."""
    waiting = list(Run.objects.filter(status=RunStatus.WAITING_BUDGET).select_related("workflow"))
    for run in waiting:
        dispatch(run)
    return len(waiting)


def retry_rejects(run: Run, user=None) -> Run:
    """Release rows held back by an interrupted export and run the workflow again."""
    codes = ("CRMSYNC_UNCERTAIN_CREATE", OUTCOME_UNKNOWN)
    row_ids = list(Reject.objects.filter(run=run, code__in=codes).values_list("local_key", flat=True))
    ExportJournal.objects.filter(activity__workflow=run.workflow, row_id__in=[int(i) for i in row_ids if i]).delete()
    return start_run(run.workflow, trigger="retry", user=user, retry_of=run)
