"""Multi-select picklists over both emulators: one array element per value (with a
GIN index on PostgreSQL), filtered per value in the records API, joined back to the
CRM's format on export, and every value checked against its local enumeration."""

import pytest
from django.db import connection

from tests.workflows.helpers import generate, rows, run_now, workflow
from wizard.models import Enumeration, EnumerationValue
from workflows.models import Reject

pytestmark = pytest.mark.django_db(transaction=True)

# Per CRM: the multi-select field, two values the local enumeration knows, one it does not,
# and how the CRM stores a selection.
CASES = {
    "salesforce": ("Interests__c", "Running", "Cycling", "Yoga", lambda values: ";".join(values),
                   ("Swimming", "Hiking")),
    "dynamics": ("cr8a1_interests", "100000000", "100000001", "100000004", lambda values: ",".join(sorted(values)),  # kept in option order
                 ("100000002", "100000003")),
}


@pytest.fixture
def case(crm_account, crm):
    field, known, other, unknown, stored, more = CASES[crm.crm]
    schema = generate(crm_account, crm.table)
    enumeration = Enumeration.objects.create(name="interests", label="Interests", multi_select=True)
    EnumerationValue.objects.bulk_create([EnumerationValue(enumeration=enumeration, value=v, label=v, position=i)
                                          for i, v in enumerate((known, other, *more))])
    schema.fields.filter(crm_name=field).update(enumeration=enumeration)
    return schema, field, schema.fields.get(crm_name=field).column_name, known, other, unknown, stored, more


def test_values_are_array_elements_checked_against_the_enumeration_and_filterable(admin_api, crm_account, crm, case):
    schema, field, column, known, other, unknown, stored, _ = case
    good = crm.create(**{crm.name_field: "Known", field: stored([known, other])})
    odd = crm.create(**{crm.name_field: "Odd", field: stored([known, unknown])})
    run = run_now(workflow(crm_account, schema, ("import", {}), name="in"))

    assert run.status == "partial", run.log
    assert getattr(rows(schema).get(crm_id=good), column) == [known, other]
    assert getattr(rows(schema).get(crm_id=odd), column) == [known, unknown]  # kept as the CRM sent it, and reported
    holding_unknown = {r.crm_id for r in rows(schema) if unknown in (getattr(r, column) or [])}
    assert odd in holding_unknown
    assert set(Reject.objects.filter(run=run, code="CRMSYNC_UNKNOWN_VALUE").values_list("crm_id", flat=True)) \
        == holding_unknown
    reject = Reject.objects.get(run=run, crm_id=odd)
    assert reject.message.startswith(f"{field}: '{unknown}' is not a value of the enumeration 'interests'")
    assert run.activity_runs.get().rejected == 0  # the records themselves were imported

    def holding(value):
        return sorted(r.crm_id for r in rows(schema) if value in (getattr(r, column) or []))

    for name in (field, column):
        found = admin_api.get(f"/api/schemas/{schema.pk}/records/", {name: known, "page_size": 500}).json()["results"]
        assert sorted(r["crm_id"] for r in found) == holding(known) and {good, odd} <= set(holding(known))
    found = admin_api.get(f"/api/schemas/{schema.pk}/records/", {field: other, "page_size": 500}).json()["results"]
    assert sorted(r["crm_id"] for r in found) == holding(other) and odd not in holding(other)
    assert admin_api.get(f"/api/schemas/{schema.pk}/records/", {field: "Nothing"}).json()["results"] == []


def test_the_records_api_refuses_unknown_values_and_export_joins_the_crm_format(admin_api, crm_account, crm, case):
    schema, field, column, known, other, unknown, stored, _ = case
    record = crm.create(**{crm.name_field: "Edited", field: stored([known])})
    run_now(workflow(crm_account, schema, ("import", {}), name="in"))
    url = f"/api/schemas/{schema.pk}/records/{record}/"

    refused = admin_api.patch(url, {column: [known, unknown]}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {column: [f"{field}: '{unknown}' is not a value of the enumeration 'interests'"]}
    not_a_list = admin_api.patch(url, {column: "not a list"}, format="json")
    assert not_a_list.status_code == 400 and list(not_a_list.json()) == [column]
    assert admin_api.patch(url, {column: [other, known]}, format="json").status_code == 200

    export = run_now(workflow(crm_account, schema, ("export", {"mode": "update"}), name="out"))
    assert export.status == "succeeded", export.log
    assert crm.get(record)[field] == stored([other, known])

    rows(schema).filter(crm_id=record).update(**{column: [unknown]})  # a direct SQL writer, unchecked
    export = run_now(workflow(crm_account, schema, ("export", {"mode": "update"}), name="out2"))
    assert export.status == "partial"
    assert Reject.objects.get(run=export, crm_id=record).message == \
        f"{field}: '{unknown}' is not a value of the enumeration 'interests': not sent to the CRM"
    assert crm.get(record)[field] == stored([other, known])


def test_multi_select_columns_are_arrays_with_a_gin_index_on_postgresql(crm_account, crm, case):
    schema, field, column, *_ = case
    if connection.vendor != "postgresql":
        assert rows(schema).model._meta.get_field(column).get_internal_type() == "JSONField"
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                       [schema.table_name, column])
        assert cursor.fetchone()[0] == "ARRAY"
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                       [schema.table_name, "%USING gin%"])
        assert [row[0].endswith(f"USING gin ({column})") for row in cursor.fetchall()] == [True]
