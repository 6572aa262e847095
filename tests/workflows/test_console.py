"""The workflows console: a workflow with its activities made in the admin, Run now,
the run page with its counters, log and progress endpoint, Cancel, the rejects as
CSV (formula cells defused) and Retry rejects, and who may see runs."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.html import escape
from django_celery_beat.models import PeriodicTask

from tests.workflows.helpers import generate, rows, workflow
from workflows.admin_views import FORMULA_START
from workflows.models import Reject, Run, Workflow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def console(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def synchronous(settings):
    """Runs started by the console execute before the request answers."""
    settings.CRMSYNC_IN_PROCESS_TASKS = True
    settings.CRMSYNC_IN_PROCESS_SYNCHRONOUS = True


def run_page(run) -> str:
    return reverse("admin:workflows_run_change", args=[run.pk])


def post(console, url):
    """POST, follow the redirect; the messages the landing page showed."""
    response = console.post(url, follow=True)
    return response, [str(m) for m in response.context["messages"]]


def workflow_form(account, activities, **fields) -> dict:
    data = {"name": "Contacts both ways", "internal_name": "contacts-both-ways", "account": account.pk,
            "enabled": "on", "schedule": "*/5 * * * *", "conflict_policy": "crm_wins",
            "activities-TOTAL_FORMS": str(len(activities)), "activities-INITIAL_FORMS": "0",
            "activities-MIN_NUM_FORMS": "0", "activities-MAX_NUM_FORMS": "1000", **fields}
    for index, (position, operation, schema, options) in enumerate(activities):
        data.update({f"activities-{index}-position": str(position), f"activities-{index}-operation": operation,
                     f"activities-{index}-schema": str(schema.pk), f"activities-{index}-options": options})
    return data


# --- workflows ------------------------------------------------------------------

def test_a_workflow_is_created_with_its_activities_in_order_and_its_schedule(salesforce_account, console):
    schema = generate(salesforce_account, "Contact")
    page = console.get(reverse("admin:workflows_workflow_add")).content.decode()
    assert 'for="id_activities-0-options"' in page and 'for="id_schedule"' in page
    data = workflow_form(salesforce_account, [(5, "export", schema, '{"mode": "upsert", "key": "External_Id__c"}'),
                                              (2, "import", schema, '{"incremental": false}')])
    response = console.post(reverse("admin:workflows_workflow_add"), data)
    assert response.status_code == 302, response.content.decode()
    wf = Workflow.objects.get()
    assert [(a.position, a.operation, a.options) for a in wf.activities.all()] == [
        (0, "import", {"incremental": False}), (1, "export", {"mode": "upsert", "key": "External_Id__c"})]
    task = PeriodicTask.objects.get(name=f"workflow:contacts-both-ways:{wf.pk}")
    assert (task.crontab.minute, task.crontab.hour, task.enabled, json.loads(task.args)) == ("*/5", "*", True, [wf.pk])
    listing = console.get(reverse("admin:workflows_workflow_changelist")).content.decode()
    assert "Contacts both ways" in listing and "*/5 * * * *" in listing


def test_bad_options_and_a_bad_cron_expression_are_form_errors_and_save_nothing(salesforce_account, console):
    schema = generate(salesforce_account, "Contact")
    data = workflow_form(salesforce_account, [(1, "export", schema, '{"mode": "sideways", "bogus": 1}'),
                                              (2, "import", schema, "[1, 2]"),
                                              (3, "import", schema, "{not json")], schedule="61 * * * *")
    response = console.post(reverse("admin:workflows_workflow_add"), data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors[0] == {"options": ["bogus: not an option of export", "mode: must be one of: insert, update, upsert"]}
    assert errors[1] == {"options": ['Options are a JSON object, e.g. {"incremental": true}.']}
    assert errors[2] == {"options": ["Enter a valid JSON."]}
    schedule_error = response.context["adminform"].form.errors["schedule"][0]
    assert schedule_error.startswith("invalid cron expression:")
    assert Workflow.objects.count() == 0 and PeriodicTask.objects.filter(name__startswith="workflow:").count() == 0


def test_two_activities_with_one_order_number_or_none_at_all_are_refused(salesforce_account, console):
    schema = generate(salesforce_account, "Contact")
    twice = workflow_form(salesforce_account, [(1, "import", schema, "{}"), (1, "export", schema, "{}")])
    response = console.post(reverse("admin:workflows_workflow_add"), twice)
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "Two activities have the same order number."]
    none = console.post(reverse("admin:workflows_workflow_add"), workflow_form(salesforce_account, []))
    assert none.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "A workflow needs at least one activity."]
    assert Workflow.objects.count() == 0


def test_a_changed_schedule_is_kept_in_step_and_blank_removes_it(salesforce_account, console):
    schema = generate(salesforce_account, "Contact")
    console.post(reverse("admin:workflows_workflow_add"), workflow_form(salesforce_account,
                                                                          [(1, "import", schema, "{}")]))
    wf = Workflow.objects.get()
    activity = wf.activities.get()
    change = workflow_form(salesforce_account, [], schedule="0 3 * * 1", **{
        "activities-TOTAL_FORMS": "1", "activities-INITIAL_FORMS": "1", "activities-0-id": str(activity.pk),
        "activities-0-workflow": str(wf.pk), "activities-0-position": "1", "activities-0-operation": "import",
        "activities-0-schema": str(schema.pk), "activities-0-options": "{}"})
    page = console.get(reverse("admin:workflows_workflow_change", args=[wf.pk])).content.decode()
    assert 'name="activities-0-position" value="1"' in page  # order shown from 1, stored from 0
    assert console.post(reverse("admin:workflows_workflow_change", args=[wf.pk]), change).status_code == 302
    task = PeriodicTask.objects.get(name__startswith="workflow:")
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "3", "1")
    change["schedule"] = ""
    assert console.post(reverse("admin:workflows_workflow_change", args=[wf.pk]), change).status_code == 302
    assert not PeriodicTask.objects.filter(name__startswith="workflow:").exists()


# --- Run now and the run page ---------------------------------------------------------

def test_run_now_starts_a_run_whose_page_shows_counters_log_and_progress(crm_account, crm, console, synchronous):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}))
    response, messages = post(console, reverse("admin:workflows_workflow_run", args=[wf.pk]))
    run = Run.objects.get()
    assert response.redirect_chain == [(run_page(run), 302)]
    assert (run.status, run.trigger, run.started_by.username) == ("succeeded", "manual", "root-tester")
    total = rows(schema).count()
    activity = run.activity_runs.get()
    assert total > 0 and (activity.read, activity.inserted) == (total, total)

    assert messages == [f"Run {run.pk} of wf started."]
    page = response.content.decode()
    # An incremental read does not know its total; once it has ended its bar is full.
    assert (f'<td>1. Import from the CRM ({crm.table})</td><td>succeeded</td>\n          <td><progress max="100" '
            f'value="100" aria-label="Activity 1: 100%">100%</progress> {total} read</td>') in page
    assert f'<td class="num">{total}</td><td class="num">{total}</td><td class="num">0</td>' in page
    assert "run succeeded" in page and 'id="run-cancel"' not in page and "No rejects." in page
    assert "admin:workflows_run_progress" not in page and "fetch(" not in page  # an ended run is not polled

    progress = console.get(reverse("admin:workflows_run_progress", args=[run.pk])).json()
    assert {k: progress[k] for k in ("id", "status", "active", "cancel_requested", "error", "rejects")} == {
        "id": run.pk, "status": "succeeded", "active": False, "cancel_requested": False, "error": "", "rejects": 0}
    assert progress["activities"] == [{
        "number": 1, "operation": "Import from the CRM", "table": crm.table, "status": "succeeded",
        "total": None, "percent": 100, "read": total, "inserted": total, "updated": 0, "unchanged": 0,
        "rejected": 0, "deleted": 0, "conflicts": 0, "api_calls": activity.api_calls}]
    assert progress["log"] == run.log and progress["log"].splitlines()[-1].endswith("run succeeded")

    listing = console.get(reverse("admin:workflows_run_changelist")).content.decode()
    assert f'<td class="field-rows_in">{total}</td><td class="field-rows_out">0</td>' in listing
    workflows = console.get(reverse("admin:workflows_workflow_changelist")).content.decode()
    assert f'<a href="{run_page(run)}">succeeded</a>' in workflows


def test_run_now_while_a_run_is_active_links_to_it_and_starts_no_second(salesforce_account, console):
    wf = workflow(salesforce_account, generate(salesforce_account, "Contact"), ("import", {}))
    active = Run.objects.create(workflow=wf, status="running")
    response, messages = post(console, reverse("admin:workflows_workflow_run", args=[wf.pk]))
    assert response.redirect_chain == [(reverse("admin:workflows_workflow_change", args=[wf.pk]), 302)]
    assert messages == [
        f'wf is already running: <a href="{run_page(active)}">run {active.pk}</a>. It was not started again.']
    assert f'<a href="{run_page(active)}">run {active.pk}</a>' in response.content.decode()
    assert Run.objects.count() == 1


def test_run_now_of_a_disabled_workflow_says_it_is_disabled(salesforce_account, console):
    wf = workflow(salesforce_account, generate(salesforce_account, "Contact"), ("import", {}))
    Workflow.objects.filter(pk=wf.pk).update(enabled=False)
    response, messages = post(console, reverse("admin:workflows_workflow_run", args=[wf.pk]))
    assert response.redirect_chain == [(reverse("admin:workflows_workflow_change", args=[wf.pk]), 302)]
    assert messages == ["wf is disabled: tick “Enabled” and save before running it."]
    assert Run.objects.count() == 0
    assert console.get(reverse("admin:workflows_workflow_run", args=[wf.pk])).status_code == 405


def test_an_active_run_page_polls_and_cancel_stops_a_queued_run_or_asks_a_running_one(salesforce_account, console):
    wf = workflow(salesforce_account, generate(salesforce_account, "Contact"), ("import", {}))
    queued = Run.objects.create(workflow=wf)
    page = console.get(run_page(queued)).content.decode()
    progress_url = reverse("admin:workflows_run_progress", args=[queued.pk])
    assert 'id="run-cancel"' in page and f'var url = "{progress_url}"' in page
    assert "<td>1. Import from the CRM (Contact)</td><td>queued</td>" in page
    _, messages = post(console, reverse("admin:workflows_run_cancel", args=[queued.pk]))
    queued.refresh_from_db()
    assert (queued.status, queued.cancel_requested, messages) == (
        "cancelled", True, [f"Run {queued.pk} cancelled."])

    running = Run.objects.create(workflow=wf, status="running")
    _, messages = post(console, reverse("admin:workflows_run_cancel", args=[running.pk]))
    running.refresh_from_db()
    assert (running.status, running.cancel_requested) == ("running", True)
    assert messages == [f"Cancellation of run {running.pk} requested: it stops after the page it is on."]
    assert console.get(progress_url.replace(str(queued.pk), str(running.pk))).json()["cancel_requested"] is True
    _, messages = post(console, reverse("admin:workflows_run_cancel", args=[queued.pk]))
    assert messages == [f"Run {queued.pk} has already ended (cancelled)."]


# --- rejects -------------------------------------------------------------------------

REQUIRED_MISSING = {"salesforce": "REQUIRED_FIELD_MISSING", "dynamics": "0x80040203"}


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_rejects_are_listed_downloaded_as_csv_with_formulas_defused_and_retried(crm_account, crm, console,
                                                                               synchronous):
    schema = generate(crm_account, crm.table)
    name = schema.fields.get(crm_name=crm.name_field).column_name
    wf = workflow(crm_account, schema, ("export", {"mode": "upsert"}))
    bad = rows(schema).model.objects.create(**{name: None})
    post(console, reverse("admin:workflows_workflow_run", args=[wf.pk]))
    run = Run.objects.get()
    assert run.status == "partial", run.log
    refused = Reject.objects.get(run=run)
    formulas = Reject.objects.create(run=run, activity_run=refused.activity_run, local_key="=1+2", crm_id="@SUM(A1)",
                                     code="-2", message="+cmd|' /C calc'!A0", fields=["\tTab", "\rReturn"],
                                     payload={"x": "=1"})

    page = console.get(run_page(run)).content.decode()
    assert f'<td><code>{refused.code}</code></td><td class="run-message">{escape(refused.message)}</td>' in page
    assert 'id="rejects-csv"' in page and 'id="retry-rejects"' in page
    assert '<progress max="100" value="100" aria-label="Activity 1: 100%">100%</progress> 1 of 1' in page

    response = console.get(reverse("admin:workflows_run_rejects_csv", args=[run.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="run-{run.pk}-rejects.csv"'
    header, first, second = csv_rows(response)
    assert header == ["reject", "activity", "operation", "table", "local key", "CRM id", "CRM code", "message",
                      "fields", "payload"]
    assert first == [str(refused.pk), "1", "export", crm.table, str(bad.pk), "", REQUIRED_MISSING[crm.crm],
                     refused.message, ";".join(refused.fields), json.dumps(refused.payload, sort_keys=True)]
    assert second == [str(formulas.pk), "1", "export", crm.table, "'=1+2", "'@SUM(A1)", "'-2",
                      "'+cmd|' /C calc'!A0", "'\tTab;\rReturn", '{"x": "=1"}']
    assert all(not cell.startswith(FORMULA_START) for row in (first, second) for cell in row)

    response, messages = post(console, reverse("admin:workflows_run_retry", args=[run.pk]))
    retry = Run.objects.exclude(pk=run.pk).get()
    assert response.redirect_chain == [(run_page(retry), 302)]
    assert (retry.trigger, retry.retry_of_id, retry.started_by.username) == ("retry", run.pk, "root-tester")
    assert retry.status == "partial" and retry.rejects.get().local_key == str(bad.pk)  # still refused by the CRM
    assert messages == [f"Run {retry.pk} retries the rejects of run {run.pk}."]


# --- rights --------------------------------------------------------------------------

def test_staff_without_view_run_gets_403_on_every_run_page(salesforce_account, client, staff_without_permissions):
    wf = workflow(salesforce_account, generate(salesforce_account, "Contact"), ("import", {}))
    run = Run.objects.create(workflow=wf, status="running")
    client.force_login(staff_without_permissions)
    for name in ("run_change", "run_progress", "run_rejects_csv"):
        assert client.get(reverse(f"admin:workflows_{name}", args=[run.pk])).status_code == 403, name
    assert client.get(reverse("admin:workflows_run_changelist")).status_code == 403
    for name in ("run_cancel", "run_retry", "workflow_run"):
        target = wf.pk if name == "workflow_run" else run.pk
        assert client.post(reverse(f"admin:workflows_{name}", args=[target])).status_code == 403, name
    run.refresh_from_db()
    assert not run.cancel_requested and Run.objects.count() == 1


def test_a_viewer_of_runs_sees_the_page_but_may_not_cancel(salesforce_account, client, staff_without_permissions):
    wf = workflow(salesforce_account, generate(salesforce_account, "Contact"), ("import", {}))
    run = Run.objects.create(workflow=wf, status="running")
    staff_without_permissions.user_permissions.add(*Permission.objects.filter(
        codename__in=("view_run", "view_externalaccount")))
    client.force_login(staff_without_permissions)
    page = client.get(run_page(run))
    assert page.status_code == 200 and 'id="run-cancel"' not in page.content.decode()
    assert client.post(reverse("admin:workflows_run_cancel", args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert not run.cancel_requested
