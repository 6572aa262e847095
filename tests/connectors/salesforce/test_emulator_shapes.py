"""The emulator driven by simple-salesforce itself, checking Salesforce's shapes."""

from __future__ import annotations

import base64

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed, SalesforceExpiredSession, SalesforceMalformedRequest, SalesforceRefusedRequest,
)
from simple_salesforce.login import SalesforceLogin, token_login

from connectors.base import AccountConfig
from connectors.http import build_session

VERSION = "62.0"


@pytest.fixture
def session(salesforce_emulator):
    return build_session(AccountConfig(server_url=salesforce_emulator.url, ca_pem=salesforce_emulator.ca_pem))


@pytest.fixture
def sf(salesforce_emulator, session):
    creds = salesforce_emulator.credentials
    session_id, instance = SalesforceLogin(username=creds.username, password=creds.password, security_token=creds.security_token,
                                           sf_version=VERSION, session=session, scratch_url=salesforce_emulator.url)
    return Salesforce(session_id=session_id, instance=instance, version=VERSION, session=session)


def token_url(emulator) -> str:
    return f"{emulator.url}/services/oauth2/token"


# --- logins ---------------------------------------------------------------------------
def test_soap_login_returns_a_session_and_the_instance_host(salesforce_emulator, session):
    creds = salesforce_emulator.credentials
    session_id, instance = SalesforceLogin(username=creds.username, password=creds.password, security_token=creds.security_token,
                                           sf_version=VERSION, session=session, scratch_url=salesforce_emulator.url)
    assert session_id.startswith("00D5g000004ABCD!")
    assert instance == salesforce_emulator.url.removeprefix("https://")


def test_soap_login_with_a_wrong_token_fails_with_invalid_login(salesforce_emulator, session):
    creds = salesforce_emulator.credentials
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        SalesforceLogin(username=creds.username, password=creds.password, security_token="WRONG", sf_version=VERSION,
                        session=session, scratch_url=salesforce_emulator.url)
    assert caught.value.code == "INVALID_LOGIN"
    assert caught.value.auth_message == "Invalid username, password, security token; or user locked out."


def test_oauth_password_grant_needs_the_security_token_appended(salesforce_emulator, session):
    creds = salesforce_emulator.credentials
    data = {"grant_type": "password", "client_id": creds.consumer_key, "client_secret": creds.consumer_secret,
            "username": creds.username, "password": creds.password + creds.security_token}
    token, instance = token_login(token_url(salesforce_emulator), data, "login", creds.consumer_key, None, None, session)
    assert instance == salesforce_emulator.url.removeprefix("https://")
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        token_login(token_url(salesforce_emulator), {**data, "password": creds.password}, "login", creds.consumer_key, None, None, session)
    assert (caught.value.code, caught.value.auth_message) == ("invalid_grant", "authentication failure")


def test_oauth_client_credentials_and_refresh_token_grants(salesforce_emulator, session):
    creds = salesforce_emulator.credentials
    basic = base64.b64encode(f"{creds.consumer_key}:{creds.consumer_secret}".encode()).decode()
    body = session.post(token_url(salesforce_emulator), data={"grant_type": "client_credentials"},
                        headers={"Authorization": f"Basic {basic}"}).json()
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}
    refreshed = session.post(token_url(salesforce_emulator), data={
        "grant_type": "refresh_token", "refresh_token": "demo-refresh-token-not-real", "client_id": creds.consumer_key}).json()
    assert refreshed["token_type"] == "Bearer"
    bad = session.post(token_url(salesforce_emulator), data={"grant_type": "client_credentials", "client_id": "nope"})
    assert (bad.status_code, bad.json()) == (400, {"error": "invalid_client_id", "error_description": "client identifier invalid"})


