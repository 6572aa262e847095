"""Import from the CRM into the generated table, against both emulators."""

import pytest

from tests.workflows.helpers import counters, generate, rows, run_now, workflow

pytestmark = pytest.mark.django_db(transaction=True)


def test_full_then_incremental_import_picks_up_changed_and_new_records(crm_account, crm):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}))
    first = run_now(wf)
    assert first.status == "succeeded", first.log
    total = rows(schema).count()
    assert total > 0 and counters(first) == {"read": total, "inserted": total}
    some = rows(schema).first()
    crm.update(some.crm_id, **{crm.name_field: "Changed-Name"})
    new_id = crm.create(**{crm.name_field: "Brand-New"})
    second = run_now(wf)
    assert second.status == "succeeded", second.log
    c = counters(second)
    assert (c.get("inserted"), c.get("updated")) == (1, 1)
    name_column = schema.fields.get(crm_name=crm.name_field).column_name
    assert getattr(rows(schema).get(crm_id=some.crm_id), name_column) == "Changed-Name"
    assert rows(schema).filter(crm_id=new_id).exists()
    assert rows(schema).count() == total + 1


def test_rerunning_an_unchanged_import_rewrites_nothing(crm_account, crm):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {"incremental": False}))
    run_now(wf)
    stamps = dict(rows(schema).values_list("crm_id", "last_synced_at"))
    again = run_now(wf)
    assert counters(again) == {"read": len(stamps), "unchanged": len(stamps)}
    assert dict(rows(schema).values_list("crm_id", "last_synced_at")) == stamps
