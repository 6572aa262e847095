"""The console: "Synchronizing enumerations…" from an account and from a data
schema (match, Next shows the plan, Start runs the task, the result page lists the
counts), the progress endpoint, the schedule form, and the enumerations admin."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from tests.enumerations.conftest import NO_CHANGE, wait_for
from wizard.models import Enumeration, EnumerationSyncJob

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def console(client, superuser, task_runner):
    client.force_login(superuser)
    return client


def lines_of(page: str) -> list[tuple[str, str]]:
    """(CRM key, proposed local name) of each line of the mapping table."""
    keys = re.findall(r'name="form-(\d+)-crm" value="([^"]+)"', page)
    names = dict(re.findall(r'name="form-(\d+)-enumeration" id="[^"]+"\s+value="([^"]*)"', page))
    return [(key, names[index]) for index, key in keys]


def form_data(lines, step: str, replace=(), skip=()) -> dict:
    data = {"form-TOTAL_FORMS": str(len(lines)), "form-INITIAL_FORMS": str(len(lines)), "step": step}
    for index, (key, name) in enumerate(lines):
        data.update({f"form-{index}-crm": key, f"form-{index}-enumeration": name,
                     f"form-{index}-replace": "yes" if key in replace else "no"})
        if key not in skip:
            data[f"form-{index}-synchronize"] = "on"
    return data


def test_sync_page_from_an_account_matches_plans_starts_and_shows_the_counts(crm_account, crm_schemas, console):
    url = reverse("admin:wizard_enumeration_sync_account", args=[crm_account.pk])
    page = console.get(url).content.decode()
    lines = lines_of(page)
    # Dynamics: 16 option sets and the two-option Boolean contact.donotemail.
    assert len(lines) == {"salesforce": 12, "dynamics": 17}[crm_account.crm_type]
    if crm_account.crm_type == "dynamics":
        assert "contact.donotemail" in [crm for crm, _ in lines]
    assert 'id="id_form-0-replace"' in page and '<option value="no" selected>No</option>' in page
    assert 'for="id_form-0-enumeration"' in page  # every input has its label
    plan = console.post(url, form_data(lines, "plan"))
    assert plan.status_code == 200 and "Planned changes" in plan.content.decode()
    assert Enumeration.objects.count() == 0  # Next changes nothing
    started = console.post(url, form_data(lines, "start"))
    job = wait_for(EnumerationSyncJob.objects.get())
    assert started.status_code == 302 and started["Location"] == reverse("admin:wizard_enumeration_sync_job", args=[job.pk])
    assert (job.status, job.done, job.total, job.progress) == ("done", len(lines), len(lines), 100)
    assert sum(row["counts"]["added"] for row in job.results) == Enumeration.objects.values("values").count() - (
        Enumeration.objects.filter(values__isnull=True).count())
    result = console.get(started["Location"]).content.decode()
    assert 'id="result-table"' in result and "Result" in result
    status = console.get(reverse("admin:wizard_enumeration_sync_status", args=[job.pk])).json()
    assert re.fullmatch(r"\d+:\d\d:\d\d", status.pop("elapsed_text"))
    assert status == {"status": "done", "progress": 100, "done": len(lines), "total": len(lines), "finished": True,
                      "error": ""}
    assert "· elapsed " in result
    console.post(url, form_data(lines_of(console.get(url).content.decode()), "start"))
    second = wait_for(EnumerationSyncJob.objects.order_by("-id").first())
    assert [(row["changed"], row["counts"]) for row in second.results] == [(False, NO_CHANGE)] * len(lines)


def test_sync_page_from_a_schema_lists_only_its_enumerations_and_skips_unchosen_lines(
        salesforce_account, console):
    from tests.enumerations.conftest import generate_demo_schemas

    schemas = generate_demo_schemas(salesforce_account)
    url = reverse("admin:wizard_enumeration_sync_schema", args=[schemas["Loyalty_Program__c"].pk])
    lines = lines_of(console.get(url).content.decode())
    assert lines == [("Loyalty_Program__c.Channels__c", "loyaltyProgramChannels"),
                     ("Loyalty_Program__c.Tier__c", "loyaltyProgramTier")]
    plan = " ".join(console.post(url, form_data(lines, "plan", skip={"Loyalty_Program__c.Channels__c"})).content.decode().split())
    assert "4 added, 0 relabelled, 0 deactivated, 0 removed" in plan
    console.post(url, form_data(lines, "start", skip={"Loyalty_Program__c.Channels__c"}))
    wait_for(EnumerationSyncJob.objects.get())
    assert list(Enumeration.objects.values_list("name", flat=True)) == ["loyaltyProgramTier"]
    changelist = console.get(reverse("admin:wizard_dataschema_changelist")).content.decode()
    assert url in changelist


def test_sync_page_refuses_bad_lines_with_field_messages(salesforce_account, console):
    from tests.enumerations.conftest import generate_demo_schemas

    generate_demo_schemas(salesforce_account)
    url = reverse("admin:wizard_enumeration_sync_account", args=[salesforce_account.pk])
    lines = lines_of(console.get(url).content.decode())
    bad = [(lines[0][0], "9 bad name")] + [(key, "same") for key, _ in lines[1:3]]
    page = console.post(url, form_data(bad, "plan")).content.decode()
    assert "Start with a letter" in page and 'aria-invalid="true"' in page
    page = console.post(url, form_data(bad[1:], "start", replace={bad[1][0]})).content.decode()
    assert "same receives several CRM enumerations: Replace is not possible" in page
    assert EnumerationSyncJob.objects.count() == 0


def test_schedule_is_off_by_default_and_switched_on_from_the_page(salesforce_account, console):
    url = reverse("admin:wizard_enumeration_sync_schedule", args=[salesforce_account.pk])
    assert not PeriodicTask.objects.filter(task="wizard.resync_account_enumerations").exists()
    console.post(url, {"enabled": "on", "every_hours": "6"})
    task = PeriodicTask.objects.get(task="wizard.resync_account_enumerations")
    assert (task.enabled, task.interval.every, task.interval.period, task.kwargs) == (
        True, 6, "hours", f'{{"account_id": {salesforce_account.pk}}}')
    console.post(url, {"every_hours": "6"})
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False


def test_enumerations_admin_edits_values_inline(console):
    enumeration = Enumeration.objects.create(name="tier", label="Tier")
    enumeration.values.create(value="G", label="Gold", position=0)
    url = reverse("admin:wizard_enumeration_change", args=[enumeration.pk])
    value = enumeration.values.get()
    data = {"name": "tier", "label": "Tier", "values-TOTAL_FORMS": "2", "values-INITIAL_FORMS": "1",
            "values-0-id": value.pk, "values-0-enumeration": enumeration.pk, "values-0-position": "0",
            "values-0-value": "G", "values-0-label": "Or", "values-0-active": "on", "values-0-labels": '{"fr": "Or"}',
            "values-0-valid_for": "[]", "values-1-enumeration": enumeration.pk, "values-1-position": "1",
            "values-1-value": "S", "values-1-label": "Silver", "values-1-labels": "{}", "values-1-valid_for": "[]"}
    answer = console.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    assert [(v.value, v.label, v.active, v.labels) for v in enumeration.values.all()] == [
        ("G", "Or", True, {"fr": "Or"}), ("S", "Silver", False, {})]
    listing = console.get(reverse("admin:wizard_enumeration_changelist")).content.decode()
    assert "tier" in listing
    index = console.get(reverse("admin:index")).content.decode()
    assert reverse("admin:wizard_enumeration_changelist") in index
