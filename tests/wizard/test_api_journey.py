"""The wizard through the REST API, against both emulators over HTTPS: list the
CRM's tables, describe one, generate Contact, Account and the custom object in one
call; then browse, filter, search, page and change the rows of a generated table."""

import datetime as dt

import pytest

from tests.workflows.helpers import run_now, workflow
from wizard.live_models import model_for, model_for_id
from wizard.models import DataSchema

pytestmark = pytest.mark.django_db


def tables_url(account, name=None):
    return f"/api/external-accounts/{account.pk}/tables/" + (f"{name}/" if name else "")


def schemas_url(account):
    return f"/api/external-accounts/{account.pk}/schemas/"


def generate(api, account, tables, fields=None):
    response = api.post(schemas_url(account), {"tables": tables, **({"fields": fields} if fields else {})},
                        format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- 1. the CRM's tables ----------------------------------------------------------------
def test_tables_are_listed_with_label_and_custom_flag_then_marked_generated(crm_account, org, admin_api,
                                                                            listing_token):
    rows = admin_api.get(tables_url(crm_account), {"listing": listing_token}).json()
    assert [(r["name"], r["label"], r["custom"], r["generated"], r["schema"]) for r in rows] == [
        (name, label, custom, False, None) for name, label, custom in org.demo_tables]

    [outcome] = generate(admin_api, crm_account, [org.custom])
    rows = admin_api.get(tables_url(crm_account), {"listing": listing_token}).json()
    generated = [(r["name"], r["generated"], r["schema"]) for r in rows if r["generated"]]
    assert generated == [(org.custom, True, outcome["schema"]["id"])]


def test_tables_filter_by_kind_and_search_name_or_label(crm_account, org, admin_api, listing_token):
    custom = admin_api.get(tables_url(crm_account), {"listing": listing_token, "custom": "true"}).json()
    assert [r["name"] for r in custom] == [org.custom]
    standard = admin_api.get(tables_url(crm_account), {"listing": listing_token, "custom": "false"}).json()
    assert len(standard) == len(org.demo_tables) - 1
    found = admin_api.get(tables_url(crm_account), {"listing": listing_token, "search": "CONTACT"}).json()
    assert [r["name"] for r in found] == [org.contact]
    by_label = admin_api.get(tables_url(crm_account), {"listing": listing_token, "search": "fidélité"}).json()
    assert [r["name"] for r in by_label] == ([org.custom] if org.crm == "salesforce" else [])


# --- 2. one table, described ----------------------------------------------------------------
DESCRIBED = {
    "salesforce": {
        "count": 35, "id_field": "Id", "modstamp_field": "SystemModstamp",
        "Email": {"name": "Email", "label": "Email", "type": "string", "crm_type": "email", "length": 80,
                  "precision": None, "scale": None, "nullable": True, "read_only": False, "primary_key": False,
                  "external_id": False, "unique": False, "references": [], "enumeration": None},
        "AccountId": {"name": "AccountId", "label": "Account ID", "type": "reference", "crm_type": "reference",
                      "length": 18, "precision": None, "scale": None, "nullable": True, "read_only": False,
                      "primary_key": False, "external_id": False, "unique": False, "references": ["Account"],
                      "enumeration": None},
        "Name": {"name": "Name", "label": "Full Name", "type": "string", "crm_type": "string", "length": 121,
                 "precision": None, "scale": None, "nullable": False, "read_only": True, "primary_key": False,
                 "external_id": False, "unique": False, "references": [], "enumeration": None},
    },
    "dynamics": {
        "count": 32, "id_field": "contactid", "modstamp_field": "modifiedon",
        "emailaddress1": {"name": "emailaddress1", "label": "Email", "type": "string", "crm_type": "String",
                          "length": 100, "precision": None, "scale": None, "nullable": True, "read_only": False,
                          "primary_key": False, "external_id": False, "unique": False, "references": [],
                          "enumeration": None},
        "parentcustomerid": {"name": "parentcustomerid", "label": "Company Name", "type": "reference",
                             "crm_type": "Customer", "length": None, "precision": None, "scale": None,
                             "nullable": True, "read_only": False, "primary_key": False, "external_id": False,
                             "unique": False, "references": ["account", "contact"], "enumeration": None},
        "fullname": {"name": "fullname", "label": "Full Name", "type": "string", "crm_type": "String",
                     "length": 160, "precision": None, "scale": None, "nullable": True, "read_only": True,
                     "primary_key": False, "external_id": False, "unique": False, "references": [],
                     "enumeration": None},
    },
}


def test_a_table_is_described_with_normalized_fields(crm_account, org, admin_api):
    body = admin_api.get(tables_url(crm_account, org.contact)).json()
    expected = DESCRIBED[org.crm]
    assert (body["name"], body["label"], body["custom"]) == (org.contact, "Contact", False)
    assert (body["id_field"], body["modstamp_field"], len(body["fields"])) == (
        expected["id_field"], expected["modstamp_field"], expected["count"])
    by_name = {f["name"]: f for f in body["fields"]}
    for name, field in expected.items():
        if isinstance(field, dict):
            assert by_name[name] == field


def test_describing_a_table_the_crm_lacks_is_404(crm_account, admin_api):
    response = admin_api.get(tables_url(crm_account, "No_Such_Table__c"))
    assert response.status_code in (404, 400)
    assert DataSchema.objects.count() == 0


# --- 3. generation in one call -----------------------------------------------------------------
TABLE_NAMES = {
    "salesforce": ("crm_sf_demo_contact", "crm_sf_demo_account", "crm_sf_demo_loyalty_program_c", 20, 16),
    "dynamics": ("crm_dyn_demo_contact", "crm_dyn_demo_account", "crm_dyn_demo_cr8a1_loyaltyprogram", 18, 11),
}


def test_three_tables_generated_in_one_call_then_listed_and_detailed(crm_account, org, admin_api):
    chosen = [org.last_name, org.email, org.birthdate, org.city]
    outcomes = generate(admin_api, crm_account, [org.contact, org.account, org.custom], {org.contact: chosen})
    contact_table, account_table, custom_table, account_fields, custom_fields = TABLE_NAMES[org.crm]
    assert [(o["table"], o["action"], o["schema"]["table_name"], len(o["schema"]["fields"])) for o in outcomes] == [
        (org.contact, "created", contact_table, 6), (org.account, "created", account_table, account_fields),
        (org.custom, "created", custom_table, custom_fields)]
    assert outcomes[2]["schema"]["custom"] is True

    listed = admin_api.get("/api/schemas/").json()
    assert sorted(s["table_name"] for s in listed["results"]) == sorted([contact_table, account_table, custom_table])
    detail = admin_api.get(f"/api/schemas/{outcomes[0]['schema']['id']}/").json()
    columns = {f["crm_name"]: (f["column_name"], f["column_type"]) for f in detail["fields"]}
    id_field, modstamp_field = DESCRIBED[org.crm]["id_field"], DESCRIBED[org.crm]["modstamp_field"]
    assert columns[id_field] == ("crm_id", "varchar(64)")
    assert columns[modstamp_field][0] == "crm_modstamp"
    assert sorted(columns) == sorted(chosen + [id_field, modstamp_field])
    assert columns[org.birthdate][1] == "date"


def test_generating_an_unknown_table_or_field_is_400_and_creates_nothing(crm_account, org, admin_api):
    response = admin_api.post(schemas_url(crm_account), {"tables": [org.contact, "Nope__c"]}, format="json")
    assert response.status_code == 400
    response = admin_api.post(schemas_url(crm_account), {"tables": [org.contact], "fields": {org.contact: ["Nope"]}},
                              format="json")
    assert response.status_code == 400
    assert response.json() == {"fields": [f"{org.contact} has no field(s): Nope"]}
    assert DataSchema.objects.count() == 0


def test_records_of_an_import_are_browsable(crm_account, org, crm, admin_api):
    [outcome] = generate(admin_api, crm_account, [org.contact])
    schema = DataSchema.objects.get(pk=outcome["schema"]["id"])
    run = run_now(workflow(crm_account, schema, ("import", {})))
    assert run.status == "succeeded", run.log
    in_crm = model_for(schema).objects.count()
    assert in_crm > 0
    body = admin_api.get(f"/api/schemas/{schema.pk}/records/").json()
    assert body["count"] == in_crm
    first = body["results"][0]
    assert first[schema.fields.get(crm_name=org.last_name).column_name] == crm.get(first["crm_id"])[org.last_name]


# --- 4. rows: filters, search, pages ---------------------------------------------------------------
@pytest.fixture
def contacts(crm_account, org, admin_api):
    """A generated Contact table with seven rows written through its live model."""
    [outcome] = generate(admin_api, crm_account, [org.contact], {org.contact: [org.last_name, org.birthdate, org.city]})
    schema = DataSchema.objects.get(pk=outcome["schema"]["id"])
    model = model_for(schema)
    for i in range(7):
        model.objects.create(crm_id=f"crm-{i}", **{
            column(schema, org.last_name): f"Row-{i}", column(schema, org.birthdate): dt.date(2000, 1, 1 + i),
            column(schema, org.city): "Paris" if i % 2 == 0 else "Lyon"})
    return schema


def column(schema, crm_name):
    return schema.fields.get(crm_name=crm_name).column_name


def records(api, schema, **params):
    return api.get(f"/api/schemas/{schema.pk}/records/", params)


def test_records_filter_by_typed_column_values(contacts, org, admin_api):
    city, birthdate = column(contacts, org.city), column(contacts, org.birthdate)
    body = records(admin_api, contacts, **{city: "Paris"}).json()
    assert (body["count"], [r["crm_id"] for r in body["results"]]) == (4, ["crm-0", "crm-2", "crm-4", "crm-6"])
    body = records(admin_api, contacts, **{birthdate: "2000-01-03", city: "Paris"}).json()
    assert [r["crm_id"] for r in body["results"]] == ["crm-2"]
    assert records(admin_api, contacts, is_deleted="false").json()["count"] == 7


def test_records_filter_errors_say_which_column_and_why(contacts, org, admin_api):
    response = records(admin_api, contacts, no_such_column="1")
    assert (response.status_code, response.json()) == (400, {"no_such_column": ["no such column"]})
    birthdate = column(contacts, org.birthdate)
    response = records(admin_api, contacts, **{birthdate: "yesterday"})
    assert (response.status_code, response.json()) == (400, {birthdate: [
        "“yesterday” value has an invalid date format. It must be in YYYY-MM-DD format."]})
    response = records(admin_api, contacts, is_deleted="perhaps")
    assert (response.status_code, response.json()) == (400, {"is_deleted": ["“perhaps” value must be either True or False."]})


def test_records_search_text_and_come_in_pages(contacts, admin_api):
    body = records(admin_api, contacts, search="row-3").json()
    assert [r["crm_id"] for r in body["results"]] == ["crm-3"]
    assert records(admin_api, contacts, search="lyon").json()["count"] == 3
    first = records(admin_api, contacts, page_size=3).json()
    assert (first["count"], [r["crm_id"] for r in first["results"]]) == (7, ["crm-0", "crm-1", "crm-2"])
    assert first["next"].endswith("page=2&page_size=3")
    last = records(admin_api, contacts, page_size=3, page=3).json()
    assert ([r["crm_id"] for r in last["results"]], last["next"]) == (["crm-6"], None)


# --- 5. changing a row as a marketer -------------------------------------------------------------
def test_patching_a_record_changes_it_and_stamps_local_modstamp(contacts, org, admin_api):
    url = f"/api/schemas/{contacts.pk}/records/crm-1/"
    before = admin_api.get(url).json()
    city = column(contacts, org.city)
    response = admin_api.patch(url, {city: "Montréal"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body[city] == "Montréal" and body["local_modstamp"] > before["local_modstamp"]
    row = model_for_id(contacts.pk).objects.get(crm_id="crm-1")
    assert getattr(row, city) == "Montréal"
    assert row.local_modstamp.isoformat().replace("+00:00", "Z") == body["local_modstamp"]


def test_patching_a_bad_value_is_400_with_field_messages_and_changes_nothing(contacts, org, admin_api):
    url = f"/api/schemas/{contacts.pk}/records/crm-1/"
    birthdate, city = column(contacts, org.birthdate), column(contacts, org.city)
    length = contacts.fields.get(crm_name=org.city).length
    response = admin_api.patch(url, {birthdate: "31/12/2000", city: "x" * (length + 1)}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        birthdate: ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
        city: [f"Ensure this field has no more than {length} characters."]}
    row = model_for_id(contacts.pk).objects.get(crm_id="crm-1")
    assert (getattr(row, birthdate), getattr(row, city)) == (dt.date(2000, 1, 2), "Lyon")


def test_sync_columns_are_not_writable_through_the_api(contacts, admin_api):
    url = f"/api/schemas/{contacts.pk}/records/crm-1/"
    before = admin_api.get(url).json()
    response = admin_api.patch(url, {"crm_id": "hijacked", "crm_modstamp": "2030-01-01T00:00:00Z",
                                     "last_synced_at": "2030-01-01T00:00:00Z", "id": 999}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"crm_id", "crm_modstamp", "last_synced_at", "id"}
    assert admin_api.get(url).json() == before
    assert admin_api.get(f"/api/schemas/{contacts.pk}/records/hijacked/").status_code == 404
