"""CRM metadata designed to break things, through enumeration sync over both
emulators: picklist values and labels with quotes, semicolons, newlines, SQL and
HTML, and 10,000 characters. Values are stored exactly; a value too long to store
is refused with a message and changes nothing; a label is cut to 255 characters.
(Reserved words, names over 63 bytes, collisions, non-ASCII and an 800-field
describe are covered over both emulators in tests/wizard/test_tricky_names.py.)"""

from __future__ import annotations

import pytest

from connectors.dynamics.emulator.metadata import Option
from connectors.salesforce.emulator.schema import PicklistValue
from tests.enumerations.conftest import generate_demo_schemas
from tests.enumerations.test_crm_changes import change_dynamics_option_set, change_salesforce_picklist
from wizard.models import Enumeration

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = ["O'Brien \"quoted\"", "a;b;c", "line one\nline two\r\nthree", "'); DROP TABLE auth_user; --",
           "<script>alert(1)</script>", "tab\there", "Ünïcødé ☃ 電話"]
LONG = "L" * 10_000


def sync_answer(api, account, crm: str):
    return api.post(f"/api/external-accounts/{account.pk}/enumerations/sync/",
                    {"mappings": [{"crm": crm, "enumeration": "hostile", "replace": True}]}, format="json")


def values_of(name: str) -> list[tuple[str, str]]:
    return [(v.value, v.label) for v in Enumeration.objects.get(name=name).values.order_by("position", "id")]


def test_hostile_salesforce_picklist_values_are_stored_exactly_and_a_too_long_one_is_named(
        salesforce_account, salesforce_emulator, admin_api):
    generate_demo_schemas(salesforce_account)
    entries = [PicklistValue(value, f"Label {value}") for value in HOSTILE]
    change_salesforce_picklist(salesforce_emulator, "Contact", "LeadSource", entries)
    answer = sync_answer(admin_api, salesforce_account, "Contact.LeadSource")
    assert answer.status_code == 200, answer.content
    assert values_of("hostile") == [(value, f"Label {value}") for value in HOSTILE]
    change_salesforce_picklist(salesforce_emulator, "Contact", "LeadSource", [*entries, PicklistValue(LONG, "Long")])
    refused = sync_answer(admin_api, salesforce_account, "Contact.LeadSource")
    assert refused.status_code == 200, refused.content
    assert refused.json()["results"][0]["error"] == (
        "Contact.LeadSource has a value of 10000 characters; an enumeration value holds at most 255 "
        "(nothing was changed)")
    assert values_of("hostile") == [(value, f"Label {value}") for value in HOSTILE]


def test_hostile_dynamics_option_labels_are_stored_exactly_and_a_10000_character_label_is_cut_to_255(
        dynamics_account, dataverse, admin_api):
    generate_demo_schemas(dynamics_account)
    options = [Option(100 + i, {1033: label}) for i, label in enumerate(HOSTILE)]
    change_dynamics_option_set(dataverse, "lead", "leadsourcecode", options)
    answer = sync_answer(admin_api, dynamics_account, "lead.leadsourcecode")
    assert answer.status_code == 200, answer.content
    assert values_of("hostile") == [(str(100 + i), label) for i, label in enumerate(HOSTILE)]
    change_dynamics_option_set(dataverse, "lead", "leadsourcecode", [*options, Option(999, {1033: LONG})])
    added = sync_answer(admin_api, dynamics_account, "lead.leadsourcecode")
    assert added.status_code == 200 and added.json()["results"][0]["counts"]["added"] == 1
    assert values_of("hostile") == [*[(str(100 + i), label) for i, label in enumerate(HOSTILE)], ("999", LONG[:255])]
