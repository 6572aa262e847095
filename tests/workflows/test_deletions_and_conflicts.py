"""Deletions both ways, and two-way conflicts under each policy."""

import time

import pytest

from tests.workflows.helpers import counters, generate, rows, run_now, workflow
from tests.workflows.test_export import column, sql_update

pytestmark = pytest.mark.django_db(transaction=True)

# Dataverse keeps modifiedon to the second: changes to compare must be further apart.
STAMP_GRAIN = 1.1


def test_a_record_deleted_in_the_crm_is_flagged_locally(crm_account, crm):
    schema = generate(crm_account, crm.table)
    run_now(workflow(crm_account, schema, ("import", {}), name="in"))
    deletions = workflow(crm_account, schema, ("import_deleted", {}), name="del")
    run_now(deletions)  # the first run sets the starting point
    victim = rows(schema).first()
    crm.delete(victim.crm_id)
    crm.let_a_minute_pass()
    run = run_now(deletions)
    assert run.status == "succeeded", run.log
    assert counters(run)["deleted"] == 1
    victim.refresh_from_db()
    assert victim.is_deleted and victim.deleted_at is not None
    assert rows(schema).filter(is_deleted=True).count() == 1


def test_deleted_rows_can_be_removed_instead_of_flagged(crm_account, crm):
    schema = generate(crm_account, crm.table)
    run_now(workflow(crm_account, schema, ("import", {}), name="in"))
    deletions = workflow(crm_account, schema, ("import_deleted", {"action": "remove"}), name="del")
    run_now(deletions)
    victim = rows(schema).first()
    crm.delete(victim.crm_id)
    crm.let_a_minute_pass()
    run_now(deletions)
    assert not rows(schema).filter(crm_id=victim.crm_id).exists()


def test_a_row_flagged_for_deletion_locally_is_deleted_in_the_crm_once(crm_account, crm):
    schema = generate(crm_account, crm.table)
    run_now(workflow(crm_account, schema, ("import", {}), name="in"))
    victim = rows(schema).first()
    rows(schema).filter(pk=victim.pk).update(is_deleted=True)
    deleter = workflow(crm_account, schema, ("delete", {}), name="delete")
    run = run_now(deleter)
    assert counters(run) == {"read": 1, "deleted": 1}, run.log
    assert crm.get(victim.crm_id) is None
    assert counters(run_now(deleter)) == {}


@pytest.mark.parametrize("policy, expected", [("crm_wins", "crm"), ("local_wins", "local"), ("newest_wins", "crm")])
def test_a_row_changed_on_both_sides_follows_the_conflict_policy(crm_account, crm, policy, expected):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}), ("export", {}), policy=policy)
    run_now(wf)
    target = rows(schema).first()
    name = column(schema, crm.name_field)
    sql_update(schema, name, "Local-Value", target.crm_id)
    time.sleep(STAMP_GRAIN)
    crm.update(target.crm_id, **{crm.name_field: "Crm-Value"})  # the CRM change is the newer one
    run = run_now(wf)
    assert run.status == "succeeded", run.log
    assert counters(run, 0)["conflicts"] == 1
    assert f"1 conflict(s), changed on both sides, policy {policy}: {target.crm_id} ({expected} wins)" in run.log
    winner = "Crm-Value" if expected == "crm" else "Local-Value"
    assert getattr(rows(schema).get(pk=target.pk), name) == winner
    assert crm.get(target.crm_id)[crm.name_field] == winner


def test_newest_wins_keeps_the_local_value_when_it_is_newer(crm_account, crm):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}), ("export", {}), policy="newest_wins")
    run_now(wf)
    target = rows(schema).first()
    name = column(schema, crm.name_field)
    crm.update(target.crm_id, **{crm.name_field: "Crm-Older"})
    time.sleep(STAMP_GRAIN)
    sql_update(schema, name, "Local-Newer", target.crm_id)
    run_now(wf)
    assert crm.get(target.crm_id)[crm.name_field] == "Local-Newer"
    assert getattr(rows(schema).get(pk=target.pk), name) == "Local-Newer"
