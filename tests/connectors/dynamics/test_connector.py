"""The Dynamics 365 connector against the emulator over HTTPS: every operation,
each fault it must survive, and the exact number of calls it makes."""

from __future__ import annotations

import json
import math
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connectors.dynamics.connector import DynamicsConnector
from connectors.dynamics.emulator import credentials as demo
from connectors.dynamics.reading import OVERLAP
from connectors.emulator_kit.instrumentation import Fault
from connectors.errors import AuthenticationFailed, ConnectorError, InvalidRequest
from connectors.retry import RetryPolicy
from connectors.types import Condition, FieldType, Op, ReadRequest, WriteMode

CONTACT_1 = "c0000000-0000-4000-8000-000000000001"
CONTACT_2 = "c0000000-0000-4000-8000-000000000002"
ACCOUNT_1 = "a0000000-0000-4000-8000-000000000001"
FIELDS = ("firstname", "lastname", "emailaddress1", "preferredcontactmethodcode", "cr8a1_interests", "birthdate",
          "lastusedincampaign", "creditlimit", "cr8a1_loyaltyscore", "cr8a1_engagementrate", "numberofchildren",
          "cr8a1_lifetimepoints", "donotemail", "description", "parentcustomerid", "cr8a1_externalid", "statecode",
          "statuscode", "modifiedon")
AUTH_CALLS = 2  # the tenant's OpenID configuration, then one token


def rows(pages) -> list[dict]:
    return [record for page in pages for record in page.records]


# --- connection and authentication -------------------------------------------------------
def test_connection_costs_three_calls_all_to_the_configured_host(dynamics_connector, dataverse):
    connector = dynamics_connector()
    result = connector.test_connection()
    assert result.ok and f"as user {demo.USER_OBJECT_ID}" in result.detail
    assert dataverse.instrumentation.snapshot() == {"openid-configuration": 1, "token": 1, "GET WhoAmI": 1}
    assert connector.api_usage().calls == 3


@pytest.mark.parametrize("auth_type", ["client_secret", "certificate", "password"])
def test_every_auth_type_connects(dynamics_connector, dataverse, auth_type):
    assert dynamics_connector(auth_type=auth_type).test_connection().ok


def test_certificate_private_key_may_be_given_base64_encoded(dynamics_connector, dataverse):
    import base64

    encoded = base64.b64encode(dataverse.identity.certificate.private_key_pem.encode()).decode()
    assert dynamics_connector(auth_type="certificate", private_key=encoded).test_connection().ok


@pytest.mark.parametrize("overrides, code", [
    ({"client_secret": "wrong-secret-value"}, "AADSTS7000215"),
    ({"tenant_id": "no-such-tenant"}, "AADSTS90002"),
    ({"auth_type": "password", "password": "wrong-password-value"}, "AADSTS50126"),
    ({"client_id": "00000000-0000-4000-8000-000000000000"}, "AADSTS700016"),
])
def test_refused_credentials_are_explained_with_the_aadsts_code(dynamics_connector, dataverse, overrides, code):
    result = dynamics_connector(**overrides).test_connection()
    assert not result.ok and f"{code}:" in result.detail
    assert "wrong-secret-value" not in result.detail and "wrong-password-value" not in result.detail


def test_unreachable_organisation_is_explained(dataverse_config):
    config = dataverse_config(authority_host="https://localhost:1")
    result = DynamicsConnector(config, retry_policy=RetryPolicy(attempts=2, initial_wait=0.01)).test_connection()
    assert not result.ok and "connection refused" in result.detail


def test_tokens_are_cached_between_operations(dynamics_connector, dataverse):
    connector = dynamics_connector()
    connector.test_connection()
    connector.list_tables()
    connector.test_connection()
    assert dataverse.calls("token") == 1 and dataverse.calls("openid-configuration") == 1


