"""REST API of the audit log: read-only, for staff holding auditlog's view right."""

from __future__ import annotations

from auditlog.models import LogEntry
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

ACTIONS = {LogEntry.Action.CREATE: "create", LogEntry.Action.UPDATE: "update", LogEntry.Action.DELETE: "delete",
           LogEntry.Action.ACCESS: "access"}


class LogEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    action = serializers.SerializerMethodField()
    model = serializers.SerializerMethodField()

    class Meta:
        model = LogEntry
        fields = ("id", "timestamp", "actor", "action", "model", "object_id", "object_repr", "changes",
                  "additional_data")

    def get_action(self, entry) -> str:
        return ACTIONS.get(entry.action, str(entry.action))

    def get_model(self, entry) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("model", str, description="app_label.model, e.g. workflows.run"),
    OpenApiParameter("object_id", int), OpenApiParameter("actor", str, description="user name")]))
class AuditLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Who changed what, newest first."""

    queryset = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    serializer_class = LogEntrySerializer

    def get_queryset(self):
        queryset, params = super().get_queryset(), self.request.query_params
        model = params.get("model", "")
        if "." in model:
            app_label, name = model.lower().split(".", 1)
            queryset = queryset.filter(content_type__app_label=app_label, content_type__model=name)
        if params.get("object_id", "").isdigit():
            queryset = queryset.filter(object_id=int(params["object_id"]))
        if params.get("actor"):
            queryset = queryset.filter(actor__username=params["actor"])
        return queryset
