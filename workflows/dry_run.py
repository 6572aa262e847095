"""Dry runs: every activity of a workflow runs inside one transaction that is
rolled back at the end, with its writes to the CRM simulated, so that the
counters, rejects and log say exactly what a real run would insert, update,
delete and reject; only reads reach the CRM, and the calls they cost are counted."""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from connectors.base import chunked
from connectors.services import redact
from connectors.types import Condition, Op, ReadRequest, RecordResult, WriteMode
from wizard.live_models import model_for

from . import budget, engine
from . import options as activity_options
from .context import ActivityContext, Cancelled, Counts
from .models import ACTIVE_STATUSES, ActivityRun, Reject, Run, RunStatus
from .runlog import append

KEYS_PER_QUERY = 200


class Ledger:
    """What the activities would have written to the run's own records, kept in
    memory while their data writes are rolled back."""

    def __init__(self) -> None:
        self.counts: dict[int, Counts] = defaultdict(Counts)
        self.calls: dict[int, int] = {}
        self.totals: dict[int, int | None] = {}
        self.lines: list[str] = []
        self.rejects: list[Reject] = []

    def add(self, activity_run_id: int, counts: Counts, calls: int) -> None:
        kept = self.counts[activity_run_id]
        for name, value in counts.as_dict().items():
            setattr(kept, name, getattr(kept, name) + value)
        self.calls[activity_run_id] = calls

    def log(self, message: str) -> None:
        self.lines.append(message)


class _RollBack(Exception):
    pass


def perform(run_id: int) -> str:
    """Run every activity without writing anything, then store what it would do."""
    run = Run.objects.select_related("workflow__account").get(pk=run_id)
    if run.status not in ACTIVE_STATUSES:
        return run.status
    Run.objects.filter(pk=run_id).update(status=RunStatus.RUNNING, started_at=timezone.now(),
                                         heartbeat_at=timezone.now())
    append(run_id, "dry run started: reads only; nothing is written locally or to the CRM")
    budget.record_forecast(run)
    steps = [(activity, ActivityRun.objects.create(
        run=run, activity=activity, position=activity.position, operation=activity.operation,
        status=RunStatus.RUNNING, started_at=timezone.now()))
        for activity in run.workflow.activities.select_related("schema").order_by("position")]
    ledger, statuses = Ledger(), {}
    try:
        with transaction.atomic():
            for activity, activity_run in steps:
                statuses[activity_run.pk] = _activity(run, activity, activity_run, ledger)
                if statuses[activity_run.pk] in (RunStatus.FAILED, RunStatus.CANCELLED):
                    break
            raise _RollBack
    except _RollBack:
        pass
    _store(run, steps, ledger, statuses)
    return engine.finish(run_id)


def _activity(run: Run, activity, activity_run: ActivityRun, ledger: Ledger) -> str:
    ledger.log(f"activity {activity.position + 1}: {activity.get_operation_display()} ({activity.schema.crm_name})")
    rejects_before, lines_before = len(ledger.rejects), len(ledger.lines)
    try:
        with transaction.atomic(), run.workflow.account.connector() as connector:
            ctx = ActivityContext(
                run=run, activity_run=activity_run, activity=activity, schema=activity.schema,
                model=model_for(activity.schema), connector=connector, conflict_policy=run.workflow.conflict_policy,
                options=activity_options.normalize(activity.operation, activity.schema, activity.options),
                ledger=ledger)
            try:
                engine.OPERATIONS[activity.operation](ctx)
            finally:
                ledger.calls[activity_run.pk] = ctx.calls
    except Cancelled:
        ledger.log("dry run cancelled")
        return RunStatus.CANCELLED
    except Exception as exc:  # reported in the run like a real run's failure
        message = redact(f"{exc.__class__.__name__}: {exc}", run.workflow.account.secrets)
        ledger.log(f"activity {activity.position + 1} failed: {message}")
        Run.objects.filter(pk=run.pk).update(error=message[:5000])
        return RunStatus.FAILED
    warned = any(line.startswith("warning: ") for line in ledger.lines[lines_before:])
    return RunStatus.PARTIAL if len(ledger.rejects) > rejects_before or warned else RunStatus.SUCCEEDED


def _store(run: Run, steps, ledger: Ledger, statuses: dict) -> None:
    for line in ledger.lines:
        append(run.pk, line)
    Reject.objects.bulk_create(ledger.rejects)
    for _activity_, activity_run in steps:
        counts = ledger.counts[activity_run.pk].as_dict()
        status = statuses.get(activity_run.pk, RunStatus.CANCELLED)
        ActivityRun.objects.filter(pk=activity_run.pk).update(
            status=status, ended_at=timezone.now(), api_calls=ledger.calls.get(activity_run.pk, 0),
            total=ledger.totals.get(activity_run.pk), **counts)
        activity_run.refresh_from_db()
        append(run.pk, f"activity {activity_run.position + 1} would have: " + ", ".join(
            f"{name} {getattr(activity_run, name)}" for name in ActivityRun.COUNTERS))


# --- simulated writes ---------------------------------------------------------
def simulated_writes(ctx: ActivityContext, records: list[dict], mode: WriteMode, key: str | None) -> list:
    """What the CRM would answer, as far as can be known without writing: creates
    and updates succeed; an upsert by key creates unless the CRM has that key (read)."""
    id_field = ctx.schema.id_field
    if mode is WriteMode.CREATE:
        return [RecordResult(True, id=_dry_id(), created=True) for _ in records]
    if mode is WriteMode.UPDATE:
        return [RecordResult(True, id=r.get(id_field), created=False) for r in records]
    if not key or key == id_field:
        return [RecordResult(True, id=r.get(id_field) or _dry_id(), created=not r.get(id_field)) for r in records]
    known = _known_keys(ctx, key, [r.get(key) for r in records if r.get(key) not in (None, "")])
    return [RecordResult(True, id=known.get(r.get(key)) or _dry_id(), created=r.get(key) not in known)
            for r in records]


def _known_keys(ctx: ActivityContext, key: str, values: list) -> dict:
    id_field, found = ctx.schema.id_field, {}
    for batch in chunked(sorted(set(values), key=str), KEYS_PER_QUERY):
        request = ReadRequest(table=ctx.schema.crm_name, fields=(id_field, key),
                              conditions=(Condition(key, Op.IN, tuple(batch)),))
        for page in ctx.connector.read(request):
            found.update({r[key]: r[id_field] for r in page.records})
    return found


def _dry_id() -> str:
    return "dry-run-" + uuid.uuid4().hex[:24]