def test_expired_token_is_reacquired_once_on_401(dynamics_connector, dataverse):
    connector = dynamics_connector()
    connector.test_connection()
    dataverse.revoke_tokens()
    assert connector.test_connection().ok
    assert dataverse.calls("token") == 2 and dataverse.calls("GET WhoAmI") == 3


def test_persistent_401_fails_after_one_new_token(dynamics_connector, dataverse):
    connector = dynamics_connector()
    connector.test_connection()
    dataverse.inject(Fault(kind="status", status=401, path="WhoAmI", count=2, body=""))
    with pytest.raises(AuthenticationFailed):
        connector.client.get_json(f"{connector.client.api_url}/WhoAmI")
    assert dataverse.calls("token") == 2


# --- introspection ---------------------------------------------------------------------------
def test_list_tables_flags_custom_entities_and_change_tracking(dynamics_connector, dataverse):
    tables = {table.name: table for table in dynamics_connector().list_tables()}
    assert set(tables) == {"contact", "account", "lead", "opportunity", "systemuser", "cr8a1_loyaltyprogram"}
    assert tables["cr8a1_loyaltyprogram"].custom and tables["cr8a1_loyaltyprogram"].label == "Loyalty Program"
    assert not tables["contact"].custom and not tables["lead"].tracks_changes


def test_describe_maps_dataverse_types_to_normalized_fields(dynamics_connector, dataverse):
    connector = dynamics_connector()
    contact = connector.describe_tables(["contact", "cr8a1_loyaltyprogram"])["contact"]
    assert (contact.id_field, contact.modstamp_field, contact.tracks_changes) == ("contactid", "modifiedon", True)
    kinds = {field.name: field.type for field in contact.fields}
    assert kinds["contactid"] == FieldType.ID and kinds["description"] == FieldType.TEXT
    assert kinds["birthdate"] == FieldType.DATE and kinds["lastusedincampaign"] == FieldType.DATETIME
    assert kinds["cr8a1_interests"] == FieldType.MULTI_ENUM and kinds["statuscode"] == FieldType.ENUM
    assert kinds["cr8a1_lifetimepoints"] == FieldType.BIGINT and kinds["cr8a1_engagementrate"] == FieldType.FLOAT
    credit = contact.field("creditlimit")
    assert (credit.type, credit.precision, credit.scale, credit.crm_type) == (FieldType.DECIMAL, 23, 2, "Money")
    assert contact.field("parentcustomerid").references == ("account", "contact")
    assert contact.field("lastname").length == 50 and not contact.field("lastname").nullable
    assert contact.field("cr8a1_externalid").external_id and contact.field("fullname").read_only
    assert contact.field("preferredcontactmethodcode").enumeration == "contact.preferredcontactmethodcode"
    assert dataverse.calls("batch") == 1 and dataverse.calls("GET EntityDefinitions") == 0  # both in one $batch


def test_enumerations_of_several_tables_come_in_one_batch_call(dynamics_connector, dataverse):
    connector = dynamics_connector()
    enumerations = {e.key: e for e in connector.list_enumerations(["contact", "lead"])}
    assert dataverse.calls("batch") == 1 and dataverse.calls("GET EntityDefinitions") == 2
    interests = enumerations["contact.cr8a1_interests"]
    assert interests.multi_select and interests.global_name == "cr8a1_interest"
    travel = interests.values[2]
    assert (travel.value, travel.label, travel.labels) == ("100000002", "Travel", {"1033": "Travel", "1036": "Voyage", "1028": "旅行"})
    status = enumerations["lead.statuscode"]
    assert status.controlling_field == "statecode"
    assert [(v.value, v.valid_for) for v in status.values] == [("1", ("0",)), ("2", ("0",)), ("3", ("1",)),
                                                              ("4", ("2",)), ("5", ("2",))]
    assert enumerations["contact.preferredcontactmethodcode"].global_name is None
    donotemail = enumerations["contact.donotemail"]  # a two-option Boolean with its own labels
    assert [(v.value, v.label, v.labels["1036"]) for v in donotemail.values] == [("0", "No", "Non"), ("1", "Yes", "Oui")]


