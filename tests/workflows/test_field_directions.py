"""Per-field direction rules in two-way workflows: chosen in the API with field
messages, defaulted from the CRM's read-only flags, and obeyed by import and export."""

import time

import pytest

from tests.workflows.helpers import counters, generate, rows, run_now, workflow
from tests.workflows.test_export import column, sql_update

pytestmark = pytest.mark.django_db(transaction=True)

STAMP_GRAIN = 1.1  # Dataverse keeps modifiedon to the second


def test_directions_are_validated_per_field_and_read_only_fields_default_to_crm_to_local(admin_api, crm_account, crm):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}), ("export", {}))
    url = f"/api/workflows/{wf.pk}/"
    bad = {crm.table: {crm.read_only_field: "two_way", crm.first_field: "sideways", "Nope": "dont_sync"}}
    response = admin_api.patch(url, {"field_directions": bad}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert "read-only in the CRM" in errors[f"field_directions.{crm.table}.{crm.read_only_field}"][0]
    assert "must be one of" in errors[f"field_directions.{crm.table}.{crm.first_field}"][0]
    assert errors[f"field_directions.{crm.table}.Nope"] == ["unknown field 'Nope'"]
    wf.refresh_from_db()
    assert wf.field_directions == {}
    good = {crm.table: {crm.first_field: "crm_to_local", crm.read_only_field: "dont_sync"}}
    response = admin_api.patch(url, {"field_directions": good}, format="json")
    assert response.status_code == 200, response.content
    table = {f["field"]: f for f in response.json()["directions"][crm.table]}
    assert table[crm.first_field]["direction"] == "crm_to_local"
    assert table[crm.read_only_field] == {"field": crm.read_only_field, "direction": "dont_sync",
                                          "default": "crm_to_local", "read_only": True}
    assert table[crm.email_field]["direction"] == "two_way"


def test_each_direction_is_obeyed_by_import_and_export(crm_account, crm):
    """first name: CRM to local only; email: local to CRM only; last name: two-way
    under local_wins. Both sides change all three; no field conflicts but last name."""
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}), ("export", {}), policy="local_wins")
    wf.field_directions = {crm.table: {crm.first_field: "crm_to_local", crm.email_field: "local_to_crm"}}
    wf.save()
    run_now(wf)
    first, email, last = (column(schema, f) for f in (crm.first_field, crm.email_field, crm.name_field))
    assert not rows(schema).exclude(**{email: None}).exists()  # local to CRM only: never imported
    target = rows(schema).first()
    crm.update(target.crm_id, **{crm.first_field: "CrmFirst", crm.email_field: "crm@example.com"})
    time.sleep(STAMP_GRAIN)
    sql_update(schema, first, "LocalFirst", target.crm_id)
    sql_update(schema, email, "local@example.com", target.crm_id)
    run = run_now(wf)
    assert run.status == "succeeded", run.log
    imported = counters(run, 0)
    assert imported["updated"] == 1 and "conflicts" not in imported  # no conflict: email is local only
    row = rows(schema).get(pk=target.pk)
    assert getattr(row, first) == "CrmFirst"  # the CRM owns it, even over a local change
    assert getattr(row, email) == "local@example.com"  # never imported
    record = crm.get(target.crm_id)
    assert record[crm.first_field] == "CrmFirst"  # never exported
    assert record[crm.email_field] == "local@example.com"
    # A two-way field changed on both sides still follows the conflict policy.
    crm.update(target.crm_id, **{crm.name_field: "CrmLast"})
    time.sleep(STAMP_GRAIN)
    sql_update(schema, last, "LocalLast", target.crm_id)
    run = run_now(wf)
    assert counters(run, 0)["conflicts"] == 1, run.log
    assert crm.get(target.crm_id)[crm.name_field] == "LocalLast"


def test_prefer_crm_unless_blank_fills_blanks_both_ways_and_never_overwrites_a_crm_value(crm_account, crm):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}), ("export", {}))
    wf.field_directions = {crm.table: {crm.email_field: "prefer_crm_unless_blank"}}
    wf.save()
    blank_id = crm.create(**{crm.name_field: "Blank-Email"})
    run_now(wf)
    email = column(schema, crm.email_field)
    blank_in_crm = rows(schema).get(crm_id=blank_id)
    valued_in_crm = rows(schema).exclude(**{email: None}).first()
    crm_value = getattr(valued_in_crm, email)
    sql_update(schema, email, "filled@example.com", blank_in_crm.crm_id)
    sql_update(schema, email, "overwrite@example.com", valued_in_crm.crm_id)
    run = run_now(wf)
    assert run.status == "succeeded", run.log
    assert crm.get(blank_in_crm.crm_id)[crm.email_field] == "filled@example.com"
    assert crm.get(valued_in_crm.crm_id)[crm.email_field] == crm_value
    # A CRM value that becomes blank does not erase the local one; a CRM value wins.
    crm.update(blank_in_crm.crm_id, **{crm.email_field: None})
    crm.update(valued_in_crm.crm_id, **{crm.email_field: "newer@example.com"})
    crm.let_a_minute_pass()
    run_now(wf)
    assert getattr(rows(schema).get(pk=blank_in_crm.pk), email) == "filled@example.com"
    assert getattr(rows(schema).get(pk=valued_in_crm.pk), email) == "newer@example.com"
