"""Every CRM type of both demo Contacts lands in the expected local column type, as
the database itself reports it; lookups keep the CRM id as text and their targets."""

import pytest
from django.db import connection

from tests.wizard.test_generation import column_types
from tests.workflows.helpers import generate
from wizard.live_models import model_for

pytestmark = pytest.mark.django_db

# column: (CRM type, PostgreSQL type, SQLite type)
SYSTEM = {
    "id": ("", "bigint", "integer"),
    "crm_id": ("", "varchar(64)", "varchar(64)"),
    "crm_modstamp": ("", "timestamp with time zone", "datetime"),
    "local_modstamp": ("", "timestamp with time zone", "datetime"),
    "is_deleted": ("", "boolean", "bool"),
    "deleted_at": ("", "timestamp with time zone", "datetime"),
    "last_synced_at": ("", "timestamp with time zone", "datetime"),
    "sync_provenance": ("", "jsonb", "text"),  # field provenance (wizard.provenance)
}
SALESFORCE_CONTACT = {
    **SYSTEM,
    "account_id": ("reference", "varchar(64)", "varchar(64)"),
    "birthdate": ("date", "date", "date"),
    "created_by_id": ("reference", "varchar(64)", "varchar(64)"),
    "created_date": ("datetime", "timestamp with time zone", "datetime"),
    "description": ("textarea", "text", "text"),
    "discount_c": ("percent", "numeric(5,2)", "decimal"),
    "do_not_call": ("boolean", "boolean", "bool"),
    "email": ("email", "varchar(80)", "varchar(80)"),
    "external_id_c": ("string", "varchar(64)", "varchar(64)"),
    "first_name": ("string", "varchar(40)", "varchar(40)"),
    "has_opted_out_of_email": ("boolean", "boolean", "bool"),
    "interests_c": ("multipicklist", "_varchar", "text"),
    "is_deleted_f": ("boolean", "boolean", "bool"),
    "last_modified_by_id": ("reference", "varchar(64)", "varchar(64)"),
    "last_modified_date": ("datetime", "timestamp with time zone", "datetime"),
    "last_name": ("string", "varchar(80)", "varchar(80)"),
    "last_purchase_c": ("datetime", "timestamp with time zone", "datetime"),
    "lead_source": ("picklist", "varchar(255)", "varchar(255)"),
    "level_c": ("picklist", "varchar(255)", "varchar(255)"),
    "lifetime_value_c": ("currency", "numeric(16,2)", "decimal"),
    "mailing_city": ("string", "varchar(40)", "varchar(40)"),
    "mailing_country": ("string", "varchar(80)", "varchar(80)"),
    "mobile_phone": ("phone", "varchar(40)", "varchar(40)"),
    "name": ("string", "varchar(121)", "varchar(121)"),
    "owner_id": ("reference", "varchar(64)", "varchar(64)"),
    "phone": ("phone", "varchar(40)", "varchar(40)"),
    "region_c": ("picklist", "varchar(255)", "varchar(255)"),
    "salutation": ("picklist", "varchar(255)", "varchar(255)"),
    "score_c": ("double", "numeric(10,4)", "decimal"),
    "sub_region_c": ("picklist", "varchar(255)", "varchar(255)"),
    "title": ("string", "varchar(128)", "varchar(128)"),
    "vip_c": ("boolean", "boolean", "bool"),
    "visit_count_c": ("int", "integer", "integer"),
}
DYNAMICS_CONTACT = {
    **SYSTEM,
    "address1_city": ("String", "varchar(80)", "varchar(80)"),
    "address1_country": ("String", "varchar(80)", "varchar(80)"),
    "birthdate": ("DateTime", "date", "date"),
    "cr8a1_engagementrate": ("Double", "double precision", "real"),
    "cr8a1_externalid": ("String", "varchar(64)", "varchar(64)"),
    "cr8a1_interests": ("MultiSelectPicklistType", "_varchar", "text"),
    "cr8a1_lifetimepoints": ("BigInt", "bigint", "bigint"),
    "cr8a1_loyaltyprogramid": ("Lookup", "varchar(64)", "varchar(64)"),
    "cr8a1_loyaltyscore": ("Decimal", "numeric(23,4)", "decimal"),
    "cr8a1_segment": ("Picklist", "varchar(255)", "varchar(255)"),
    "createdon": ("DateTime", "timestamp with time zone", "datetime"),
    "creditlimit": ("Money", "numeric(23,2)", "decimal"),
    "description": ("Memo", "text", "text"),
    "donotemail": ("Boolean", "boolean", "bool"),
    "emailaddress1": ("String", "varchar(100)", "varchar(100)"),
    "firstname": ("String", "varchar(50)", "varchar(50)"),
    "fullname": ("String", "varchar(160)", "varchar(160)"),
    "gendercode": ("Picklist", "varchar(255)", "varchar(255)"),
    "jobtitle": ("String", "varchar(100)", "varchar(100)"),
    "lastname": ("String", "varchar(50)", "varchar(50)"),
    "lastusedincampaign": ("DateTime", "timestamp with time zone", "datetime"),
    "mobilephone": ("String", "varchar(50)", "varchar(50)"),
    "numberofchildren": ("Integer", "integer", "integer"),
    "ownerid": ("Owner", "varchar(64)", "varchar(64)"),
    "parentcustomerid": ("Customer", "varchar(64)", "varchar(64)"),
    "preferredcontactmethodcode": ("Picklist", "varchar(255)", "varchar(255)"),
    "statecode": ("State", "varchar(255)", "varchar(255)"),
    "statuscode": ("Status", "varchar(255)", "varchar(255)"),
    "telephone1": ("String", "varchar(50)", "varchar(50)"),
    "versionnumber": ("BigInt", "bigint", "bigint"),
}
EXPECTED = {"salesforce": ("Contact", SALESFORCE_CONTACT), "dynamics": ("contact", DYNAMICS_CONTACT)}
REFERENCES = {
    "salesforce": {"AccountId": ["Account"], "OwnerId": ["User"], "CreatedById": ["User"],
                   "LastModifiedById": ["User"]},
    "dynamics": {"cr8a1_loyaltyprogramid": ["cr8a1_loyaltyprogram"], "ownerid": ["systemuser", "team"],
                 "parentcustomerid": ["account", "contact"]},
}


