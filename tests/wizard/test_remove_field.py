"""A field gone from the CRM keeps its column until an administrator removes it,
after a confirmation that says how many rows hold data in it."""

import pytest
from django.db import connection
from django.test import Client

from connectors.models import ExternalAccount
from connectors.types import FieldDescription as F
from connectors.types import FieldType as T
from connectors.types import TableDescription
from wizard import generation
from wizard.live_models import model_for

pytestmark = pytest.mark.django_db(transaction=True)


def describe(*extra):
    fields = (F("Id", "Id", T.ID, "id"), F("SystemModstamp", "Stamp", T.DATETIME, "datetime")) + extra
    return TableDescription("Contact", "Contact", fields, id_field="Id", modstamp_field="SystemModstamp")


def test_removing_a_field_gone_from_the_crm_drops_its_column_after_confirmation(superuser):
    account = ExternalAccount.objects.create(name="A", internal_name="a", crm_type="salesforce",
                                             server_url="https://a.example.invalid")
    schema = generation.generate(account, [describe(F("Fax", "Fax", T.STRING, "phone", length=40))])[0].schema
    model_for(schema).objects.create(crm_id="1", fax="+33 1")
    generation.generate(account, [describe()])
    field = schema.fields.get(crm_name="Fax")
    console = Client()
    console.force_login(superuser)
    url = f"/admin/wizard/dataschema/{schema.pk}/fields/{field.pk}/remove/"
    assert "remove column…" in console.get(f"/admin/wizard/dataschema/{schema.pk}/change/").content.decode()
    page = console.get(url).content.decode()
    assert "with the values it holds in\n<strong>1</strong> row(s)" in page
    response = console.post(url)
    assert response.status_code == 302
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, schema.table_name)]
    assert "fax" not in columns
    assert not schema.fields.filter(crm_name="Fax").exists()
    assert model_for(schema.__class__.objects.get(pk=schema.pk)).objects.get(crm_id="1").crm_id == "1"