# --- reading -----------------------------------------------------------------------------------
def test_read_returns_python_types(dynamics_connector, dataverse):
    [page] = list(dynamics_connector().read(ReadRequest("contact", FIELDS)))
    ada = next(record for record in page.records if record["contactid"] == CONTACT_1)
    assert ada["firstname"] == "Ada" and ada["preferredcontactmethodcode"] == "1"
    assert ada["cr8a1_interests"] == ["100000000"] and ada["birthdate"] == date(1970, 1, 10)
    assert ada["lastusedincampaign"] == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert ada["creditlimit"] == Decimal("1000.25") and isinstance(ada["cr8a1_loyaltyscore"], Decimal)
    assert ada["cr8a1_engagementrate"] == pytest.approx(0.12345) and ada["numberofchildren"] == 0
    assert ada["cr8a1_lifetimepoints"] == 10_000_000_000 and ada["donotemail"] is False
    assert ada["parentcustomerid"] == ACCOUNT_1 and ada["statecode"] == "0" and ada["statuscode"] == "1"
    assert ada["description"] == "Première ligne\nsecond line — 第三行"
    assert page.watermark == max(record["modifiedon"] for record in page.records)
    assert page.cursor is None and "$deltatoken=" in page.bookmark


def test_reading_n_rows_costs_ceil_n_over_5000_pages(dynamics_connector, dataverse):
    dataverse.seed_rows("contact", 12_000)
    connector = dynamics_connector()
    pages = list(connector.read(ReadRequest("contact", ("firstname", "lastname", "cr8a1_interests", "creditlimit"))))
    total = 12_006
    assert [len(page.records) for page in pages] == [5000, 5000, 2006]
    assert len({record["contactid"] for record in rows(pages)}) == total
    assert dataverse.calls("GET contacts") == math.ceil(total / 5000) == 3
    assert connector.api_usage().calls == AUTH_CALLS + 1 + 3  # + the entity's metadata
    assert "$deltatoken=" in pages[-1].bookmark and all(page.bookmark is None for page in pages[:-1])
    assert [page.watermark is None for page in pages] == [True, True, False]
    assert all("$skiptoken=" in page.cursor for page in pages[:-1]) and pages[-1].cursor is None


def test_incremental_read_by_change_tracking_returns_only_changes(dynamics_connector, dataverse):
    connector = dynamics_connector()
    first = list(connector.read(ReadRequest("contact", ("firstname", "lastname"))))
    created = dataverse.create_record("contact", {"firstname": "Nouvelle", "lastname": "Personne"})
    dataverse.update_record("contact", CONTACT_2, {"firstname": "Bruno-Changed"})
    dataverse.delete_record("contact", CONTACT_1)
    second = list(connector.read(ReadRequest("contact", ("firstname", "lastname"), cursor=first[-1].bookmark)))
    assert [(r["contactid"], r["firstname"]) for r in rows(second)] == [(CONTACT_2, "Bruno-Changed"), (created, "Nouvelle")] \
        or [(r["contactid"], r["firstname"]) for r in rows(second)] == [(created, "Nouvelle"), (CONTACT_2, "Bruno-Changed")]
    third = list(connector.read(ReadRequest("contact", ("firstname", "lastname"), cursor=second[-1].bookmark)))
    assert rows(third) == [] and "$deltatoken=" in third[-1].bookmark


def test_a_cursor_for_other_fields_starts_a_full_read(dynamics_connector, dataverse):
    connector = dynamics_connector()
    first = list(connector.read(ReadRequest("contact", ("firstname",))))
    again = list(connector.read(ReadRequest("contact", ("firstname", "jobtitle"), cursor=first[-1].bookmark)))
    assert len(rows(again)) == 6 and rows(again)[0]["jobtitle"] == "Buyer"


