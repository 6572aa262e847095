"""The enumerations API: the CRM enumerations of an account, sync requests (bad
input refused with field messages), local enumerations, value labels in the
records API, the re-sync schedule, and the CRM's own message when it fails."""

from __future__ import annotations

import pytest

from tests.enumerations.conftest import NO_CHANGE, add_row, column_of, generate_demo_schemas, sync
from tests.fixtures.accounts import api_client_for
from wizard.enumeration_labels import label_for
from wizard.models import Enumeration, EnumerationSyncJob

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sf_schemas(salesforce_account):
    return generate_demo_schemas(salesforce_account)


def enumerations_url(account) -> str:
    return f"/api/external-accounts/{account.pk}/enumerations/"


def test_crm_enumerations_of_an_account_list_key_label_flag_and_values(salesforce_account, sf_schemas, admin_api):
    listed = admin_api.get(enumerations_url(salesforce_account)).json()
    lead_source = next(row for row in listed if row["key"] == "Contact.LeadSource")
    assert (lead_source["label"], lead_source["multi_select"], lead_source["proposed_enumeration"]) == (
        "Lead Source", False, "contactLeadSource")
    assert [(v["value"], v["label"], v["active"]) for v in lead_source["values"]] == [
        ("Web", "Web", True), ("Phone Inquiry", "Phone Inquiry", True), ("Partner Referral", "Partner Referral", True),
        ("Trade Show", "Trade Show", True), ("Word of mouth", "Bouche-à-oreille", False)]
    assert [row["key"] for row in listed if row["multi_select"]] == ["Contact.Interests__c", "Loyalty_Program__c.Channels__c"]
    only_lead = admin_api.get(enumerations_url(salesforce_account), {"schema": sf_schemas["Lead"].pk}).json()
    assert [row["key"] for row in only_lead] == ["Lead.Industry", "Lead.LeadSource", "Lead.Rating", "Lead.Status"]
    assert admin_api.get(enumerations_url(salesforce_account), {"schema": "x"}).json() == {
        "schema": ["a data schema id is a number"]}


def test_sync_answers_the_counts_and_an_unknown_local_name_creates_the_enumeration(salesforce_account, sf_schemas, admin_api):
    answer = sync(admin_api, salesforce_account, ("Contact.LeadSource", "leadSource", False))
    assert (answer["status"], answer["progress"], answer["total"], answer["done"]) == ("done", 100, 1, 1)
    assert answer["results"] == [{"crm": "Contact.LeadSource", "enumeration": "leadSource", "replace": False,
                                  "created": True, "changed": True, "counts": {**NO_CHANGE, "added": 5},
                                  "fields_linked": 1, "in_use": [], "error": ""}]
    detail = admin_api.get("/api/enumerations/leadSource/").json()
    assert (detail["label"], detail["account"], detail["source_key"], detail["schema_fields"]) == (
        "Lead Source", "sf-demo", "Contact.LeadSource", [f"{sf_schemas['Contact'].table_name}.lead_source"])
    assert [(v["value"], v["active"]) for v in detail["values"]][-1] == ("Word of mouth", False)
    listing = admin_api.get("/api/enumerations/").json()
    assert [row["name"] for row in listing["results"]] == ["leadSource"]
    assert admin_api.get("/api/enumerations/nothing/").status_code == 404
    job = admin_api.get(f"/api/enumeration-sync-jobs/{answer['id']}/").json()
    assert job["results"][0]["counts"]["added"] == 5


def test_dry_run_answers_the_plan_and_changes_nothing(salesforce_account, sf_schemas, admin_api):
    answer = sync(admin_api, salesforce_account, ("Lead.Status", "leadStatus", True), dry_run=True)
    assert answer["dry_run"] is True and answer["results"][0]["counts"] == {**NO_CHANGE, "added": 4}
    assert (Enumeration.objects.count(), EnumerationSyncJob.objects.count()) == (0, 0)


