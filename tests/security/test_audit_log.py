"""The audit log: who changed external accounts, schemas, enumerations and
workflows, and who started or cancelled runs (API, console, scheduler) — with
credentials never written to it, read-only in the console and in the API."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from connectors.models import ExternalAccount
from crmsync.audit import SECRET_SHOWN_AS
from tests.fixtures.accounts import PAPER_RIGHT_KEY, api_client_for
from tests.security.test_access import note
from wizard import generation
from wizard.enumeration_models import Enumeration
from workflows import runs
from workflows.models import Activity, Run, Workflow

pytestmark = pytest.mark.django_db

NEW_SECRET = "rotated-paper-key-never-logged-4471"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def entries(model: str) -> list[LogEntry]:
    app_label, name = model.split(".")
    return list(LogEntry.objects.filter(content_type__app_label=app_label, content_type__model=name)
                .order_by("timestamp", "id"))


def everything_logged() -> str:
    return json.dumps([[e.object_repr, e.changes, e.changes_text, e.serialized_data, e.additional_data]
                       for e in LogEntry.objects.all()], default=str)


@pytest.fixture
def wf(superuser):
    account = ExternalAccount.objects.create(name="Audited CRM", internal_name="audited", crm_type="salesforce",
                                             server_url="https://crm.example.invalid")
    schema = generation.generate(account, [note()])[0].schema
    workflow = Workflow.objects.create(name="Audited", internal_name="audited", account=account)
    Activity.objects.create(workflow=workflow, position=0, operation="import", schema=schema, options={})
    return workflow


def test_account_changes_through_the_token_api_are_logged_with_their_author_and_no_secret(superuser, paper_connector):
    """Create, change the key, delete: three entries by the token's user; the key appears nowhere."""
    api = token_client(superuser)
    created = api.post("/api/external-accounts/", {
        "name": "Paper", "internal_name": "paper", "crm_type": "paper", "server_url": "https://paper.example.invalid",
        "settings": {"username": "u@example.invalid", "api_key": PAPER_RIGHT_KEY}}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    changed = api.patch(f"/api/external-accounts/{pk}/", {"settings": {"api_key": NEW_SECRET}}, format="json")
    assert changed.status_code == 200
    assert api.delete(f"/api/external-accounts/{pk}/").status_code == 204
    logged = entries("connectors.externalaccount")
    assert [(e.action, e.actor) for e in logged] == [
        (LogEntry.Action.CREATE, superuser), (LogEntry.Action.UPDATE, superuser), (LogEntry.Action.DELETE, superuser)]
    assert logged[1].changes == {"secrets": [SECRET_SHOWN_AS, SECRET_SHOWN_AS]}
    text = everything_logged()
    assert PAPER_RIGHT_KEY not in text and NEW_SECRET not in text
    assert "gAAAA" not in text  # nor the Fernet ciphertext


def test_workflow_schema_and_enumeration_changes_are_logged(wf, superuser):
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:workflows_workflow_change", args=[wf.pk])
    activity = wf.activities.get()
    form = {"name": "Audited nightly", "internal_name": "audited", "account": wf.account_id, "enabled": "on",
            "schedule": "", "conflict_policy": "crm_wins", "activities-TOTAL_FORMS": "1",
            "activities-INITIAL_FORMS": "1", "activities-MIN_NUM_FORMS": "0", "activities-MAX_NUM_FORMS": "1000",
            "activities-0-id": activity.pk, "activities-0-workflow": wf.pk, "activities-0-position": "1",
            "activities-0-operation": "import", "activities-0-schema": activity.schema_id,
            "activities-0-options": "{}"}
    assert client.post(url, form).status_code == 302
    change = entries("workflows.workflow")[-1]
    assert (change.actor, change.changes["name"]) == (superuser, ["Audited", "Audited nightly"])
    assert [e.action for e in entries("wizard.dataschema")] == [LogEntry.Action.CREATE]
    Enumeration.objects.create(name="leadSource", label="Lead source")
    assert [e.action for e in entries("wizard.enumeration")] == [LogEntry.Action.CREATE]


def test_run_start_and_cancel_are_logged_with_who_and_how(wf, superuser):
    """API and console name the user; a scheduled run names the scheduler."""
    api = token_client(superuser)
    run_id = api.post(f"/api/workflows/{wf.pk}/run/").json()["run"]
    assert api.post(f"/api/runs/{run_id}/cancel/").status_code == 200
    client = Client()
    client.force_login(superuser)
    client.post(reverse("admin:workflows_workflow_run", args=[wf.pk]))
    console_run = Run.objects.exclude(pk=run_id).get()
    client.post(reverse("admin:workflows_run_cancel", args=[console_run.pk]))
    scheduled = runs.start_scheduled(wf.pk)
    logged = [(e.object_id, e.actor.username if e.actor else None, e.additional_data["event"],
               e.additional_data["via"]) for e in entries("workflows.run")]
    assert logged == [
        (run_id, "root-tester", "run started", "API"),
        (run_id, "root-tester", "run cancelled", "API"),
        (console_run.pk, "root-tester", "run started", "console"),
        (console_run.pk, "root-tester", "run cancelled", "console"),
        (scheduled.pk, None, "run started", "scheduler"),
    ]


def test_the_log_is_read_only_in_the_console_and_the_api(wf, superuser, staff_without_permissions):
    client = Client()
    client.force_login(superuser)
    entry = entries("wizard.dataschema")[0]
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 200
    assert client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).status_code == 200
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    assert client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    api = api_client_for(superuser)
    listed = api.get("/api/audit-log/", {"model": "wizard.dataschema"}).json()
    assert [(r["action"], r["model"], r["object_id"]) for r in listed["results"]] == [
        ("create", "wizard.dataschema", entry.object_id)]
    assert api.delete(f"/api/audit-log/{entry.pk}/").status_code == 405
    assert api.post("/api/audit-log/", {}).status_code == 405
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_only_staff_holding_the_view_right_may_read_the_log(wf, staff_without_permissions):
    assert api_client_for(staff_without_permissions).get("/api/audit-log/").status_code == 403
    staff_without_permissions.user_permissions.add(Permission.objects.get(codename="view_logentry", content_type__app_label="auditlog"))
    reader = User.objects.get(pk=staff_without_permissions.pk)
    assert api_client_for(reader).get("/api/audit-log/").status_code == 200
