"""Lists of workflows as the API and the console show them: each with its last
run, in one query rather than one per workflow."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Reject, Run


def with_last_run(workflows: QuerySet) -> QuerySet:
    """Each workflow annotated with its last run's id, status and end."""
    last = Run.objects.filter(workflow=OuterRef("pk")).order_by("-created_at", "-pk")
    return workflows.annotate(last_run_pk=Subquery(last.values("pk")[:1]),
                              last_run_status=Subquery(last.values("status")[:1]),
                              last_run_ended_at=Subquery(last.values("ended_at")[:1]))


def reject_count():
    """An annotation: the run's number of rejects, counted in the list's own query."""
    counted = Reject.objects.filter(run=OuterRef("pk")).order_by().values("run").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
