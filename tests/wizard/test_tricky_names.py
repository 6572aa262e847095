"""Tricky names coming from the CRM itself, deployed in the emulators: reserved
words, 80-character names against PostgreSQL's 63-byte limit, names that collide
once normalized, non-ASCII labels, 800 fields. Every local name is valid, unique
and stable (the same CRM name gives the same local name, whatever the order),
and the generated table works."""

import pytest
from django.db import connection

from connectors.models import ExternalAccount
from tests.workflows.helpers import generate
from wizard import generation, introspection
from wizard.live_models import model_for

pytestmark = pytest.mark.django_db

RESERVED = {
    "salesforce": [("Order", "order_f"), ("Group", "group_f"), ("Select", "select_f"), ("User", "user_f"),
                   ("From", "from_f"), ("Desc", "desc_f"), ("Limit", "limit_f"), ("Key", "key_f"),
                   ("Default", "default_f"), ("Select__c", "select_c")],
    "dynamics": [("order", "order_f"), ("group", "group_f"), ("select", "select_f"), ("user", "user_f"),
                 ("from", "from_f"), ("desc", "desc_f"), ("limit", "limit_f"), ("key", "key_f"),
                 ("default", "default_f"), ("crm_id", "crm_id_f"), ("id", "id_f"), ("is_deleted", "is_deleted_f")],
}
LONG = {
    "salesforce": ("Marketing_Preference_Center_Subscription_Opt_In_Confirmation_Date_Primary_One__c",
                   "Marketing_Preference_Center_Subscription_Opt_In_Confirmation_Date_Primary_Two__c"),
    "dynamics": ("cr8a1_marketingpreferencecentersubscriptionoptinconfirmationdateprimaryemail_one",
                 "cr8a1_marketingpreferencecentersubscriptionoptinconfirmationdateprimaryemail_two"),
}
# (first in name order, its column), (second, its column): a collision is settled
# with a hash of the CRM name, so these columns never change.
COLLIDING = {
    "salesforce": (("URLCount__c", "url_count_c"), ("Url_Count__c", "url_count_c_fc00")),
    "dynamics": (("cr8a1_url__count", "cr8a1_url_count"), ("cr8a1_url_count", "cr8a1_url_count_d980")),
}
LONG_COLUMNS = {
    "salesforce": ("marketing_preference_center_subscription_opt_in_confir_4cd26bcb",
                   "marketing_preference_center_subscription_opt_in_confir_3fef269c"),
    "dynamics": ("cr8a1_marketingpreferencecentersubscriptionoptinconfir_153231e9",
                 "cr8a1_marketingpreferencecentersubscriptionoptinconfir_1634d791"),
}
LABELS = [("Numéro de téléphone", 20), ("電話番号", 20), ("Ünïcödé ✓ label", 20)]
TABLE = {"salesforce": "Order", "dynamics": "cr8a1_order"}


def tricky_fields(crm):
    fields = [(name, f"Label of {name}", 20) for name, _ in RESERVED[crm]]
    fields += [(name, f"Long {i}", 30) for i, name in enumerate(LONG[crm])]
    fields += [(name, name, 10) for (name, _) in COLLIDING[crm]]
    prefix = "Intl" if crm == "salesforce" else "cr8a1_intl"
    fields += [(f"{prefix}_{i}" + ("__c" if crm == "salesforce" else ""), label, length)
               for i, (label, length) in enumerate(LABELS)]
    return fields


def columns_of(schema) -> dict[str, str]:
    return {f.crm_name: f.column_name for f in schema.fields.all()}


def database_columns(table) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def second_account(account) -> ExternalAccount:
    """Another account on the same CRM, as a second administrator would create it."""
    return ExternalAccount.objects.create(
        name="Second", internal_name=account.internal_name + "-2", crm_type=account.crm_type,
        server_url=account.server_url, api_version=account.api_version, timeout=10,
        ca_certificate=account.ca_certificate, settings=dict(account.settings), secrets=dict(account.secrets))


