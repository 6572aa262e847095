"""Field provenance over both emulators: which side last set each synced field,
when, in which run or by which user, and when it went to the CRM; and what keeping
it costs the import."""

import os
import time

import pytest
from django.db import connection

from tests.workflows.helpers import generate, rows, run_now, workflow

pytestmark = pytest.mark.django_db(transaction=True)


def history(api, schema, crm_id) -> dict:
    answer = api.get(f"/api/schemas/{schema.pk}/records/{crm_id}/history/")
    assert answer.status_code == 200, answer.content
    return answer.json()


def by_field(data: dict) -> dict:
    return {entry["field"]: entry for entry in data["fields"]}


def test_each_field_says_which_side_set_it_when_and_in_which_run(admin_api, superuser, crm_account, crm):
    schema = generate(crm_account, crm.table)
    importer = workflow(crm_account, schema, ("import", {}), name="in")
    first = run_now(importer)
    target = rows(schema).first().crm_id
    entries = by_field(history(admin_api, schema, target))
    assert {(e["side"], e["run"], e["user"]) for e in entries.values() if e["side"]} == {("crm", first.pk, None)}
    assert entries[crm.name_field]["at"] is not None and entries[crm.name_field]["exported_at"] is None

    name_column = schema.fields.get(crm_name=crm.name_field).column_name
    edited = admin_api.patch(f"/api/schemas/{schema.pk}/records/{target}/", {name_column: "Edited-Locally"}, format="json")
    assert edited.status_code == 200, edited.content
    entries = by_field(history(admin_api, schema, target))
    assert (entries[crm.name_field]["side"], entries[crm.name_field]["user"]) == ("local", superuser.username)
    assert entries[crm.title_field]["side"] == "crm"

    export = run_now(workflow(crm_account, schema, ("export", {"mode": "update"}), name="out"))
    assert export.status == "succeeded", export.log
    entries = by_field(history(admin_api, schema, target))
    assert entries[crm.name_field]["exported_in_run"] == export.pk and entries[crm.name_field]["side"] == "local"

    crm.update(target, **{crm.title_field: "Changed-In-CRM"})
    second = run_now(importer)
    entries = by_field(history(admin_api, schema, target))
    assert (entries[crm.title_field]["side"], entries[crm.title_field]["run"]) == ("crm", second.pk)
    assert (entries[crm.name_field]["side"], entries[crm.name_field]["user"]) == ("local", superuser.username)
    assert history(admin_api, schema, target)["changed_outside_crmsync"] is False

    with connection.cursor() as cursor:  # a writer crmsync does not see
        cursor.execute(f'UPDATE "{schema.table_name}" SET "{name_column}" = %s WHERE crm_id = %s', ["By-SQL", target])
    assert history(admin_api, schema, target)["changed_outside_crmsync"] is True
    assert admin_api.get(f"/api/schemas/{schema.pk}/records/nope/history/").status_code == 404


@pytest.mark.parametrize("crm_account", ["dynamics"], indirect=True)
def test_the_console_shows_a_rows_history(client, admin_user, crm_account, crm):
    schema = generate(crm_account, crm.table)
    run = run_now(workflow(crm_account, schema, ("import", {}), name="in"))
    target = rows(schema).first().crm_id
    client.force_login(admin_user)
    listing = client.get(f"/admin/wizard/dataschema/{schema.pk}/rows/").content.decode()
    assert f"/admin/wizard/dataschema/{schema.pk}/rows/{target}/history/" in listing
    page = client.get(f"/admin/wizard/dataschema/{schema.pk}/rows/{target}/history/").content.decode()
    assert crm.name_field in page and f"/admin/workflows/run/{run.pk}/change/" in page


@pytest.mark.parametrize("crm_account", ["salesforce"], indirect=True)
def test_keeping_provenance_costs_the_import_little(crm_account, crm, settings, capsys):
    """CRMSYNC_PROVENANCE_ROWS rows (2,000 in CI; 20,000 for the README's figure) imported
    with and without provenance, best of two each."""
    count = int(os.environ.get("CRMSYNC_PROVENANCE_ROWS", "2000"))
    crm.generate(count - crm.count())
    schema = generate(crm_account, crm.table)
    timings = {True: [], False: []}
    for tracing in (False, True, False, True):
        settings.CRMSYNC_FIELD_PROVENANCE = tracing
        rows(schema).all().delete()
        started = time.perf_counter()
        run = run_now(workflow(crm_account, schema, ("import", {}), name=f"in-{len(timings[tracing])}-{tracing}"))
        timings[tracing].append(time.perf_counter() - started)
        assert run.activity_runs.get().inserted == count
        assert rows(schema).filter(sync_provenance__isnull=not tracing).count() == count
    ratio = min(timings[True]) / min(timings[False])
    with capsys.disabled():
        print(f"\nimport of {count} rows: {min(timings[False]):.2f} s without provenance, "
              f"{min(timings[True]):.2f} s with; ratio {ratio:.2f}")
    assert ratio < 1.5
