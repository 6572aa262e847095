"""The sync service on in-test CRM enumerations: two-option booleans with custom
labels (as Dataverse has them), rows counted per column type, fields linked."""

from __future__ import annotations

import pytest

from connectors.models import ExternalAccount
from connectors.types import Enumeration as Crm
from connectors.types import EnumerationValue as V
from connectors.types import FieldDescription as F
from connectors.types import FieldType as T
from connectors.types import TableDescription
from tests.enumerations.conftest import add_row
from wizard import generation
from wizard.enumeration_labels import label_for
from wizard.enumeration_plan import Mapping
from wizard.enumeration_sync import preview, synchronize
from wizard.models import Enumeration

pytestmark = pytest.mark.django_db(transaction=True)

DO_NOT_EMAIL = Crm("contact.donotemail", "Do not allow Emails", (
    V("0", "Allow", labels={"1033": "Allow", "1036": "Autoriser"}),
    V("1", "Do Not Allow", labels={"1033": "Do Not Allow", "1036": "Ne pas autoriser"})))


@pytest.fixture
def contact_schema(db):
    account = ExternalAccount.objects.create(name="Paper", internal_name="paper", crm_type="dynamics",
                                             server_url="https://crm.example.invalid")
    fields = (F("contactid", "Contact", T.ID, "Uniqueidentifier", primary_key=True),
              F("modifiedon", "Modified On", T.DATETIME, "DateTime"),
              F("donotemail", "Do not allow Emails", T.BOOLEAN, "Boolean", enumeration="contact.donotemail"))
    description = TableDescription("contact", "Contact", fields, id_field="contactid", modstamp_field="modifiedon")
    return generation.generate(account, [description])[0].schema


def test_two_option_booleans_keep_their_custom_labels_and_rows_are_counted(contact_schema):
    account = contact_schema.account
    add_row(contact_schema, "c1", donotemail=True)
    add_row(contact_schema, "c2", donotemail=True)
    enumeration = Enumeration.objects.create(name="doNotEmail", label="Do not email")
    enumeration.values.create(value="1", label="Blocked", position=1)
    result, linked = synchronize(account, Mapping("contact.donotemail", "doNotEmail", True), DO_NOT_EMAIL)
    assert (result.counts()["added"], result.counts()["relabelled"], result.counts()["reordered"], linked) == (1, 1, 0, 1)
    field = contact_schema.fields.get(crm_name="donotemail")
    assert [label_for(field, value, language) for value, language in ((True, None), (False, "1036"))] == [
        "Do Not Allow", "Autoriser"]
    shrunk = Crm(DO_NOT_EMAIL.key, DO_NOT_EMAIL.label, DO_NOT_EMAIL.values[:1])
    planned = preview(account, Mapping("contact.donotemail", "doNotEmail", True), shrunk)
    assert [(c.value, c.kinds, c.rows) for c in planned.changes] == [("1", ("deactivated",), 2)]
    second, linked = synchronize(account, Mapping("contact.donotemail", "doNotEmail", True), DO_NOT_EMAIL)
    assert (second.changed, linked) == (False, 0)
