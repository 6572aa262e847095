"""Reconciliation audits of generated tables: each report keeps what the CRM and
the local table disagree on (counts, a sample of ids, the full id lists the
repairs act on) and what it cost; a schedule per table runs them on cron."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from wizard.models import DataSchema

SAMPLE_SIZE = 20


class CompareMode(models.TextChoices):
    NONE = "none", "ids only"
    SAMPLE = "sample", "ids, and the values of a sample of rows"
    ALL = "all", "ids, and the values of every row"


class AuditStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class AuditCategory(models.TextChoices):
    MISSING = "missing", "missing locally"
    DELETED = "deleted", "deleted in the CRM, alive locally"
    STALE = "stale", "values differ"


class AuditReport(models.Model):
    schema = models.ForeignKey(DataSchema, on_delete=models.CASCADE, related_name="audits")
    status = models.CharField(max_length=20, choices=AuditStatus.choices, default=AuditStatus.QUEUED)
    trigger = models.CharField(max_length=20, default="manual")  # manual, api, schedule
    compare = models.CharField(max_length=10, choices=CompareMode.choices, default=CompareMode.SAMPLE)
    sample_size = models.PositiveIntegerField(default=200)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    crm_rows = models.PositiveIntegerField(null=True, blank=True)
    local_rows = models.PositiveIntegerField(null=True, blank=True)
    compared = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    stale = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    # {"missing": [...first 20 ids], "deleted": [...], "stale": [{"id", "fields"}, ...]}
    samples = models.JSONField(default=dict, blank=True)
    # Every id found per category, for the repairs (capped, see workflows.audit).
    findings = models.JSONField(default=dict, blank=True)
    # {"missing": run id, ...}: the workflow runs that repaired each category.
    repairs = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("schema", "-created_at"))]

    def __str__(self) -> str:
        return f"audit {self.pk} of {self.schema.crm_name} ({self.status})"

    @property
    def in_sync(self) -> bool:
        return self.status == AuditStatus.SUCCEEDED and not (self.missing or self.deleted or self.stale)


class AuditSchedule(models.Model):
    """A table's audit on cron, as a django-celery-beat periodic task."""

    schema = models.OneToOneField(DataSchema, on_delete=models.CASCADE, related_name="audit_schedule")
    cron = models.CharField(max_length=100, help_text="minute hour day month weekday; blank: no scheduled audit")
    compare = models.CharField(max_length=10, choices=CompareMode.choices, default=CompareMode.SAMPLE)
    sample_size = models.PositiveIntegerField(default=200)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"audit of {self.schema.crm_name} at {self.cron}"
