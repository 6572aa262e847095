"""Celery tasks of a run: thin, ids only, each calling the engine and then
sending the run's next step (the next activity, the parts of a split import, or
the end). Executed eagerly, the next step is executed eagerly too."""

from __future__ import annotations

from celery import group, shared_task
from django.db import InterfaceError, OperationalError

from connectors.errors import TransientError

from . import dry_run as dry_runs
from . import engine, runs
from .operations.parts import Part

# A CRM's transient failure, or the database going away mid-activity (a restart,
# a failover): pages are committed with their watermark, so a retry resumes.
RETRIED = (TransientError, OperationalError, InterfaceError)
RETRYING = dict(bind=True, acks_late=True, autoretry_for=RETRIED, retry_backoff=5, retry_backoff_max=300,
                retry_jitter=True, max_retries=5)


def _send(task, signature) -> None:
    """The next step, on the queue this run came on (eagerly if this was eager)."""
    if task.request.is_eager:
        signature.apply()
    else:
        queue = (task.request.delivery_info or {}).get("routing_key")
        signature.apply_async(queue=queue) if queue else signature.apply_async()


def _go_on(task, run_id: int, step: engine.Step) -> None:
    if step.kind == "activity":
        _send(task, run_activity.si(run_id, step.position))
    elif step.kind == "finish":
        _send(task, finish_run.si(run_id))
    elif step.kind == "parts":
        parts = [import_part.si(run_id, step.position, p.start.isoformat(), p.end.isoformat(), p.last, p.first)
                 for p in step.parts]
        _send(task, group(parts))


def _failing_after_retries(task, run_id: int, exc: Exception) -> None:
    if task.request.retries >= task.max_retries:
        source = "CRM" if isinstance(exc, TransientError) else "database"
        engine.mark_failed(run_id, f"{source} error after {task.max_retries} retries: {exc}")
        return
    raise exc


@shared_task(name="workflows.begin_run", bind=True, acks_late=True)
def begin_run(self, run_id: int) -> str:
    step = engine.begin(run_id)
    _go_on(self, run_id, step)
    return step.kind


@shared_task(name="workflows.resume_run", bind=True, acks_late=True)
def resume_run(self, run_id: int) -> str:
    """A run paused for a deletion confirmation, confirmed: its activity again."""
    step = engine.resume_confirmed(run_id)
    _go_on(self, run_id, step)
    return step.kind


@shared_task(name="workflows.run_activity", **RETRYING)
def run_activity(self, run_id: int, position: int) -> str:
    try:
        step = engine.run_activity(run_id, position)
    except RETRIED as exc:
        _failing_after_retries(self, run_id, exc)
        return "stop"
    _go_on(self, run_id, step)
    return step.kind


@shared_task(name="workflows.import_part", **RETRYING)
def import_part(self, run_id: int, position: int, start: str, end: str, last: bool, first: bool) -> str:
    part = Part(Part.parse(start), Part.parse(end), last, first)
    try:
        step = engine.run_part(run_id, position, part)
    except RETRIED as exc:
        _failing_after_retries(self, run_id, exc)
        return "stop"
    _go_on(self, run_id, step)
    return step.kind


@shared_task(name="workflows.dry_run", acks_late=True)
def dry_run(run_id: int) -> str:
    """A whole dry run in one task: its writes are rolled back together at the end."""
    return dry_runs.perform(run_id)


@shared_task(name="workflows.finish_run", acks_late=True)
def finish_run(run_id: int) -> str:
    return engine.finish(run_id)


@shared_task(name="workflows.scheduled_run")
def scheduled_run(workflow_id: int) -> int | None:
    """Fired by Celery beat; a workflow already running is not started twice."""
    run = runs.start_scheduled(workflow_id)
    return run.pk if run else None


@shared_task(name="workflows.release_waiting_runs")
def release_waiting_runs() -> int:
    """Fired by Celery beat: runs waiting for API budget are forecast again."""
    return runs.release_waiting_runs()


@shared_task(name="workflows.detect_vanished_runs")
def detect_vanished_runs() -> int:
    return runs.fail_vanished_runs()


from . import audit_tasks  # noqa: E402,F401  (registers the audit tasks with the worker)
