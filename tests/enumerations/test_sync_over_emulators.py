"""Enumeration sync over both emulators, through the API: the demo picklists and
option sets arrive with their values, labels, active flags, translations and
valid-for mappings; Replace and non-Replace; values in use; idempotence."""

from __future__ import annotations

import pytest

from tests.enumerations.conftest import NO_CHANGE, add_row, by_crm, column_of, sync
from wizard.models import Enumeration, SchemaField

pytestmark = pytest.mark.django_db(transaction=True)

# Per CRM: a single-select and a multi-select enumeration of the demo, their table and field.
CASES = {
    "salesforce": {"single": ("Contact.LeadSource", "Contact", "LeadSource"),
                   "multi": ("Contact.Interests__c", "Contact", "Interests__c")},
    "dynamics": {"single": ("lead.leadsourcecode", "lead", "leadsourcecode"),
                 "multi": ("contact.cr8a1_interests", "contact", "cr8a1_interests")},
}


def values_of(name: str) -> list[tuple]:
    return [(v.value, v.label, v.active) for v in Enumeration.objects.get(name=name).values.order_by("position", "id")]


def all_mappings(api, account) -> list[tuple]:
    listed = api.get(f"/api/external-accounts/{account.pk}/enumerations/").json()
    return [(row["key"], row["proposed_enumeration"], False) for row in listed]


def test_salesforce_demo_picklists_arrive_as_local_enumerations_and_a_second_run_changes_nothing(
        salesforce_account, admin_api):
    from tests.enumerations.conftest import generate_demo_schemas

    generate_demo_schemas(salesforce_account)
    mappings = all_mappings(admin_api, salesforce_account)
    assert len(mappings) == 12
    first = by_crm(sync(admin_api, salesforce_account, *mappings)["results"])
    assert first["Contact.LeadSource"]["counts"] == {**NO_CHANGE, "added": 5}
    assert values_of("contactLeadSource") == [
        ("Web", "Web", True), ("Phone Inquiry", "Phone Inquiry", True), ("Partner Referral", "Partner Referral", True),
        ("Trade Show", "Trade Show", True), ("Word of mouth", "Bouche-à-oreille", False)]
    assert values_of("loyaltyProgramTier") == [
        ("Bronze", "ブロンズ", True), ("Silver", "シルバー", True), ("Gold", "ゴールド", True), ("Platinum", "プラチナ", False)]
    interests = Enumeration.objects.get(name="contactInterests")
    assert interests.multi_select and [v.value for v in interests.values.all()] == [
        "Running", "Cycling", "Swimming", "Hiking", "Yoga"]
    assert Enumeration.objects.get(name="loyaltyProgramChannels").multi_select
    sub_region = Enumeration.objects.get(name="contactSubRegion")
    assert (sub_region.controlling_field, sub_region.controlling_enumeration.name) == ("Region__c", "contactRegion")
    assert {v.value: v.valid_for for v in sub_region.values.all()} == {
        "France": ["EMEA"], "Deutschland": ["EMEA"], "USA": ["AMER"], "Brasil": ["AMER"], "日本": ["APAC"],
        "Singapore": ["APAC"]}
    assert Enumeration.objects.get(name="contactLevel").restricted
    second = sync(admin_api, salesforce_account, *mappings)["results"]
    assert [(r["crm"], r["changed"], r["counts"]) for r in second] == [(crm, False, NO_CHANGE) for crm, _, _ in mappings]


def test_dynamics_option_sets_arrive_with_translations_state_status_and_global_sets(dynamics_account, admin_api):
    from tests.enumerations.conftest import generate_demo_schemas

    generate_demo_schemas(dynamics_account)
    mappings = all_mappings(admin_api, dynamics_account)
    assert len(mappings) == 17  # 16 option sets and the two-option Boolean contact.donotemail
    first = by_crm(sync(admin_api, dynamics_account, *mappings)["results"])
    donotemail = Enumeration.objects.get(source_key="contact.donotemail")
    assert [(v.value, v.label, v.labels.get("1036")) for v in donotemail.values.order_by("position")] == [
        ("0", "No", "Non"), ("1", "Yes", "Oui")]
    assert (first["account.cr8a1_segment"]["created"], first["contact.cr8a1_segment"]["created"]) == (True, False)
    segment = Enumeration.objects.get(name="cr8a1Segment")
    assert segment.global_name == "cr8a1_segment"
    assert sorted(f.crm_name for f in segment.schema_fields.all()) == ["cr8a1_segment", "cr8a1_segment"]
    assert values_of("cr8a1Segment") == [("100000000", "Consumer", True), ("100000001", "Small business", True),
                                         ("100000002", "Enterprise", True)]
    industry = Enumeration.objects.get(name="accountIndustrycode").values.get(value="3")
    assert industry.labels == {"1033": "Consulting", "1036": "Conseil", "1028": "顧問"}
    assert industry.label_in("1036") == "Conseil"
    interests = Enumeration.objects.get(name="cr8a1Interest")
    assert interests.multi_select and interests.values.count() == 5
    status = Enumeration.objects.get(name="leadStatuscode")
    assert (status.controlling_field, status.controlling_enumeration.name) == ("statecode", "leadStatecode")
    assert {v.value: v.valid_for for v in status.values.all()} == {
        "1": ["0"], "2": ["0"], "3": ["1"], "4": ["2"], "5": ["2"]}
    second = sync(admin_api, dynamics_account, *mappings)["results"]
    assert [r["crm"] for r in second if r["changed"] or r["counts"] != NO_CHANGE] == []