def test_an_expired_delta_token_falls_back_to_a_full_read(dynamics_connector, dataverse):
    connector = dynamics_connector()
    first = list(connector.read(ReadRequest("contact", ("firstname",))))
    dataverse.expire_delta_tokens()
    again = list(connector.read(ReadRequest("contact", ("firstname",), cursor=first[-1].bookmark)))
    assert len(rows(again)) == 6 and "$deltatoken=" in again[-1].bookmark


def test_incremental_read_without_change_tracking_uses_modifiedon_with_an_overlap(dynamics_connector, dataverse):
    connector = dynamics_connector()
    before = (datetime.now(timezone.utc) + timedelta(seconds=1)).replace(microsecond=0)
    time.sleep((before - datetime.now(timezone.utc)).total_seconds())  # modifiedon filters are to the second
    lead_id = dataverse.create_record("lead", {"subject": "Fresh lead", "lastname": "Neu"})
    pages = list(connector.read(ReadRequest("lead", ("subject",), since=before + OVERLAP)))
    assert [record["leadid"] for record in rows(pages)] == [lead_id]
    assert pages[-1].bookmark is None and pages[-1].watermark >= before
    everything = list(connector.read(ReadRequest("lead", ("subject",), since=before + OVERLAP - timedelta(hours=1))))
    assert len(rows(everything)) == 4


def test_read_with_conditions_and_ids(dynamics_connector, dataverse):
    connector = dynamics_connector()
    dataverse.create_record("contact", {"firstname": "Seán", "lastname": "O'Neill"})
    quoted = rows(connector.read(ReadRequest("contact", ("firstname",), conditions=(
        Condition("lastname", Op.EQ, "O'Neill"),))))
    assert [r["firstname"] for r in quoted] == ["Seán"]
    injected = rows(connector.read(ReadRequest("contact", ("firstname",), conditions=(
        Condition("lastname", Op.EQ, "x' or lastname ne 'x"),))))
    assert injected == []
    by_id = rows(connector.read(ReadRequest("contact", ("lastname",), ids=(CONTACT_1, CONTACT_2))))
    assert sorted(r["lastname"] for r in by_id) == ["Lovelace", "Martin"]
    with pytest.raises(InvalidRequest):
        list(connector.read(ReadRequest("contact", ("nosuchfield",))))


# --- deletions ---------------------------------------------------------------------------------
def test_deletions_come_from_delta_links(dynamics_connector, dataverse):
    connector = dynamics_connector()
    [baseline] = list(connector.read_deleted("contact", None))
    assert baseline.records == [] and baseline.complete and "$deltatoken=" in baseline.watermark
    dataverse.delete_record("contact", CONTACT_1)
    dataverse.update_record("contact", CONTACT_2, {"jobtitle": "still here"})
    pages = list(connector.read_deleted("contact", baseline.watermark))
    assert [record.id for page in pages for record in page.records] == [CONTACT_1]
    assert pages[-1].complete and pages[-1].watermark != baseline.watermark
    assert [r.id for p in connector.read_deleted("contact", pages[-1].watermark) for r in p.records] == []


def test_deletions_cannot_be_detected_without_change_tracking(dynamics_connector, dataverse):
    [page] = list(dynamics_connector().read_deleted("lead", None))
    assert page.complete is False and page.records == []
    assert "change tracking is not enabled" in page.detail and "'lead'" in page.detail
    assert dataverse.calls("GET leads") == 0


def test_expired_delta_token_for_deletions_asks_for_reconciliation(dynamics_connector, dataverse):
    connector = dynamics_connector()
    [baseline] = list(connector.read_deleted("contact", None))
    dataverse.expire_delta_tokens()
    [page] = list(connector.read_deleted("contact", baseline.watermark))
    assert not page.complete and "reconcile" in page.detail and "0x80044352" in page.detail
    assert "$deltatoken=" in page.watermark


