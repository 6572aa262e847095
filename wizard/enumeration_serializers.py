"""API shapes of enumerations: local ones with their values, the CRM's as read,
sync requests and their per-enumeration results, and the re-sync schedule."""

from __future__ import annotations

from rest_framework import serializers

from .enumeration_models import Enumeration, EnumerationSyncJob, EnumerationValue


class EnumerationValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnumerationValue
        fields = ("value", "label", "position", "active", "labels", "valid_for")


class EnumerationSerializer(serializers.ModelSerializer):
    values = EnumerationValueSerializer(many=True, read_only=True)
    account = serializers.SlugRelatedField(slug_field="internal_name", read_only=True)
    controlling_enumeration = serializers.SlugRelatedField(slug_field="name", read_only=True)
    schema_fields = serializers.SerializerMethodField()

    class Meta:
        model = Enumeration
        fields = ("name", "label", "account", "source_key", "global_name", "multi_select", "restricted",
                  "controlling_field", "controlling_enumeration", "replace_on_sync", "schema_fields", "values",
                  "created_at", "updated_at")

    def get_schema_fields(self, enumeration) -> list[str]:
        """The schema fields storing this enumeration's values, as "table.column"."""
        return [f"{f.schema.table_name}.{f.column_name}" for f in enumeration.schema_fields.select_related("schema")]


class CrmValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    active = serializers.BooleanField()
    default = serializers.BooleanField()
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True))
    valid_for = serializers.ListField(child=serializers.CharField())


class CrmEnumerationSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    multi_select = serializers.BooleanField()
    global_name = serializers.CharField(allow_null=True)
    controlling_field = serializers.CharField(allow_null=True)
    restricted = serializers.BooleanField()
    proposed_enumeration = serializers.CharField()
    values = CrmValueSerializer(many=True)


class MappingSerializer(serializers.Serializer):
    crm = serializers.CharField(max_length=255)
    enumeration = serializers.CharField(max_length=100)
    replace = serializers.BooleanField(default=False)


class SyncRequestSerializer(serializers.Serializer):
    mappings = MappingSerializer(many=True, allow_empty=False)
    dry_run = serializers.BooleanField(default=False, help_text="Answer with the planned changes, change nothing.")


class SyncResultSerializer(serializers.Serializer):
    crm = serializers.CharField()
    enumeration = serializers.CharField()
    replace = serializers.BooleanField()
    created = serializers.BooleanField()
    changed = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    fields_linked = serializers.IntegerField()
    in_use = serializers.ListField(child=serializers.DictField())
    error = serializers.CharField(allow_blank=True)


class SyncJobSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="internal_name", read_only=True)
    results = SyncResultSerializer(many=True, read_only=True)

    class Meta:
        model = EnumerationSyncJob
        fields = ("id", "account", "status", "progress", "total", "done", "mappings", "results", "error",
                  "scheduled", "created_at", "started_at", "finished_at")


class ScheduleSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    every_hours = serializers.IntegerField(min_value=1, max_value=24 * 31, default=24)
