"""External accounts: one connection to one CRM, with its credentials encrypted."""

from __future__ import annotations

import os

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from . import registry
from .base import AccountConfig, Connector
from .crypto import UndecryptableSecret
from .fields import EncryptedJSONField, UnreadableSecrets
from .validators import validate_ca_certificate, validate_https_url


class ExternalAccount(models.Model):
    """A CRM connection: server, API version and CRM-specific settings.

    Non-secret settings live in `settings`; secrets live in `secrets`, encrypted,
    and are never read back out by the console or the API.
    """

    name = models.CharField("label", max_length=200)
    internal_name = models.SlugField(max_length=100, unique=True)
    crm_type = models.CharField("CRM type", max_length=50)
    server_url = models.CharField("server URL", max_length=4096, validators=[validate_https_url])
    api_version = models.CharField("API version", max_length=20, blank=True)
    enabled = models.BooleanField(default=True)
    timeout = models.PositiveIntegerField(
        "request timeout (s)", default=60, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    ca_certificate = models.TextField(
        "CA certificate (PEM)",
        blank=True,
        validators=[validate_ca_certificate],
        help_text="Only for servers signed by a private CA; verification is never turned off.",
    )
    api_quota_share = models.PositiveSmallIntegerField(
        "share of the daily API quota (%)",
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Runs stop cleanly before the CRM's daily API usage passes this share.",
    )
    settings = models.JSONField(default=dict, blank=True)
    secrets = EncryptedJSONField(default=dict, blank=True, editable=False)
    last_test_ok = models.BooleanField(null=True, editable=False)
    last_test_detail = models.CharField(max_length=500, blank=True, editable=False)
    last_tested_at = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = "external account"

    def __str__(self) -> str:
        return f"{self.name} ({self.internal_name})"

    @property
    def connector_class(self) -> type[Connector]:
        return registry.get(self.crm_type)

    @property
    def crm_label(self) -> str:
        try:
            return self.connector_class.label
        except registry.NotRegistered:
            return self.crm_type

    def secret_names_set(self) -> list[str]:
        return sorted(name for name, value in self.secrets.items() if value)

    def config(self) -> AccountConfig:
        connector_class = self.connector_class
        if isinstance(self.secrets, UnreadableSecrets):
            raise UndecryptableSecret(
                "stored credentials cannot be decrypted with the configured CRMSYNC_SECRET_KEYS; "
                "restore the old key or enter the credentials again"
            )
        return AccountConfig(
            server_url=self.server_url,
            api_version=self.api_version or connector_class.default_api_version,
            timeout=float(self.timeout),
            ca_pem=self.ca_certificate,
            settings=dict(self.settings),
            secrets=dict(self.secrets),
            api_budget_share=self.api_quota_share / 100,
            max_response_bytes=int(float(os.environ.get("CRMSYNC_MAX_RESPONSE_MB", "100")) * 2**20),
        )

    def connector(self) -> Connector:
        return self.connector_class(self.config())
