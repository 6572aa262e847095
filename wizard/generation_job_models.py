"""A run of the configuration wizard's "Generate": the tables it makes, one after
the other, with the progress the console polls and each table's outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from connectors.models import ExternalAccount
from crmsync.job_progress import JobProgress


class GenerationJob(JobProgress, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    account = models.ForeignKey(ExternalAccount, on_delete=models.CASCADE, related_name="generation_jobs")
    # {"Contact": ["Email", ...] or null for every field}, in the order chosen
    selection = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list, blank=True)  # one message per table
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "schema generation job"

    def __str__(self) -> str:
        return f"schema generation #{self.pk} of {self.account.internal_name} ({self.status})"
