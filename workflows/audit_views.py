"""REST API of reconciliation audits: start one on a table, read reports, set a
table's audit schedule, and start a repair run from a report."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crmsync.permissions import staff_with
from wizard.models import DataSchema

from . import audit, audit_repairs, runs
from .audit_models import AuditReport, AuditSchedule
from .audit_schedule import sync_audit_schedule
from .audit_serializers import AuditReportSerializer, AuditScheduleSerializer, RepairSerializer, StartAuditSerializer

RepairStarted = inline_serializer("RepairStarted", {"run": serializers.IntegerField()})


class SchemaAuditViewSet(viewsets.GenericViewSet):
    """`/api/schemas/{id}/audits/`: a table's audits, newest first; POST starts one."""

    serializer_class = AuditReportSerializer
    permission_classes = [staff_with("workflows.view_auditreport", "workflows.add_auditreport")]

    def _schema(self) -> DataSchema:
        return get_object_or_404(DataSchema, pk=self.kwargs["schema_pk"])

    def get_queryset(self):
        return AuditReport.objects.filter(schema_id=self.kwargs["schema_pk"]).select_related("schema")

    def get_object(self):
        # No route here addresses one report; OPTIONS on schedule/ asks for one when it
        # describes PUT, and a 404 is what DRF expects then (not a 500).
        raise Http404

    def list(self, request, schema_pk=None):
        self._schema()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AuditReportSerializer(page, many=True).data)

    @extend_schema(request=StartAuditSerializer, responses={202: AuditReportSerializer})
    def create(self, request, schema_pk=None):
        schema = self._schema()
        body = StartAuditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = audit.start(schema, trigger="api", user=request.user, **body.validated_data)
        return Response(AuditReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(methods=["GET"], responses=AuditScheduleSerializer, operation_id="schemas_audit_schedule_retrieve")
    @extend_schema(methods=["PUT"], request=AuditScheduleSerializer, responses=AuditScheduleSerializer,
                   operation_id="schemas_audit_schedule_update")
    @action(detail=False, methods=["get", "put"], url_path="schedule",
            permission_classes=[staff_with("workflows.view_auditschedule", "workflows.change_auditschedule")])
    def schedule(self, request, schema_pk=None):
        """The table's audit on cron (blank cron: none)."""
        schema = self._schema()
        current = AuditSchedule.objects.filter(schema=schema).first()
        if request.method == "GET":
            return Response(AuditScheduleSerializer(current or AuditSchedule(schema=schema, cron="")).data)
        body = AuditScheduleSerializer(current, data=request.data)
        body.is_valid(raise_exception=True)
        saved = body.save(schema=schema)
        sync_audit_schedule(saved)
        return Response(AuditScheduleSerializer(saved).data)


class AuditReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`/api/audits/`: every report; `POST /api/audits/{id}/repair/` starts a repair run."""

    queryset = AuditReport.objects.select_related("schema")
    serializer_class = AuditReportSerializer

    @extend_schema(request=RepairSerializer, responses={202: RepairStarted})
    @action(detail=True, methods=["post"], permission_classes=[staff_with("workflows.view_auditreport", "workflows.add_run")])
    def repair(self, request, pk=None):
        report = self.get_object()
        body = RepairSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            run = audit_repairs.repair(report, body.validated_data["category"], request.user)
        except audit_repairs.RepairRefused as exc:
            return Response({"category": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        except runs.RunAlreadyActive as exc:
            return Response({"detail": str(exc), "run": exc.run.pk}, status=status.HTTP_409_CONFLICT)
        return Response({"run": run.pk}, status=status.HTTP_202_ACCEPTED)
