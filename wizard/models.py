"""Generated data schemas: for each CRM table chosen in the wizard, its local table
and the mapping of every CRM field to a typed column."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from connectors.models import ExternalAccount
from connectors.types import FieldType


class DataSchema(models.Model):
    """One CRM table mirrored in one real local table."""

    account = models.ForeignKey(ExternalAccount, on_delete=models.PROTECT, related_name="schemas")
    crm_name = models.CharField("CRM name", max_length=255)
    label = models.CharField(max_length=255)
    custom = models.BooleanField(default=False)
    table_name = models.CharField(max_length=63, unique=True)
    id_field = models.CharField("CRM id field", max_length=255)
    modstamp_field = models.CharField("CRM modification stamp field", max_length=255, blank=True)
    tracks_changes = models.BooleanField(default=True)
    # Bumped at every change of the definition; processes rebuild their model on it.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("account__name", "crm_name")
        verbose_name = "data schema"
        constraints = [models.UniqueConstraint(fields=("account", "crm_name"), name="one_schema_per_crm_table")]

    def __str__(self) -> str:
        return f"{self.label} ({self.account.internal_name}:{self.crm_name})"

    @property
    def live_fields(self):
        return self.fields.filter(removed_from_crm=False)


class SchemaField(models.Model):
    """One CRM field and the local column it lives in."""

    schema = models.ForeignKey(DataSchema, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveIntegerField(default=0)
    crm_name = models.CharField("CRM name", max_length=255)
    label = models.CharField(max_length=255)
    crm_type = models.CharField("CRM type", max_length=100)
    type = models.CharField(max_length=20, choices=[(t.value, t.value) for t in FieldType])
    length = models.PositiveIntegerField(null=True, blank=True)
    precision = models.PositiveIntegerField(null=True, blank=True)
    scale = models.PositiveIntegerField(null=True, blank=True)
    nullable = models.BooleanField(default=True)
    read_only = models.BooleanField(default=False)
    createable = models.BooleanField(default=True)
    updateable = models.BooleanField(default=True)
    primary_key = models.BooleanField(default=False)
    external_id = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    references = models.JSONField(default=list, blank=True)
    enumeration_key = models.CharField(max_length=255, blank=True)
    enumeration = models.ForeignKey(
        "wizard.Enumeration", null=True, blank=True, on_delete=models.SET_NULL, related_name="schema_fields",
        help_text="The local enumeration the stored CRM values take their labels from.",
    )
    column_name = models.CharField(max_length=63)
    removed_from_crm = models.BooleanField(
        default=False, help_text="Gone from the CRM's describe; the column and its data are kept."
    )

    class Meta:
        ordering = ("schema", "position", "id")
        constraints = [
            models.UniqueConstraint(fields=("schema", "crm_name"), name="one_column_per_crm_field"),
            models.UniqueConstraint(fields=("schema", "column_name"), name="unique_column_per_schema"),
        ]

    def __str__(self) -> str:
        return f"{self.schema.crm_name}.{self.crm_name} → {self.column_name}"

    @property
    def is_system_column(self) -> bool:
        return self.column_name in ("crm_id", "crm_modstamp")


from .enumeration_models import Enumeration, EnumerationSyncJob, EnumerationValue  # noqa: E402,F401
from .generation_job_models import GenerationJob  # noqa: E402,F401
