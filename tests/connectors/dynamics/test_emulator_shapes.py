"""The emulator driven with msal and plain requests over HTTPS: each answer has the
shape Microsoft documents for Entra ID and the Dataverse Web API v9.2."""

from __future__ import annotations

import json
import time
import uuid

import msal
import pytest
import requests

from connectors.dynamics.emulator import credentials as demo
from connectors.dynamics.emulator.credentials import new_certificate

CONTACT_1 = "c0000000-0000-4000-8000-000000000001"
ACCOUNT_1 = "a0000000-0000-4000-8000-000000000001"


@pytest.fixture
def http(dataverse_server):
    session = requests.Session()
    session.trust_env = False
    session.verify = str(dataverse_server.ca_path)
    yield session
    session.close()


def msal_app(server, http, credential=demo.CLIENT_SECRET, tenant=demo.TENANT_ID, **options):
    options.setdefault("instance_discovery", False)
    return msal.ConfidentialClientApplication(demo.CLIENT_ID, client_credential=credential,
                                              authority=f"{server.url}/{tenant}", http_client=http,
                                              azure_region=False, **options)


@pytest.fixture
def api(dataverse_server, dataverse, http):
    """A requests session with a bearer token, and the API base URL."""
    token = msal_app(dataverse_server, http).acquire_token_for_client([f"{dataverse_server.url}/.default"])
    http.headers.update({"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json",
                         "OData-Version": "4.0", "OData-MaxVersion": "4.0"})
    http.base = f"{dataverse_server.url}/api/data/v9.2"
    return http


def post_token(http, server, tenant=demo.TENANT_ID, **form):
    data = {"client_id": demo.CLIENT_ID, "grant_type": "client_credentials", "scope": f"{server.url}/.default",
            "client_secret": demo.CLIENT_SECRET, **form}
    return http.post(f"{server.url}/{tenant}/oauth2/v2.0/token", data={k: v for k, v in data.items() if v is not None})


def assert_aadsts(body: dict, error: str, code: int):
    assert body["error"] == error
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert body["error_codes"] == [code]
    assert {"timestamp", "trace_id", "correlation_id", "error_uri"} <= set(body)
    assert "Trace ID: " in body["error_description"] and "Correlation ID: " in body["error_description"]


# --- identity -----------------------------------------------------------------------
def test_msal_with_a_custom_instance_discovery_url_only_calls_the_emulator(dataverse_server, dataverse, http):
    app = msal_app(dataverse_server, http, instance_discovery=f"{dataverse_server.url}/common/discovery/instance")
    result = app.acquire_token_for_client([f"{dataverse_server.url}/.default"])
    assert result["token_type"] == "Bearer" and result["expires_in"] == 3599
    calls = dataverse.instrumentation.snapshot()
    assert calls == {"instance-discovery": 1, "openid-configuration": 1, "token": 1}


