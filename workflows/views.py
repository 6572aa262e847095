"""REST API of workflows and runs."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crmsync.pagination import Pagination
from crmsync.permissions import StaffActionPermission, StaffModelPermissions, UsesViewableAccount, staff_with

from connectors.errors import ConnectorError, InvalidRequest
from connectors.services import redact

from . import budget, runs, schedules, tombstones
from . import templates as workflow_templates
from .listing import reject_count, with_last_run
from .options import OptionsError
from .models import Run, Tombstone, Workflow
from .serializers import (FromTemplateSerializer, RejectSerializer, RunSerializer, TombstoneSerializer,
                          WorkflowSerializer, WorkflowTemplateSerializer)

RunStarted = inline_serializer("RunStarted", {"run": serializers.IntegerField()})
RunConflict = inline_serializer("RunConflict", {"detail": serializers.CharField(), "run": serializers.IntegerField()})


class WorkflowViewSet(viewsets.ModelViewSet):
    queryset = Workflow.objects.select_related("account").prefetch_related("activities__schema__fields")
    serializer_class = WorkflowSerializer
    permission_classes = [StaffModelPermissions, UsesViewableAccount]

    def get_queryset(self):
        return with_last_run(super().get_queryset())

    def get_serializer(self, *args, **kwargs):
        if args and kwargs.get("many"):  # a list: every schedule in one query
            kwargs["context"] = {**self.get_serializer_context(), "next_runs_at": schedules.next_runs_at(args[0])}
        return super().get_serializer(*args, **kwargs)

    def perform_destroy(self, workflow):
        schedules.remove_schedule(workflow)
        workflow.delete()

    @extend_schema(responses=WorkflowTemplateSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def templates(self, request):
        """The ready-made workflows "from-template" can create."""
        return Response(WorkflowTemplateSerializer(workflow_templates.TEMPLATES, many=True).data)

    @extend_schema(request=FromTemplateSerializer, responses={201: WorkflowSerializer})
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request):
        """Create a workflow from a template on a generated schema (e.g. the account's Contact)."""
        given = FromTemplateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            workflow = workflow_templates.create_workflow(**given.validated_data)
        except workflow_templates.TemplateError as exc:
            return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], permission_classes=[StaffModelPermissions, UsesViewableAccount])
    def forecast(self, request, pk=None):
        """What the next run would cost in API calls, per activity, and what the
        account's API budget has left (counts cost one call per activity)."""
        workflow = self.get_object()
        try:
            return Response(budget.preview(workflow))
        except InvalidRequest as exc:
            # The CRM refused what the workflow names (a table or field it no longer
            # has): the workflow must change before it can be forecast, or run.
            return Response({"detail": f"the CRM refused: {redact(str(exc), workflow.account.secrets)}"},
                            status=status.HTTP_409_CONFLICT)
        except ConnectorError as exc:
            return Response({"detail": f"CRM error: {redact(str(exc), workflow.account.secrets)}"},
                            status=status.HTTP_502_BAD_GATEWAY)
        except OptionsError as exc:
            return Response({"detail": f"an activity's options are invalid: {exc}"}, status=status.HTTP_409_CONFLICT)

    @extend_schema(request=inline_serializer("RunRequest", {"dry_run": serializers.BooleanField(required=False)}),
                   responses={202: RunStarted, 409: RunConflict})
    @action(detail=True, methods=["post"], permission_classes=[StaffActionPermission, UsesViewableAccount])
    def run(self, request, pk=None):
        """Start a run now (`{"dry_run": true}`: reads only, writes nothing, reports
        what a real run would do); 409 with the active run's id if one is going."""
        workflow = self.get_object()
        dry_run = request.data.get("dry_run") in (True, "true", "1") if hasattr(request.data, "get") else False
        try:
            run = runs.start_run(workflow, trigger="api", user=request.user, dry_run=dry_run)
        except runs.RunAlreadyActive as exc:
            return Response({"detail": str(exc), "run": exc.run.pk}, status=status.HTTP_409_CONFLICT)
        except runs.WorkflowDisabled as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response({"run": run.pk}, status=status.HTTP_202_ACCEPTED)


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Run.objects.select_related("workflow__account", "started_by", "deletions_confirmed_by").prefetch_related(
        "activity_runs__activity__schema").annotate(reject_count=reject_count())
    serializer_class = RunSerializer
    permission_classes = [StaffModelPermissions, UsesViewableAccount]

    def get_queryset(self):
        queryset = super().get_queryset()
        workflow = self.request.query_params.get("workflow")
        return queryset.filter(workflow_id=workflow) if workflow and workflow.isdigit() else queryset

    @extend_schema(responses=RejectSerializer(many=True))
    @action(detail=True, methods=["get"])
    def rejects(self, request, pk=None):
        run = self.get_object()
        paginator = Pagination()
        page = paginator.paginate_queryset(run.rejects.order_by("id"), request, view=self)
        return paginator.get_paginated_response(RejectSerializer(page, many=True).data)

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"], permission_classes=[StaffActionPermission, UsesViewableAccount])
    def cancel(self, request, pk=None):
        run = runs.cancel(self.get_object(), user=request.user, via="API")
        return Response(RunSerializer(run).data)

    @extend_schema(request=None, responses={200: RunSerializer, 409: RunConflict})
    @action(detail=True, methods=["post"], url_path="confirm-deletions",
            permission_classes=[staff_with("workflows.view_run", "workflows.change_workflow")])
    def confirm_deletions(self, request, pk=None):
        """Let a run paused by a deletion guardrail delete what it announced."""
        run = self.get_object()
        try:
            run = runs.confirm_deletions(run, user=request.user)
        except runs.NotAwaitingConfirmation as exc:
            return Response({"detail": str(exc), "run": run.pk}, status=status.HTTP_409_CONFLICT)
        return Response(RunSerializer(run).data)


class TombstoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rows deleted on either side, or gone out of a filter; `?schema=`, `?reason=`,
    `?side=`, `?crm_id=`, `?restored=true|false` filter them."""

    queryset = Tombstone.objects.select_related("schema", "run")
    serializer_class = TombstoneSerializer

    def get_queryset(self):
        queryset, params = super().get_queryset(), self.request.query_params
        for name in ("reason", "side", "crm_id"):
            if params.get(name):
                queryset = queryset.filter(**{name: params[name]})
        if params.get("schema", "").isdigit():
            queryset = queryset.filter(schema_id=params["schema"])
        if params.get("restored") in ("true", "false"):
            queryset = queryset.filter(restored_at__isnull=params["restored"] == "false")
        return queryset

    @extend_schema(request=None, responses={200: TombstoneSerializer, 409: RunConflict})
    @action(detail=True, methods=["post"], permission_classes=[StaffActionPermission])
    def restore(self, request, pk=None):
        """Bring the row back (see the README: a row whose CRM record was deleted is
        created again in the CRM by the next export)."""
        tombstone = self.get_object()
        try:
            tombstone = tombstones.restore(tombstone, user=request.user)
        except tombstones.NotRestorable as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(TombstoneSerializer(tombstone).data)
