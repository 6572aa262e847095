"""A run of the configuration wizard's "Generate": the tables it makes, one after
the other, with the progress the console polls and each table's outcome."""

from __future__ import annotations

from django.db import models

from connectors.models import ExternalAccount
from crmsync.job_progress import BackgroundJob


class GenerationJob(BackgroundJob):
    account = models.ForeignKey(ExternalAccount, on_delete=models.CASCADE, related_name="generation_jobs")
    # {"Contact": ["Email", ...] or null for every field}, in the order chosen
    selection = models.JSONField(default=dict)

    class Meta(BackgroundJob.Meta):
        verbose_name = "schema generation job"

    def __str__(self) -> str:
        return f"schema generation #{self.pk} of {self.account.internal_name} ({self.status})"