def test_reserved_long_colliding_and_non_ascii_names_give_valid_unique_stable_columns(crm_account, org):
    crm = crm_account.crm_type
    assert all(len(name) == 80 for name in LONG[crm])
    org.add_table(TABLE[crm], "Commande ✓", tricky_fields(crm))
    schema = generate(crm_account, TABLE[crm])
    columns = columns_of(schema)

    assert {name: columns[name] for name, _ in RESERVED[crm]} == dict(RESERVED[crm])
    assert (columns[LONG[crm][0]], columns[LONG[crm][1]]) == LONG_COLUMNS[crm]
    assert {name: columns[name] for name, _ in COLLIDING[crm]} == dict(COLLIDING[crm])
    assert len(set(columns.values())) == len(columns)
    assert all(len(c.encode()) <= 63 and c.isascii() and c == c.lower() for c in columns.values())
    assert sorted(database_columns(schema.table_name)) == sorted(
        set(columns.values()) | {"id", "local_modstamp", "is_deleted", "deleted_at", "last_synced_at",
                                    "sync_provenance"})
    labels = {f.label for f in schema.fields.all()}
    assert {label for label, _ in LABELS} <= labels and schema.label == "Commande ✓"

    # Stable: the CRM lists its fields the other way round, a second account gets the same names.
    org.reverse_fields(TABLE[crm])
    again = generate(second_account(crm_account), TABLE[crm])
    assert columns_of(again) == columns


def test_a_generated_table_with_tricky_columns_stores_and_finds_rows(crm_account, org, admin_api):
    crm = crm_account.crm_type
    org.add_table(TABLE[crm], "Order", tricky_fields(crm))
    schema = generate(crm_account, TABLE[crm])
    columns = columns_of(schema)
    values = {columns[name]: f"v-{name}"[:10] for name, _ in COLLIDING[crm]}
    values |= {column: name.lower()[:20] for name, column in RESERVED[crm]}
    values[columns[LONG[crm][0]]] = "long"
    model_for(schema).objects.create(crm_id="tricky-1", **values)
    row = model_for(schema).objects.get(crm_id="tricky-1")
    assert {column: getattr(row, column) for column in values} == values
    body = admin_api.get(f"/api/schemas/{schema.pk}/records/", {"order_f": "order", "select_f": "select"}).json()
    assert [r["crm_id"] for r in body["results"]] == ["tricky-1"]
    assert body["results"][0][columns[LONG[crm][0]]] == "long"


def test_long_and_colliding_table_names_fit_and_stay_unique(crm_account, org):
    crm = crm_account.crm_type
    long_names = LONG[crm] if crm == "dynamics" else tuple(n.replace("Date_Primary", "Table_Prima") for n in LONG[crm])
    colliding = [name for name, _ in COLLIDING[crm]]
    names = [*long_names, *colliding]
    for name in names:
        org.add_table(name, f"Table {name}", [("Note" if crm == "salesforce" else "cr8a1_note", "Note", 20)])
    descriptions = introspection.describe(crm_account, names)
    schemas = [o.schema for o in generation.generate(crm_account, [descriptions[n] for n in names])]
    tables = [s.table_name for s in schemas]
    assert len(set(tables)) == 4 and all(len(t) <= 63 for t in tables)
    prefix = f"crm_{crm_account.internal_name.replace('-', '_')}_"
    assert all(t.startswith(prefix) for t in tables)
    assert tables[2] == prefix + COLLIDING[crm][0][1]
    for schema in schemas:
        model_for(schema).objects.create(crm_id=schema.table_name[-20:])
        assert model_for(schema).objects.count() == 1


def test_a_table_of_800_fields_is_generated_and_usable(crm_account, org):
    crm = crm_account.crm_type
    name = "Wide__c" if crm == "salesforce" else "cr8a1_wide"
    field = "Field_{:03d}__c" if crm == "salesforce" else "cr8a1_field_{:03d}"
    org.add_table(name, "Wide", [(field.format(i), f"Champ n°{i}", 40) for i in range(800)])
    schema = generate(crm_account, name)
    custom = [f for f in schema.fields.all() if f.crm_name.startswith(field.split("{")[0])]
    assert len(custom) == 800
    assert len(database_columns(schema.table_name)) == len(schema.fields.all()) + 6  # id, local_modstamp, is_deleted, deleted_at, last_synced_at, sync_provenance
    model = model_for(schema)
    model.objects.create(crm_id="wide-1", **{f.column_name: f"value {f.position}" for f in custom})
    row = model.objects.get(crm_id="wide-1")
    assert all(getattr(row, f.column_name) == f"value {f.position}" for f in custom)