def test_requests_without_a_valid_session_get_invalid_session_id(salesforce_emulator, session):
    response = session.get(f"{salesforce_emulator.url}/services/data/v{VERSION}/sobjects", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_expired_sessions_are_refused(salesforce_emulator, sf):
    salesforce_emulator.expire_sessions()
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")


# --- metadata -----------------------------------------------------------------------
def test_versions_and_limits(salesforce_emulator, sf, session):
    versions = session.get(f"{salesforce_emulator.url}/services/data/").json()
    assert {"label": "v62.0", "url": "/services/data/v62.0", "version": "62.0"} in versions
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 100000, "Remaining": 99999}


def test_describe_global_lists_standard_and_custom_objects(sf):
    objects = {o["name"]: o for o in sf.describe()["sobjects"]}
    assert {"Account", "Contact", "Lead", "Opportunity", "Campaign", "CampaignMember", "Loyalty_Program__c"} <= set(objects)
    assert objects["Loyalty_Program__c"]["custom"] is True
    assert objects["Loyalty_Program__c"]["label"] == "Programme de fidélité"
    assert objects["Contact"]["keyPrefix"] == "003"


def test_sobject_describe_has_salesforce_field_shape(sf):
    body = sf.Contact.describe()
    fields = {f["name"]: f for f in body["fields"]}
    expected_keys = {"name", "label", "type", "soapType", "length", "precision", "scale", "nillable", "createable",
                     "updateable", "calculated", "custom", "externalId", "unique", "picklistValues", "restrictedPicklist",
                     "dependentPicklist", "referenceTo", "relationshipName", "controllerName", "defaultedOnCreate"}
    assert expected_keys <= set(fields["Email"])
    assert (fields["AccountId"]["referenceTo"], fields["AccountId"]["relationshipName"]) == (["Account"], "Account")
    assert (fields["Lifetime_Value__c"]["type"], fields["Lifetime_Value__c"]["scale"]) == ("currency", 2)
    assert fields["External_Id__c"]["externalId"] is True
    assert fields["Level__c"]["restrictedPicklist"] is True
    assert fields["LastName"]["nillable"] is False
    assert {"Id", "SystemModstamp", "IsDeleted", "OwnerId", "CreatedDate", "LastModifiedDate"} <= set(fields)
    assert any(r["childSObject"] == "Loyalty_Program__c" and r["relationshipName"] == "Loyalty_Programs__r" for r in body["childRelationships"])
    assert body["recordTypeInfos"][0]["master"] is True


def test_dependent_picklist_valid_for_is_a_bitmap_over_controlling_values(sf):
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    sub_region = {e["value"]: e for e in fields["Sub_Region__c"]["picklistValues"]}
    assert fields["Sub_Region__c"]["dependentPicklist"] is True
    assert fields["Sub_Region__c"]["controllerName"] == "Region__c"
    # Controlling values are EMEA, AMER, APAC: bits 0x80, 0x40, 0x20.
    assert base64.b64decode(sub_region["France"]["validFor"]) == b"\x80"
    assert base64.b64decode(sub_region["日本"]["validFor"]) == b"\x20"


def test_inactive_picklist_values_are_described_inactive(sf):
    lead_source = {f["name"]: f for f in sf.Contact.describe()["fields"]}["LeadSource"]
    entry = next(e for e in lead_source["picklistValues"] if e["value"] == "Word of mouth")
    assert (entry["active"], entry["label"], entry["validFor"]) == (False, "Bouche-à-oreille", None)


# --- queries ----------------------------------------------------------------------------
def test_query_returns_records_with_attributes_and_parent_fields(sf):
    result = sf.query("SELECT Id, Name, Account.Name FROM Contact WHERE Email = 'ELODIE.LEFEVRE@example.com'")
    assert result["totalSize"] == 1 and result["done"] is True
    record = result["records"][0]
    assert record["attributes"] == {"type": "Contact", "url": f"/services/data/v{VERSION}/sobjects/Contact/{record['Id']}"}
    assert record["Name"] == "Élodie Lefèvre"
    assert record["Account"]["Name"] == "Société Générale d'Exemple"


