"""Sync workflows: an ordered list of CRM connector activities on one external
account, their watermarks, and the runs with their counters, logs and rejects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from connectors.models import ExternalAccount
from wizard.models import DataSchema


class ConflictPolicy(models.TextChoices):
    CRM_WINS = "crm_wins", "CRM wins"
    LOCAL_WINS = "local_wins", "local wins"
    NEWEST_WINS = "newest_wins", "newest wins"


class Operation(models.TextChoices):
    IMPORT = "import", "Import from the CRM"
    EXPORT = "export", "Export to the CRM"
    IMPORT_DELETED = "import_deleted", "Import objects deleted in the CRM"
    DELETE = "delete", "Delete objects in the CRM"


class Workflow(models.Model):
    name = models.CharField(max_length=200)
    internal_name = models.SlugField(max_length=100, unique=True)
    account = models.ForeignKey(ExternalAccount, on_delete=models.PROTECT, related_name="workflows")
    enabled = models.BooleanField(default=True)
    schedule = models.CharField(
        max_length=100, blank=True, help_text="Cron expression (minute hour day month weekday); blank: manual only."
    )
    conflict_policy = models.CharField(max_length=20, choices=ConflictPolicy.choices, default=ConflictPolicy.CRM_WINS)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """One CRM connector step. `options` holds the operation's settings (see
    workflows.options for their shape and validation)."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="activities")
    position = models.PositiveIntegerField(default=0)
    operation = models.CharField(max_length=20, choices=Operation.choices)
    schema = models.ForeignKey(DataSchema, on_delete=models.PROTECT, related_name="activities")
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("workflow", "position", "id")
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.get_operation_display()}: {self.schema.crm_name}"


class SyncState(models.Model):
    """An activity's bookmark: written in the same transaction as the rows it
    covers, so it never runs ahead of committed data."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="state")
    watermark = models.CharField(max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class Run(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=20, default="manual")  # manual, api, schedule, command, retry
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    log = models.TextField(blank=True)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            # At most one queued or running run per workflow: a second request
            # fails on this index instead of racing.
            models.UniqueConstraint(
                fields=("workflow",), condition=Q(status__in=ACTIVE_STATUSES), name="one_active_run_per_workflow"
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.workflow} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ActivityRun(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="activity_runs")
    activity = models.ForeignKey(Activity, on_delete=models.SET_NULL, null=True, related_name="runs")
    position = models.PositiveIntegerField(default=0)
    operation = models.CharField(max_length=20, choices=Operation.choices)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    total = models.PositiveIntegerField(null=True, blank=True)
    read = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    # A large import split into stamp ranges read by several workers at once.
    parts_total = models.PositiveIntegerField(default=0)
    parts_done = models.PositiveIntegerField(default=0)
    parts_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("run", "position")

    COUNTERS = ("read", "inserted", "updated", "unchanged", "rejected", "deleted", "conflicts", "api_calls")


class Reject(models.Model):
    """A record the CRM refused, with the CRM's own code and message."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="rejects")
    activity_run = models.ForeignKey(ActivityRun, on_delete=models.CASCADE, related_name="rejects")
    local_key = models.CharField(max_length=255, blank=True)
    crm_id = models.CharField(max_length=255, blank=True)
    code = models.CharField(max_length=255)
    message = models.TextField()
    fields = models.JSONField(default=list, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("run", "id")


class ExportJournal(models.Model):
    """Rows whose create is on its way to the CRM. Deleted once the answer is
    stored; an entry left behind means the run died in between."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+")
    row_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=("activity", "row_id"))]


from .audit_models import AuditReport, AuditSchedule  # noqa: E402,F401  (reconciliation audits)
