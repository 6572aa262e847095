"""The console's home page figures: accounts and their connection state, workflows
and their last run, and two charts (rows per run, API calls per day) rendered as
inline SVG by pygal, so the page needs neither JavaScript nor network."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pygal
from django.core.cache import cache
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from pygal.style import DefaultStyle

from connectors.models import ExternalAccount
from workflows.listing import with_last_run
from workflows.models import ActivityRun, Operation, Run, Workflow
from workflows.schedules import next_runs_at

CHART_DAYS = 30
CHART_CACHE_SECONDS = 600
LIVE_CHART_SECONDS = 10
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
    runs = Run.objects.filter(created_at__gte=since).select_related("workflow__account").prefetch_related(steps)
    return list(runs.order_by("created_at", "pk"))


def account_rows(runs: list[Run]) -> list[dict]:
    """Each account with its last connection test and the API calls its runs made today."""
    today = timezone.localdate()
    calls = defaultdict(int)
    for run in runs:
        if timezone.localdate(run.created_at) == today:
            calls[run.workflow.account_id] += run_rows(run).api_calls
    return [{"account": account, "calls_today": calls[account.pk], "budget": budget_figures(account)}
            for account in ExternalAccount.objects.all()]


def budget_figures(account) -> dict | None:
    """The API budget as last read by the governor (no call to the CRM here): used
    and remaining over 24 h, and the forecast of the runs not yet ended or, for
    the others, of their last run."""
    if account.api_daily_max is None:
        return None
    total = account.api_daily_max * account.api_quota_share // 100
    used = account.api_daily_used or 0
    last_forecast = (Run.objects.filter(workflow=OuterRef("pk"), forecast_calls__isnull=False)
                     .order_by("-created_at").values("forecast_calls")[:1])
    forecasts = account.workflows.filter(enabled=True).annotate(last=Subquery(last_forecast)).values_list("last", flat=True)
    forecast = sum(f for f in forecasts if f)  # one query, however many workflows
    return {"limit": account.api_daily_max, "total": total, "used": used, "forecast": forecast,
            "remaining": max(0, total - used), "read_at": account.api_limits_read_at}


def workflow_rows() -> list[dict]:
    """Each workflow with its last run only (not its whole history) and its next
    scheduled run, in a fixed number of queries."""
    workflows = list(with_last_run(Workflow.objects.select_related("account")))
    steps = Prefetch("activity_runs", queryset=ActivityRun.objects.order_by("position"))
    last_runs = Run.objects.filter(pk__in=[w.last_run_pk for w in workflows if w.last_run_pk]).prefetch_related(steps)
    last_runs = {run.pk: run for run in last_runs}
    next_runs = next_runs_at(workflows)
    rows = []
    for workflow in workflows:
        last = last_runs.get(workflow.last_run_pk)
        rows.append({"workflow": workflow, "last_run": last, "next_run_at": next_runs.get(workflow.pk),
                     "rows": run_rows(last) if last else None})
    return rows


def _rendered(name: str, runs: list[Run], data, render) -> str:
    """Drawing a chart costs far more than its figures: the SVG is kept in the cache
    under a digest of what it shows, so it is drawn again only when that changes.
    Runs still going change with every page they commit: while there are some, the
    key leaves their figures out and the drawing is kept a few seconds only."""
    active = [run.pk for run in runs if run.is_active]
    shown = (active, _without_active(data, runs)) if active else data
    key = f"dashboard:{name}:{hashlib.sha256(repr(shown).encode()).hexdigest()}"
    return cache.get_or_set(key, lambda: render(data), LIVE_CHART_SECONDS if active else CHART_CACHE_SECONDS)


def _without_active(data, runs: list[Run]):
    finished = [run for run in runs if not run.is_active]
    return [f"#{run.pk} {run.status}" for run in finished], [run_rows(run) for run in finished]


def rows_chart(runs: list[Run]) -> str:
    labels = [f"#{run.pk} {run.workflow.internal_name} {run.created_at:%d %b}" for run in runs]
    return _rendered("rows", runs, (labels, [run_rows(run) for run in runs]), _draw_rows)


def _draw_rows(data) -> str:
    labels, figures = data
    chart = _chart(pygal.Bar, "Rows per run, last 30 days")
    chart.x_labels = labels
    chart.add("imported", [rows.imported for rows in figures])
    chart.add("exported", [rows.exported for rows in figures])
    chart.add("rejected", [rows.rejected for rows in figures])
    return svg(chart)


def api_calls_chart(runs: list[Run], first_day: date) -> str:
    """One series per account that made calls, one point per day of the period."""
    days = [first_day + timedelta(days=offset) for offset in range(CHART_DAYS)]
    per_account: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for run in runs:
        per_account[run.workflow.account.name][timezone.localdate(run.created_at)] += run_rows(run).api_calls
    series = [(name, [per_account[name].get(day, 0) for day in days]) for name in sorted(per_account)]
    return _rendered("api-calls", runs, ([f"{day:%d %b}" for day in days], series), _draw_api_calls)


def _draw_api_calls(data) -> str:
    labels, series = data
    chart = _chart(pygal.Line, "API calls per day")
    chart.x_labels = labels
    chart.x_labels_major_every = 7
    chart.show_minor_x_labels = False
    for name, values in series:
        chart.add(name, values)
    return svg(chart)


# pygal writes its chart config as an inline <script> even without pygal.js: it does
# nothing here, and the Content-Security-Policy would refuse it.
INLINE_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)


def svg(chart) -> str:
    return INLINE_SCRIPT.sub("", chart.render(is_unicode=True))


def _chart(kind, title: str):
    # js=[]: no script is fetched from pygal's CDN; tooltips are plain SVG titles.
    return kind(title=title, js=[], disable_xml_declaration=True, style=DefaultStyle, height=320,
                x_label_rotation=30, truncate_label=24, no_data_text="no runs yet", legend_at_bottom=True)


def audit_rows() -> list[dict]:
    """Each generated table with its last reconciliation audit (None: never audited)."""
    from wizard.models import DataSchema
    from workflows.audit_models import AuditReport

    last = AuditReport.objects.filter(schema=OuterRef("pk")).order_by("-created_at", "-id").values("pk")[:1]
    schemas = list(DataSchema.objects.select_related("account").annotate(last_audit=Subquery(last)))
    reports = AuditReport.objects.in_bulk([s.last_audit for s in schemas if s.last_audit])
    return [{"schema": schema, "audit": reports.get(schema.last_audit)} for schema in schemas]


def context(user) -> dict:
    """The parts of the dashboard `user` may see (None for the others): accounts
    need view_externalaccount, workflows and the run charts view_workflow and view_run
    (and, like every workflow page, the right to view the accounts they use)."""
    first_day = timezone.localdate() - timedelta(days=CHART_DAYS - 1)
    since = timezone.make_aware(datetime.combine(first_day, time.min))
    sees_accounts = user.has_perm("connectors.view_externalaccount")
    sees_runs = sees_accounts and user.has_perms(["workflows.view_workflow", "workflows.view_run"])
    runs = recent_runs(since) if sees_accounts or sees_runs else []
    return {
        "dashboard_accounts": account_rows(runs) if sees_accounts else None,
        "dashboard_workflows": workflow_rows() if sees_runs else None,
        "rows_chart": rows_chart(runs) if sees_runs else None,
        "api_calls_chart": api_calls_chart(runs, first_day) if sees_runs else None,
        "dashboard_audits": audit_rows() if user.has_perm("workflows.view_auditreport") else None,
    }