# --- writing -------------------------------------------------------------------------------------
def test_create_writes_python_values_and_lookups(dynamics_connector, dataverse):
    connector = dynamics_connector()
    [result] = connector.write("contact", [{
        "firstname": "Zoé", "lastname": "Écrite", "creditlimit": Decimal("99.95"), "birthdate": date(1990, 5, 17),
        "lastusedincampaign": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "cr8a1_interests": ["100000001", "100000003"],
        "preferredcontactmethodcode": "2", "donotemail": True, "parentcustomerid": ACCOUNT_1,
        "cr8a1_loyaltyprogramid": "10000000-0000-4000-8000-000000000002"}], WriteMode.CREATE)
    assert result.success and result.created
    row = dataverse.record("contact", result.id)
    assert (row["creditlimit"], row["birthdate"], row["cr8a1_interests"]) == (99.95, "1990-05-17", "100000001,100000003")
    assert (row["parentcustomerid"], row["parentcustomerid__target"], row["donotemail"]) == (ACCOUNT_1, "account", 1)
    assert row["cr8a1_loyaltyprogramid"] == "10000000-0000-4000-8000-000000000002"
    [polymorphic] = connector.write("contact", [{"lastname": "Child", "parentcustomerid": f"contact:{CONTACT_1}"}], WriteMode.CREATE)
    assert dataverse.record("contact", polymorphic.id)["parentcustomerid__target"] == "contact"


def test_writing_n_records_costs_ceil_n_over_1000_batch_calls(dynamics_connector, dataverse):
    connector = dynamics_connector()
    records = [{"lastname": f"Bulk {i}", "cr8a1_externalid": f"BULK-{i:05d}"} for i in range(2_500)]
    results = connector.write("contact", records, WriteMode.CREATE)
    assert len(results) == 2_500 and all(r.success and r.created for r in results)
    assert dataverse.calls("batch") == math.ceil(2_500 / 1000) == 3
    assert dataverse.store.count(dataverse.entities["contact"]) == 2_506
    assert len({r.id for r in results}) == 2_500


def test_upsert_by_alternate_key_reports_created_and_updated(dynamics_connector, dataverse):
    connector = dynamics_connector()
    results = connector.write("contact", [{"cr8a1_externalid": "EXT-0001", "jobtitle": "Upserted"},
                                          {"cr8a1_externalid": "EXT-NEW-'1", "lastname": "Brand New"}],
                              WriteMode.UPSERT, key="cr8a1_externalid")
    assert [(r.success, r.created) for r in results] == [(True, False), (True, True)]
    assert results[0].id == CONTACT_1 and dataverse.record("contact", CONTACT_1)["jobtitle"] == "Upserted"
    assert dataverse.record("contact", results[1].id)["cr8a1_externalid"] == "EXT-NEW-'1"
    with pytest.raises(InvalidRequest, match="not an alternate key"):
        connector.write("contact", [{"lastname": "x"}], WriteMode.UPSERT, key="lastname")


def test_upsert_and_update_by_guid(dynamics_connector, dataverse):
    connector = dynamics_connector()
    new_id = str(uuid.uuid4())
    upserted = connector.write("contact", [{"contactid": new_id, "lastname": "Guid"}, {"contactid": CONTACT_2, "jobtitle": "X"}],
                               WriteMode.UPSERT)
    assert [(r.success, r.created, r.id) for r in upserted] == [(True, True, new_id), (True, False, CONTACT_2)]
    missing = str(uuid.uuid4())
    updated = connector.write("contact", [{"contactid": CONTACT_1, "jobtitle": "Updated"}, {"contactid": missing, "jobtitle": "?"},
                                          {"jobtitle": "no id"}], WriteMode.UPDATE)
    assert updated[0].success and dataverse.record("contact", CONTACT_1)["jobtitle"] == "Updated"
    assert updated[1].errors[0].code == "0x80040217" and missing in updated[1].errors[0].message
    assert updated[2].errors[0].code == "invalid_record"
    assert dataverse.record("contact", missing) is None


