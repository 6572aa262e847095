"""Object-level access: a user holding every workflow and run permission but not
the right to view the external account a workflow uses can neither see, edit,
run nor cancel it, in the API or the console; and the console refuses a POST
without its CSRF token."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from connectors.models import ExternalAccount
from tests.fixtures.accounts import api_client_for
from tests.security.test_access import note
from wizard import generation
from workflows.models import Activity, Run, Workflow

pytestmark = pytest.mark.django_db

WORKFLOW_PERMISSIONS = ("view_workflow", "add_workflow", "change_workflow", "delete_workflow", "view_run")


@pytest.fixture
def wf():
    account = ExternalAccount.objects.create(name="Restricted CRM", internal_name="restricted", crm_type="salesforce",
                                             server_url="https://crm.example.invalid")
    schema = generation.generate(account, [note()])[0].schema
    workflow = Workflow.objects.create(name="Guarded", internal_name="guarded", account=account)
    Activity.objects.create(workflow=workflow, position=0, operation="import", schema=schema, options={})
    return workflow


@pytest.fixture
def operator():
    """Staff with every workflow and run permission, none on external accounts."""
    user = User.objects.create_user("operator", "op@example.invalid", "pw-for-tests-only-5", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=WORKFLOW_PERMISSIONS))
    return user


def grant_account_view(user) -> User:
    user.user_permissions.add(Permission.objects.get(codename="view_externalaccount"))
    return User.objects.get(pk=user.pk)  # permissions are cached on the instance


def test_api_refuses_every_workflow_and_run_action_without_the_accounts_view_right(wf, operator):
    """403 on list, read, change, delete, run, the run, its rejects and cancel; nothing changes."""
    run = Run.objects.create(workflow=wf, status="running")
    api = api_client_for(operator)
    answers = {
        "list": api.get("/api/workflows/"),
        "read": api.get(f"/api/workflows/{wf.pk}/"),
        "change": api.patch(f"/api/workflows/{wf.pk}/", {"name": "Taken"}, format="json"),
        "delete": api.delete(f"/api/workflows/{wf.pk}/"),
        "run": api.post(f"/api/workflows/{wf.pk}/run/"),
        "runs": api.get("/api/runs/"),
        "run detail": api.get(f"/api/runs/{run.pk}/"),
        "rejects": api.get(f"/api/runs/{run.pk}/rejects/"),
        "cancel": api.post(f"/api/runs/{run.pk}/cancel/"),
    }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 403)
    assert answers["run"].json() == {"detail": "You may not view the external account this workflow uses."}
    wf.refresh_from_db()
    run.refresh_from_db()
    assert (wf.name, Run.objects.count(), run.cancel_requested) == ("Guarded", 1, False)


def test_api_lets_the_same_user_run_once_the_account_may_be_viewed(wf, operator):
    api = api_client_for(grant_account_view(operator))
    assert api.get(f"/api/workflows/{wf.pk}/").status_code == 200
    response = api.post(f"/api/workflows/{wf.pk}/run/")
    assert response.status_code == 202
    assert Run.objects.get().started_by == operator


def test_console_refuses_workflow_and_run_pages_without_the_accounts_view_right(wf, operator):
    """403 (or the index without the model) everywhere; Run now and Cancel change nothing."""
    run = Run.objects.create(workflow=wf, status="running")
    client = Client()
    client.force_login(operator)
    pages = {
        "workflows": client.get(reverse("admin:workflows_workflow_changelist")),
        "workflow": client.get(reverse("admin:workflows_workflow_change", args=[wf.pk])),
        "add": client.get(reverse("admin:workflows_workflow_add")),
        "run now": client.post(reverse("admin:workflows_workflow_run", args=[wf.pk])),
        "runs": client.get(reverse("admin:workflows_run_changelist")),
        "run": client.get(reverse("admin:workflows_run_change", args=[run.pk])),
        "progress": client.get(reverse("admin:workflows_run_progress", args=[run.pk])),
        "rejects": client.get(reverse("admin:workflows_run_rejects_csv", args=[run.pk])),
        "cancel": client.post(reverse("admin:workflows_run_cancel", args=[run.pk])),
    }
    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 403)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Guarded" not in index and reverse("admin:workflows_workflow_changelist") not in index
    run.refresh_from_db()
    assert (Run.objects.count(), run.cancel_requested) == (1, False)


def test_console_lets_the_same_user_run_and_cancel_once_the_account_may_be_viewed(wf, operator):
    client = Client()
    client.force_login(grant_account_view(operator))
    assert client.get(reverse("admin:workflows_workflow_change", args=[wf.pk])).status_code == 200
    started = client.post(reverse("admin:workflows_workflow_run", args=[wf.pk]))
    run = Run.objects.get()
    assert started.status_code == 302 and started["Location"] == reverse("admin:workflows_run_change", args=[run.pk])
    cancelled = client.post(reverse("admin:workflows_run_cancel", args=[run.pk]))
    run.refresh_from_db()
    assert cancelled.status_code == 302 and run.status == "cancelled"


def test_console_post_without_csrf_token_is_403_and_changes_nothing(wf, superuser):
    """With Django's CSRF checks on, Run now, Cancel, an account change and an API
    call on the session are refused without the token, and accepted with it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    account = wf.account
    run_now = reverse("admin:workflows_workflow_run", args=[wf.pk])
    change = reverse("admin:connectors_externalaccount_change", args=[account.pk])
    refused = {
        "run now": client.post(run_now),
        "account change": client.post(change, {"name": "Hijacked"}),
        "api run": client.post(f"/api/workflows/{wf.pk}/run/"),
        "logout": client.post(reverse("admin:logout")),
    }
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    account.refresh_from_db()
    assert (Run.objects.count(), account.name) == (0, "Restricted CRM")
    client.get(reverse("admin:workflows_workflow_change", args=[wf.pk]))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(run_now, {"csrfmiddlewaretoken": token})
    assert accepted.status_code == 302 and Run.objects.count() == 1