def test_every_crm_type_of_the_demo_contact_lands_in_the_expected_column_type(crm_account):
    table, expected = EXPECTED[crm_account.crm_type]
    schema = generate(crm_account, table)
    index = 1 if connection.vendor == "postgresql" else 2
    assert column_types(schema.table_name) == {column: types[index] for column, types in expected.items()}
    crm_types = {f.column_name: f.crm_type for f in schema.fields.exclude(column_name__in=("crm_id", "crm_modstamp"))}
    assert crm_types == {column: types[0] for column, types in expected.items() if types[0]}


def test_lookups_are_crm_id_text_with_their_targets_recorded(crm_account, admin_api):
    table, _ = EXPECTED[crm_account.crm_type]
    schema = generate(crm_account, table)
    references = {f.crm_name: f.references for f in schema.fields.all() if f.references}
    assert references == REFERENCES[crm_account.crm_type]
    assert {f.type for f in schema.fields.filter(crm_name__in=references)} == {"reference"}
    detail = admin_api.get(f"/api/schemas/{schema.pk}/").json()
    shown = {f["crm_name"]: (f["references"], f["column_type"]) for f in detail["fields"] if f["references"]}
    assert shown == {name: (targets, "varchar(64)") for name, targets in REFERENCES[crm_account.crm_type].items()}


def test_multi_select_values_round_trip_as_a_list(crm_account):
    table, _ = EXPECTED[crm_account.crm_type]
    schema = generate(crm_account, table)
    column = "interests_c" if crm_account.crm_type == "salesforce" else "cr8a1_interests"
    model = model_for(schema)
    model.objects.create(crm_id="multi-1", **{column: ["Yoga", "Running"]})
    assert getattr(model.objects.get(crm_id="multi-1"), column) == ["Yoga", "Running"]