def test_per_record_errors_carry_the_crm_code_and_message(dynamics_connector, dataverse):
    results = dynamics_connector().write("contact", [
        {"lastname": "ok"}, {"lastname": "x" * 60}, {"lastname": "ok", "gendercode": "9"}, {"firstname": "no last name"}],
        WriteMode.CREATE)
    assert [r.success for r in results] == [True, False, False, False]
    assert [r.errors[0].code for r in results[1:]] == ["0x80044331", "0x8004431A", "0x80040203"]
    assert "maximum allowed length of '50'" in results[1].errors[0].message
    assert dataverse.store.count(dataverse.entities["contact"]) == 7


def test_all_or_none_rolls_back_the_whole_change_set(dynamics_connector, dataverse):
    results = dynamics_connector().write("contact", [{"lastname": "first"}, {"lastname": "y" * 60}, {"lastname": "third"}],
                                         WriteMode.CREATE, all_or_none=True)
    assert [r.success for r in results] == [False, False, False]
    assert results[1].errors[0].code == "0x80044331"
    assert results[0].errors[0].code == "rolled_back" and results[2].errors[0].code == "rolled_back"
    assert dataverse.store.count(dataverse.entities["contact"]) == 6
    ok = dynamics_connector().write("contact", [{"lastname": "a"}, {"lastname": "b"}], WriteMode.CREATE, all_or_none=True)
    assert all(r.success for r in ok) and dataverse.store.count(dataverse.entities["contact"]) == 8


def test_delete_gives_one_result_per_id(dynamics_connector, dataverse):
    missing = str(uuid.uuid4())
    results = dynamics_connector().delete("contact", [CONTACT_1, missing, "not-a-guid"])
    assert [(r.success, r.id) for r in results] == [(True, CONTACT_1), (False, missing), (False, "not-a-guid")]
    assert results[1].errors[0].code == "0x80040217" and results[2].errors[0].code == "invalid_id"
    assert dataverse.record("contact", CONTACT_1) is None and dataverse.calls("batch") == 1


# --- faults and limits ------------------------------------------------------------------------------
THROTTLED = json.dumps({"error": {"code": "0x80072322",
                                  "message": "Number of requests exceeded the limit of 6000 over time window of 300 seconds."}})


def connector_with_sleeps(dataverse_config, **overrides):
    sleeps = []
    connector = DynamicsConnector(dataverse_config(**overrides), retry_policy=RetryPolicy(attempts=4, initial_wait=0.01),
                                  sleep=sleeps.append)
    return connector, sleeps


def test_429_retry_after_is_honoured(dataverse_config, dataverse):
    connector, sleeps = connector_with_sleeps(dataverse_config)
    connector.test_connection()
    dataverse.inject(Fault(kind="status", status=429, retry_after=3, body=THROTTLED, path="contacts"))
    pages = list(connector.read(ReadRequest("contact", ("firstname",))))
    assert len(rows(pages)) == 6 and sleeps == [3.0]
    assert dataverse.calls("GET contacts") == 2


def test_service_protection_limit_is_waited_out(dataverse_config, dataverse):
    """Past the budget the connector sleeps for Retry-After (here the sleep also ends the window)."""
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        dataverse.set_service_protection(budget=2, window_seconds=30)

    connector = DynamicsConnector(dataverse_config(), retry_policy=RetryPolicy(attempts=3), sleep=sleep)
    connector.test_connection()
    dataverse.set_service_protection(budget=2, window_seconds=30)
    pages = list(connector.read(ReadRequest("contact", ("firstname",), page_size=2)))
    assert [len(page.records) for page in pages] == [2, 2, 2]
    assert sleeps == [30.0]
    assert dataverse.calls("GET contacts") == 4  # three pages, one of them twice
    assert connector.client.burst_remaining == 0


def test_password_credentials_work_without_a_client_secret(dynamics_connector, dataverse):
    """As the reference product's resource-owner flow: client id, account and password only."""
    assert dynamics_connector(auth_type="password", client_secret="").test_connection().ok


