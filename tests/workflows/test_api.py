"""The workflows REST API: creation with activities checked against the schema
(bad fields, operators and values are 400s naming the place), runs and rejects."""

import copy

import pytest

from tests.workflows.helpers import generate, rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contact_schema(crm_account, crm):
    return generate(crm_account, crm.table)


def body(account, crm, **changes):
    data = {
        "name": "Two-way contacts", "account": account.pk, "schedule": "*/5 * * * *", "conflict_policy": "crm_wins",
        "activities": [
            {"operation": "import", "table": crm.table, "incremental": True,
             "filter": [{"field": crm.name_field, "op": "starts_with", "value": "A"}]},
            {"operation": "export", "table": crm.table, "rows": "changed", "mode": "upsert", "key": crm.key_field},
        ],
    }
    data.update(changes)
    return data


def test_a_workflow_is_created_with_its_activities_and_schedule(admin_api, crm_account, crm, contact_schema):
    response = admin_api.post("/api/workflows/", body(crm_account, crm), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["internal_name"] == "two-way-contacts"
    assert [a["operation"] for a in data["activities"]] == ["import", "export"]
    assert data["activities"][1]["key"] == crm.key_field
    assert data["next_run_at"] is not None
    fetched = admin_api.get(f"/api/workflows/{data['id']}/").json()
    assert fetched["activities"] == data["activities"]


@pytest.mark.parametrize("activity, errors", [
    ({"operation": "import", "table": "Nope"}, {"activities[0].table": [
        "no generated schema for 'Nope' on this account: run the configuration wizard first"]}),
    ({"operation": "import", "filter": [{"field": "Nope", "op": "eq", "value": "x"}]},
     {"activities[0].filter[0]": ["unknown field 'Nope'"]}),
    ({"operation": "import", "filter": [{"field": "NAME", "op": "like", "value": "x"}]},
     {"activities[0].filter[0]": ["unknown op 'like'; expected one of eq, ne, lt, le, gt, ge, in, not_in, "
                                  "contains, starts_with, is_null"]}),
    ({"operation": "import", "filter": [{"field": "NAME", "op": "eq", "value": 42}]},
     {"activities[0].filter[0]": ["42 is not a valid string value"]}),
    ({"operation": "import", "filter": [{"field": "NAME", "op": "in", "value": []}]},
     {"activities[0].filter[0]": ["in takes a list of 1 to 1000 values"]}),
    ({"operation": "export", "mode": "merge"}, {"activities[0].mode": ["must be one of: insert, update, upsert"]}),
    ({"operation": "export", "key": "NAME"},
     {"activities[0].key": ["NAME is not an external id or alternate key field in the CRM"]}),
    ({"operation": "import", "colour": "red"}, {"activities[0].colour": ["not an option of import"]}),
])
def test_activities_that_do_not_fit_the_schema_get_400_naming_the_place(admin_api, crm_account, crm,
                                                                        contact_schema, activity, errors):
    activity = {"table": crm.table, **copy.deepcopy(activity)}
    for condition in activity.get("filter", []):
        condition["field"] = crm.name_field if condition["field"] == "NAME" else condition["field"]
    if activity.get("key") == "NAME":
        activity["key"] = crm.name_field
        errors = {k: [v[0].replace("NAME", crm.name_field)] for k, v in errors.items()}
    response = admin_api.post("/api/workflows/", body(crm_account, crm, activities=[activity]), format="json")
    assert response.status_code == 400
    assert response.json() == errors


def test_a_bad_schedule_is_a_400(admin_api, crm_account, crm, contact_schema):
    response = admin_api.post("/api/workflows/", body(crm_account, crm, schedule="every day"), format="json")
    assert response.status_code == 400
    assert response.json() == {"schedule": [
        "a cron expression has five fields: minute hour day-of-month month day-of-week"]}


def test_run_status_and_rejects_through_the_api(admin_api, crm_account, crm, contact_schema, settings):
    settings.CRMSYNC_IN_PROCESS_TASKS = True
    settings.CRMSYNC_IN_PROCESS_SYNCHRONOUS = True
    Model = rows(contact_schema).model
    Model.objects.create(**{contact_schema.fields.get(crm_name=crm.name_field).column_name: None})
    data = body(crm_account, crm, activities=[{"operation": "export", "table": crm.table, "mode": "insert"}])
    workflow_id = admin_api.post("/api/workflows/", data, format="json").json()["id"]
    started = admin_api.post(f"/api/workflows/{workflow_id}/run/")
    assert started.status_code == 202
    run = admin_api.get(f"/api/runs/{started.json()['run']}/").json()
    assert run["status"] == "partial" and run["rejects"] == 1
    assert run["activities"][0]["rejected"] == 1 and run["activities"][0]["table"] == crm.table
    rejects = admin_api.get(f"/api/runs/{run['id']}/rejects/").json()["results"]
    assert len(rejects) == 1 and rejects[0]["code"] and rejects[0]["message"]
    cancelled = admin_api.post(f"/api/runs/{run['id']}/cancel/").json()
    assert cancelled["status"] == "partial"  # a finished run stays as it ended


def test_import_filter_and_upstream_population_read_only_what_they_must(crm_account, crm, contact_schema):
    from tests.workflows.helpers import counters, run_now, workflow

    run_now(workflow(crm_account, contact_schema, ("import", {}), name="all"))
    everyone = rows(contact_schema).count()
    first = rows(contact_schema).first()
    name_column = contact_schema.fields.get(crm_name=crm.name_field).column_name
    rows(contact_schema).model.objects.all().delete()
    name = getattr(first, name_column)
    filtered = workflow(crm_account, contact_schema, ("import", {
        "incremental": False, "filter": [{"field": crm.name_field, "op": "eq", "value": name}]}), name="one")
    assert counters(run_now(filtered))["inserted"] == 1
    crm.update(first.crm_id, **{crm.name_field: "Re-read"})
    population = workflow(crm_account, contact_schema, ("import", {
        "population": [{"field": crm.name_field, "op": "eq", "value": name}]}), name="pop")
    run = run_now(population)
    assert counters(run) == {"read": 1, "updated": 1}
    assert getattr(rows(contact_schema).get(crm_id=first.crm_id), name_column) == "Re-read"
    assert everyone > 1