def test_instance_discovery_and_openid_configuration_shapes(dataverse_server, dataverse, http):
    url = dataverse_server.url
    discovery = http.get(f"{url}/common/discovery/instance", params={
        "api-version": "1.1", "authorization_endpoint": f"https://localhost/{demo.TENANT_ID}/oauth2/v2.0/authorize"}).json()
    assert discovery["tenant_discovery_endpoint"] == f"{url}/{demo.TENANT_ID}/v2.0/.well-known/openid-configuration"
    assert discovery["metadata"][0]["aliases"] == [url.split("://")[1]]
    config = http.get(discovery["tenant_discovery_endpoint"]).json()
    assert config["token_endpoint"] == f"{url}/{demo.TENANT_ID}/oauth2/v2.0/token"
    assert config["authorization_endpoint"] == f"{url}/{demo.TENANT_ID}/oauth2/v2.0/authorize"
    assert config["issuer"] == f"{url}/{demo.TENANT_ID}/v2.0"
    keys = http.get(config["jwks_uri"]).json()["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["use"] == "sig"
    foreign = http.get(f"{url}/common/discovery/instance", params={
        "authorization_endpoint": "https://login.example.org/x/oauth2/v2.0/authorize"}).json()
    assert_aadsts(foreign, "invalid_instance", 50049)


def test_client_secret_token_and_bad_secret_error(dataverse_server, dataverse, http):
    good = msal_app(dataverse_server, http).acquire_token_for_client([f"{dataverse_server.url}/.default"])
    assert good["token_type"] == "Bearer" and good["ext_expires_in"] == 3599
    bad = msal_app(dataverse_server, http, credential="wrong-secret").acquire_token_for_client(
        [f"{dataverse_server.url}/.default"])
    assert_aadsts(bad, "invalid_client", 7000215)
    assert "Invalid client secret provided" in bad["error_description"]
    assert post_token(http, dataverse_server, client_secret="wrong").status_code == 401


def test_certificate_assertion_is_verified(dataverse_server, dataverse, http):
    certificate = dataverse.identity.certificate
    app = msal_app(dataverse_server, http, credential={"private_key": certificate.private_key_pem,
                                                       "thumbprint": certificate.thumbprint})
    assert "access_token" in app.acquire_token_for_client([f"{dataverse_server.url}/.default"])
    stranger = new_certificate("someone else")
    forged = msal_app(dataverse_server, http, credential={"private_key": stranger.private_key_pem,
                                                          "thumbprint": certificate.thumbprint})
    result = forged.acquire_token_for_client([f"{dataverse_server.url}/.default"])
    assert_aadsts(result, "invalid_client", 700027)
    unknown = msal_app(dataverse_server, http, credential={"private_key": stranger.private_key_pem,
                                                           "thumbprint": stranger.thumbprint})
    assert unknown.acquire_token_for_client([f"{dataverse_server.url}/.default"])["error_codes"] == [700027]


def test_password_grant_returns_user_tokens_and_refreshes(dataverse_server, dataverse, http):
    msal.authority.Authority._domains_without_user_realm_discovery.add("localhost")
    app = msal_app(dataverse_server, http)
    scopes = [f"{dataverse_server.url}/.default"]
    result = app.acquire_token_by_username_password(demo.USERNAME, demo.PASSWORD, scopes)
    assert {"access_token", "refresh_token", "id_token", "client_info"} <= set(result)
    assert result["id_token_claims"]["preferred_username"] == demo.USERNAME
    [account] = app.get_accounts(username=demo.USERNAME)
    for token in list(app.token_cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
        app.token_cache.remove_at(token)
    refreshed = app.acquire_token_silent(scopes, account=account)
    assert refreshed["access_token"] != result["access_token"]
    assert dataverse.calls("token") == 2
    wrong = app.acquire_token_by_username_password(demo.USERNAME, "not-the-password", scopes)
    assert_aadsts(wrong, "invalid_grant", 50126)


def test_user_realm_discovery_says_managed(dataverse_server, dataverse, http):
    body = http.get(f"{dataverse_server.url}/common/userrealm/{demo.USERNAME}", params={"api-version": "1.0"}).json()
    assert body["account_type"] == "Managed" and body["domain_name"] == "crmsyncdemo.onmicrosoft.com"


def test_unknown_tenant_is_refused_as_entra_id_does(dataverse_server, dataverse, http):
    answer = http.get(f"{dataverse_server.url}/no-such-tenant/v2.0/.well-known/openid-configuration")
    assert answer.status_code == 400
    assert_aadsts(answer.json(), "invalid_tenant", 90002)
    assert "Tenant 'no-such-tenant' not found" in answer.json()["error_description"]
    with pytest.raises(ValueError, match="double check your tenant"):
        msal_app(dataverse_server, http, tenant="no-such-tenant")
    token = post_token(http, dataverse_server, tenant="no-such-tenant")
    assert token.status_code == 400
    assert_aadsts(token.json(), "invalid_request", 90002)


def test_bad_scopes_are_refused(dataverse_server, dataverse, http):
    no_default = post_token(http, dataverse_server, scope=f"{dataverse_server.url}/user_impersonation")
    assert no_default.status_code == 400
    assert_aadsts(no_default.json(), "invalid_scope", 1002012)
    other = post_token(http, dataverse_server, scope="https://other.crm.dynamics.com/.default")
    assert_aadsts(other.json(), "invalid_resource", 500011)
    unknown_client = post_token(http, dataverse_server, client_id=str(uuid.uuid4()))
    assert_aadsts(unknown_client.json(), "unauthorized_client", 700016)


def test_missing_invalid_and_expired_tokens_get_401(dataverse_server, dataverse, http):
    url = f"{dataverse_server.url}/api/data/v9.2/WhoAmI"
    missing = http.get(url)
    assert missing.status_code == 401 and missing.content == b""
    assert missing.headers["WWW-Authenticate"].startswith(f"Bearer authorization_uri={dataverse_server.url}/")
    assert http.get(url, headers={"Authorization": "Bearer not.a.token"}).status_code == 401
    dataverse.set_token_lifetime(1)
    token = post_token(http, dataverse_server).json()
    assert token["expires_in"] == 1
    assert http.get(url, headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 200
    time.sleep(2.1)
    assert http.get(url, headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 401


def test_revoked_tokens_get_401(api, dataverse):
    assert api.get(f"{api.base}/WhoAmI").json()["UserId"] == demo.USER_OBJECT_ID
    dataverse.revoke_tokens()
    assert api.get(f"{api.base}/WhoAmI").status_code == 401


# --- metadata -------------------------------------------------------------------------
def test_entity_definitions_with_select_and_filter(api):
    body = api.get(f"{api.base}/EntityDefinitions", params={
        "$select": "LogicalName,EntitySetName,ChangeTrackingEnabled", "$filter": "ChangeTrackingEnabled eq false"}).json()
    assert body["@odata.context"].endswith("/$metadata#EntityDefinitions")
    assert [item["LogicalName"] for item in body["value"]] == ["lead"]
    assert set(body["value"][0]) == {"@odata.type", "MetadataId", "LogicalName", "EntitySetName", "ChangeTrackingEnabled"}
    custom = api.get(f"{api.base}/EntityDefinitions", params={"$filter": "IsCustomEntity eq true"}).json()["value"]
    assert [(e["LogicalName"], e["SchemaName"], e["EntitySetName"]) for e in custom] == [
        ("cr8a1_loyaltyprogram", "cr8a1_LoyaltyProgram", "cr8a1_loyaltyprograms")]


def test_one_entity_with_expanded_attributes_has_the_real_property_names(api):
    body = api.get(f"{api.base}/EntityDefinitions(LogicalName='contact')", params={"$expand": "Attributes"}).json()
    assert body["PrimaryIdAttribute"] == "contactid" and body["EntitySetName"] == "contacts"
    labels = {item["LanguageCode"]: item["Label"] for item in body["DisplayName"]["LocalizedLabels"]}
    assert labels == {1033: "Contact", 1036: "Contact", 1028: "連絡人"}
    attributes = {a["LogicalName"]: a for a in body["Attributes"]}
    assert len(attributes) >= 25
    first = attributes["firstname"]
    assert first["@odata.type"] == "#Microsoft.Dynamics.CRM.StringAttributeMetadata"
    assert (first["AttributeType"], first["AttributeTypeName"], first["MaxLength"]) == ("String", {"Value": "StringType"}, 50)
    assert first["RequiredLevel"]["Value"] == "None" and first["IsValidForCreate"] and first["IsValidForRead"]
    assert attributes["lastname"]["RequiredLevel"]["Value"] == "SystemRequired"
    assert (attributes["creditlimit"]["AttributeType"], attributes["creditlimit"]["Precision"]) == ("Money", 2)
    assert attributes["parentcustomerid"]["Targets"] == ["account", "contact"]
    assert attributes["birthdate"]["Format"] == "DateOnly"
    assert attributes["lastusedincampaign"]["DateTimeBehavior"] == {"Value": "UserLocal"}
    multi = attributes["cr8a1_interests"]
    assert (multi["AttributeType"], multi["AttributeTypeName"]["Value"]) == ("Virtual", "MultiSelectPicklistType")
    assert attributes["createdon"]["IsValidForCreate"] is False and attributes["createdon"]["IsValidForUpdate"] is False


def test_attribute_type_casts_expand_option_sets(api):
    entity = f"{api.base}/EntityDefinitions(LogicalName='contact')/Attributes"
    picklists = api.get(f"{entity}/Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
                        params={"$select": "LogicalName", "$expand": "OptionSet,GlobalOptionSet"}).json()
    assert picklists["@odata.context"].endswith("/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata")
    by_name = {item["LogicalName"]: item for item in picklists["value"]}
    assert set(by_name) == {"preferredcontactmethodcode", "gendercode", "cr8a1_segment"}
    local = by_name["preferredcontactmethodcode"]
    assert local["GlobalOptionSet"] is None and local["OptionSet"]["IsGlobal"] is False
    option = local["OptionSet"]["Options"][1]
    assert option["Value"] == 2
    assert {l["LanguageCode"]: l["Label"] for l in option["Label"]["LocalizedLabels"]} == {
        1033: "Email", 1036: "Courrier électronique", 1028: "電子郵件"}
    assert by_name["cr8a1_segment"]["GlobalOptionSet"]["Name"] == "cr8a1_segment"
    status = api.get(f"{entity}/Microsoft.Dynamics.CRM.StatusAttributeMetadata", params={"$expand": "OptionSet"}).json()
    assert [(o["Value"], o["State"]) for o in status["value"][0]["OptionSet"]["Options"]] == [(1, 0), (2, 1)]
    state = api.get(f"{entity}/Microsoft.Dynamics.CRM.StateAttributeMetadata", params={"$expand": "OptionSet"}).json()
    assert [(o["Value"], o["DefaultStatus"]) for o in state["value"][0]["OptionSet"]["Options"]] == [(0, 1), (1, 2)]
    boolean = api.get(f"{entity}(LogicalName='donotemail')/Microsoft.Dynamics.CRM.BooleanAttributeMetadata",
                      params={"$expand": "OptionSet"}).json()
    assert boolean["OptionSet"]["TrueOption"]["Value"] == 1 and boolean["OptionSet"]["FalseOption"]["Value"] == 0
    multi = api.get(f"{entity}/Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata",
                    params={"$expand": "OptionSet,GlobalOptionSet"}).json()["value"]
    assert [m["GlobalOptionSet"]["Name"] for m in multi] == ["cr8a1_interest"]


def test_global_option_set_definitions(api):
    names = [item["Name"] for item in api.get(f"{api.base}/GlobalOptionSetDefinitions").json()["value"]]
    assert names == ["cr8a1_interest", "cr8a1_segment"]
    one = api.get(f"{api.base}/GlobalOptionSetDefinitions(Name='cr8a1_interest')").json()
    assert one["IsGlobal"] is True and len(one["Options"]) == 5
    assert api.get(f"{api.base}/GlobalOptionSetDefinitions(Name='nope')").status_code == 404


def test_entity_keys_and_relationships(api):
    body = api.get(f"{api.base}/EntityDefinitions(LogicalName='contact')",
                   params={"$select": "LogicalName", "$expand": "Keys,ManyToOneRelationships"}).json()
    assert [key["KeyAttributes"] for key in body["Keys"]] == [["cr8a1_externalid"]]
    navigation = {r["ReferencingEntityNavigationPropertyName"]: r["ReferencedEntity"] for r in body["ManyToOneRelationships"]}
    assert navigation["parentcustomerid_account"] == "account"


# --- queries ----------------------------------------------------------------------------
def test_query_with_select_filter_orderby_top_and_count(api):
    body = api.get(f"{api.base}/contacts", params={
        "$select": "firstname,lastname,_parentcustomerid_value", "$filter": "numberofchildren ge 1 and lastname ne 'x'",
        "$orderby": "firstname desc", "$top": "2", "$count": "true"}).json()
    assert body["@odata.context"].endswith("/$metadata#contacts(firstname,lastname,_parentcustomerid_value)")
    assert body["@odata.count"] == 4
    assert [row["firstname"] for row in body["value"]] == ["Farid", "Dmitri"]
    row = body["value"][0]
    assert set(row) == {"@odata.etag", "firstname", "lastname", "_parentcustomerid_value", "contactid"}
    assert row["@odata.etag"].startswith('W/"') and "@odata.nextLink" not in body


def test_filter_functions_quotes_guids_and_dates(api, dataverse):
    dataverse.create_record("contact", {"firstname": "Seán", "lastname": "O'Neill"})

    def names(expression):
        body = api.get(f"{api.base}/contacts", params={"$select": "firstname", "$filter": expression}).json()
        return sorted(row["firstname"] for row in body["value"])

    assert names("lastname eq 'O''Neill'") == ["Seán"]
    assert names("contains(lastname,'neil') or startswith(firstname,'Ad')") == ["Ada", "Seán"]
    assert names(f"_parentcustomerid_value eq {ACCOUNT_1} and not (birthdate gt 1974-01-01)") == ["Ada", "Dmitri"]
    assert names("lastusedincampaign ge 2025-01-05T00:00:00Z") == ["Farid", "Élodie"]
    assert names("cr8a1_interests eq null") == ["Seán"]
    error = api.get(f"{api.base}/contacts", params={"$filter": "nosuch eq 1"})
    assert error.status_code == 400 and error.json()["error"]["code"] == "0x80060888"


def test_paging_follows_next_links_with_the_page_size_preference(api, dataverse):
    dataverse.seed_rows("contact", 7)
    headers = {"Prefer": "odata.maxpagesize=5"}
    first = api.get(f"{api.base}/contacts?$select=lastname", headers=headers)
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=5"
    pages, url = [], f"{api.base}/contacts?$select=lastname"
    while url:
        body = api.get(url, headers=headers).json()
        pages.append(len(body["value"]))
        url = body.get("@odata.nextLink")
        assert url is None or "$skiptoken=" in url
    assert pages == [5, 5, 3]


def test_page_size_is_capped_at_5000(api, dataverse):
    dataverse.seed_rows("contact", 5100)
    body = api.get(f"{api.base}/contacts?$select=lastname", headers={"Prefer": "odata.maxpagesize=10000"})
    assert len(body.json()["value"]) == 5000 and "@odata.nextLink" in body.json()
    assert body.headers["Preference-Applied"] == "odata.maxpagesize=5000"


def test_formatted_values_and_lookup_annotations(api):
    body = api.get(f"{api.base}/contacts({CONTACT_1})", params={
        "$select": "preferredcontactmethodcode,creditlimit,_parentcustomerid_value,cr8a1_interests,donotemail"},
        headers={"Prefer": 'odata.include-annotations="*"'}).json()
    formatted = "@OData.Community.Display.V1.FormattedValue"
    assert body["preferredcontactmethodcode"] == 1 and body[f"preferredcontactmethodcode{formatted}"] == "Any"
    assert body[f"creditlimit{formatted}"] == "$1,000.25"
    assert body[f"_parentcustomerid_value{formatted}"] == "Contoso Pharmaceuticals"
    assert body["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "account"
    assert body["_parentcustomerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] == "parentcustomerid_account"
    assert body["cr8a1_interests"] == "100000000" and body[f"donotemail{formatted}"] == "No"


# --- change tracking ---------------------------------------------------------------------
def test_change_tracking_returns_changes_then_deletions(api, dataverse):
    track = {"Prefer": "odata.track-changes"}
    initial = api.get(f"{api.base}/contacts?$select=firstname,lastname", headers=track).json()
    assert len(initial["value"]) == 6 and "$deltatoken=" in initial["@odata.deltaLink"]
    created = dataverse.create_record("contact", {"firstname": "Nouveau", "lastname": "Contact"})
    dataverse.update_record("contact", CONTACT_1, {"firstname": "Ada2"})
    dataverse.delete_record("contact", "c0000000-0000-4000-8000-000000000002")
    delta = api.get(initial["@odata.deltaLink"], headers=track).json()
    assert delta["@odata.context"].endswith("#contacts(firstname,lastname)/$delta")
    assert [row.get("firstname") for row in delta["value"][:2]] == ["Nouveau", "Ada2"]
    assert delta["value"][0]["contactid"] == created
    assert delta["value"][2] == {"@odata.context": f"{api.base}/$metadata#contacts/$deletedEntity",
                                 "id": "c0000000-0000-4000-8000-000000000002", "reason": "deleted"}
    again = api.get(delta["@odata.deltaLink"], headers=track).json()
    assert again["value"] == []


def test_change_tracking_errors(api, dataverse):
    lead = api.get(f"{api.base}/leads?$select=subject", headers={"Prefer": "odata.track-changes"})
    assert lead.status_code == 400
    assert lead.json() == {"error": {"code": "0x80072491", "message": "Entity lead isn't enabled for change tracking."}}
    filtered = api.get(f"{api.base}/contacts?$select=firstname&$filter=firstname eq 'Ada'",
                       headers={"Prefer": "odata.track-changes"})
    assert filtered.status_code == 400
    link = api.get(f"{api.base}/contacts?$select=firstname", headers={"Prefer": "odata.track-changes"}).json()
    dataverse.expire_delta_tokens()
    expired = api.get(link["@odata.deltaLink"])
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "0x80044352"


# --- writes -------------------------------------------------------------------------------
def test_create_returns_204_with_the_entity_id_or_201_with_the_representation(api, dataverse):
    created = api.post(f"{api.base}/contacts", json={"firstname": "Zoé", "lastname": "Durand",
                                                     "parentcustomerid_account@odata.bind": f"/accounts({ACCOUNT_1})"})
    assert created.status_code == 204 and created.content == b""
    record_id = created.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    assert created.headers["OData-EntityId"] == f"{api.base}/contacts({record_id})"
    row = dataverse.record("contact", record_id)
    assert (row["parentcustomerid"], row["statecode"], row["statuscode"], row["ownerid"]) == (ACCOUNT_1, 0, 1, demo.USER_OBJECT_ID)
    assert row["fullname"] == "Zoé Durand"
    shown = api.post(f"{api.base}/contacts?$select=fullname,createdon", json={"lastname": "Solo"},
                     headers={"Prefer": "return=representation"})
    assert shown.status_code == 201 and shown.json()["fullname"] == "Solo"
    assert shown.json()["@odata.context"].endswith("#contacts(fullname,createdon)/$entity")


def test_patch_upserts_and_honours_if_match_and_if_none_match(api, dataverse):
    new_id = str(uuid.uuid4())
    assert api.patch(f"{api.base}/contacts({new_id})", json={"lastname": "Upserted"},
                     headers={"If-Match": "*"}).json()["error"]["code"] == "0x80040217"
    assert api.patch(f"{api.base}/contacts({new_id})", json={"lastname": "Upserted"},
                     headers={"Prefer": "return=representation"}).status_code == 201
    assert api.patch(f"{api.base}/contacts({new_id})", json={"jobtitle": "CTO"},
                     headers={"Prefer": "return=representation"}).status_code == 200
    existing = api.patch(f"{api.base}/contacts({new_id})", json={"jobtitle": "x"}, headers={"If-None-Match": "*"})
    assert existing.status_code == 412 and existing.json()["error"]["code"] == "0x80040237"
    etag = api.get(f"{api.base}/contacts({new_id})?$select=jobtitle").json()["@odata.etag"]
    stale = api.patch(f"{api.base}/contacts({new_id})", json={"jobtitle": "y"}, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "0x80060882"
    assert api.patch(f"{api.base}/contacts({new_id})", json={"jobtitle": "z"}, headers={"If-Match": etag}).status_code == 204


def test_patch_by_alternate_key_and_delete(api, dataverse):
    by_key = api.patch(f"{api.base}/contacts(cr8a1_externalid='EXT-0001')", json={"jobtitle": "Keyed"})
    assert by_key.status_code == 204 and by_key.headers["OData-EntityId"].endswith(f"({CONTACT_1})")
    assert dataverse.record("contact", CONTACT_1)["jobtitle"] == "Keyed"
    created = api.patch(f"{api.base}/contacts(cr8a1_externalid='NEW-''1')", json={"lastname": "ByKey"})
    row = dataverse.store.find_by_key(dataverse.entities["contact"], {"cr8a1_externalid": "NEW-'1"})
    assert created.status_code == 204 and row["lastname"] == "ByKey"
    assert api.delete(f"{api.base}/contacts({CONTACT_1})").status_code == 204
    missing = api.delete(f"{api.base}/contacts({CONTACT_1})")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "0x80040217", "message": f"contact With Id = {CONTACT_1} Does Not Exist"}}


def test_system_attributes_advance_on_every_write(api, dataverse):
    before = dataverse.record("contact", CONTACT_1)
    api.patch(f"{api.base}/contacts({CONTACT_1})", json={"jobtitle": "A"})
    middle = dataverse.record("contact", CONTACT_1)
    api.patch(f"{api.base}/contacts({CONTACT_1})", json={"jobtitle": "B"})
    after = dataverse.record("contact", CONTACT_1)
    assert before["modifiedon"] < middle["modifiedon"] < after["modifiedon"]
    assert before["versionnumber"] < middle["versionnumber"] < after["versionnumber"]
    assert after["createdon"] == before["createdon"]
    api.patch(f"{api.base}/contacts({CONTACT_1})", json={"statecode": 1})
    assert (dataverse.record("contact", CONTACT_1)["statecode"], dataverse.record("contact", CONTACT_1)["statuscode"]) == (1, 2)


@pytest.mark.parametrize("body, code, message", [
    ({"firstname": "No last name"}, "0x80040203",
     "The attribute 'lastname' of entity 'contact' is required (SystemRequired) but no value was provided."),
    ({"lastname": "x" * 51}, "0x80044331",
     "A validation error occurred. The length of the 'lastname' attribute of the 'contact' entity exceeded the "
     "maximum allowed length of '50'."),
    ({"lastname": "x", "gendercode": 7}, "0x8004431A",
     "A validation error occurred. The value 7 of 'gendercode' on record of type 'contact' is outside the valid "
     "range. Accepted Values: 1,2"),
    ({"lastname": "x", "createdon": "2020-01-01T00:00:00Z"}, "0x80040203",
     "The attribute 'createdon' of entity 'contact' is not valid for create (IsValidForCreate is false)."),
    ({"lastname": "x", "nosuchattribute": 1}, "0x80060888",
     "The property 'nosuchattribute' does not exist on type 'Microsoft.Dynamics.CRM.contact'. Make sure to only use "
     "property names that are defined by the type or mark the type as open type."),
])
def test_write_errors_have_dataverse_codes_and_messages(api, body, code, message):
    answer = api.post(f"{api.base}/contacts", json=body)
    assert answer.status_code == 400
    assert answer.json() == {"error": {"code": code, "message": message}}


def test_bind_to_a_missing_record_is_refused(api):
    answer = api.post(f"{api.base}/contacts", json={
        "lastname": "x", "parentcustomerid_account@odata.bind": "/accounts(a0000000-0000-4000-8000-0000000000ff)"})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "0x80040217"


# --- $batch ---------------------------------------------------------------------------------
def batch_body(parts: list[str], changeset: bool) -> tuple[str, str]:
    def part(index, text):
        return (f"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {index}\r\n\r\n"
                f"{text}\r\n")

    if changeset:
        inner = "".join(f"--changeset_c1\r\n{part(i + 1, text)}" for i, text in enumerate(parts)) + "--changeset_c1--\r\n"
        body = f"--batch_b1\r\nContent-Type: multipart/mixed; boundary=changeset_c1\r\n\r\n{inner}--batch_b1--\r\n"
    else:
        body = "".join(f"--batch_b1\r\n{part(i + 1, text)}" for i, text in enumerate(parts)) + "--batch_b1--\r\n"
    return "multipart/mixed; boundary=batch_b1", body


def post(api, path: str, body: dict) -> str:
    return f"POST {api.base}/{path} HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n{json.dumps(body)}"


def test_batch_change_set_succeeds_in_the_documented_response_format(api, dataverse):
    content_type, body = batch_body([post(api, "contacts", {"lastname": "Un"}), post(api, "contacts", {"lastname": "Deux"})], True)
    answer = api.post(f"{api.base}/$batch", data=body.encode(), headers={"Content-Type": content_type})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("multipart/mixed; boundary=batchresponse_")
    text = answer.text
    assert "Content-Type: multipart/mixed; boundary=changesetresponse_" in text
    assert text.count("HTTP/1.1 204 No Content") == 2 and "Content-ID: 2" in text
    assert text.count("OData-EntityId: ") == 2
    assert dataverse.store.count(dataverse.entities["contact"]) == 8


def test_batch_change_set_is_atomic(api, dataverse):
    content_type, body = batch_body([post(api, "contacts", {"lastname": "Kept?"}),
                                     post(api, "contacts", {"lastname": "y" * 80})], True)
    answer = api.post(f"{api.base}/$batch", data=body.encode(), headers={"Content-Type": content_type})
    assert answer.status_code == 200
    assert "HTTP/1.1 400 BAD REQUEST" in answer.text.upper() and "0x80044331" in answer.text
    assert "Content-ID: 2" in answer.text and "changesetresponse_" not in answer.text
    assert dataverse.store.count(dataverse.entities["contact"]) == 6


def test_batch_stops_at_the_first_error_unless_asked_to_continue(api, dataverse):
    parts = [post(api, "contacts", {"lastname": "z" * 80}), post(api, "contacts", {"lastname": "Après"}),
             f"GET {api.base}/contacts({CONTACT_1})?$select=firstname HTTP/1.1\r\nAccept: application/json\r\n"]
    content_type, body = batch_body(parts, False)
    stopped = api.post(f"{api.base}/$batch", data=body.encode(), headers={"Content-Type": content_type})
    assert stopped.text.count("HTTP/1.1 ") == 1
    going = api.post(f"{api.base}/$batch", data=body.encode(),
                     headers={"Content-Type": content_type, "Prefer": "odata.continue-on-error"})
    assert going.headers["Preference-Applied"] == "odata.continue-on-error"
    assert going.text.count("HTTP/1.1 ") == 3 and '"firstname": "Ada"' in going.text


def test_batch_refuses_more_than_1000_requests(api):
    content_type, body = batch_body([post(api, "contacts", {"lastname": "n"})] * 1001, False)
    answer = api.post(f"{api.base}/$batch", data=body.encode(), headers={"Content-Type": content_type})
    assert answer.status_code == 400 and "1000" in answer.json()["error"]["message"]


# --- service protection ------------------------------------------------------------------------
def test_service_protection_answers_429_with_retry_after(api, dataverse):
    dataverse.set_service_protection(budget=2, window_seconds=30)
    first = api.get(f"{api.base}/WhoAmI")
    assert first.headers["x-ms-ratelimit-burst-remaining-xrm-requests"] == "1"
    api.get(f"{api.base}/WhoAmI")
    throttled = api.get(f"{api.base}/WhoAmI")
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 30
    assert throttled.json()["error"] == {
        "code": "0x80072322", "message": "Number of requests exceeded the limit of 2 over time window of 30 seconds."}


# --- control interface ----------------------------------------------------------------------------
def test_control_interface_over_https(dataverse_server, dataverse, http):
    url = f"{dataverse_server.url}/_emulator"
    assert http.post(f"{url}/seed/contact", json={"count": 25}).json() == {"inserted": 25}
    created = http.post(f"{url}/records/contact", json={"lastname": "Via control"}).json()["id"]
    assert http.patch(f"{url}/records/contact/{created}", json={"firstname": "Now"}).status_code == 200
    assert dataverse.record("contact", created)["fullname"] == "Now Via control"
    assert http.delete(f"{url}/records/contact/{created}").status_code == 200
    http.post(f"{url}/faults", json={"kind": "status", "status": 503, "path": "WhoAmI"})
    assert http.get(f"{dataverse_server.url}/api/data/v9.2/WhoAmI").status_code == 503
    assert http.get(f"{url}/calls").json() == {"GET WhoAmI": 1}
    assert http.get(f"{url}/credentials").json()["client_secret"] == "demo-secret-not-real"
    assert http.put(f"{url}/limits", json={"budget": 10, "window_seconds": 60}).status_code == 200
    assert dataverse.limits.budget == 10
