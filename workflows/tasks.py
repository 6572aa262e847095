"""Celery tasks of a run: thin, ids only, each calling the engine. A run is the
chain begin → one task per activity → finish."""

from __future__ import annotations

from celery import shared_task

from connectors.errors import TransientError

from . import engine, runs


@shared_task(name="workflows.begin_run", acks_late=True)
def begin_run(run_id: int) -> bool:
    return engine.begin(run_id)


@shared_task(
    name="workflows.run_activity",
    bind=True,
    acks_late=True,
    autoretry_for=(TransientError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def run_activity(self, run_id: int, position: int) -> bool:
    try:
        return engine.run_activity(run_id, position)
    except TransientError as exc:
        if self.request.retries >= self.max_retries:
            engine.mark_failed(run_id, f"CRM error after {self.max_retries} retries: {exc}")
            return False
        raise


@shared_task(name="workflows.finish_run", acks_late=True)
def finish_run(run_id: int) -> str:
    return engine.finish(run_id)


@shared_task(name="workflows.scheduled_run")
def scheduled_run(workflow_id: int) -> int | None:
    """Fired by Celery beat; a workflow already running is not started twice."""
    run = runs.start_scheduled(workflow_id)
    return run.pk if run else None


@shared_task(name="workflows.detect_vanished_runs")
def detect_vanished_runs() -> int:
    return runs.fail_vanished_runs()
