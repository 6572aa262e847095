"""API shapes of CRM tables, generated schemas and their records."""

from __future__ import annotations

from rest_framework import serializers

from .column_types import model_field
from .models import DataSchema, SchemaField


class TableSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    custom = serializers.BooleanField()
    generated = serializers.BooleanField()
    schema = serializers.IntegerField(allow_null=True)


class DescribedFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField(source="type.value")
    crm_type = serializers.CharField()
    length = serializers.IntegerField(allow_null=True)
    precision = serializers.IntegerField(allow_null=True)
    scale = serializers.IntegerField(allow_null=True)
    nullable = serializers.BooleanField()
    read_only = serializers.BooleanField()
    primary_key = serializers.BooleanField()
    external_id = serializers.BooleanField()
    unique = serializers.BooleanField()
    references = serializers.ListField(child=serializers.CharField())
    enumeration = serializers.CharField(allow_null=True)


class TableDescriptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    custom = serializers.BooleanField()
    id_field = serializers.CharField()
    modstamp_field = serializers.CharField(allow_null=True)
    tracks_changes = serializers.BooleanField()
    fields = DescribedFieldSerializer(many=True)


class GenerateSchemasSerializer(serializers.Serializer):
    tables = serializers.ListField(child=serializers.CharField(max_length=255), min_length=1, max_length=200)
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=255)), required=False, default=dict
    )

    def validate(self, attrs):
        unknown = sorted(set(attrs["fields"]) - set(attrs["tables"]))
        if unknown:
            raise serializers.ValidationError({"fields": [f"not among the chosen tables: {', '.join(unknown)}"]})
        return attrs


class SchemaFieldSerializer(serializers.ModelSerializer):
    column_type = serializers.SerializerMethodField()

    class Meta:
        model = SchemaField
        fields = (
            "crm_name", "label", "crm_type", "type", "length", "precision", "scale", "nullable", "read_only",
            "primary_key", "external_id", "unique", "references", "enumeration_key", "column_name", "column_type",
            "removed_from_crm",
        )

    def get_column_type(self, field: SchemaField) -> str:
        from django.db import connection

        if field.is_system_column:
            return {"crm_id": "varchar(64)", "crm_modstamp": "timestamp"}[field.column_name]
        built = model_field(field.type, field.length, field.precision, field.scale, connection.vendor, field.column_name)
        return built.db_type(connection) or ""


class DataSchemaSerializer(serializers.ModelSerializer):
    account = serializers.PrimaryKeyRelatedField(read_only=True)
    fields = SchemaFieldSerializer(many=True, read_only=True)

    class Meta:
        model = DataSchema
        fields = (
            "id", "account", "crm_name", "label", "custom", "table_name", "id_field", "modstamp_field",
            "tracks_changes", "version", "created_at", "updated_at", "fields",
        )


class TypeChangeSerializer(serializers.Serializer):
    field = serializers.CharField(source="crm_name")
    local = serializers.CharField()
    crm = serializers.CharField()


class GenerationOutcomeSerializer(serializers.Serializer):
    table = serializers.CharField(source="crm_name")
    action = serializers.CharField()
    schema = DataSchemaSerializer()
    added_fields = serializers.SerializerMethodField()
    removed_fields = serializers.ListField(source="drift.removed_fields", child=serializers.CharField())
    # Reported, never applied: changing a column's type could lose data.
    changed_types = TypeChangeSerializer(source="drift.changed_types", many=True)

    def get_added_fields(self, outcome) -> list[str]:
        return [f.name for f in outcome.drift.new_fields]


class FieldProvenanceSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="the CRM field")
    column = serializers.CharField()
    side = serializers.CharField(allow_null=True, help_text="crm (an import) or local (an edit through crmsync)")
    at = serializers.DateTimeField(allow_null=True)
    run = serializers.IntegerField(allow_null=True)
    user = serializers.CharField(allow_null=True)
    exported_at = serializers.DateTimeField(allow_null=True)
    exported_in_run = serializers.IntegerField(allow_null=True)


class RowHistorySerializer(serializers.Serializer):
    crm_id = serializers.CharField()
    local_modstamp = serializers.DateTimeField(allow_null=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)
    changed_outside_crmsync = serializers.BooleanField(
        help_text="changed since its last sync by a writer crmsync does not see (e.g. plain SQL)")
    fields = FieldProvenanceSerializer(many=True)
