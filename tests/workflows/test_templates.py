"""Workflow templates: "Import contacts", "Two-way contacts" and "Import deletions"
built on a generated schema, from the service, the console page and the API; and
the home page's guided path, each step done or not for the current data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crmsync import guide
from tests.workflows.helpers import generate, rows, run_now
from wizard.enumeration_models import EnumerationSyncJob
from workflows import templates
from workflows.models import Workflow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def console(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def contact(salesforce_account):
    return generate(salesforce_account, "Contact", ["LastName", "FirstName", "Email"])


def activities(workflow: Workflow) -> list[tuple[str, dict]]:
    return [(a.operation, a.options) for a in workflow.activities.order_by("position")]


def test_each_template_makes_its_activities_on_the_chosen_schema(contact):
    made = {t.key: templates.create_workflow(t, contact) for t in templates.TEMPLATES}
    assert activities(made["import-contacts"]) == [("import", {"incremental": True})]
    assert activities(made["two-way-contacts"]) == [("import", {"incremental": True}),
                                                    ("export", {"rows": "changed", "mode": "upsert"})]
    assert activities(made["import-deletions"]) == [("import_deleted", {"action": "flag"})]
    assert made["two-way-contacts"].name == "Two-way contacts (Salesforce demo, Contact)"
    assert made["two-way-contacts"].account == contact.account


def test_the_same_template_twice_gets_a_free_internal_name(contact):
    first = templates.create_workflow(templates.get("two-way-contacts"), contact)
    second = templates.create_workflow(templates.get("two-way-contacts"), contact)
    assert second.internal_name == first.internal_name + "-2"


def test_a_two_way_contacts_workflow_imports_then_exports_a_local_change(contact, salesforce_emulator):
    workflow = templates.create_workflow(templates.get("two-way-contacts"), contact)
    first = run_now(workflow)
    assert first.status == "succeeded", first.log
    assert rows(contact).count() == salesforce_emulator.count("Contact")
    row = rows(contact).first()
    row.last_name = "Changed-Locally"
    row.save()
    second = run_now(workflow)
    assert second.status == "succeeded", second.log
    assert salesforce_emulator.get("Contact", row.crm_id)["LastName"] == "Changed-Locally"


def test_a_bad_schedule_is_refused_and_creates_nothing(contact):
    with pytest.raises(templates.TemplateError) as refused:
        templates.create_workflow(templates.get("import-contacts"), contact, schedule="every day")
    assert "five fields" in refused.value.errors["schedule"][0]
    assert not Workflow.objects.exists()


# --- API -------------------------------------------------------------------------

def test_api_lists_the_three_templates(admin_api):
    answer = admin_api.get("/api/workflows/templates/")
    assert answer.status_code == 200
    assert [t["name"] for t in answer.json()] == ["Import contacts", "Two-way contacts", "Import deletions"]


def test_api_creates_a_workflow_from_a_template(admin_api, contact):
    answer = admin_api.post("/api/workflows/from-template/", {
        "template": "two-way-contacts", "account": contact.account_id, "schema": contact.pk,
        "name": "Contacts both ways", "schedule": "*/5 * * * *"}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["name"], body["schedule"], [a["operation"] for a in body["activities"]]) == (
        "Contacts both ways", "*/5 * * * *", ["import", "export"])
    assert body["next_run_at"] is not None


def test_api_refuses_an_unknown_template_or_another_accounts_schema_with_field_messages(
        admin_api, contact, dynamics_account):
    unknown = admin_api.post("/api/workflows/from-template/", {
        "template": "nope", "account": contact.account_id, "schema": contact.pk}, format="json")
    assert unknown.status_code == 400 and "template" in unknown.json()
    other = admin_api.post("/api/workflows/from-template/", {
        "template": "import-contacts", "account": dynamics_account.pk, "schema": contact.pk}, format="json")
    assert other.status_code == 400 and "belongs to another account" in other.json()["schema"][0]
    assert not Workflow.objects.exists()


# --- console ---------------------------------------------------------------------

def test_console_page_proposes_the_accounts_contact_schema_and_creates_the_workflow(console, contact):
    url = reverse("admin:workflows_workflow_from_template")
    page = console.get(url + f"?account={contact.account_id}").content.decode()
    assert f'<option value="{contact.pk}" selected>' in page
    assert '<label for="id_account">External account</label>' in page
    answer = console.post(url, {"template": "import-contacts", "account": contact.account_id,
                                "schema": contact.pk, "name": "", "schedule": ""})
    workflow = Workflow.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "admin:workflows_workflow_change", args=[workflow.pk])
    assert activities(workflow) == [("import", {"incremental": True})]


def test_console_page_shows_field_messages_and_creates_nothing_on_bad_input(console, contact):
    answer = console.post(reverse("admin:workflows_workflow_from_template"),
                          {"template": "import-contacts", "account": contact.account_id, "schema": contact.pk,
                           "schedule": "soon"})
    assert answer.status_code == 200
    assert "a cron expression has five fields" in answer.content.decode()
    assert not Workflow.objects.exists()


def test_the_workflow_list_links_to_new_workflow_from_template(console):
    page = console.get(reverse("admin:workflows_workflow_changelist")).content.decode()
    assert reverse("admin:workflows_workflow_from_template") in page


# --- the guided path --------------------------------------------------------------

def states(user) -> dict[str, bool]:
    return {step.key: step.done for step in guide.steps(user)}


def test_guided_path_marks_each_step_as_the_data_reaches_it(console, superuser, salesforce_account):
    assert states(superuser) == dict.fromkeys(["connection", "wizard", "enumerations", "workflow", "run"], False)
    console.post(reverse("admin:connectors_externalaccount_test", args=[salesforce_account.pk]))
    contact = generate(salesforce_account, "Contact", ["LastName"])
    assert states(superuser) == {"connection": True, "wizard": True, "enumerations": False, "workflow": False,
                                 "run": False}
    EnumerationSyncJob.objects.create(account=salesforce_account, status="done")
    workflow = templates.create_workflow(templates.get("import-contacts"), contact)
    assert [k for k, done in states(superuser).items() if not done] == ["run"]
    run_now(workflow)
    assert all(states(superuser).values())
    page = console.get(reverse("admin:index")).content.decode()
    assert "Getting started with Salesforce demo: all done" in page
    assert reverse("admin:workflows_workflow_change", args=[workflow.pk]) in page


def test_guided_path_links_each_step_to_its_page(console, salesforce_account):
    page = console.get(reverse("admin:index")).content.decode()
    for url in (reverse("admin:connectors_externalaccount_change", args=[salesforce_account.pk]),
                reverse("admin:wizard_configuration", args=[salesforce_account.pk]),
                reverse("admin:wizard_enumeration_sync_account", args=[salesforce_account.pk]),
                reverse("admin:workflows_workflow_from_template") + f"?account={salesforce_account.pk}"):
        assert f'<a href="{url}">' in page
    assert page.count("not done") == 5


def test_guided_path_is_hidden_from_staff_without_the_view_rights(client, staff_without_permissions,
                                                                  salesforce_account):
    client.force_login(staff_without_permissions)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="guide"' not in page and "Salesforce demo" not in page
