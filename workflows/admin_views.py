"""The run page's own views, mounted by RunAdmin: the progress the page polls,
Cancel, the rejects as CSV and Retry rejects."""

from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from crmsync.durations import duration_text

from . import runs
from .models import ActivityRun, Run, RunStatus

REJECTS_ON_PAGE = 100
FINISHED = (RunStatus.SUCCEEDED, RunStatus.PARTIAL)
LOG_CHARS = 100_000
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ("reject", "activity", "operation", "table", "local key", "CRM id", "CRM code", "message", "fields",
              "payload")


def run_link(run: Run) -> str:
    url = reverse("admin:workflows_run_change", args=[run.pk])
    return format_html('<a href="{}">run {}</a>', url, run.pk)


def elapsed(run: Run) -> int:
    start = run.started_at or run.created_at
    return max(0, int(((run.ended_at or timezone.now()) - start).total_seconds()))


def activity_progress(activity_run: ActivityRun) -> dict:
    total = activity_run.total
    percent = min(100, round(100 * activity_run.read / total)) if total else (100 if total == 0 else None)
    if activity_run.status in FINISHED:  # an incremental read does not know its total: full once it has ended
        percent = 100
    return {
        "number": activity_run.position + 1,
        "operation": activity_run.get_operation_display(),
        "table": activity_run.activity.schema.crm_name if activity_run.activity else "",
        "status": activity_run.status,
        "total": total,
        "percent": percent,
        **{name: getattr(activity_run, name) for name in ActivityRun.COUNTERS},
    }


def pending_activities(run: Run, started: set[int]) -> list[dict]:
    """Activities of an active run not reached yet, shown as queued."""
    if not run.is_active:
        return []
    zero = dict.fromkeys(ActivityRun.COUNTERS, 0)
    return [{"number": a.position + 1, "operation": a.get_operation_display(), "table": a.schema.crm_name,
             "status": "queued", "total": None, "percent": None, **zero}
            for a in run.workflow.activities.select_related("schema") if a.position not in started]


def progress(run: Run) -> dict:
    done = list(run.activity_runs.select_related("activity__schema").order_by("position"))
    seconds = elapsed(run)
    return {
        "id": run.pk,
        "status": run.status,
        "active": run.is_active,
        "cancel_requested": run.cancel_requested,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "ended_at": run.ended_at.isoformat() if run.ended_at else None,
        "elapsed": seconds,
        "elapsed_text": duration_text(seconds),
        "error": run.error,
        "rejects": run.rejects.count(),
        "activities": [activity_progress(a) for a in done] + pending_activities(run, {a.position for a in done}),
        "log": run.log[-LOG_CHARS:],
    }


def csv_cell(value) -> str:
    """Text for a CSV cell; formula-looking text is quoted so spreadsheets show it."""
    if value is None:
        text = ""
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def reject_rows(run: Run):
    yield CSV_HEADER
    rejects = run.rejects.select_related("activity_run__activity__schema").order_by("id")
    for reject in rejects.iterator(chunk_size=500):
        activity_run = reject.activity_run
        table = activity_run.activity.schema.crm_name if activity_run.activity else ""
        yield [csv_cell(v) for v in (
            reject.pk, activity_run.position + 1, activity_run.operation, table, reject.local_key, reject.crm_id,
            reject.code, reject.message, ";".join(reject.fields), reject.payload)]


class Echo:
    """A file-like object whose write returns the line, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


class RunPages:
    """Views and context of the run page; `model_admin` (RunAdmin) gives the rights."""

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def _run(self, request, pk) -> Run:
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(Run.objects.select_related("workflow__account"), pk=pk)
        if not self.model_admin.has_view_permission(request, run):
            raise PermissionDenied
        return run

    def _operable(self, request, pk) -> Run:
        run = self._run(request, pk)
        if not self.model_admin.may_operate(request, run):
            raise PermissionDenied
        return run

    def context(self, request, run: Run) -> dict:
        rejects = run.rejects.select_related("activity_run").order_by("id")
        return {
            "run": run,
            "progress": progress(run),
            "rejects_shown": rejects[:REJECTS_ON_PAGE],
            "reject_count": rejects.count(),
            "may_operate": self.model_admin.may_operate(request, run),
            "title": f"Run {run.pk} of {run.workflow}",
        }

    def progress(self, request, pk):
        try:
            run = self._run(request, pk)
        except PermissionDenied:
            return JsonResponse({"detail": "permission denied"}, status=403)
        return JsonResponse(progress(run))

    def rejects_csv(self, request, pk):
        run = self._run(request, pk)
        writer = csv.writer(Echo())
        response = StreamingHttpResponse((writer.writerow(row) for row in reject_rows(run)),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-rejects.csv"'
        return response

    def cancel(self, request, pk):
        run = self._operable(request, pk)
        if not run.is_active:
            messages.info(request, f"Run {run.pk} has already ended ({run.status}).")
        elif runs.cancel(run, user=request.user, via="console").status == "cancelled":
            messages.success(request, f"Run {run.pk} cancelled.")
        else:
            messages.success(request, f"Cancellation of run {run.pk} requested: it stops after the page it is on.")
        return redirect(reverse("admin:workflows_run_change", args=[run.pk]))

    def retry_rejects(self, request, pk):
        run = self._operable(request, pk)
        back = redirect(reverse("admin:workflows_run_change", args=[run.pk]))
        if run.is_active or not run.rejects.exists():
            messages.error(request, f"Run {run.pk} has no rejects to retry, or has not ended yet.")
            return back
        try:
            retry = runs.retry_rejects(run, user=request.user)
        except runs.RunAlreadyActive as exc:
            messages.warning(request, format_html("{} is already {}: {}. Retry once it has ended.", run.workflow,
                                                  exc.run.status, run_link(exc.run)))
            return back
        except runs.WorkflowDisabled:
            messages.error(request, f"{run.workflow} is disabled: enable it to retry its rejects.")
            return back
        messages.success(request, f"Run {retry.pk} retries the rejects of run {run.pk}.")
        return redirect(reverse("admin:workflows_run_change", args=[retry.pk]))
