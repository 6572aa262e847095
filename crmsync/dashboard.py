"""The console's home page figures: accounts and their connection state, workflows
and their last run, and two charts (rows per run, API calls per day) rendered as
inline SVG by pygal, so the page needs neither JavaScript nor network."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pygal
from django.db.models import Prefetch
from django.utils import timezone
from pygal.style import DefaultStyle

from connectors.models import ExternalAccount
from workflows.models import ActivityRun, Operation, Run, Workflow
from workflows.schedules import next_run_at

CHART_DAYS = 30
INWARD = {Operation.IMPORT, Operation.IMPORT_DELETED}  # rows written into the local tables
OUTWARD = {Operation.EXPORT, Operation.DELETE}  # rows written to the CRM


@dataclass(frozen=True)
class Rows:
    imported: int = 0
    exported: int = 0
    rejected: int = 0
    api_calls: int = 0


def run_rows(run: Run) -> Rows:
    """A run's rows in, rows out, rejects and API calls, summed over its activities."""
    imported = exported = rejected = calls = 0
    for step in run.activity_runs.all():
        written = step.inserted + step.updated + step.deleted
        imported += written if step.operation in INWARD else 0
        exported += written if step.operation in OUTWARD else 0
        rejected += step.rejected
        calls += step.api_calls
    return Rows(imported, exported, rejected, calls)


def recent_runs(since) -> list[Run]:
    steps = Prefetch("activity_runs", queryset=ActivityRun.objects.order_by("position"))
    runs = Run.objects.filter(created_at__gte=since).select_related("workflow").prefetch_related(steps)
    return list(runs.order_by("created_at", "pk"))


def account_rows(runs: list[Run]) -> list[dict]:
    """Each account with its last connection test and the API calls its runs made today."""
    today = timezone.localdate()
    calls = defaultdict(int)
    for run in runs:
        if timezone.localdate(run.created_at) == today:
            calls[run.workflow.account_id] += run_rows(run).api_calls
    return [{"account": account, "calls_today": calls[account.pk]} for account in ExternalAccount.objects.all()]


def workflow_rows() -> list[dict]:
    steps = Prefetch("activity_runs", queryset=ActivityRun.objects.order_by("position"))
    last_runs = Prefetch("runs", queryset=Run.objects.order_by("-created_at", "-pk").prefetch_related(steps))
    rows = []
    for workflow in Workflow.objects.select_related("account").prefetch_related(last_runs):
        last = next(iter(workflow.runs.all()), None)
        rows.append({"workflow": workflow, "last_run": last, "next_run_at": next_run_at(workflow),
                     "rows": run_rows(last) if last else None})
    return rows


def rows_chart(runs: list[Run]) -> str:
    chart = _chart(pygal.Bar, "Rows per run, last 30 days")
    chart.x_labels = [f"#{run.pk} {run.workflow.internal_name} {run.created_at:%d %b}" for run in runs]
    figures = [run_rows(run) for run in runs]
    chart.add("imported", [rows.imported for rows in figures])
    chart.add("exported", [rows.exported for rows in figures])
    chart.add("rejected", [rows.rejected for rows in figures])
    return chart.render(is_unicode=True)


def api_calls_chart(runs: list[Run], first_day: date) -> str:
    """One series per account that made calls, one point per day of the period."""
    days = [first_day + timedelta(days=offset) for offset in range(CHART_DAYS)]
    per_account: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for run in runs:
        per_account[run.workflow.account.name][timezone.localdate(run.created_at)] += run_rows(run).api_calls
    chart = _chart(pygal.Line, "API calls per day")
    chart.x_labels = [f"{day:%d %b}" for day in days]
    chart.x_labels_major_every = 7
    chart.show_minor_x_labels = False
    for name in sorted(per_account):
        chart.add(name, [per_account[name].get(day, 0) for day in days])
    return chart.render(is_unicode=True)


def _chart(kind, title: str):
    # js=[]: no script is fetched from pygal's CDN; tooltips are plain SVG titles.
    return kind(title=title, js=[], disable_xml_declaration=True, style=DefaultStyle, height=320,
                x_label_rotation=30, truncate_label=24, no_data_text="no runs yet", legend_at_bottom=True)


def audit_rows() -> list[dict]:
    """Each generated table with its last reconciliation audit (None: never audited)."""
    from django.db.models import OuterRef, Subquery

    from wizard.models import DataSchema
    from workflows.audit_models import AuditReport

    last = AuditReport.objects.filter(schema=OuterRef("pk")).order_by("-created_at", "-id").values("pk")[:1]
    schemas = list(DataSchema.objects.select_related("account").annotate(last_audit=Subquery(last)))
    reports = AuditReport.objects.in_bulk([s.last_audit for s in schemas if s.last_audit])
    return [{"schema": schema, "audit": reports.get(schema.last_audit)} for schema in schemas]


def context(user) -> dict:
    """The parts of the dashboard `user` may see (None for the others): accounts
    need view_externalaccount, workflows and the run charts view_workflow and view_run."""
    first_day = timezone.localdate() - timedelta(days=CHART_DAYS - 1)
    since = timezone.make_aware(datetime.combine(first_day, time.min))
    sees_accounts = user.has_perm("connectors.view_externalaccount")
    sees_runs = user.has_perms(["workflows.view_workflow", "workflows.view_run"])
    runs = recent_runs(since) if sees_accounts or sees_runs else []
    return {
        "dashboard_accounts": account_rows(runs) if sees_accounts else None,
        "dashboard_workflows": workflow_rows() if sees_runs else None,
        "rows_chart": rows_chart(runs) if sees_runs else None,
        "api_calls_chart": api_calls_chart(runs, first_day) if sees_runs else None,
        "dashboard_audits": audit_rows() if user.has_perm("workflows.view_auditreport") else None,
    }
