"""`manage.py crmsync_run WORKFLOW [--wait]`: the run's id, its progress and final
counters, exit codes by outcome, and clear errors when no run can start."""

from __future__ import annotations

import gc
import io
import re
import threading

import pytest
from django.core.management import call_command, load_command_class

from tests.workflows.helpers import generate, rows, workflow
from workflows.models import Run, Workflow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def synchronous(settings):
    settings.CRMSYNC_IN_PROCESS_TASKS = True
    settings.CRMSYNC_IN_PROCESS_SYNCHRONOUS = True


def crmsync_run(*args) -> tuple[int, str]:
    """(exit code, stdout) of the command called as from Python."""
    out = io.StringIO()
    try:
        call_command("crmsync_run", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def from_shell(capsys, *args) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) as `manage.py crmsync_run …` gives them."""
    with pytest.raises(SystemExit) as exit_info:
        # What ManagementUtility runs, without its django.setup(): that would rebind
        # the logging handlers to this test's captured (then closed) stderr.
        load_command_class("workflows", "crmsync_run").run_from_argv(["manage.py", "crmsync_run", *args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_wait_shows_the_progress_and_final_counters_and_exits_0_on_success(crm_account, crm, synchronous):
    schema = generate(crm_account, crm.table)
    workflow(crm_account, schema, ("import", {}), name="contacts-in")
    code, out = crmsync_run("contacts-in", "--wait")
    run = Run.objects.get()
    total, calls = rows(schema).count(), run.activity_runs.get().api_calls
    assert (code, run.status, run.trigger) == (0, "succeeded", "command")
    started, progress, final, activity = out.splitlines()
    assert started == f"Run {run.pk} of contacts-in (contacts-in) started."
    assert re.fullmatch(rf"\[#{{24}}\] 100% 1/1 Import from the CRM: read {total}, inserted {total}, updated 0, "
                        rf"rejected 0, deleted 0 \| 0:00:0\d succeeded", progress), progress
    assert re.fullmatch(rf"Run {run.pk} succeeded in 0:00:0\d\.", final), final
    assert activity == (f"  1. Import from the CRM ({crm.table}) succeeded: read {total}, inserted {total}, "
                        f"updated 0, unchanged 0, rejected 0, deleted 0, conflicts 0, API calls {calls}")


def test_wait_exits_1_when_the_crm_refused_records(salesforce_account, synchronous):
    schema = generate(salesforce_account, "Contact")
    workflow(salesforce_account, schema, ("export", {"mode": "upsert"}), name="contacts-out")
    rows(schema).model.objects.create(**{schema.fields.get(crm_name="LastName").column_name: None})
    code, out = crmsync_run(str(Workflow.objects.get().pk), "--wait")  # by id
    run = Run.objects.get()
    assert (code, run.status) == (1, "partial")
    assert "  1. Export to the CRM (Contact) partial: read 1, inserted 0, updated 0, unchanged 0, rejected 1," in out
    assert out.splitlines()[-1] == (f"Rejects: 1, listed on the run's page in the console "
                                    f"(/admin/workflows/run/{run.pk}/change/).")


def test_wait_exits_2_when_the_run_failed_and_prints_its_error(salesforce_account, synchronous):
    schema = generate(salesforce_account, "Contact")
    wf = workflow(salesforce_account, schema, ("import", {}), name="broken")
    wf.activities.update(options={"incremental": "sometimes"})  # as if edited behind the API's back
    code, out = crmsync_run("broken", "--wait")
    run = Run.objects.get()
    assert (code, run.status) == (2, "failed")
    assert out.splitlines()[-1] == "Error: activity 1 failed: OptionsError: incremental: must be true or false"


def test_without_wait_the_command_prints_the_run_id_only(salesforce_account, synchronous):
    workflow(salesforce_account, generate(salesforce_account, "Contact"), ("import", {}), name="contacts-in")
    code, out = crmsync_run("contacts-in")
    assert (code, out) == (0, f"{Run.objects.get().pk}\n")


@pytest.fixture
def in_a_thread(settings):
    """Runs execute in a background thread of this process, as without a broker."""
    settings.CRMSYNC_IN_PROCESS_TASKS, settings.CRMSYNC_IN_PROCESS_SYNCHRONOUS = True, False
    yield
    for thread in threading.enumerate():
        if thread.name.startswith("run-"):
            thread.join(10)
    gc.collect()  # the ended thread's database connection, so that the test database can be dropped


def test_wait_follows_a_run_executing_in_a_background_thread(salesforce_account, in_a_thread):
    schema = generate(salesforce_account, "Contact")
    workflow(salesforce_account, schema, ("import", {}), name="contacts-in")
    code, out = crmsync_run("contacts-in", "--wait", "--interval", "0.05")
    run = Run.objects.get()
    assert (code, run.status) == (0, "succeeded")
    started, *following, last, final, activity = out.splitlines()
    assert started == f"Run {run.pk} of contacts-in (contacts-in) started."
    assert following and all(line.endswith((" queued", " running")) for line in following), out
    assert re.fullmatch(r"\[#{24}\] 100% 1/1 Import from the CRM: read \d+, inserted \d+, updated 0, rejected 0, "
                        r"deleted 0 \| 0:00:0\d succeeded", last), last
    assert re.fullmatch(rf"Run {run.pk} succeeded in 0:00:0\d\.", final) and activity.startswith("  1. Import")


def test_an_unknown_workflow_is_a_clear_error_with_exit_code_3(salesforce_account, capsys):
    workflow(salesforce_account, generate(salesforce_account, "Contact"), ("import", {}), name="contacts-in")
    code, out, err = from_shell(capsys, "nope", "--wait")
    assert (code, out) == (3, "")
    assert err == "CommandError: no workflow with internal name or id 'nope' (workflows: contacts-in)\n"
    assert Run.objects.count() == 0


def test_a_disabled_or_running_workflow_starts_no_run_and_says_why(salesforce_account, capsys):
    wf = workflow(salesforce_account, generate(salesforce_account, "Contact"), ("import", {}), name="contacts-in")
    active = Run.objects.create(workflow=wf, status="running")
    code, _, err = from_shell(capsys, "contacts-in")
    assert (code, err) == (3, f"CommandError: workflow contacts-in is already running: run {active.pk} is running; "
                              "not started again\n")
    Workflow.objects.filter(pk=wf.pk).update(enabled=False)
    code, _, err = from_shell(capsys, "contacts-in", "--wait")
    assert (code, err) == (3, "CommandError: workflow contacts-in is disabled: enable it before running it\n")
    assert Run.objects.count() == 1