def local_enumeration(name: str, values: list[tuple[str, str]]) -> Enumeration:
    enumeration = Enumeration.objects.create(name=name, label=name)
    for position, (value, label) in enumerate(values):
        enumeration.values.create(value=value, label=label, position=position)
    return enumeration


def crm_values(api, account, key) -> list[dict]:
    listed = api.get(f"/api/external-accounts/{account.pk}/enumerations/").json()
    return next(row["values"] for row in listed if row["key"] == key)


def test_without_replace_crm_values_are_added_and_relabelled_and_local_values_kept(crm_account, crm_schemas, admin_api):
    key = CASES[crm_account.crm_type]["single"][0]
    crm = crm_values(admin_api, crm_account, key)
    local_enumeration("leadSource", [(crm[0]["value"], "Old label"), ("Shop", "In the shop")])
    result = sync(admin_api, crm_account, (key, "leadSource", False))["results"][0]
    assert result["counts"] == {**NO_CHANGE, "added": len(crm) - 1, "relabelled": 1}
    assert values_of("leadSource") == [(crm[0]["value"], crm[0]["label"], True), ("Shop", "In the shop", True)] + [
        (v["value"], v["label"], v["active"]) for v in crm[1:]]


def test_replace_deactivates_local_values_rows_still_use_and_removes_the_others(crm_account, crm_schemas, admin_api):
    key, table, field = CASES[crm_account.crm_type]["single"]
    crm = crm_values(admin_api, crm_account, key)
    local_enumeration("leadSource", [(crm[0]["value"], crm[0]["label"]), ("Shop", "In the shop"), ("Fair", "Fair")])
    schema = crm_schemas[table]
    add_row(schema, "row-1", **{column_of(schema, field): "Shop"})
    add_row(schema, "row-2", **{column_of(schema, field): "Shop"})
    result = sync(admin_api, crm_account, (key, "leadSource", True))["results"][0]
    relabelled = 1 if crm[0]["labels"] else 0  # Dynamics brings translations the local value lacks
    assert result["counts"] == {**NO_CHANGE, "added": len(crm) - 1, "relabelled": relabelled, "deactivated": 1,
                                "removed": 1, "reordered": 1, "rows_in_use": 2}
    assert result["in_use"] == [{"value": "Shop", "label": "In the shop", "rows": 2, "action": "deactivated"}]
    assert values_of("leadSource") == [(v["value"], v["label"], v["active"]) for v in crm] + [
        ("Shop", "In the shop", False)]
    again = sync(admin_api, crm_account, (key, "leadSource", True))["results"][0]
    assert (again["changed"], again["counts"]) == (False, {**NO_CHANGE, "rows_in_use": 2})
    assert again["in_use"] == [{"value": "Shop", "label": "In the shop", "rows": 2, "action": "kept inactive"}]


def test_replace_counts_multi_select_rows_storing_a_local_value(crm_account, crm_schemas, admin_api):
    key, table, field = CASES[crm_account.crm_type]["multi"]
    crm = crm_values(admin_api, crm_account, key)
    local_enumeration("interests", [("Knitting", "Tricot"), ("Chess", "Échecs")])
    schema = crm_schemas[table]
    add_row(schema, "row-1", **{column_of(schema, field): [crm[0]["value"], "Knitting"]})
    add_row(schema, "row-2", **{column_of(schema, field): [crm[1]["value"]]})
    result = sync(admin_api, crm_account, (key, "interests", True))["results"][0]
    assert result["counts"] == {**NO_CHANGE, "added": len(crm), "deactivated": 1, "removed": 1, "reordered": 1,
                                "rows_in_use": 1}
    assert Enumeration.objects.get(name="interests").multi_select
    assert SchemaField.objects.get(schema=schema, crm_name=field).enumeration.name == "interests"
