"""Every Salesforce connector operation against the emulator over HTTPS: results,
exact API call counts, and behaviour under each fault the emulator can inject."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors import registry
from connectors.base import AccountConfig
from connectors.errors import ApiLimitReached, InvalidRequest
from connectors.retry import RetryPolicy
from connectors.salesforce.connector import SalesforceConnector
from connectors.types import Condition, FieldType, Op, ReadRequest, WriteMode

CONTACT_FIELDS = ("FirstName", "LastName", "Email", "Birthdate", "Lifetime_Value__c", "Discount__c", "Score__c",
                  "Visit_Count__c", "Interests__c", "Last_Purchase__c", "VIP__c", "AccountId", "External_Id__c")


def connector_with(config: AccountConfig, sleeps, **changes) -> SalesforceConnector:
    settings = {**config.settings, **changes.pop("settings", {})}
    secrets = {**config.secrets, **changes.pop("secrets", {})}
    fields = {**config.__dict__, "settings": settings, "secrets": secrets, **changes}
    return SalesforceConnector(AccountConfig(**fields), retry_policy=RetryPolicy(attempts=4, initial_wait=0.01, max_wait=5), sleep=sleeps)


def all_records(pages) -> list[dict]:
    return [record for page in pages for record in page.records]


def test_connector_is_registered_with_its_settings():
    cls = registry.get("salesforce")
    assert cls is SalesforceConnector and cls.label == "Salesforce"
    assert cls.default_server_url == "https://login.salesforce.com" and cls.default_api_version == "62.0"
    assert set(cls.secret_names()) == {"password", "security_token", "consumer_secret", "refresh_token", "private_key"}


# --- connection ------------------------------------------------------------------------
def test_test_connection_reports_instance_version_and_usage(salesforce_connector, salesforce_emulator):
    result = salesforce_connector.test_connection()
    assert result.ok is True
    assert result.detail == f"Connected to {salesforce_emulator.url} with API v62.0; 1 of 100000 daily API requests used."


def test_wrong_password_is_explained_without_revealing_it(salesforce_config, recorded_sleeps):
    connector = connector_with(salesforce_config, recorded_sleeps, secrets={"password": "wrong-password-not-real"})
    result = connector.test_connection()
    assert result.ok is False
    assert result.detail == "INVALID_LOGIN: Salesforce refused the login: Invalid username, password, security token; or user locked out."
    assert "wrong-password" not in result.detail and recorded_sleeps == []


def test_untrusted_certificate_is_explained(salesforce_config, recorded_sleeps):
    connector = connector_with(salesforce_config, recorded_sleeps, ca_pem="")
    result = connector.test_connection()
    assert result.ok is False and result.detail.startswith("TLS certificate not trusted")


@pytest.mark.parametrize("flow, extra", [
    ("password", {"consumer_key": "demo-consumer-key"}),
    ("client_credentials", {"consumer_key": "demo-consumer-key"}),
    ("refresh_token", {"consumer_key": "demo-consumer-key"}),
])
def test_oauth_flows_log_in(salesforce_config, salesforce_emulator, recorded_sleeps, flow, extra):
    secrets = {"consumer_secret": "demo-consumer-secret-not-real", "refresh_token": "demo-refresh-token-not-real"}
    connector = connector_with(salesforce_config, recorded_sleeps, settings={"auth_flow": flow, **extra}, secrets=secrets)
    assert connector.test_connection().ok is True
    assert salesforce_emulator.calls("oauth_token") == 1 and salesforce_emulator.calls("soap_login") == 0


def test_jwt_bearer_flow_logs_in_with_the_connected_app_key(salesforce_config, salesforce_emulator, recorded_sleeps):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    salesforce_emulator.credentials.jwt_public_key = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    connector = connector_with(salesforce_config, recorded_sleeps, settings={"auth_flow": "jwt_bearer", "consumer_key": "demo-consumer-key"},
                               secrets={"private_key": private})
    assert connector.test_connection().ok is True


# --- introspection --------------------------------------------------------------------------
def test_list_tables_flags_custom_objects(salesforce_connector):
    tables = {t.name: t for t in salesforce_connector.list_tables()}
    assert tables["Loyalty_Program__c"].custom is True and tables["Contact"].custom is False
    assert tables["Loyalty_Program__c"].label == "Programme de fidélité"


def test_describe_tables_batches_through_one_composite_call(salesforce_connector, salesforce_emulator):
    names = ["Account", "Contact", "Lead", "Opportunity", "Campaign", "CampaignMember", "Loyalty_Program__c", "User"]
    described = salesforce_connector.describe_tables(names)
    assert set(described) == set(names)
    assert salesforce_emulator.calls("composite") == math.ceil(len(names) / 25)
    assert salesforce_emulator.calls("describe") == 0
    contact = described["Contact"]
    assert (contact.id_field, contact.modstamp_field) == ("Id", "SystemModstamp")
    assert contact.field("Lifetime_Value__c").type is FieldType.DECIMAL and contact.field("Lifetime_Value__c").scale == 2
    assert contact.field("Description").type is FieldType.TEXT
    assert contact.field("AccountId").references == ("Account",)
    assert contact.field("External_Id__c").external_id is True
    assert contact.field("Name").read_only is True and contact.field("Visit_Count__c").type is FieldType.INTEGER
    assert contact.field("Interests__c").enumeration == "Contact.Interests__c"


def test_describe_of_an_unknown_table_is_an_invalid_request(salesforce_connector):
    with pytest.raises(InvalidRequest) as caught:
        salesforce_connector.describe_tables(["Nope__c"])
    assert caught.value.code == "NOT_FOUND"


def test_enumerations_carry_dependencies_inactive_values_and_restrictions(salesforce_connector):
    enums = {e.key: e for e in salesforce_connector.list_enumerations(["Contact", "Loyalty_Program__c"])}
    sub_region = enums["Contact.Sub_Region__c"]
    assert sub_region.controlling_field == "Region__c"
    assert {v.value: v.valid_for for v in sub_region.values}["日本"] == ("APAC",)
    assert {v.value: v.active for v in enums["Contact.LeadSource"].values}["Word of mouth"] is False
    assert enums["Contact.Level__c"].restricted is True and enums["Contact.Interests__c"].multi_select is True
    assert [v.label for v in enums["Loyalty_Program__c.Tier__c"].values] == ["ブロンズ", "シルバー", "ゴールド", "プラチナ"]


# --- reading -----------------------------------------------------------------------------------
def test_read_returns_python_types(salesforce_connector):
    records = all_records(salesforce_connector.read(ReadRequest("Contact", CONTACT_FIELDS, (Condition("External_Id__c", Op.EQ, "CRM-0001"),))))
    assert len(records) == 1
    record = records[0]
    assert record["Birthdate"] == date(1985, 4, 12)
    assert record["Lifetime_Value__c"] == Decimal("1234.56") and record["Discount__c"] == Decimal("12.5")
    assert record["Score__c"] == Decimal("87.1234") and record["Visit_Count__c"] == 42
    assert record["Interests__c"] == ["Running", "Yoga"] and record["VIP__c"] is True
    assert record["Last_Purchase__c"] == datetime(2024, 3, 1, 10, 15, tzinfo=timezone.utc)
    assert record["SystemModstamp"].tzinfo is timezone.utc and record["AccountId"].startswith("001")


def test_reading_n_records_costs_ceil_n_over_2000_query_pages(salesforce_connector, salesforce_emulator):
    salesforce_emulator.generate("Contact", 4496)
    salesforce_emulator.reset_calls()
    pages = list(salesforce_connector.read(ReadRequest("Contact", ("Email",))))
    n = 4500
    assert len(all_records(pages)) == n and len({r["Id"] for r in all_records(pages)}) == n
    assert salesforce_emulator.calls("query") + salesforce_emulator.calls("query_more") == math.ceil(n / 2000)
    # One login and one (composite) describe besides the pages.
    assert salesforce_emulator.call_counts() == {"soap_login": 1, "composite": 1, "query": 1, "query_more": 2}
    assert salesforce_connector.api_usage().calls == math.ceil(n / 2000) + 2
    assert salesforce_connector.api_usage().used == math.ceil(n / 2000) + 1


def test_watermarks_never_decrease_and_end_at_the_highest_stamp(salesforce_connector, salesforce_emulator):
    salesforce_emulator.generate("Contact", 4496)
    pages = list(salesforce_connector.read(ReadRequest("Contact", ())))
    marks = [page.watermark for page in pages]
    assert marks == sorted(marks)
    assert marks[-1] == max(r["SystemModstamp"] for r in all_records(pages))


def test_incremental_read_picks_up_rows_changed_during_previous_run(salesforce_connector, salesforce_emulator):
    ids = salesforce_emulator.generate("Contact", 2500)
    pages = salesforce_connector.read(ReadRequest("Contact", ("Title",)))
    first = next(pages)
    salesforce_emulator.update("Contact", first.records[0]["Id"], {"Title": "Changed while reading"})
    rest = list(pages)
    watermark = rest[-1].watermark
    later = all_records(salesforce_connector.read(ReadRequest("Contact", ("Title",), since=watermark)))
    assert first.records[0]["Id"] in {r["Id"] for r in later}
    assert {r["Id"]: r["Title"] for r in later}[first.records[0]["Id"]] == "Changed while reading"


def test_incremental_read_applies_the_overlap(salesforce_connector, salesforce_emulator):
    salesforce_emulator.generate("Contact", 10)
    records = all_records(salesforce_connector.read(ReadRequest("Contact", ())))
    newest = max(r["SystemModstamp"] for r in records)
    again = all_records(salesforce_connector.read(ReadRequest("Contact", (), since=newest)))
    # Everything changed within the 300 s overlap comes back; duplicates are harmless.
    assert {r["Id"] for r in again} == {r["Id"] for r in records}


def test_filters_cannot_inject_soql(salesforce_connector):
    hostile = Condition("LastName", Op.EQ, "x' OR LastName != 'x")
    assert all_records(salesforce_connector.read(ReadRequest("Contact", (), (hostile,)))) == []
    assert len(all_records(salesforce_connector.read(ReadRequest("Contact", (), (Condition("LastName", Op.EQ, "O'Brien"),))))) == 1
    with pytest.raises(InvalidRequest):
        list(salesforce_connector.read(ReadRequest("Contact", ("Id FROM Account --",))))
    with pytest.raises(InvalidRequest):
        list(salesforce_connector.read(ReadRequest("Contact", (), (Condition("Visit_Count__c", Op.GT, "1 OR Id != null"),))))


def test_structured_conditions(salesforce_connector):
    read = lambda *conditions: {r["LastName"] for r in all_records(salesforce_connector.read(ReadRequest("Contact", ("LastName",), conditions)))}
    assert read(Condition("LastName", Op.STARTS_WITH, "O'")) == {"O'Brien"}
    assert read(Condition("Email", Op.CONTAINS, "example.jp")) == {"山田"}
    assert read(Condition("Birthdate", Op.IS_NULL, False)) == {"Lefèvre"}
    assert read(Condition("Interests__c", Op.CONTAINS, "Hiking")) == {"山田"}
    assert read(Condition("Lifetime_Value__c", Op.GE, Decimal("100")), Condition("VIP__c", Op.EQ, True)) == {"Lefèvre"}
    assert read(Condition("LastName", Op.IN, ["Nguyễn", "山田"])) == {"Nguyễn", "山田"}
    assert read(Condition("Last_Purchase__c", Op.LT, datetime(2025, 1, 1, tzinfo=timezone.utc))) == {"Lefèvre"}


def test_read_by_ids(salesforce_connector, salesforce_emulator):
    ids = salesforce_emulator.generate("Contact", 650)
    records = all_records(salesforce_connector.read(ReadRequest("Contact", ("Email",), ids=tuple(ids[:610]))))
    assert sorted(r["Id"] for r in records) == sorted(ids[:610])
    assert salesforce_emulator.calls("query") == math.ceil(610 / 300)


def test_large_reads_switch_to_bulk_api_2(salesforce_config, salesforce_emulator, recorded_sleeps):
    connector = connector_with(salesforce_config, recorded_sleeps, settings={"bulk_read_threshold": "3000"})
    salesforce_emulator.generate("Contact", 4496)
    pages = list(connector.read(ReadRequest("Contact", ("Email", "VIP__c", "Birthdate"))))
    records = all_records(pages)
    assert len({r["Id"] for r in records}) == 4500 and len(records) == 4500 + 2000  # first REST page read twice
    assert salesforce_emulator.calls("query") == 1 and salesforce_emulator.calls("query_more") == 0
    assert salesforce_emulator.calls("bulk_query_create") == 1 and salesforce_emulator.calls("bulk_query_results") == 1
    assert isinstance(records[-1]["VIP__c"], bool) and isinstance(records[-1]["Birthdate"], date)
    assert pages[-1].watermark == max(r["SystemModstamp"] for r in records)


# --- deletions ------------------------------------------------------------------------------------
def test_read_deleted_uses_get_deleted_inside_the_window(salesforce_connector, salesforce_emulator):
    first = list(salesforce_connector.read_deleted("Contact", None))
    contact = salesforce_emulator.create("Contact", {"LastName": "Supprimé"})
    salesforce_emulator.advance_clock(minutes=1)
    salesforce_emulator.delete("Contact", contact)
    salesforce_emulator.advance_clock(minutes=2)
    salesforce_connector.list_tables()  # any answer tells the connector the org's time
    pages = list(salesforce_connector.read_deleted("Contact", first[-1].watermark))
    assert [r.id for r in pages[0].records] == [contact]
    assert pages[0].complete is True and pages[0].watermark > first[-1].watermark
    assert salesforce_emulator.calls("get_deleted") == 2


def test_read_deleted_within_the_same_minute_makes_no_call(salesforce_connector, salesforce_emulator):
    watermark = list(salesforce_connector.read_deleted("Contact", None))[-1].watermark
    pages = list(salesforce_connector.read_deleted("Contact", watermark))
    assert (pages[0].records, pages[0].watermark, pages[0].complete) == ([], watermark, True)
    assert salesforce_emulator.calls("get_deleted") == 1


def test_read_deleted_beyond_the_window_falls_back_to_the_recycle_bin_and_asks_for_reconciliation(salesforce_connector, salesforce_emulator):
    watermark = list(salesforce_connector.read_deleted("Contact", None))[-1].watermark
    kept, purged = salesforce_emulator.create("Contact", {"LastName": "Kept"}), salesforce_emulator.create("Account", {"Name": "x"})
    salesforce_emulator.delete("Contact", kept)
    salesforce_emulator.advance_clock(days=16)
    salesforce_connector.list_tables()  # any answer tells the connector the org's time
    pages = list(salesforce_connector.read_deleted("Contact", watermark))
    assert [r.id for r in pages[-1].records] == [kept]
    assert pages[-1].complete is False
    assert "INVALID_REPLICATION_DATE" in pages[-1].detail and "reconcile the full set of Ids" in pages[-1].detail
    salesforce_emulator.empty_recycle_bin()
    emptied = list(salesforce_connector.read_deleted("Contact", watermark))
    assert emptied[-1].records == [] and emptied[-1].complete is False


def test_a_purged_delete_log_also_falls_back(salesforce_connector, salesforce_emulator):
    watermark = list(salesforce_connector.read_deleted("Contact", None))[-1].watermark
    salesforce_emulator.advance_clock(minutes=5)
    salesforce_emulator.purge_delete_log("Contact")
    salesforce_connector.list_tables()
    pages = list(salesforce_connector.read_deleted("Contact", watermark))
    assert pages[-1].complete is False and salesforce_emulator.calls("query_all") == 1


# --- writing -----------------------------------------------------------------------------------------
def test_writing_n_records_costs_ceil_n_over_200_collection_calls(salesforce_connector, salesforce_emulator):
    n = 4500
    results = salesforce_connector.write("Contact", [{"LastName": f"Nom {i}", "Email": f"c{i}@example.com"} for i in range(n)], WriteMode.CREATE)
    assert len(results) == n and all(r.success and r.created and r.id.startswith("003") for r in results)
    assert salesforce_emulator.calls("collections_create") == math.ceil(n / 200)
    assert salesforce_emulator.count("Contact") == 4 + n


def test_write_returns_each_records_crm_error_in_order(salesforce_connector):
    results = salesforce_connector.write("Contact", [
        {"LastName": "Bon", "Birthdate": date(1990, 1, 2), "Lifetime_Value__c": Decimal("10.25"), "Interests__c": ["Yoga", "Hiking"]},
        {"FirstName": "Sans nom"}, {"LastName": "X", "Level__c": "Quaternary"}, {"LastName": "Y", "Email": "nope"},
    ], WriteMode.CREATE)
    assert [r.success for r in results] == [True, False, False, False]
    assert [r.errors[0].code for r in results[1:]] == ["REQUIRED_FIELD_MISSING", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "INVALID_EMAIL_ADDRESS"]
    assert results[1].errors[0].fields == ("LastName",)
    assert results[1].errors[0].message == "Required fields are missing: [LastName]"


def test_upsert_by_external_id_and_update_by_id(salesforce_connector, salesforce_emulator):
    results = salesforce_connector.write("Contact", [{"External_Id__c": "CRM-0001", "Title": "CMO"}, {"External_Id__c": "CRM-NEW", "LastName": "Neuf"}],
                                         WriteMode.UPSERT, key="External_Id__c")
    assert [(r.success, r.created) for r in results] == [(True, False), (True, True)]
    updated = salesforce_connector.write("Contact", [{"Id": results[1].id, "Title": "Directeur"}], WriteMode.UPDATE)
    assert updated[0].success and salesforce_emulator.get("Contact", results[1].id)["Title"] == "Directeur"
    with pytest.raises(Exception) as caught:
        salesforce_connector.write("Contact", [{"Email": "x@example.com"}], WriteMode.UPSERT, key="Email")
    assert "not an external id" in str(caught.value)


def test_all_or_none_writes_nothing_when_one_record_fails(salesforce_connector, salesforce_emulator):
    results = salesforce_connector.write("Contact", [{"LastName": "Ok"}, {"FirstName": "Missing"}], WriteMode.CREATE, all_or_none=True)
    assert [r.errors[0].code for r in results] == ["ALL_OR_NONE_OPERATION_ROLLED_BACK", "REQUIRED_FIELD_MISSING"]
    assert salesforce_emulator.count("Contact") == 4


def test_large_writes_use_a_bulk_ingest_job_with_results_in_order(salesforce_config, salesforce_emulator, recorded_sleeps):
    connector = connector_with(salesforce_config, recorded_sleeps, settings={"bulk_write_threshold": "100"})
    records = [{"LastName": f"Bulk {i}", "External_Id__c": f"B-{i}"} for i in range(150)]
    records[70] = {"LastName": "Mauvais", "External_Id__c": "B-70", "Level__c": "Nope"}
    results = connector.write("Contact", records, WriteMode.UPSERT, key="External_Id__c")
    assert [r.success for r in results].count(True) == 149 and results[70].success is False
    assert results[70].errors[0].code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" and results[70].errors[0].fields == ("Level__c",)
    assert all(r.created for i, r in enumerate(results) if i != 70)
    assert salesforce_emulator.get("Contact", results[3].id)["External_Id__c"] == "B-3"
    assert salesforce_emulator.calls("bulk_ingest_create") == 1 and salesforce_emulator.calls("collections_upsert") == 0


def test_delete_in_batches_of_200_with_per_record_results(salesforce_connector, salesforce_emulator):
    ids = salesforce_emulator.generate("Contact", 450)
    results = salesforce_connector.delete("Contact", [*ids, "003notanid"])
    assert [r.success for r in results] == [True] * 450 + [False]
    assert results[-1].errors[0].code == "MALFORMED_ID"
    assert salesforce_emulator.calls("collections_delete") == math.ceil(451 / 200)
    assert salesforce_emulator.count("Contact") == 4


# --- limits -----------------------------------------------------------------------------------------
def test_stops_before_passing_its_share_of_the_daily_quota(salesforce_connector, salesforce_emulator):
    salesforce_emulator.set_api_usage(used=88, daily=100)
    salesforce_connector.list_tables()  # usage is now 89 of 100
    salesforce_connector.list_tables()  # 90: the 90% share is reached
    with pytest.raises(ApiLimitReached) as caught:
        salesforce_connector.list_tables()
    assert "Stopped before passing 90% of the org's daily API allocation: 90 of 100" in str(caught.value)
    assert salesforce_emulator.api_usage == (90, 100)


def test_request_limit_exceeded_stops_without_retrying(salesforce_config, salesforce_emulator, recorded_sleeps):
    connector = connector_with(salesforce_config, recorded_sleeps, api_budget_share=1.0)
    salesforce_emulator.set_api_usage(used=100, daily=100)
    with pytest.raises(ApiLimitReached) as caught:
        connector.list_tables()
    assert caught.value.code == "REQUEST_LIMIT_EXCEEDED" and recorded_sleeps == []


# --- id listing (reconciliation audits) --------------------------------------------------------
def test_listing_ids_costs_ceil_n_over_2000_id_only_pages(salesforce_connector, salesforce_emulator):
    salesforce_emulator.generate("Contact", 4496)
    salesforce_emulator.reset_calls()
    ids = [i for page in salesforce_connector.list_ids("Contact") for i in page]
    assert len(ids) == len(set(ids)) == 4500
    assert salesforce_emulator.call_counts() == {"soap_login": 1, "composite": 1, "query": 1, "query_more": 2}


def test_listing_ids_of_a_large_table_uses_one_bulk_query_job(salesforce_config, salesforce_emulator, recorded_sleeps):
    connector = connector_with(salesforce_config, recorded_sleeps, settings={"bulk_read_threshold": "3000"})
    salesforce_emulator.generate("Contact", 4496)
    ids = {i for page in connector.list_ids("Contact") for i in page}
    assert len(ids) == 4500
    assert salesforce_emulator.calls("query") == 1 and salesforce_emulator.calls("query_more") == 0
    assert salesforce_emulator.calls("bulk_query_create") == 1 and salesforce_emulator.calls("bulk_query_results") == 1


def test_a_value_changed_without_a_stamp_keeps_systemmodstamp(salesforce_connector, salesforce_emulator):
    record_id = salesforce_emulator.create("Contact", {"LastName": "Formula"})
    before = salesforce_emulator.get("Contact", record_id)
    salesforce_emulator.set_without_stamp("Contact", record_id, {"Title": "Recomputed"})
    after = salesforce_emulator.get("Contact", record_id)
    assert after["Title"] == "Recomputed" and after["SystemModstamp"] == before["SystemModstamp"]
