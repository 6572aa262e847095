"""What an activity needs while it runs: the rows' model, the connector, its
options, and ways to count, log, heartbeat and notice a cancellation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connectors.base import Connector
from connectors.types import Page, RecordResult, WriteMode
from wizard.models import DataSchema

from .directions import Directions
from .models import Activity, ActivityRun, Reject, Run, SyncState


class Cancelled(Exception):
    """The run was cancelled by a person; stop between pages."""


@dataclass
class Counts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0
    conflicts: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class ActivityContext:
    run: Run
    activity_run: ActivityRun
    activity: Activity
    schema: DataSchema
    model: type
    connector: Connector
    options: dict
    conflict_policy: str
    directions: Directions | None = None
    # A dry run: the caller rolls back every write; counts, log and rejects go to the ledger.
    ledger: object | None = None
    warnings: list[str] = field(default_factory=list)
    _conflicts: list[str] = field(default_factory=list)
    _calls_at_start: int = 0
    _calls_before: int = 0

    def __post_init__(self) -> None:
        self._calls_at_start = self.connector.api_usage().calls
        if self.run.budget_allowed is not None and self.ledger is None:
            from .budget import spent_by_run

            self._calls_before = spent_by_run(self.run, exclude_position=self.activity_run.position)
        if self.directions is None:
            self.directions = Directions.of(self.run.workflow, self.schema)

    @property
    def dry_run(self) -> bool:
        return self.ledger is not None

    @property
    def calls(self) -> int:
        """API calls this activity has made so far."""
        return self.connector.api_usage().calls - self._calls_at_start

    def add(self, counts: Counts) -> None:
        """Add page counts to the activity's counters (in the page's transaction)."""
        if self.ledger is not None:
            self.ledger.add(self.activity_run.pk, counts, self.calls)
            return
        changes = {name: F(name) + value for name, value in counts.as_dict().items()}
        ActivityRun.objects.filter(pk=self.activity_run.pk).update(api_calls=self.calls, **changes)
        Run.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())

    def log(self, message: str) -> None:
        if self.ledger is not None:
            self.ledger.log(message)
            return
        from .runlog import append

        append(self.run.pk, message)

    @contextmanager
    def page(self):
        """One page's transaction: rows, bookmark and counters commit together."""
        with transaction.atomic():
            yield

    def keep_reject(self, reject: Reject) -> None:
        if self.ledger is not None:
            self.ledger.rejects.append(reject)
        else:
            reject.save()

    # --- writing to the CRM (simulated in a dry run) ----------------------------
    def write_to_crm(self, records: list[dict], mode: WriteMode, key: str | None, all_or_none: bool) -> list:
        if self.ledger is None:
            return self.connector.write(self.schema.crm_name, records, mode, key, all_or_none)
        from .dry_run import simulated_writes

        return simulated_writes(self, records, mode, key)

    def delete_in_crm(self, ids: list[str]) -> list[RecordResult]:
        if self.ledger is None:
            return self.connector.delete(self.schema.crm_name, ids)
        return [RecordResult(success=True, id=crm_id) for crm_id in ids]

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.log("warning: " + message)

    def conflict(self, crm_id: str, side: str) -> None:
        self._conflicts.append(f"{crm_id} ({side} wins)")

    def flush_conflicts(self) -> None:
        """One log line per page: every conflicting id, with the side that won."""
        if self._conflicts:
            self.log(f"{len(self._conflicts)} conflict(s), changed on both sides, policy {self.conflict_policy}: "
                     + ", ".join(self._conflicts))
            self._conflicts = []

    def check_cancelled(self) -> None:
        """Between pages: stop if a person cancelled, or if the run has spent the
        API calls its budget allowed (what it committed so far is kept)."""
        if Run.objects.filter(pk=self.run.pk, cancel_requested=True).exists():
            raise Cancelled()
        allowed = self.run.budget_allowed
        if allowed is not None and self.ledger is None and self._calls_before + self.calls > allowed:
            from .budget import BudgetExhausted

            raise BudgetExhausted(calls=self.calls, message=(
                f"stopped: API budget: the run has spent {self._calls_before + self.calls} API call(s), past the "
                f"{allowed} its budget allowed (forecast {self.run.forecast_calls}); what it committed so far is kept"))

    def priced(self, pages: Iterator[Page]) -> Iterator[Page]:
        """`pages`, stopped at the first page that tells the read's size if the run's
        forecast did not count it and that size does not fit what the run may take:
        before any of its rows is written and before the next call (see workflows.budget)."""
        for page in pages:
            if page.total is not None and not self._counted():
                self._check_size(page.total)
            yield page

    def _counted(self) -> bool:
        entry = self._forecast_entry()
        return self.run.budget_allowed is None or self.ledger is not None or entry is None or entry["exact"]

    def _forecast_entry(self) -> dict | None:
        entries = (self.run.forecast or {}).get("activities") or []
        return next((e for e in entries if e["position"] == self.activity_run.position), None)

    def _check_size(self, total: int) -> None:
        later = sum(e["calls"] for e in self.run.forecast["activities"] if e["position"] > self.activity_run.position)
        needed = self._calls_before + self.calls + self.connector.read_calls(total) - 1 + later
        if needed > self.run.budget_allowed:
            from .budget import BudgetExhausted

            raise BudgetExhausted(calls=self.calls, message=(
                f"stopped: API budget: the CRM has {total} record(s) to read, {needed} API call(s) for the run, past "
                f"the {self.run.budget_allowed} its budget allows (forecast {self.run.forecast_calls} without a "
                "count); nothing of this read was written"))

    def set_total(self, total: int | None) -> None:
        if self.ledger is not None:
            self.ledger.totals[self.activity_run.pk] = total
            return
        ActivityRun.objects.filter(pk=self.activity_run.pk).update(total=total)

    # --- the activity's bookmark -------------------------------------------------
    def watermark(self) -> str:
        state = SyncState.objects.filter(activity=self.activity).first()
        return state.watermark if state else ""

    def save_watermark(self, value: str) -> None:
        """Call inside the transaction that commits the rows it covers."""
        SyncState.objects.update_or_create(activity=self.activity, defaults={"watermark": value})
