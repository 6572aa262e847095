"""Run a workflow from the command line: `python manage.py crmsync_run WORKFLOW
[--wait]`, following its progress in the terminal with --wait."""

from __future__ import annotations

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.urls import reverse

from workflows import runs
from workflows.admin_views import duration_text, elapsed
from workflows.models import ActivityRun, Run, RunStatus, Workflow

EXIT_CODES = {RunStatus.SUCCEEDED: 0, RunStatus.PARTIAL: 1, RunStatus.FAILED: 2, RunStatus.CANCELLED: 2}
NOT_STARTED = 3
BAR_WIDTH = 24
COUNTER_LABELS = {"api_calls": "API calls"}


class Command(BaseCommand):
    help = (
        "Start a run of a workflow (its internal name or id) and print the run's id. With --wait, follow it "
        "to its end and exit with 0 (succeeded), 1 (partial), 2 (failed or cancelled); 3 when no run was "
        "started (unknown workflow, disabled, or already running)."
    )

    def add_arguments(self, parser):
        parser.add_argument("workflow", help="the workflow's internal name or id")
        parser.add_argument("--wait", action="store_true", help="follow the run until it ends")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between progress checks (--wait)")

    def handle(self, *args, workflow, wait, interval, **options):
        found = find_workflow(workflow)
        run = start(found)
        if not wait:
            self.stdout.write(str(run.pk))
            if in_this_process():
                self.stderr.write("No Celery broker is configured: the run executes in this process, "
                                  "which waits for it to end.")
                self.follow(run, interval, quiet=True)
            return
        self.stdout.write(f"Run {run.pk} of {found} ({found.internal_name}) started.")
        try:
            run = self.follow(run, interval)
        except KeyboardInterrupt:
            self.stdout.write("")
            self.stderr.write(f"Stopped following run {run.pk}; it goes on (cancel it in the console).")
            sys.exit(130)
        self.report(run)
        if EXIT_CODES[run.status]:
            sys.exit(EXIT_CODES[run.status])

    def follow(self, run: Run, interval: float, quiet: bool = False) -> Run:
        """Poll until the run ends; a run whose worker vanished is failed on the way."""
        shown = ""
        while True:
            try:
                runs.fail_vanished_runs(run.workflow)
                run.refresh_from_db()
                activities = list(run.activity_runs.select_related("activity__schema"))
            except DatabaseError as exc:
                # The database restarted or is unreachable for a moment: say so, and
                # keep following on a new connection once it answers again.
                self.stderr.write(f"Database unavailable ({str(exc).strip().splitlines()[0]}); retrying.")
                connection.close()
                time.sleep(interval)
                continue
            if not quiet:
                shown = self.show(progress_line(run, activities), shown)
            if not run.is_active:
                if shown and self.stdout.isatty():
                    self.stdout.write("")
                return run
            time.sleep(interval)

    def show(self, line: str, shown: str) -> str:
        """On a terminal, one line redrawn in place; elsewhere, a line per change."""
        if line == shown:
            return shown
        if self.stdout.isatty():
            self.stdout.write("\r" + line.ljust(len(shown)), ending="")
            self.stdout.flush()
        else:
            self.stdout.write(line)
        return line

    def report(self, run: Run) -> None:
        style = {RunStatus.SUCCEEDED: self.style.SUCCESS, RunStatus.PARTIAL: self.style.WARNING}.get(
            run.status, self.style.ERROR)
        self.stdout.write(style(f"Run {run.pk} {run.status} in {duration_text(elapsed(run))}."))
        for activity_run in run.activity_runs.select_related("activity__schema").order_by("position"):
            self.stdout.write(f"  {activity_title(activity_run)}: {counter_text(activity_run)}")
        if run.error:
            self.stdout.write(f"Error: {run.error}")
        rejects = run.rejects.count()
        if rejects:
            page = reverse("admin:workflows_run_change", args=[run.pk])
            self.stdout.write(f"Rejects: {rejects}, listed on the run's page in the console ({page}).")


def find_workflow(value: str) -> Workflow:
    workflow = Workflow.objects.filter(internal_name=value).first()
    if workflow is None and value.isdigit():
        workflow = Workflow.objects.filter(pk=int(value)).first()
    if workflow is None:
        known = ", ".join(Workflow.objects.order_by("internal_name").values_list("internal_name", flat=True)[:20])
        raise CommandError(f"no workflow with internal name or id {value!r} (workflows: {known or 'none'})",
                           returncode=NOT_STARTED)
    return workflow


def start(workflow: Workflow) -> Run:
    try:
        return runs.start_run(workflow, trigger="command")
    except runs.RunAlreadyActive as exc:
        raise CommandError(f"workflow {workflow.internal_name} is already running: run {exc.run.pk} is "
                           f"{exc.run.status}; not started again", returncode=NOT_STARTED) from None
    except runs.WorkflowDisabled:
        raise CommandError(f"workflow {workflow.internal_name} is disabled: enable it before running it",
                           returncode=NOT_STARTED) from None


def in_this_process() -> bool:
    """Without a broker a run executes in a thread of this process, which must not exit before it."""
    return settings.CRMSYNC_IN_PROCESS_TASKS and not getattr(settings, "CRMSYNC_IN_PROCESS_SYNCHRONOUS", False)


def activity_title(activity_run: ActivityRun) -> str:
    table = activity_run.activity.schema.crm_name if activity_run.activity else "?"
    return f"{activity_run.position + 1}. {activity_run.get_operation_display()} ({table}) {activity_run.status}"


def counter_text(activity_run: ActivityRun) -> str:
    return ", ".join(f"{COUNTER_LABELS.get(name, name)} {getattr(activity_run, name)}" for name in ActivityRun.COUNTERS)


def progress_line(run: Run, activity_runs: list[ActivityRun]) -> str:
    """`[####----]  50% 1/2 Import from the CRM (Contact): read 5 of 10, … 0:00:03 running`."""
    count = run.workflow.activities.count()
    current = activity_runs[-1] if activity_runs else None
    clock = f"{duration_text(elapsed(run))} {run.status}"
    if current is None:
        return f"waiting for a worker | {clock}"
    what = f"{current.position + 1}/{count} {current.get_operation_display()}: {short_counters(current)}"
    return f"{bar(current)} {what} | {clock}"


def bar(activity_run: ActivityRun) -> str:
    if activity_run.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL):
        return "[" + "#" * BAR_WIDTH + "] 100%"
    if not activity_run.total:
        return "[" + "?" * BAR_WIDTH + "]     "
    share = min(1.0, activity_run.read / activity_run.total)
    filled = round(share * BAR_WIDTH)
    return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + f"] {round(share * 100):3d}%"


def short_counters(activity_run: ActivityRun) -> str:
    read = f"read {activity_run.read}" + (f" of {activity_run.total}" if activity_run.total else "")
    rest = [f"{name} {getattr(activity_run, name)}" for name in ("inserted", "updated", "rejected", "deleted")]
    return ", ".join([read, *rest])
