"""What an activity needs while it runs: the rows' model, the connector, its
options, and ways to count, log, heartbeat and notice a cancellation."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone

from connectors.base import Connector
from wizard.models import DataSchema

from .directions import Directions
from .models import Activity, ActivityRun, Run, SyncState


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
    warnings: list[str] = field(default_factory=list)
    _conflicts: list[str] = field(default_factory=list)
    _calls_at_start: int = 0

    def __post_init__(self) -> None:
        self._calls_at_start = self.connector.api_usage().calls
        if self.directions is None:
            self.directions = Directions.of(self.run.workflow, self.schema)

    def add(self, counts: Counts) -> None:
        """Add page counts to the activity's counters (in the page's transaction)."""
        calls = self.connector.api_usage().calls - self._calls_at_start
        changes = {name: F(name) + value for name, value in counts.as_dict().items()}
        ActivityRun.objects.filter(pk=self.activity_run.pk).update(api_calls=calls, **changes)
        Run.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())

    def log(self, message: str) -> None:
        from .runlog import append

        append(self.run.pk, message)

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
        if Run.objects.filter(pk=self.run.pk, cancel_requested=True).exists():
            raise Cancelled()

    def set_total(self, total: int | None) -> None:
        ActivityRun.objects.filter(pk=self.activity_run.pk).update(total=total)

    # --- the activity's bookmark -------------------------------------------------
    def watermark(self) -> str:
        state = SyncState.objects.filter(activity=self.activity).first()
        return state.watermark if state else ""

    def save_watermark(self, value: str) -> None:
        """Call inside the transaction that commits the rows it covers."""
        SyncState.objects.update_or_create(activity=self.activity, defaults={"watermark": value})
