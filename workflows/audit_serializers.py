"""API shapes of reconciliation audits."""

from __future__ import annotations

from rest_framework import serializers

from .audit_models import AuditCategory, AuditReport, AuditSchedule, CompareMode
from .schedules import parse_cron

MAX_SAMPLE = 10_000


class AuditReportSerializer(serializers.ModelSerializer):
    schema_name = serializers.CharField(source="schema.crm_name", read_only=True)
    in_sync = serializers.BooleanField(read_only=True)

    class Meta:
        model = AuditReport
        fields = ("id", "schema", "schema_name", "status", "trigger", "compare", "sample_size", "created_at",
                  "ended_at", "crm_rows", "local_rows", "compared", "missing", "deleted", "stale", "in_sync",
                  "api_calls", "samples", "repairs", "error")
        read_only_fields = fields


class StartAuditSerializer(serializers.Serializer):
    compare = serializers.ChoiceField(choices=CompareMode.choices, default=CompareMode.SAMPLE)
    sample_size = serializers.IntegerField(min_value=1, max_value=MAX_SAMPLE, default=200)


class RepairSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=AuditCategory.choices)


class AuditScheduleSerializer(serializers.ModelSerializer):
    sample_size = serializers.IntegerField(min_value=1, max_value=MAX_SAMPLE, default=200)

    class Meta:
        model = AuditSchedule
        fields = ("cron", "compare", "sample_size", "enabled", "updated_at")
        read_only_fields = ("updated_at",)
        extra_kwargs = {"cron": {"allow_blank": True}}

    def validate_cron(self, value: str) -> str:
        if value.strip():
            try:
                parse_cron(value)
            except ValueError as exc:
                raise serializers.ValidationError(str(exc)) from None
        return value.strip()
