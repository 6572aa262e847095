"""REST API of workflows and runs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crmsync.pagination import Pagination
from crmsync.permissions import StaffActionPermission, StaffModelPermissions, UsesViewableAccount

from . import runs, schedules
from . import templates as workflow_templates
from .listing import with_last_run
from .models import Run, Workflow
from .serializers import (FromTemplateSerializer, RejectSerializer, RunSerializer, WorkflowSerializer,
                          WorkflowTemplateSerializer)

RunStarted = inline_serializer("RunStarted", {"run": serializers.IntegerField()})
RunConflict = inline_serializer("RunConflict", {"detail": serializers.CharField(), "run": serializers.IntegerField()})


class WorkflowViewSet(viewsets.ModelViewSet):
    queryset = Workflow.objects.select_related("account").prefetch_related("activities__schema")
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

    @extend_schema(request=None, responses={202: RunStarted, 409: RunConflict})
    @action(detail=True, methods=["post"], permission_classes=[StaffActionPermission, UsesViewableAccount])
    def run(self, request, pk=None):
        """Start a run now; 409 with the active run's id if one is going."""
        workflow = self.get_object()
        try:
            run = runs.start_run(workflow, trigger="api", user=request.user)
        except runs.RunAlreadyActive as exc:
            return Response({"detail": str(exc), "run": exc.run.pk}, status=status.HTTP_409_CONFLICT)
        except runs.WorkflowDisabled as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response({"run": run.pk}, status=status.HTTP_202_ACCEPTED)


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Run.objects.select_related("workflow__account", "started_by").prefetch_related(
        "activity_runs__activity__schema")
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
