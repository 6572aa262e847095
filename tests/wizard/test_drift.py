"""Schema drift against the emulators: the CRM's administrator adds a field,
removes one and lengthens another; running the wizard again (through the API)
adds the new column, keeps and flags the removed one with its data, and reports
the type change without applying it. Sync still works afterwards."""

import datetime as dt

import pytest

from tests.wizard.test_generation import column_types
from tests.workflows.helpers import run_now, workflow
from wizard.live_models import model_for_id
from wizard.models import DataSchema

pytestmark = pytest.mark.django_db

NEW_FIELD = {"salesforce": ("Twitter__c", "twitter_c"), "dynamics": ("cr8a1_twitter", "cr8a1_twitter")}
CITY = {"salesforce": ("mailing_city", "string(40)", 40), "dynamics": ("address1_city", "string(80)", 80)}


def generate(api, account, table):
    response = api.post(f"/api/external-accounts/{account.pk}/schemas/", {"tables": [table]}, format="json")
    assert response.status_code == 201, response.json()
    [outcome] = response.json()
    return outcome


def change_the_crm(org, crm):
    org.add_text_field(org.contact, NEW_FIELD[crm][0], "Twitter", 15)
    org.remove_field(org.contact, org.birthdate)
    org.set_length(org.contact, org.city, 120)


def test_drift_adds_new_columns_keeps_removed_ones_and_reports_type_changes(crm_account, org, admin_api):
    crm = crm_account.crm_type
    created = generate(admin_api, crm_account, org.contact)
    schema = DataSchema.objects.get(pk=created["schema"]["id"])
    city_column, old_type, old_length = CITY[crm]
    model_for_id(schema.pk).objects.create(crm_id="kept-1", birthdate=dt.date(1990, 5, 17),
                                           **{city_column: "Paris"})
    change_the_crm(org, crm)

    updated = generate(admin_api, crm_account, org.contact)
    assert (updated["action"], updated["added_fields"], updated["removed_fields"], updated["changed_types"]) == (
        "updated", [NEW_FIELD[crm][0]], [org.birthdate],
        [{"field": org.city, "local": old_type, "crm": "string(120)"}])
    assert updated["schema"]["version"] == created["schema"]["version"] + 1

    types = column_types(schema.table_name)
    assert types[NEW_FIELD[crm][1]] == "varchar(15)"
    assert types[city_column] == f"varchar({old_length})"  # not applied
    assert types["birthdate"] == "date"  # kept
    fields = {f["crm_name"]: f for f in admin_api.get(f"/api/schemas/{schema.pk}/").json()["fields"]}
    assert (fields[org.birthdate]["removed_from_crm"], fields[NEW_FIELD[crm][0]]["removed_from_crm"]) == (True, False)
    assert fields[org.city]["length"] == old_length

    row = admin_api.get(f"/api/schemas/{schema.pk}/records/kept-1/").json()
    assert (row["birthdate"], row[city_column], row[NEW_FIELD[crm][1]]) == ("1990-05-17", "Paris", None)

    again = generate(admin_api, crm_account, org.contact)
    assert (again["action"], again["added_fields"], again["removed_fields"]) == ("unchanged", [], [])
    assert [c["field"] for c in again["changed_types"]] == [org.city]


def test_an_import_after_drift_fills_the_new_column_and_leaves_the_removed_one(crm_account, org, crm, admin_api):
    crm_name = crm_account.crm_type
    schema = DataSchema.objects.get(pk=generate(admin_api, crm_account, org.contact)["schema"]["id"])
    wf = workflow(crm_account, schema, ("import", {"incremental": False}))
    assert run_now(wf).status == "succeeded"
    model = model_for_id(schema.pk)
    born = model.objects.exclude(birthdate=None).count()
    assert born > 0
    change_the_crm(org, crm_name)
    crm_id = model.objects.order_by("crm_id").first().crm_id
    crm.update(crm_id, **{NEW_FIELD[crm_name][0]: "@kept"})
    generate(admin_api, crm_account, org.contact)

    run = run_now(wf)
    assert run.status == "succeeded", run.log
    model = model_for_id(schema.pk)
    assert getattr(model.objects.get(crm_id=crm_id), NEW_FIELD[crm_name][1]) == "@kept"
    assert model.objects.exclude(birthdate=None).count() == born
