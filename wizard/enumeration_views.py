"""REST API of enumerations: the CRM enumerations of an account's generated
schemas, synchronizing them, the re-sync schedule, local enumerations and jobs."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from connectors.models import ExternalAccount
from crmsync.permissions import staff_with

from . import enumeration_catalog, enumeration_jobs, enumeration_schedule, enumeration_sync
from .enumeration_mappings import conflicts, mapping_errors
from .enumeration_models import Enumeration, EnumerationSyncJob
from .enumeration_plan import Mapping
from .enumeration_serializers import (
    CrmEnumerationSerializer,
    EnumerationSerializer,
    ScheduleSerializer,
    SyncJobSerializer,
    SyncRequestSerializer,
    SyncResultSerializer,
)
from .models import DataSchema


class AccountEnumerationsViewSet(viewsets.ViewSet):
    """The CRM enumerations used by an account's generated schemas."""

    permission_classes = [staff_with("wizard.view_enumeration", "wizard.change_enumeration")]

    def _account(self, account_pk) -> ExternalAccount:
        return get_object_or_404(ExternalAccount, pk=account_pk)

    @extend_schema(responses=CrmEnumerationSerializer(many=True), parameters=[OpenApiParameter("schema", int)])
    def list(self, request, account_pk=None):
        account = self._account(account_pk)
        schema = self._schema(account, request.query_params.get("schema"))
        rows = [crm_row(account, crm) for crm in enumeration_catalog.crm_enumerations(account, schema)]
        return Response(CrmEnumerationSerializer(rows, many=True).data)

    def _schema(self, account, schema_id) -> DataSchema | None:
        if not schema_id:
            return None
        if not str(schema_id).isdigit():
            raise ValidationError({"schema": ["a data schema id is a number"]})
        return get_object_or_404(DataSchema, pk=schema_id, account=account)

    @extend_schema(request=SyncRequestSerializer, responses=SyncJobSerializer)
    @action(detail=False, methods=["post"])
    def sync(self, request, account_pk=None):
        """Synchronize: an unknown local name creates the enumeration; answers the
        counts per enumeration (`dry_run`: the planned counts, nothing changed)."""
        account = self._account(account_pk)
        mappings = validated_mappings(account, request.data)
        if request.data.get("dry_run") in (True, "true"):
            return Response({"dry_run": True, "results": SyncResultSerializer(preview(account, mappings), many=True).data})
        job = enumeration_jobs.run(enumeration_jobs.create(account, mappings, request.user))
        answer = status.HTTP_200_OK if job.status == job.Status.DONE else status.HTTP_502_BAD_GATEWAY
        return Response(SyncJobSerializer(job).data, status=answer)

    @extend_schema(request=ScheduleSerializer, responses=ScheduleSerializer)
    @action(detail=False, methods=["get", "put"])
    def schedule(self, request, account_pk=None):
        """The scheduled re-sync of this account's enumerations (off by default)."""
        account = self._account(account_pk)
        if request.method == "PUT":
            body = ScheduleSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            enumeration_schedule.set_schedule(account, **body.validated_data)
        return Response(ScheduleSerializer(enumeration_schedule.current(account)).data)


def crm_row(account, crm) -> dict:
    return {"key": crm.key, "label": crm.label, "multi_select": crm.multi_select, "global_name": crm.global_name,
            "controlling_field": crm.controlling_field, "restricted": crm.restricted, "values": crm.values,
            "proposed_enumeration": enumeration_catalog.proposed_name(account, crm)}


def validated_mappings(account, data) -> list[Mapping]:
    body = SyncRequestSerializer(data=data)
    body.is_valid(raise_exception=True)
    mappings = [Mapping(**item) for item in body.validated_data["mappings"]]
    known = set(enumeration_catalog.used_keys(account))
    errors = [mapping_errors(mapping, known) for mapping in mappings]
    if any(errors):
        raise ValidationError({"mappings": errors})
    problems = conflicts(mappings)
    if problems:
        raise ValidationError({"mappings": problems})
    return mappings


def preview(account, mappings: list[Mapping]) -> list[dict]:
    crm = {e.key: e for e in enumeration_catalog.crm_enumerations(account)}
    return [enumeration_jobs.result_row(enumeration_sync.preview(account, m, crm[m.crm])) for m in mappings if m.crm in crm]


class EnumerationViewSet(viewsets.ReadOnlyModelViewSet):
    """Local enumerations with their values, by internal name."""

    queryset = Enumeration.objects.select_related("account", "controlling_enumeration").prefetch_related("values")
    serializer_class = EnumerationSerializer
    lookup_field = "name"
    lookup_value_regex = "[A-Za-z][A-Za-z0-9_]*"


class EnumerationSyncJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Enumeration sync runs, with their progress and per-enumeration counts."""

    queryset = EnumerationSyncJob.objects.select_related("account")
    serializer_class = SyncJobSerializer
