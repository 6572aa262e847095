"""Generating schemas and real typed tables from CRM descriptions (the descriptions
here are built in-test; the emulator-backed journeys are in test_wizard_*)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from connectors.models import ExternalAccount
from connectors.types import FieldDescription as F
from connectors.types import FieldType as T
from connectors.types import TableDescription
from tests.fixtures.services import require_postgresql
from wizard import generation
from wizard.live_models import model_for, model_for_id
from wizard.models import DataSchema

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(db):
    return ExternalAccount.objects.create(
        name="Demo", internal_name="demo", crm_type="salesforce", server_url="https://sf.example.invalid"
    )


def contact(extra=()):
    fields = (
        F("Id", "Contact ID", T.ID, "id", length=18, nullable=False, read_only=True, primary_key=True),
        F("SystemModstamp", "System Modstamp", T.DATETIME, "datetime", read_only=True),
        F("LastName", "Last Name", T.STRING, "string", length=80, nullable=False),
        F("Description", "Description", T.TEXT, "textarea", length=32000),
        F("NumberOfEmployees", "Employees", T.INTEGER, "int"),
        F("Big__c", "Big", T.BIGINT, "long"),
        F("Amount__c", "Amount", T.DECIMAL, "currency", precision=18, scale=2),
        F("Score__c", "Score", T.FLOAT, "double"),
        F("DoNotCall", "Do Not Call", T.BOOLEAN, "boolean", nullable=False),
        F("Birthdate", "Birthdate", T.DATE, "date"),
        F("LastSeen__c", "Last seen", T.DATETIME, "datetime"),
        F("Opens__c", "Opens at", T.TIME, "time"),
        F("LeadSource", "Lead Source", T.ENUM, "picklist", enumeration="Contact.LeadSource"),
        F("Hobbies__c", "Hobbies", T.MULTI_ENUM, "multipicklist", enumeration="Contact.Hobbies__c"),
        F("AccountId", "Account ID", T.REFERENCE, "reference", length=18, references=("Account",)),
    ) + tuple(extra)
    return TableDescription("Contact", "Contact", fields, id_field="Id", modstamp_field="SystemModstamp")


def column_types(table):
    """The SQL type of each column as the database itself reports it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT column_name, CASE WHEN data_type = 'ARRAY' THEN udt_name ELSE data_type END, "
                "character_maximum_length, numeric_precision, numeric_scale "
                "FROM information_schema.columns WHERE table_name = %s", [table])
            return {name: _pg_type(*rest) for name, *rest in cursor.fetchall()}
        cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
        return {row[1]: row[2].lower() for row in cursor.fetchall()}


def _pg_type(data_type, length, precision, scale):
    if data_type == "character varying":
        return f"varchar({length})"
    if data_type == "numeric":
        return f"numeric({precision},{scale})"
    return data_type


# column: (PostgreSQL type, SQLite type)
EXPECTED_TYPES = {
    "id": ("bigint", "integer"),
    "crm_id": ("varchar(64)", "varchar(64)"),
    "crm_modstamp": ("timestamp with time zone", "datetime"),
    "local_modstamp": ("timestamp with time zone", "datetime"),
    "is_deleted": ("boolean", "bool"),
    "last_synced_at": ("timestamp with time zone", "datetime"),
    "last_name": ("varchar(80)", "varchar(80)"),
    "description": ("text", "text"),
    "number_of_employees": ("integer", "integer"),
    "big_c": ("bigint", "bigint"),
    "amount_c": ("numeric(18,2)", "decimal"),
    "score_c": ("double precision", "real"),
    "do_not_call": ("boolean", "bool"),
    "birthdate": ("date", "date"),
    "last_seen_c": ("timestamp with time zone", "datetime"),
    "opens_c": ("time without time zone", "time"),
    "lead_source": ("varchar(255)", "varchar(255)"),
    "hobbies_c": ("_varchar", "text"),
    "account_id": ("varchar(64)", "varchar(64)"),
}


def test_every_crm_type_lands_in_a_sensible_column_type(account):
    [outcome] = generation.generate(account, [contact()])
    assert outcome.action == "created"
    schema = outcome.schema
    assert schema.table_name == "crm_demo_contact"
    types = column_types(schema.table_name)
    index = 0 if connection.vendor == "postgresql" else 1
    assert {column: types[column] for column in EXPECTED_TYPES} == {c: t[index] for c, t in EXPECTED_TYPES.items()}
    columns = {f.crm_name: f.column_name for f in schema.fields.all()}
    assert columns["Id"] == "crm_id" and columns["SystemModstamp"] == "crm_modstamp"


def test_generated_model_round_trips_typed_values_through_the_orm(account):
    schema = generation.generate(account, [contact()])[0].schema
    Model = model_for(schema)
    Model.objects.create(
        crm_id="003000000000001AAA", last_name="Zoë", amount_c=Decimal("1234.50"), birthdate=dt.date(1990, 5, 17),
        hobbies_c=["Chess", "Go"], do_not_call=True, big_c=2**40, opens_c=dt.time(9, 30),
    )
    row = Model.objects.get(crm_id="003000000000001AAA")
    assert (row.last_name, row.amount_c, row.hobbies_c, row.big_c) == ("Zoë", Decimal("1234.50"), ["Chess", "Go"], 2**40)
    assert row.local_modstamp is not None  # stamped by the trigger


def test_indexes_unique_crm_id_and_modstamp(account):
    schema = generation.generate(account, [contact()])[0].schema
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, schema.table_name)
    assert any(c["columns"] == ["crm_id"] and c["unique"] for c in constraints.values())
    assert any(c["columns"] == ["crm_modstamp"] and c["index"] and not c["unique"] for c in constraints.values())