def test_query_pages_of_2000_with_next_records_url(salesforce_emulator, sf):
    salesforce_emulator.generate("Contact", 4500)
    first = sf.query("SELECT Id FROM Contact ORDER BY SystemModstamp, Id")
    assert (first["totalSize"], first["done"], len(first["records"])) == (4504, False, 2000)
    assert first["nextRecordsUrl"].startswith(f"/services/data/v{VERSION}/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    assert len(sf.query_all("SELECT Id FROM Contact")["records"]) == 4504
    assert salesforce_emulator.calls("query") == 2 and salesforce_emulator.calls("query_more") == 2


def test_batch_size_header_is_honoured_within_200_and_2000(salesforce_emulator, sf):
    salesforce_emulator.generate("Contact", 500)
    small = sf.query("SELECT Id FROM Contact", headers={"Sforce-Query-Options": "batchSize=300"})
    tiny = sf.query("SELECT Id FROM Contact", headers={"Sforce-Query-Options": "batchSize=10"})
    assert (len(small["records"]), len(tiny["records"])) == (300, 200)


def test_where_clause_operators(sf):
    count = lambda where: sf.query(f"SELECT COUNT() FROM Contact WHERE {where}")["totalSize"]
    assert count("LastName = 'O\\'Brien'") == 1
    assert count("Name LIKE 'Él%'") == 1
    assert count("Email IN ('elodie.lefevre@example.com', 'nguyen@example.com')") == 2
    assert count("Email NOT IN ('elodie.lefevre@example.com')") == 3
    assert count("Birthdate = null") == 3
    assert count("HasOptedOutOfEmail = true OR (Lifetime_Value__c > 100 AND NOT Level__c = 'Secondary')") == 2
    assert count("Interests__c INCLUDES ('Yoga')") == 1
    assert count("Last_Purchase__c > 2024-01-01T00:00:00Z AND Birthdate < 1990-01-01") == 1
    assert count("CreatedDate = LAST_N_DAYS:1") == 4


def test_order_by_limit_and_offset(sf):
    names = [r["LastName"] for r in sf.query("SELECT LastName FROM Contact ORDER BY LastName DESC LIMIT 2 OFFSET 1")["records"]]
    assert names == ["O'Brien", "Nguyễn"]  # after 山田, which sorts last


def test_malformed_query_and_unknown_field_errors(sf):
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT Id FROMM Contact")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert "unexpected token: 'FROMM'" in malformed.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as invalid:
        sf.query("SELECT Nope__c FROM Contact")
    assert invalid.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Nope__c' on entity 'Contact'" in invalid.value.content[0]["message"]


def test_query_all_includes_deleted_rows_until_the_recycle_bin_is_emptied(salesforce_emulator, sf):
    contact_id = sf.query("SELECT Id FROM Contact WHERE LastName = 'Nguyễn'")["records"][0]["Id"]
    sf.Contact.delete(contact_id)
    soql = "SELECT Id, IsDeleted FROM Contact WHERE IsDeleted = true"
    assert sf.query(soql)["totalSize"] == 0
    assert sf.query_all(soql, include_deleted=True)["records"][0]["Id"] == contact_id
    salesforce_emulator.empty_recycle_bin()
    assert sf.query_all(soql, include_deleted=True)["totalSize"] == 0


# --- records -----------------------------------------------------------------------------
def test_crud_and_upsert_by_external_id(sf):
    created = sf.Contact.create({"LastName": "Durand", "Email": "durand@example.com"})
    assert created["success"] is True and len(created["id"]) == 18
    assert sf.Contact.get(created["id"])["Name"] == "Durand"
    assert sf.Contact.get(created["id"][:15])["Id"] == created["id"]
    assert sf.Contact.update(created["id"], {"FirstName": "Anne"}) == 204
    assert sf.Contact.get(created["id"])["Name"] == "Anne Durand"
    assert sf.Contact.upsert("External_Id__c/CRM-0001", {"Title": "CMO"}) == 200
    assert sf.Contact.upsert("External_Id__c/CRM-9999", {"LastName": "Neuf"}) == 201
    assert sf.Contact.get_by_custom_id("External_Id__c", "CRM-9999")["LastName"] == "Neuf"
    assert sf.Contact.delete(created["id"]) == 204


def test_system_fields_and_strictly_increasing_modstamp(sf):
    first = sf.Contact.create({"LastName": "Un"})["id"]
    second = sf.Contact.create({"LastName": "Deux"})["id"]
    a, b = sf.Contact.get(first), sf.Contact.get(second)
    assert a["SystemModstamp"] < b["SystemModstamp"]
    assert a["IsDeleted"] is False and a["OwnerId"].startswith("005") and a["CreatedDate"].endswith("+0000")


def test_single_record_error_body(sf):
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Contact.create({"FirstName": "No last name"})
    assert caught.value.content == [{"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]}]


def collection(sf, method: str, records: list[dict], all_or_none: bool = False, path: str = "composite/sobjects"):
    return sf.restful(path, method=method, json={"allOrNone": all_or_none, "records": records})


def test_collections_report_each_salesforce_error_code(sf):
    existing = sf.query("SELECT Id FROM Contact WHERE External_Id__c = 'CRM-0001'")["records"][0]["Id"]
    account = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    contact = lambda **fields: {"attributes": {"type": "Contact"}, "LastName": "X", **fields}
    results = collection(sf, "POST", [
        {"attributes": {"type": "Contact"}}, contact(LastName="x" * 81), contact(Level__c="Quaternary"),
        contact(CreatedDate="2020-01-01T00:00:00Z"), contact(External_Id__c="crm-0001"), contact(Email="not-an-email"),
        contact(AccountId=existing), contact(Region__c="EMEA", Sub_Region__c="日本"), contact(AccountId=account),
    ])
    codes = [r["errors"][0]["statusCode"] if r["errors"] else "OK" for r in results]
    assert codes == ["REQUIRED_FIELD_MISSING", "STRING_TOO_LONG", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                     "INVALID_FIELD_FOR_INSERT_UPDATE", "DUPLICATE_VALUE", "INVALID_EMAIL_ADDRESS",
                     "FIELD_INTEGRITY_EXCEPTION", "FIELD_INTEGRITY_EXCEPTION", "OK"]
    assert results[0] == {"id": None, "success": False, "errors": [
        {"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [LastName]", "fields": ["LastName"]}]}


def test_collections_update_and_delete_errors(sf):
    contact_id = sf.Contact.create({"LastName": "Gone"})["id"]
    sf.Contact.delete(contact_id)
    updated = collection(sf, "PATCH", [{"attributes": {"type": "Contact"}, "Id": contact_id, "Title": "x"},
                                       {"attributes": {"type": "Contact"}, "Id": "003bad", "Title": "x"}])
    assert [r["errors"][0]["statusCode"] for r in updated] == ["ENTITY_IS_DELETED", "MALFORMED_ID"]
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": f"{contact_id},bad"})
    assert [r["errors"][0]["statusCode"] for r in deleted] == ["ENTITY_IS_DELETED", "MALFORMED_ID"]


def test_collections_all_or_none_rolls_everything_back(salesforce_emulator, sf):
    before = salesforce_emulator.count("Contact")
    results = collection(sf, "POST", [{"attributes": {"type": "Contact"}, "LastName": "Fine"}, {"attributes": {"type": "Contact"}}], True)
    assert [r["success"] for r in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert salesforce_emulator.count("Contact") == before


def test_collections_upsert_reports_created_and_limit_of_200(sf):
    records = [{"attributes": {"type": "Contact"}, "External_Id__c": "CRM-0001", "Title": "x"},
               {"attributes": {"type": "Contact"}, "External_Id__c": "NEW-1", "LastName": "Nouveau"}]
    results = collection(sf, "PATCH", records, path="composite/sobjects/Contact/External_Id__c")
    assert [(r["success"], r["created"]) for r in results] == [(True, False), (True, True)]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        collection(sf, "POST", [{"attributes": {"type": "Contact"}, "LastName": str(i)} for i in range(201)])
    assert caught.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_composite_batches_describes_in_one_call(salesforce_emulator, sf):
    subrequests = [{"method": "GET", "url": f"/services/data/v{VERSION}/sobjects/{name}/describe", "referenceId": name}
                   for name in ("Account", "Contact", "Nope")]
    answers = sf.restful("composite", method="POST", json={"compositeRequest": subrequests})["compositeResponse"]
    assert [a["httpStatusCode"] for a in answers] == [200, 200, 404]
    assert answers[1]["body"]["name"] == "Contact" and answers[1]["referenceId"] == "Contact"
    assert salesforce_emulator.calls("composite") == 1 and salesforce_emulator.calls("describe") == 0


def test_get_updated_and_get_deleted(salesforce_emulator, sf):
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    contact_id = sf.Contact.create({"LastName": "Bientôt supprimé"})["id"]
    sf.Contact.delete(contact_id)
    salesforce_emulator.advance_clock(minutes=2)
    deleted = sf.Contact.deleted(now - timedelta(days=1), now + timedelta(minutes=2))
    assert [r["id"] for r in deleted["deletedRecords"]] == [contact_id]
    assert set(deleted) == {"deletedRecords", "earliestDateAvailable", "latestDateCovered"}
    updated = sf.Contact.updated(now - timedelta(days=1), now + timedelta(minutes=2))
    assert len(updated["ids"]) == 4 and "latestDateCovered" in updated
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Contact.deleted(now - timedelta(days=16), now)
    assert caught.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    with pytest.raises(SalesforceMalformedRequest):
        sf.Contact.updated(now - timedelta(days=31), now)


# --- Bulk API 2.0 --------------------------------------------------------------------------
def test_bulk2_query_pages_csv_with_locators(salesforce_emulator, sf):
    salesforce_emulator.generate("Contact", 250)
    pages = list(sf.bulk2.Contact.query("SELECT Id, LastName, VIP__c FROM Contact", max_records=100, wait=0.05))
    assert len(pages) == 3
    assert pages[0].splitlines()[0] == '"Id","LastName","VIP__c"'
    assert sum(len(p.splitlines()) - 1 for p in pages) == 254


def test_bulk2_ingest_reports_successes_and_failures(sf):
    results = sf.bulk2.Contact.insert(records=[{"LastName": "Bulk", "Level__c": "Primary"}, {"LastName": "Bad", "Level__c": "Nope"}], wait=0.05)
    assert (results[0]["numberRecordsProcessed"], results[0]["numberRecordsFailed"]) == (2, 1)
    failed = sf.bulk2.Contact.get_failed_records(results[0]["job_id"])
    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in failed
    successful = sf.bulk2.Contact.get_successful_records(results[0]["job_id"])
    assert successful.splitlines()[0].startswith('"sf__Id","sf__Created"')


# --- limits ------------------------------------------------------------------------------
def test_every_api_response_carries_limit_info_and_the_limit_is_enforced(salesforce_emulator, sf):
    salesforce_emulator.set_api_usage(used=10, daily=12)
    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 11 and sf.api_usage["api-usage"].total == 12
    sf.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Account")
    assert caught.value.content == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def test_control_interface_answers_loopback_clients(salesforce_emulator, session):
    response = session.post(f"{salesforce_emulator.url}/_emulator/seed/Lead", json={"count": 3})
    assert response.status_code == 200 and response.json()["count"] == 3
    assert salesforce_emulator.count("Lead") == 5
    assert session.get(f"{salesforce_emulator.url}/_emulator/calls").json() == {}
