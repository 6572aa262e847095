"""An enumeration changed in the CRM between two syncs: the second sync reports
exactly the CRM's changes (relabelled, added, removed, deactivated)."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager

import pytest

from connectors.dynamics.emulator.metadata import Option
from connectors.salesforce.emulator.schema import PicklistValue
from tests.enumerations.conftest import NO_CHANGE, generate_demo_schemas, sync
from wizard.models import Enumeration

pytestmark = pytest.mark.django_db(transaction=True)


def values_of(name: str) -> list[tuple]:
    return [(v.value, v.label, v.active) for v in Enumeration.objects.get(name=name).values.order_by("position", "id")]


def change_salesforce_picklist(emulator, object_name: str, field_name: str, entries) -> None:
    """As an org administrator editing a picklist (the org is rebuilt at each reset)."""
    obj = emulator.org.schema.get(object_name)
    index = next(i for i, f in enumerate(obj.fields) if f.name == field_name)
    obj.fields[index] = dataclasses.replace(obj.fields[index], picklist=tuple(entries))
    obj.__post_init__()


@contextmanager
def changed_dynamics_option_set(emulator, entity_name: str, attribute_name: str, options):
    """As a maker editing an option set; the session's emulator is restored after."""
    entity = emulator.entities[entity_name]
    original = entity.attributes
    attribute = entity.attribute(attribute_name)
    option_set = dataclasses.replace(attribute.option_set, options=tuple(options))
    entity.attributes = tuple(dataclasses.replace(a, option_set=option_set) if a is attribute else a for a in original)
    entity.__post_init__()
    try:
        yield
    finally:
        entity.attributes = original
        entity.__post_init__()


def test_salesforce_picklist_changed_between_two_syncs(salesforce_account, salesforce_emulator, admin_api):
    generate_demo_schemas(salesforce_account)
    sync(admin_api, salesforce_account, ("Contact.LeadSource", "leadSource", False))
    change_salesforce_picklist(salesforce_emulator, "Contact", "LeadSource", (
        PicklistValue("Web", "Site web"), PicklistValue("Phone Inquiry", "Phone Inquiry", active=False),
        PicklistValue("Partner Referral", "Partner Referral"), PicklistValue("Webinar", "Webinar"),
        PicklistValue("Word of mouth", "Bouche-à-oreille", active=False)))
    merged = sync(admin_api, salesforce_account, ("Contact.LeadSource", "leadSource", False))["results"][0]
    assert merged["counts"] == {**NO_CHANGE, "added": 1, "relabelled": 1, "deactivated": 1}
    assert values_of("leadSource") == [
        ("Web", "Site web", True), ("Phone Inquiry", "Phone Inquiry", False), ("Partner Referral", "Partner Referral", True),
        ("Trade Show", "Trade Show", True), ("Word of mouth", "Bouche-à-oreille", False), ("Webinar", "Webinar", True)]
    replaced = sync(admin_api, salesforce_account, ("Contact.LeadSource", "leadSource", True))["results"][0]
    assert replaced["counts"] == {**NO_CHANGE, "removed": 1, "reordered": 1}  # Webinar moves up
    assert [value for value, _, _ in values_of("leadSource")] == [
        "Web", "Phone Inquiry", "Partner Referral", "Webinar", "Word of mouth"]
    third = sync(admin_api, salesforce_account, ("Contact.LeadSource", "leadSource", True))["results"][0]
    assert (third["changed"], third["counts"]) == (False, NO_CHANGE)


def test_dynamics_option_set_changed_between_two_syncs(dynamics_account, dataverse, admin_api):
    generate_demo_schemas(dynamics_account)
    sync(admin_api, dynamics_account, ("lead.leadsourcecode", "leadSource", False))
    options = (Option(1, {1033: "Advertisement", 1036: "Publicité", 1028: "廣告"}),
               Option(8, {1033: "Website", 1036: "Site web", 1028: "網站"}),
               Option(9, {1033: "Webinar", 1036: "Webinaire", 1028: "網路研討會"}))
    with changed_dynamics_option_set(dataverse, "lead", "leadsourcecode", options):
        result = sync(admin_api, dynamics_account, ("lead.leadsourcecode", "leadSource", True))["results"][0]
    assert result["counts"] == {**NO_CHANGE, "added": 1, "relabelled": 1, "removed": 1, "reordered": 1}
    assert values_of("leadSource") == [("1", "Advertisement", True), ("8", "Website", True), ("9", "Webinar", True)]
    website = Enumeration.objects.get(name="leadSource").values.get(value="8")
    assert website.labels == {"1033": "Website", "1036": "Site web", "1028": "網站"}
    back = sync(admin_api, dynamics_account, ("lead.leadsourcecode", "leadSource", True))["results"][0]
    assert back["counts"] == {**NO_CHANGE, "added": 1, "relabelled": 1, "removed": 1, "reordered": 1}
