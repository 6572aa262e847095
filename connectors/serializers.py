"""API representation of external accounts. Secrets are write-only: the answer
says which are set (`credentials_set`), never what they are."""

from __future__ import annotations

from rest_framework import serializers

from . import account_settings, registry
from .models import ExternalAccount


class ExternalAccountSerializer(serializers.ModelSerializer):
    crm_type = serializers.ChoiceField(choices=[])
    settings = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, trim_whitespace=False),
        required=False,
        help_text="CRM-specific settings. Secret ones (passwords, tokens, keys) are write-only: "
        "blank or absent keeps the stored value, null clears it.",
    )
    credentials_set = serializers.SerializerMethodField(help_text="Names of the secrets stored.")

    class Meta:
        model = ExternalAccount
        fields = (
            "id",
            "name",
            "internal_name",
            "crm_type",
            "server_url",
            "api_version",
            "enabled",
            "timeout",
            "ca_certificate",
            "api_quota_share",
            "daily_api_allocation",
            "api_daily_max",
            "api_daily_used",
            "api_limits_read_at",
            "settings",
            "credentials_set",
            "last_test_ok",
            "last_test_detail",
            "last_tested_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("last_test_ok", "last_test_detail", "last_tested_at", "created_at", "updated_at",
                            "api_daily_max", "api_daily_used", "api_limits_read_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["crm_type"].choices = registry.choices()

    def get_credentials_set(self, account: ExternalAccount) -> list[str]:
        return account.secret_names_set()

    def to_representation(self, account):
        data = super().to_representation(account)
        data["settings"] = dict(account.settings)
        return data

    def validate(self, attrs):
        instance = self.instance
        crm_type = attrs.get("crm_type", instance.crm_type if instance else None)
        same_type = instance is not None and instance.crm_type == crm_type
        merged = account_settings.merge(
            registry.get(crm_type),
            attrs.pop("settings", {}),
            instance.settings if same_type else {},
            instance.secrets if same_type else {},
        )
        if merged.errors:
            raise serializers.ValidationError({"settings": merged.errors})
        attrs["settings"] = merged.settings
        attrs["secrets"] = merged.secrets
        return attrs


class ConnectionTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField()
