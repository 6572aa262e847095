"""Dry runs: a whole two-way workflow reads what it must, writes nothing (no write
call reaches the CRM, the local table and bookmarks are unchanged) and reports
exactly what the real run then does."""

import pytest

from tests.workflows.helpers import generate, rows, run_now, workflow
from tests.workflows.test_export import column, sql_update
from workflows.models import Run, SyncState, Tombstone

pytestmark = pytest.mark.django_db(transaction=True)

COMPARED = ("read", "inserted", "updated", "unchanged", "rejected", "deleted", "conflicts")


def per_activity(run):
    return [{name: getattr(a, name) for name in COMPARED} for a in run.activity_runs.order_by("position")]


def local_state(schema):
    table = list(rows(schema).order_by("pk").values())
    return table, list(SyncState.objects.order_by("pk").values("watermark")), Tombstone.objects.count()


def test_a_dry_run_writes_nothing_and_reports_exactly_what_the_real_run_does(admin_api, crm_account, crm, settings):
    settings.CRMSYNC_IN_PROCESS_TASKS = True
    settings.CRMSYNC_IN_PROCESS_SYNCHRONOUS = True
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}), ("import_deleted", {}),
                  ("export", {"mode": "upsert", "key": crm.key_field}), ("delete", {}), policy="local_wins")
    run_now(wf)
    all_rows = list(rows(schema))
    name, key = column(schema, crm.name_field), column(schema, crm.key_field)
    # Changes on both sides: one of each kind for every activity.
    crm.create(**{crm.name_field: "Dry-New"})
    crm.update(all_rows[0].crm_id, **{crm.name_field: "Dry-Changed-In-CRM"})
    crm.delete(all_rows[1].crm_id)
    crm.let_a_minute_pass()
    Model = rows(schema).model
    Model.objects.create(**{name: "Dry-Local-Keyed", key: "dry-key-1"})
    Model.objects.create(**{name: "Dry-Local-No-Key"})  # rejected: nothing to upsert it by
    sql_update(schema, name, "Dry-Changed-Locally", all_rows[2].crm_id)
    rows(schema).filter(pk=all_rows[3].pk).update(is_deleted=True)
    before, crm_records, writes = local_state(schema), crm.count(), crm.write_calls()

    started = admin_api.post(f"/api/workflows/{wf.pk}/run/", {"dry_run": True}, format="json")
    assert started.status_code == 202, started.content
    dry = Run.objects.get(pk=started.json()["run"])
    assert dry.dry_run and dry.status == "partial", dry.log  # partial: the reject
    assert crm.write_calls() == writes and crm.count() == crm_records
    assert local_state(schema) == before
    dry_counts = per_activity(dry)
    assert dry_counts[0]["inserted"] == 1 and dry_counts[0]["updated"] >= 1
    assert dry_counts[1]["deleted"] == 1
    assert dry_counts[2] == {**dry_counts[2], "inserted": 1, "updated": 1, "rejected": 1}
    assert dry_counts[3]["deleted"] == 1
    assert dry.activity_runs.get(position=0).api_calls > 0
    assert [r.code for r in dry.rejects.all()] == ["CRMSYNC_MISSING_KEY"]
    api = admin_api.get(f"/api/runs/{dry.pk}/").json()
    assert api["dry_run"] is True and api["activities"][2]["inserted"] == 1

    real = run_now(wf)
    assert per_activity(real) == dry_counts, real.log
    assert crm.write_calls() > writes
    assert crm.get(all_rows[3].crm_id) is None
