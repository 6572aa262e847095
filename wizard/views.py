"""REST API of the wizard: CRM tables of an account, schema generation, schemas
and the rows of their generated tables."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from connectors.models import ExternalAccount
from crmsync.pagination import Pagination
from crmsync.permissions import staff_with

from . import generation, introspection, provenance
from .live_models import model_for
from .models import DataSchema
from .records import filter_records, record_serializer_class
from .serializers import (
    RowHistorySerializer,
    DataSchemaSerializer,
    GenerateSchemasSerializer,
    GenerationOutcomeSerializer,
    TableDescriptionSerializer,
    TableSerializer,
)

TABLES_CACHE_PARAM = "listing"


class AccountTablesViewSet(viewsets.ViewSet):
    """The CRM's tables, as the wizard's step 2 shows them."""

    permission_classes = [staff_with("connectors.view_externalaccount")]
    lookup_value_regex = "[^/]+"

    def _account(self, account_pk) -> ExternalAccount:
        return get_object_or_404(ExternalAccount, pk=account_pk)

    @extend_schema(responses=TableSerializer(many=True), parameters=[
        OpenApiParameter("search", str), OpenApiParameter("custom", bool)])
    def list(self, request, account_pk=None):
        account = self._account(account_pk)
        generated = introspection.generated_tables(account)
        rows = [
            {"name": t.name, "label": t.label, "custom": t.custom, "generated": t.name in generated,
             "schema": generated[t.name].pk if t.name in generated else None}
            for t in introspection.list_tables(account, request.query_params.get(TABLES_CACHE_PARAM))
        ]
        rows = _filter_tables(rows, request.query_params)
        return Response(TableSerializer(rows, many=True).data)

    @extend_schema(responses=TableDescriptionSerializer)
    def retrieve(self, request, account_pk=None, pk=None):
        account = self._account(account_pk)
        description = introspection.describe(account, [pk]).get(pk)
        if description is None:
            raise NotFound(f"the CRM has no table named {pk!r}")
        return Response(TableDescriptionSerializer(description).data)


def _filter_tables(rows, params):
    search = params.get("search", "").strip().lower()
    if search:
        rows = [r for r in rows if search in r["name"].lower() or search in r["label"].lower()]
    if params.get("custom") in ("true", "false"):
        rows = [r for r in rows if r["custom"] == (params["custom"] == "true")]
    return rows


class AccountSchemasViewSet(viewsets.ViewSet):
    """Generate schemas and tables for chosen CRM tables: the wizard in one call."""

    permission_classes = [staff_with("wizard.add_dataschema")]

    @extend_schema(request=GenerateSchemasSerializer, responses={201: GenerationOutcomeSerializer(many=True)})
    def create(self, request, account_pk=None):
        account = get_object_or_404(ExternalAccount, pk=account_pk)
        body = GenerateSchemasSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tables, fields = body.validated_data["tables"], body.validated_data["fields"]
        descriptions = introspection.describe(account, tables)
        missing = [name for name in tables if name not in descriptions]
        if missing:
            raise ValidationError({"tables": [f"the CRM has no table named: {', '.join(missing)}"]})
        try:
            outcomes = generation.generate(account, [descriptions[n] for n in tables], fields, request.user)
        except generation.SelectionError as exc:
            raise ValidationError({"fields": [str(exc)]}) from None
        return Response(GenerationOutcomeSerializer(outcomes, many=True).data, status=status.HTTP_201_CREATED)


class DataSchemaViewSet(viewsets.ReadOnlyModelViewSet):
    """Generated schemas, and the rows of their tables."""

    queryset = DataSchema.objects.select_related("account").prefetch_related("fields")
    serializer_class = DataSchemaSerializer

    @extend_schema(parameters=[OpenApiParameter("search", str)])
    @action(detail=True, methods=["get"], url_path="records")
    def records(self, request, pk=None):
        """Rows of the generated table; `?column=value` filters, `?search=` searches text."""
        model = model_for(self.get_object())
        queryset = filter_records(model.objects.order_by("id"), request.query_params)
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(record_serializer_class(model)(page, many=True).data)

    @extend_schema(methods=["GET"], operation_id="schemas_record_retrieve")
    @extend_schema(methods=["PATCH"], operation_id="schemas_record_partial_update")
    @action(detail=True, methods=["get", "patch"], url_path=r"records/(?P<crm_id>[^/]+)",
            permission_classes=[staff_with("wizard.view_dataschema", "wizard.change_dataschema")])
    def record(self, request, pk=None, crm_id=None):
        """One row by its CRM id; PATCH changes it as a marketer would."""
        model = model_for(self.get_object())
        row = get_object_or_404(model, crm_id=crm_id)
        serializer_class = record_serializer_class(model)
        if request.method == "GET":
            return Response(serializer_class(row).data)
        serializer = serializer_class(row, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            serializer.save(sync_provenance=provenance.edited_locally(row, serializer.validated_data, request.user))
        row.refresh_from_db()  # the trigger stamped local_modstamp in the database
        return Response(serializer_class(row).data)

    @extend_schema(responses=RowHistorySerializer)
    @action(detail=True, methods=["get"], url_path=r"records/(?P<crm_id>[^/]+)/history")
    def history(self, request, pk=None, crm_id=None):
        """Which side last set each synced field of the row, when, in which run or by whom."""
        schema = self.get_object()
        row = get_object_or_404(model_for(schema), crm_id=crm_id)
        return Response(provenance.row_history(schema, row))
