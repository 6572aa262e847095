"""An enumeration changed in the CRM between two syncs: the second sync reports
exactly the CRM's changes (relabelled, added, removed, deactivated)."""

from __future__ import annotations

import dataclasses
import pytest

from connectors.dynamics.emulator.metadata import Option
from connectors.salesforce.emulator.schema import PicklistValue
from tests.enumerations.conftest import NO_CHANGE, generate_demo_schemas, sync
from wizard.models import Enumeration

pytestmark = pytest.mark.django_db(transaction=True)


def values_of(name: str) -> list[tuple]:
    return [(v.value, v.label, v.active) for v in Enumeration.objects.get(name=name).values.order_by("position", "id")]


def change_salesforce_picklist(emulator, object_name: str, field_name: str, entries) -> None:
    """As an org administrator editing a picklist (reset() brings the demo back)."""
    fields = emulator.org.schema.get(object_name).fields
    emulator.set_fields(object_name, [dataclasses.replace(f, picklist=tuple(entries)) if f.name == field_name else f
                                      for f in fields])


def change_dynamics_option_set(emulator, entity_name: str, attribute_name: str, options) -> None:
    """As a maker editing an option set (reset() brings the demo back)."""
    attributes = emulator.entities[entity_name].attributes
    emulator.set_attributes(entity_name, [
        dataclasses.replace(a, option_set=dataclasses.replace(a.option_set, options=tuple(options)))
        if a.name == attribute_name else a for a in attributes])


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
    change_dynamics_option_set(dataverse, "lead", "leadsourcecode", options)
    result = sync(admin_api, dynamics_account, ("lead.leadsourcecode", "leadSource", True))["results"][0]
    assert result["counts"] == {**NO_CHANGE, "added": 1, "relabelled": 1, "removed": 1, "reordered": 1}
    assert values_of("leadSource") == [("1", "Advertisement", True), ("8", "Website", True), ("9", "Webinar", True)]
    website = Enumeration.objects.get(name="leadSource").values.get(value="8")
    assert website.labels == {"1033": "Website", "1036": "Site web", "1028": "網站"}
    again = sync(admin_api, dynamics_account, ("lead.leadsourcecode", "leadSource", True))["results"][0]
    assert (again["changed"], again["counts"]) == (False, NO_CHANGE)
