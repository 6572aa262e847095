"""Local enumerations (Administration › Platform › Enumerations), their values with
translated labels, and the record of each "Synchronizing enumerations…" run."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from connectors.models import ExternalAccount
from crmsync.job_progress import BackgroundJob

validate_internal_name = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9_]*$", "Start with a letter; use letters, digits and underscores only."
)


class Enumeration(models.Model):
    """A list of allowed values, local or imported from a CRM picklist / option set."""

    name = models.CharField("internal name", max_length=100, unique=True, validators=[validate_internal_name])
    label = models.CharField(max_length=255)
    account = models.ForeignKey(
        ExternalAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="enumerations",
        help_text="The CRM this enumeration is synchronized from, if any.",
    )
    source_key = models.CharField(
        "CRM enumeration", max_length=255, blank=True, help_text='e.g. "Contact.LeadSource" or "account.industrycode".'
    )
    global_name = models.CharField("CRM global value set", max_length=255, blank=True)
    multi_select = models.BooleanField("multiple selection", default=False)
    restricted = models.BooleanField(default=False, help_text="The CRM accepts only these values.")
    controlling_field = models.CharField(
        "CRM controlling field", max_length=255, blank=True, help_text="For dependent picklists."
    )
    controlling_enumeration = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="dependent_enumerations"
    )
    replace_on_sync = models.BooleanField(
        "replace when synchronized", default=False,
        help_text="Scheduled re-syncs replace the local values with the CRM's (the last choice made).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = "enumeration"

    def __str__(self) -> str:
        return f"{self.label} ({self.name})"

    def label_of(self, value, language: str | None = None) -> str | None:
        """The label of one stored value (None when the value is unknown)."""
        for candidate in self.values.all():
            if candidate.value == str(value):
                return candidate.label_in(language)
        return None


class EnumerationValue(models.Model):
    """One value: what rows store (the CRM's value), and what people read."""

    enumeration = models.ForeignKey(Enumeration, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(max_length=255)
    label = models.CharField(max_length=255)
    position = models.PositiveIntegerField("order", default=0)
    active = models.BooleanField(default=True)
    labels = models.JSONField(
        "translated labels", default=dict, blank=True, help_text='By language code, e.g. {"1036": "Oui"}.'
    )
    valid_for = models.JSONField(
        default=list, blank=True, help_text="Controlling values this value is valid for (dependent picklists)."
    )

    class Meta:
        ordering = ("enumeration", "position", "id")
        verbose_name = "enumeration value"
        constraints = [models.UniqueConstraint(fields=("enumeration", "value"), name="one_value_per_enumeration")]

    def __str__(self) -> str:
        return f"{self.value} ({self.label})"

    def label_in(self, language: str | None = None) -> str:
        return (self.labels or {}).get(str(language), self.label) if language else self.label


class EnumerationSyncJob(BackgroundJob):
    """One run of the enumeration sync of an account, polled by the console."""

    account = models.ForeignKey(ExternalAccount, on_delete=models.CASCADE, related_name="enumeration_sync_jobs")
    mappings = models.JSONField(default=list, help_text='[{"crm": ..., "enumeration": ..., "replace": ...}]')
    scheduled = models.BooleanField(default=False)

    class Meta(BackgroundJob.Meta):
        verbose_name = "enumeration sync job"

    def __str__(self) -> str:
        return f"enumeration sync #{self.pk} of {self.account.internal_name} ({self.status})"
