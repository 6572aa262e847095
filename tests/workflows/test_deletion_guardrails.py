"""Deletion guardrails (a run past its limit pauses until an administrator
confirms), tombstones for rows deleted on either side, restorable, and the
difference between "deleted in the CRM" and "left the workflow's filter"."""

import pytest
from django.urls import reverse

from tests.workflows.helpers import counters, generate, rows, run_now, workflow
from tests.workflows.test_export import column
from workflows.models import Run, Tombstone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def synchronous(settings):
    settings.CRMSYNC_IN_PROCESS_TASKS = True
    settings.CRMSYNC_IN_PROCESS_SYNCHRONOUS = True


def test_deletions_past_the_limit_wait_for_a_confirmation_then_leave_restorable_tombstones(
        admin_api, crm_account, crm, synchronous):
    schema = generate(crm_account, crm.table)
    run_now(workflow(crm_account, schema, ("import", {}), name="in"))
    victims = list(rows(schema)[:2])
    rows(schema).filter(pk__in=[v.pk for v in victims]).update(is_deleted=True)
    deleter = workflow(crm_account, schema, ("delete", {"max_deletions": 1}), name="delete")
    run = run_now(deleter)
    assert run.status == "awaiting_confirmation", run.log
    assert run.pending_deletions["count"] == 2
    assert sorted(run.pending_deletions["crm_ids"]) == sorted(v.crm_id for v in victims)
    assert all(crm.get(v.crm_id) is not None for v in victims)  # nothing deleted yet
    assert admin_api.post(f"/api/workflows/{deleter.pk}/run/").status_code == 409  # still the active run

    confirmed = admin_api.post(f"/api/runs/{run.pk}/confirm-deletions/")
    assert confirmed.status_code == 200, confirmed.content
    run.refresh_from_db()
    assert run.status == "succeeded", run.log
    assert counters(run) == {"read": 2, "deleted": 2}
    assert all(crm.get(v.crm_id) is None for v in victims)
    assert admin_api.post(f"/api/runs/{run.pk}/confirm-deletions/").status_code == 409

    listed = admin_api.get("/api/tombstones/", {"schema": schema.pk, "reason": "deleted_locally"}).json()["results"]
    assert sorted(t["crm_id"] for t in listed) == sorted(v.crm_id for v in victims)
    assert {(t["side"], t["run"], t["restored_at"]) for t in listed} == {("local", run.pk, None)}
    restored = admin_api.post(f"/api/tombstones/{listed[0]['id']}/restore/")
    assert restored.status_code == 200 and restored.json()["restored_at"]
    assert admin_api.post(f"/api/tombstones/{listed[0]['id']}/restore/").status_code == 409
    row = rows(schema).get(pk=listed[0]["row_id"])
    assert not row.is_deleted and row.crm_id is None  # its CRM record is gone: the next export creates it again
    export = run_now(workflow(crm_account, schema, ("export", {}), name="out"))
    assert counters(export) == {"read": 1, "inserted": 1}, export.log
    row.refresh_from_db()
    assert crm.get(row.crm_id)[crm.name_field] == getattr(row, column(schema, crm.name_field))


def test_deleted_in_the_crm_and_left_the_filter_are_told_apart_and_a_share_limit_pauses(
        crm_account, crm, client, superuser, synchronous):
    schema = generate(crm_account, crm.table)
    name = column(schema, crm.name_field)
    keep = [{"field": crm.name_field, "op": "starts_with", "value": "Keep"}]
    importer = workflow(crm_account, schema, ("import", {"filter": keep, "left_filter": "flag"}), name="in")
    deletions = workflow(crm_account, schema, ("import_deleted", {"max_deletion_share": 10}), name="del")
    deleted_id, leaving_id = crm.create(**{crm.name_field: "Keep-A"}), crm.create(**{crm.name_field: "Keep-B"})
    run_now(deletions)  # the first run sets the starting point
    assert counters(run_now(importer))["inserted"] == 2
    crm.delete(deleted_id)
    crm.update(leaving_id, **{crm.name_field: "Gone-B"})
    crm.let_a_minute_pass()

    run = run_now(importer)
    assert counters(run)["deleted"] == 1, run.log
    assert Tombstone.objects.get(crm_id=leaving_id).reason == "left_filter"
    assert not Tombstone.objects.filter(crm_id=deleted_id).exists()  # a deletion is not "left the filter"

    paused = run_now(deletions)  # 1 of the 1 live row: past 10%
    assert paused.status == "awaiting_confirmation", paused.log
    client.force_login(superuser)
    page = client.get(reverse("admin:workflows_run_change", args=[paused.pk])).content.decode()
    assert 'id="confirm-deletions"' in page and deleted_id in page
    client.post(reverse("admin:workflows_run_confirm", args=[paused.pk]))
    paused.refresh_from_db()
    assert paused.status == "succeeded" and counters(paused)["deleted"] == 1, paused.log
    tombstone = Tombstone.objects.get(crm_id=deleted_id)
    assert (tombstone.reason, tombstone.side, tombstone.run_id) == ("deleted_in_crm", "crm", paused.pk)
    assert set(rows(schema).filter(is_deleted=True).values_list("crm_id", flat=True)) == {deleted_id, leaving_id}

    # Back in the filter: the row is live again and its tombstone closed.
    crm.update(leaving_id, **{crm.name_field: "Keep-B again"})
    run_now(importer)
    back = rows(schema).get(crm_id=leaving_id)
    assert not back.is_deleted and getattr(back, name) == "Keep-B again"
    assert Tombstone.objects.get(crm_id=leaving_id).restored_at is not None
    assert Run.objects.filter(status="awaiting_confirmation").count() == 0
