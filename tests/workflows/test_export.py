"""Export to the CRM: local changes by any writer, creates getting CRM ids back,
rejects with the CRM's own code and message, and no echo between the two sides."""

import pytest
from django.db import connection

from tests.workflows.helpers import counters, generate, rows, run_now, workflow
from workflows.models import Reject

pytestmark = pytest.mark.django_db(transaction=True)

REQUIRED_MISSING = {"salesforce": "REQUIRED_FIELD_MISSING", "dynamics": "0x80040203"}


def column(schema, crm_name):
    return schema.fields.get(crm_name=crm_name).column_name


def sql_update(schema, column_name, value, crm_id):
    table, col = connection.ops.quote_name(schema.table_name), connection.ops.quote_name(column_name)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {col} = %s WHERE crm_id = %s", [value, crm_id])


def two_way(crm_account, crm, policy="crm_wins"):
    schema = generate(crm_account, crm.table)
    importer = workflow(crm_account, schema, ("import", {}), name="in")
    exporter = workflow(crm_account, schema, ("export", {"mode": "upsert"}), name="out")
    return schema, importer, exporter


def test_a_row_changed_by_plain_sql_is_exported_and_not_echoed_back(crm_account, crm):
    schema, importer, exporter = two_way(crm_account, crm)
    run_now(importer)
    target = rows(schema).first()
    sql_update(schema, column(schema, crm.name_field), "Changed-By-SQL", target.crm_id)
    out = run_now(exporter)
    assert out.status == "succeeded", out.log
    assert counters(out) == {"read": 1, "updated": 1}
    assert crm.get(target.crm_id)[crm.name_field] == "Changed-By-SQL"
    back = run_now(importer)
    assert counters(back).get("updated") is None and counters(back).get("inserted") is None
    again = run_now(exporter)
    assert counters(again) == {}


def test_a_local_insert_is_created_in_the_crm_and_gets_its_id(crm_account, crm):
    schema, importer, exporter = two_way(crm_account, crm)
    run_now(importer)
    Model = rows(schema).model
    row = Model.objects.create(**{column(schema, crm.name_field): "Created-Locally"})
    out = run_now(exporter)
    assert counters(out) == {"read": 1, "inserted": 1}, out.log
    row.refresh_from_db()
    assert row.crm_id and crm.get(row.crm_id)[crm.name_field] == "Created-Locally"
    assert row.last_synced_at == row.local_modstamp
    assert counters(run_now(exporter)) == {}


def test_a_record_the_crm_refuses_becomes_a_reject_with_the_crms_code_and_the_rest_go_through(crm_account, crm):
    schema, importer, exporter = two_way(crm_account, crm)
    run_now(importer)
    Model = rows(schema).model
    Model.objects.create(**{column(schema, crm.name_field): "Good"})
    bad = Model.objects.create(**{column(schema, crm.name_field): None})
    out = run_now(exporter)
    assert out.status == "partial"
    assert counters(out) == {"read": 2, "inserted": 1, "rejected": 1}
    reject = Reject.objects.get(run=out)
    assert reject.code == REQUIRED_MISSING[crm.crm]
    assert reject.local_key == str(bad.pk) and crm.name_field.lower() in reject.message.lower()
    assert reject.payload[crm.name_field] is None
    bad.refresh_from_db()
    assert bad.crm_id is None


def test_an_upsert_by_key_updates_rows_without_a_key_by_their_crm_id_and_rejects_the_unmatchable(crm_account, crm):
    schema, importer, _ = two_way(crm_account, crm)
    run_now(importer)
    exporter = workflow(crm_account, schema, ("export", {"key": crm.key_field}), name="by-key")
    Model = rows(schema).model
    key, name = column(schema, crm.key_field), column(schema, crm.name_field)
    known = rows(schema).filter(**{f"{key}__isnull": True}).first() or rows(schema).first()
    Model.objects.filter(pk=known.pk).update(**{key: None, name: "No-Key-But-Known"})
    Model.objects.create(**{name: "No-Key-Unknown"})
    out = run_now(exporter)
    assert counters(out) == {"read": 2, "updated": 1, "rejected": 1}, out.log
    assert crm.get(known.crm_id)[crm.name_field] == "No-Key-But-Known"
    assert Reject.objects.get(run=out).code == "CRMSYNC_MISSING_KEY"
