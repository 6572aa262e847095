"""A background job the console polls (a schema generation, an enumeration sync):
its state, counts and times, and what the progress pages show of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from crmsync.durations import duration_text


class BackgroundJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list, blank=True)  # one message per table or enumeration
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ("-created_at", "-id")

    @property
    def progress(self) -> int:
        """Percent done, for the progress bar."""
        if self.status == self.Status.DONE:
            return 100
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def elapsed(self) -> int:
        """Seconds since the job started (or was queued), up to its end."""
        start = self.started_at or self.created_at
        return max(0, int(((self.finished_at or timezone.now()) - start).total_seconds()))

    @property
    def elapsed_text(self) -> str:
        return duration_text(self.elapsed)
