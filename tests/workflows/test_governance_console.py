"""The console side of direction rules, dry runs and tombstones (their behaviour
is tested over both emulators in the other test modules)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.workflows.helpers import generate, rows, run_now, workflow
from tests.workflows.test_console import post, workflow_form
from workflows.models import Run, Tombstone, Workflow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def console(client, superuser, settings):
    settings.CRMSYNC_IN_PROCESS_TASKS = True
    settings.CRMSYNC_IN_PROCESS_SYNCHRONOUS = True
    client.force_login(superuser)
    return client


def change_form(account, wf, schema, **fields) -> dict:
    activity = wf.activities.get()
    return workflow_form(account, [], name=wf.name, internal_name=wf.internal_name, priority="low", **{
        "activities-TOTAL_FORMS": "1", "activities-INITIAL_FORMS": "1", "activities-0-id": str(activity.pk),
        "activities-0-workflow": str(wf.pk), "activities-0-position": "1", "activities-0-operation": "import",
        "activities-0-schema": str(schema.pk), "activities-0-options": "{}", **fields})


def test_directions_are_chosen_per_field_on_the_workflow_page(salesforce_account, console):
    schema = generate(salesforce_account, "Contact")
    wf = workflow(salesforce_account, schema, ("import", {}))
    url = reverse("admin:workflows_workflow_change", args=[wf.pk])
    page = console.get(url).content.decode()
    assert "Field directions: Contact" in page and 'name="direction__Contact__FirstName"' in page
    formula = page[page.index('name="direction__Contact__Name"'):]
    formula = formula[:formula.index("</select>")]
    assert 'value="crm_to_local" selected' in formula and "local_to_crm" not in formula and "two_way" not in formula
    refused = console.post(url, change_form(salesforce_account, wf, schema, direction__Contact__Name="two_way"))
    assert refused.status_code == 200 and "direction__Contact__Name" in refused.context["adminform"].form.errors
    saved = console.post(url, change_form(salesforce_account, wf, schema, direction__Contact__FirstName="crm_to_local",
                                          direction__Contact__Email="prefer_crm_unless_blank"))
    assert saved.status_code == 302
    wf.refresh_from_db()
    assert wf.field_directions == {"Contact": {"FirstName": "crm_to_local", "Email": "prefer_crm_unless_blank"}}
    assert wf.priority == "low"


def test_dry_run_button_and_tombstone_restore_action(salesforce_account, console):
    schema = generate(salesforce_account, "Contact")
    wf = workflow(salesforce_account, schema, ("import", {}))
    response, messages = post(console, reverse("admin:workflows_workflow_dry_run", args=[wf.pk]))
    dry = Run.objects.get()
    assert messages == [f"Dry run {dry.pk} of wf started."] and dry.dry_run and dry.status == "succeeded"
    assert 'id="run-dry"' in response.content.decode() and not rows(schema).exists()

    run_now(wf)
    row = rows(schema).first()
    rows(schema).filter(pk=row.pk).update(is_deleted=True, deleted_at=timezone.now())
    tombstone = Tombstone.objects.create(schema=schema, row_id=row.pk, crm_id=row.crm_id, side="crm",
                                         reason="left_filter", deleted_at=timezone.now())
    listing = reverse("admin:workflows_tombstone_changelist")
    assert "left the workflow&#x27;s filter" in console.get(listing).content.decode()
    response = console.post(listing, {"action": "restore_selected", "_selected_action": [tombstone.pk]}, follow=True)
    assert "1 row(s) restored." in [str(m) for m in response.context["messages"]]
    restored = rows(schema).get(pk=row.pk)
    assert not restored.is_deleted and restored.crm_id == row.crm_id  # still in the CRM: only live again
    assert Tombstone.objects.get().restored_by.username == "root-tester"
    assert Workflow.objects.count() == 1
