"""One face for both emulators in the wizard tests: the demo tables' names, and
changing the CRM's metadata as its administrator would (deploy a table, add,
remove or lengthen a field), through the emulators' control API."""

from __future__ import annotations

import itertools
import string
import uuid
from dataclasses import replace

import pytest

from connectors.dynamics.emulator import schema as dv
from connectors.dynamics.emulator.metadata import AttributeDef, EntityDef
from connectors.salesforce.emulator import fields as sf
from connectors.salesforce.emulator.schema import FieldDef, ObjectDef

_ALPHANUMERIC = string.digits + string.ascii_lowercase


def key_prefixes():
    """Three-character key prefixes nobody uses in the demo org ("e00", "e01", ...)."""
    return ("".join(chars) for chars in itertools.product("efgh", _ALPHANUMERIC, _ALPHANUMERIC))


class SalesforceOrg:
    crm = "salesforce"
    contact, account, custom = "Contact", "Account", "Loyalty_Program__c"
    demo_tables = [
        ("Account", "Account", False), ("Campaign", "Campaign", False), ("CampaignMember", "Campaign Member", False),
        ("Contact", "Contact", False), ("Lead", "Lead", False),
        ("Loyalty_Program__c", "Programme de fidélité", True), ("Opportunity", "Opportunity", False),
        ("User", "User", False),
    ]
    listing_route = "describe_global"
    last_name, email, birthdate, city = "LastName", "Email", "Birthdate", "MailingCity"

    def __init__(self, emulator):
        self.emulator = emulator
        self.prefixes = key_prefixes()

    def add_table(self, name: str, label: str, fields: list[tuple[str, str, int]]) -> None:
        """A custom object with text fields (name, label, length) besides the system ones."""
        extra = [sf.text(field_name, field_label, length) for field_name, field_label, length in fields]
        self.emulator.add_object(ObjectDef(name, label, label + "s", next(self.prefixes), custom=name.endswith("__c"),
                                           fields=sf.system_fields() + extra))

    def fields(self, table: str) -> list[FieldDef]:
        return list(self.emulator.org.schema.get(table).fields)

    def add_text_field(self, table: str, name: str, label: str, length: int) -> None:
        self.emulator.set_fields(table, self.fields(table) + [sf.text(name, label, length)])

    def remove_field(self, table: str, name: str) -> None:
        self.emulator.set_fields(table, [f for f in self.fields(table) if f.name != name])

    def set_length(self, table: str, name: str, length: int) -> None:
        self.emulator.set_fields(table, [_with_length(f, name, length) for f in self.fields(table)])

    def reverse_fields(self, table: str) -> None:
        self.emulator.set_fields(table, list(reversed(self.fields(table))))

    def listing_calls(self) -> int:
        return self.emulator.calls(self.listing_route)


def _with_length(f: FieldDef, name: str, length: int) -> FieldDef:
    return replace(f, length=length) if f.name == name else f


class DynamicsEnvironment:
    crm = "dynamics"
    contact, account, custom = "contact", "account", "cr8a1_loyaltyprogram"
    demo_tables = [
        ("account", "Account", False), ("contact", "Contact", False),
        ("cr8a1_loyaltyprogram", "Loyalty Program", True), ("lead", "Lead", False),
        ("opportunity", "Opportunity", False), ("systemuser", "User", False),
    ]
    listing_route = "GET EntityDefinitions"
    last_name, email, birthdate, city = "lastname", "emailaddress1", "birthdate", "address1_city"

    def __init__(self, emulator):
        self.emulator = emulator
        self.type_codes = itertools.count(20000)

    def add_table(self, name: str, label: str, fields: list[tuple[str, str, int]]) -> None:
        labels = dv.L(label, label, label)
        attributes = [dv.primary(name, labels)]
        attributes += [dv.text(field_name, dv.L(field_label, field_label, field_label), length, custom=True)
                       for field_name, field_label, length in fields]
        attributes += dv.system_attributes(name)
        self.emulator.add_entity(EntityDef(name, name + "s", labels, labels, tuple(attributes), name + "id",
                                           attributes[1].name, next(self.type_codes), custom=True))

    def fields(self, table: str) -> list[AttributeDef]:
        return list(self.emulator.entities[table].attributes)

    def add_text_field(self, table: str, name: str, label: str, length: int) -> None:
        self.emulator.set_attributes(table, self.fields(table) + [dv.text(name, dv.L(label, label, label), length)])

    def remove_field(self, table: str, name: str) -> None:
        self.emulator.set_attributes(table, [a for a in self.fields(table) if a.name != name])

    def set_length(self, table: str, name: str, length: int) -> None:
        self.emulator.set_attributes(
            table, [replace(a, max_length=length) if a.name == name else a for a in self.fields(table)])

    def reverse_fields(self, table: str) -> None:
        self.emulator.set_attributes(table, list(reversed(self.fields(table))))

    def listing_calls(self) -> int:
        return self.emulator.calls(self.listing_route)


@pytest.fixture
def org(crm_account, request):
    """The metadata face of the emulator behind `crm_account`."""
    if crm_account.crm_type == "salesforce":
        return SalesforceOrg(request.getfixturevalue("salesforce_emulator"))
    return DynamicsEnvironment(request.getfixturevalue("dataverse"))


@pytest.fixture
def listing_token() -> str:
    """A wizard token of its own per test: cached listings never leak between tests."""
    return uuid.uuid4().hex


@pytest.fixture(autouse=True)
def fresh_live_models():
    """Rolled-back tests may hand a schema id out again: start with no cached model."""
    from wizard import live_models

    live_models._cache.clear()
    yield
    live_models._cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Test users need no costly hashing (Django's advice for test suites)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