def test_plain_sql_update_stamps_local_modstamp_but_an_explicit_stamp_is_kept(account):
    schema = generation.generate(account, [contact()])[0].schema
    Model = model_for(schema)
    stamp = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    row = Model.objects.create(crm_id="003A", last_name="A", local_modstamp=stamp)
    assert Model.objects.get(pk=row.pk).local_modstamp == stamp
    table = connection.ops.quote_name(schema.table_name)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last_name = %s WHERE id = %s", ["B", row.pk])
    assert Model.objects.get(pk=row.pk).local_modstamp > stamp
    Model.objects.filter(pk=row.pk).update(last_name="C", local_modstamp=stamp)
    assert Model.objects.get(pk=row.pk).local_modstamp == stamp


TRICKY = [
    ("Order", "order_f"), ("Group__c", "group_c"), ("select", "select_f"), ("User", "user_f"),
    ("From", "from_f"), ("Desc", "desc_f"), ("Limit", "limit_f"), ("Key", "key_f"), ("Default", "default_f"),
    ("Numéro_de_téléphone__c", "numero_de_telephone_c"), ("電話番号__c", "dian_hua_fan_hao_c"),
    ("Id__c", "id_c"), ("crm_id", "crm_id_f"),
]


def test_tricky_crm_names_give_valid_unique_stable_columns(account):
    long_a = "A" * 70 + "_Alpha__c"
    long_b = "A" * 70 + "_Beta__c"
    extra = [F(name, name, T.STRING, "string", length=20) for name, _ in TRICKY]
    extra += [F(long_a, "long a", T.STRING, "string", length=5), F(long_b, "long b", T.STRING, "string", length=5),
              F("Email__c", "e1", T.STRING, "string", length=5), F("Email_c", "e2", T.STRING, "string", length=5)]
    schema = generation.generate(account, [contact(extra)])[0].schema
    columns = {f.crm_name: f.column_name for f in schema.fields.all()}
    for crm_name, column in TRICKY:
        assert columns[crm_name] == column
    assert len(set(columns.values())) == len(columns)
    assert all(len(c.encode()) <= 63 for c in columns.values())
    assert columns[long_a] != columns[long_b]
    assert {columns["Email__c"], columns["Email_c"]} == {"email_c", "email_c_" + generation.naming.short_hash("Email_c", 4)}
    Model = model_for(schema)
    Model.objects.create(crm_id="x", **{columns["Order"]: "o", columns[long_a]: "a"})
    assert Model.objects.get(crm_id="x").order_f == "o"


def test_table_names_for_long_and_colliding_crm_names_are_unique(account):
    name = "Very_Long_Custom_Object_Name_For_Testing_The_Identifier_Limit_Of_Postgres__c"
    tables = [TableDescription(n, n, contact().fields[:2], id_field="Id", modstamp_field="SystemModstamp")
              for n in (name, name[:-3] + "_x__c", "Order", "order__c")]
    schemas = [o.schema for o in generation.generate(account, tables)]
    names = [s.table_name for s in schemas]
    assert len(set(names)) == 4 and all(len(n) <= 63 for n in names)
    assert names[2] == "crm_demo_order"


def test_unknown_selected_field_is_refused_and_creates_nothing(account):
    with pytest.raises(generation.SelectionError, match="Contact has no field\\(s\\): Nope"):
        generation.generate(account, [contact()], {"Contact": ["LastName", "Nope"]})
    assert DataSchema.objects.count() == 0


def test_a_field_subset_keeps_id_and_modstamp(account):
    schema = generation.generate(account, [contact()], {"Contact": ["LastName"]})[0].schema
    assert sorted(schema.fields.values_list("crm_name", flat=True)) == ["Id", "LastName", "SystemModstamp"]


def test_drift_adds_new_columns_keeps_removed_ones_and_reports_type_changes(account):
    schema = generation.generate(account, [contact()])[0].schema
    Model = model_for(schema)
    Model.objects.create(crm_id="003A", last_name="Kept", birthdate=dt.date(2000, 1, 1))
    fields = [f for f in contact().fields if f.name != "Birthdate"]
    fields = [F("LastName", "Last Name", T.STRING, "string", length=120) if f.name == "LastName" else f for f in fields]
    fields.append(F("Twitter__c", "Twitter", T.STRING, "string", length=15))
    changed = TableDescription("Contact", "Contact", tuple(fields), id_field="Id", modstamp_field="SystemModstamp")
    [outcome] = generation.generate(account, [changed])
    assert outcome.action == "updated"
    assert [f.name for f in outcome.drift.new_fields] == ["Twitter__c"]
    assert outcome.drift.removed_fields == ["Birthdate"]
    assert [(c.crm_name, c.local, c.crm) for c in outcome.drift.changed_types] == [("LastName", "string(80)", "string(120)")]
    Model = model_for_id(schema.pk)
    row = Model.objects.get(crm_id="003A")
    assert (row.birthdate, row.twitter_c) == (dt.date(2000, 1, 1), None)
    assert schema.fields.get(crm_name="Birthdate").removed_from_crm
    again = generation.generate(account, [changed])[0]
    assert again.action == "unchanged" and [c.crm_name for c in again.drift.changed_types] == ["LastName"]


def test_two_concurrent_generations_create_the_table_once(account):
    require_postgresql("proves row locking between two sessions")
    results, errors = [], []

    def run():
        try:
            results.append(generation.generate(account, [contact()])[0].action)
        except Exception as exc:  # pragma: no cover - shown in the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert sorted(results) == ["created", "unchanged"]
    assert DataSchema.objects.count() == 1