@pytest.mark.parametrize("fault", [
    Fault(kind="status", status=503, path="contacts", body=""),
    Fault(kind="status", status=502, path="contacts", body=""),
    Fault(kind="drop", path="contacts"),
    Fault(kind="truncate", path="contacts"),
    Fault(kind="hang", path="contacts", seconds=1.5),
], ids=["503", "502", "dropped-connection", "truncated-answer", "timeout"])
def test_transient_faults_on_reads_are_retried(dynamics_connector, dataverse, fault):
    connector = dynamics_connector(timeout=1.0)
    connector.test_connection()
    dataverse.inject(fault)
    pages = list(connector.read(ReadRequest("contact", ("firstname",))))
    assert len(rows(pages)) == 6
    assert dataverse.calls("GET contacts") == 2


def test_a_dropped_connection_to_the_token_endpoint_is_retried(dynamics_connector, dataverse):
    dataverse.inject(Fault(kind="drop", path="oauth2/v2.0/token"))
    assert dynamics_connector().test_connection().ok
    assert dataverse.calls("token") == 2


def test_an_authority_outage_is_explained(dynamics_connector, dataverse):
    """msal itself holds back repeated token requests after a 5xx (for Retry-After, else 5 s)."""
    dataverse.inject(Fault(kind="status", status=503, path="oauth2/v2.0/token", body="", count=10))
    result = dynamics_connector().test_connection()
    assert not result.ok and "the authority answered 503" in result.detail


def test_idempotent_batches_are_retried_after_a_dropped_connection(dynamics_connector, dataverse):
    connector = dynamics_connector()
    dataverse.inject(Fault(kind="drop", path=r"\$batch"))
    results = connector.write("contact", [{"cr8a1_externalid": "EXT-0001", "jobtitle": "Again"}], WriteMode.UPSERT,
                              key="cr8a1_externalid")
    assert results[0].success and dataverse.calls("batch") == 2


def test_creates_are_not_repeated_when_their_outcome_is_unknown(dynamics_connector, dataverse):
    connector = dynamics_connector()
    dataverse.inject(Fault(kind="drop", path=r"\$batch"))
    with pytest.raises(ConnectorError, match="outcome of this write is unknown"):
        connector.write("contact", [{"lastname": "Once"}], WriteMode.CREATE)
    assert dataverse.calls("batch") == 1


def test_persistent_5xx_gives_up_with_the_crm_message(dynamics_connector, dataverse):
    connector = dynamics_connector()
    body = json.dumps({"error": {"code": "0x80040216", "message": "An unexpected error occurred."}})
    dataverse.inject(Fault(kind="status", status=500, path="WhoAmI", count=10, body=body))
    result = connector.test_connection()
    assert not result.ok and "0x80040216" in result.detail and "An unexpected error occurred." in result.detail
    assert dataverse.calls("GET WhoAmI") == 4


# --- id listing (reconciliation audits) --------------------------------------------------------
def test_listing_ids_costs_ceil_n_over_5000_id_only_pages(dynamics_connector, dataverse):
    dataverse.seed_rows("contact", 12_000)
    connector = dynamics_connector()
    pages = list(connector.list_ids("contact"))
    assert [len(page) for page in pages] == [5000, 5000, 2006]
    assert len({i for page in pages for i in page}) == 12_006
    assert dataverse.calls("GET contacts") == 3
    assert connector.api_usage().calls == AUTH_CALLS + 1 + 3  # + the entity's metadata


def test_a_value_changed_without_a_stamp_keeps_modifiedon(dynamics_connector, dataverse):
    record_id = dataverse.create_record("contact", {"lastname": "Formula"})
    before = dataverse.record("contact", record_id)
    dataverse.set_without_stamp("contact", record_id, {"jobtitle": "Recomputed"})
    after = dataverse.record("contact", record_id)
    assert after["jobtitle"] == "Recomputed" and after["modifiedon"] == before["modifiedon"]