@pytest.mark.parametrize("body, errors", [
    ({}, {"mappings": ["This field is required."]}),
    ({"mappings": []}, {"mappings": {"non_field_errors": ["This list may not be empty."]}}),
    ({"mappings": [{"crm": "Contact.LeadSource"}]}, {"mappings": [{"enumeration": ["This field is required."]}]}),
    ({"mappings": [{"crm": "Contact.Nope", "enumeration": "9x"}]},
     {"mappings": [{"crm": ["no CRM enumeration 'Contact.Nope' is used by this account's generated schemas"],
                    "enumeration": ["Start with a letter; use letters, digits and underscores only."]}]}),
    ({"mappings": [{"crm": "Contact.LeadSource", "enumeration": "a"}, {"crm": "Contact.LeadSource", "enumeration": "b"}]},
     {"mappings": ["Contact.LeadSource is mapped more than once"]}),
    ({"mappings": [{"crm": "Contact.LeadSource", "enumeration": "s", "replace": True},
                   {"crm": "Lead.LeadSource", "enumeration": "s"}]},
     {"mappings": ["s receives several CRM enumerations: Replace is not possible"]}),
])
def test_bad_sync_requests_are_refused_with_field_messages(salesforce_account, sf_schemas, admin_api, body, errors):
    answer = admin_api.post(f"{enumerations_url(salesforce_account)}sync/", body, format="json")
    assert (answer.status_code, answer.json()) == (400, errors)
    assert Enumeration.objects.count() == 0


def test_two_crm_enumerations_merge_into_one_local_enumeration(salesforce_account, sf_schemas, admin_api):
    results = sync(admin_api, salesforce_account, ("Contact.LeadSource", "leadSource", False),
                   ("Lead.LeadSource", "leadSource", False))["results"]
    assert [(r["created"], r["counts"]["added"], r["fields_linked"]) for r in results] == [(True, 5, 1), (False, 0, 1)]
    assert Enumeration.objects.get(name="leadSource").schema_fields.count() == 2


def test_stored_values_have_their_label_in_the_records_api_and_label_for(salesforce_account, sf_schemas, admin_api):
    sync(admin_api, salesforce_account, ("Contact.LeadSource", "leadSource", False),
         ("Contact.Interests__c", "interests", False))
    contact = sf_schemas["Contact"]
    add_row(contact, "003A", **{column_of(contact, "LeadSource"): "Word of mouth",
                                column_of(contact, "Interests__c"): ["Running", "Yoga"]})
    row = admin_api.get(f"/api/schemas/{contact.pk}/records/").json()["results"][0]
    assert row["labels"] == {"lead_source": "Bouche-à-oreille", "interests_c": ["Course à pied", "ヨガ"]}
    assert admin_api.get(f"/api/schemas/{contact.pk}/records/003A/").json()["labels"]["lead_source"] == "Bouche-à-oreille"
    field = contact.fields.get(crm_name="LeadSource")
    assert (label_for(field, "Web"), label_for(field, "Unknown"), label_for(field, None)) == ("Web", None, None)


def test_dynamics_labels_by_language(dynamics_account, admin_api):
    schemas = generate_demo_schemas(dynamics_account)
    sync(admin_api, dynamics_account, ("contact.gendercode", "gender", False))
    field = schemas["contact"].fields.get(crm_name="gendercode")
    assert [label_for(field, "2", language) for language in (None, "1033", "1036", "1028")] == [
        "Female", "Female", "Femme", "女性"]


def test_schedule_api_is_off_by_default_and_can_be_switched_on(salesforce_account, admin_api):
    url = f"{enumerations_url(salesforce_account)}schedule/"
    assert admin_api.get(url).json() == {"enabled": False, "every_hours": 24}
    assert admin_api.put(url, {"enabled": True, "every_hours": 12}, format="json").json() == {
        "enabled": True, "every_hours": 12}
    assert admin_api.put(url, {"enabled": True, "every_hours": 0}, format="json").json() == {
        "every_hours": ["Ensure this value is greater than or equal to 1."]}


def test_a_crm_failure_answers_502_with_the_crm_message(salesforce_account, sf_schemas, salesforce_emulator, admin_api):
    body = '[{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}]'
    salesforce_emulator.inject("status", path=".*", status=403, body=body, count=20)
    answer = admin_api.get(enumerations_url(salesforce_account))
    assert answer.status_code == 502 and "TotalRequests Limit exceeded." in answer.json()["detail"]


def test_staff_without_enumeration_rights_is_refused(salesforce_account, staff_viewer):
    assert api_client_for(staff_viewer).get(enumerations_url(salesforce_account)).status_code == 403
    assert api_client_for(staff_viewer).get("/api/enumerations/").status_code == 403
