"""The external-accounts REST API: validation, write-only secrets, access rules."""

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from connectors.models import ExternalAccount
from tests.fixtures.accounts import PAPER_RIGHT_KEY, api_client_for

pytestmark = pytest.mark.django_db

SECRET = PAPER_RIGHT_KEY


def paper_account(**overrides):
    body = {
        "name": "Paper demo",
        "internal_name": "paper-demo",
        "crm_type": "paper",
        "server_url": "https://paper.example.invalid",
        "settings": {"username": "integration@example.invalid", "api_key": SECRET},
    }
    body.update(overrides)
    return body


def test_create_answers_201_without_the_secret_and_lists_which_secrets_are_set(admin_api, paper_connector):
    response = admin_api.post("/api/external-accounts/", paper_account(), format="json")
    assert response.status_code == 201, response.content
    assert SECRET not in response.content.decode()
    assert response.json()["settings"] == {"username": "integration@example.invalid", "region": "eu"}
    assert response.json()["credentials_set"] == ["api_key"]
    assert ExternalAccount.objects.get().secrets == {"api_key": SECRET}


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://paper.example.invalid", "Only https:// URLs are accepted, not http://."),
        ("ftp://paper.example.invalid", "Only https:// URLs are accepted, not ftp://."),
        ("file:///etc/passwd", "Only https:// URLs are accepted, not file://."),
        ("paper.example.invalid", "Only https:// URLs are accepted, not a URL without a scheme."),
        ("https://", "Enter a valid https:// URL."),
        ("https://" + "a" * 2100 + ".com", "The server URL is longer than 2048 characters."),
    ],
)
def test_a_non_https_or_malformed_url_is_refused_with_a_message_naming_the_field(admin_api, paper_connector, url, message):
    response = admin_api.post("/api/external-accounts/", paper_account(server_url=url), format="json")
    assert response.status_code == 400
    assert response.json() == {"server_url": [message]}
    assert ExternalAccount.objects.count() == 0


@pytest.mark.parametrize(
    "change, errors",
    [
        ({"crm_type": "oracle"}, {"crm_type": ['"oracle" is not a valid choice.']}),
        ({"settings": {"username": "u"}}, {"settings": {"api_key": ["This setting is required."]}}),
        (
            {"settings": {"username": "u", "api_key": "k", "colour": "red"}},
            {"settings": {"colour": ["Unknown setting for Paper CRM."]}},
        ),
        (
            {"settings": {"username": "u", "api_key": "k", "region": "mars"}},
            {"settings": {"region": ["'mars' is not one of: eu, us."]}},
        ),
        ({"ca_certificate": "not a certificate"}, {"ca_certificate": [
            "The CA certificate is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)."]}),
        ({"timeout": 0}, {"timeout": ["Ensure this value is greater than or equal to 1."]}),
    ],
)
def test_bad_input_gets_400_with_field_messages_and_creates_nothing(admin_api, paper_connector, change, errors):
    response = admin_api.post("/api/external-accounts/", paper_account(**change), format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert ExternalAccount.objects.count() == 0


def test_patch_with_blank_secret_keeps_it_and_null_clears_it(admin_api, paper_connector):
    account_id = admin_api.post("/api/external-accounts/", paper_account(), format="json").json()["id"]
    url = f"/api/external-accounts/{account_id}/"
    response = admin_api.patch(url, {"settings": {"username": "other@example.invalid", "api_key": ""}}, format="json")
    assert response.status_code == 200
    assert ExternalAccount.objects.get().secrets == {"api_key": SECRET}
    response = admin_api.patch(url, {"settings": {"api_key": None}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"settings": {"api_key": ["This setting is required."]}}
    assert ExternalAccount.objects.get().secrets == {"api_key": SECRET}


def test_test_endpoint_reports_success_and_failure_in_words(admin_api, paper_connector):
    account_id = admin_api.post("/api/external-accounts/", paper_account(), format="json").json()["id"]
    response = admin_api.post(f"/api/external-accounts/{account_id}/test/")
    assert response.json() == {"ok": True, "detail": "connected as integration@example.invalid (API v1)"}
    admin_api.patch(f"/api/external-accounts/{account_id}/", {"settings": {"api_key": "wrong-key"}}, format="json")
    response = admin_api.post(f"/api/external-accounts/{account_id}/test/")
    assert response.json() == {"ok": False, "detail": "authentication failed: invalid API key"}
    account = ExternalAccount.objects.get()
    assert (account.last_test_ok, account.last_test_detail) == (False, "authentication failed: invalid API key")


def test_anonymous_requests_get_401(db):
    client = APIClient()
    assert client.get("/api/external-accounts/").status_code == 401
    assert client.post("/api/external-accounts/", {}, format="json").status_code == 401


def test_non_staff_and_staff_without_permission_get_403(non_staff, staff_without_permissions):
    for user in (non_staff, staff_without_permissions):
        assert api_client_for(user).get("/api/external-accounts/").status_code == 403


def test_staff_with_view_permission_can_list_but_not_create_or_test(admin_api, staff_viewer, paper_connector):
    account_id = admin_api.post("/api/external-accounts/", paper_account(), format="json").json()["id"]
    viewer = api_client_for(staff_viewer)
    assert viewer.get("/api/external-accounts/").json()["count"] == 1
    assert viewer.post("/api/external-accounts/", paper_account(internal_name="x"), format="json").status_code == 403
    assert viewer.post(f"/api/external-accounts/{account_id}/test/").status_code == 403
    assert viewer.delete(f"/api/external-accounts/{account_id}/").status_code == 403


def test_drf_create_token_gives_a_token_that_authenticates(superuser, paper_connector):
    call_command("drf_create_token", superuser.username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.get(user=superuser).key)
    assert client.get("/api/external-accounts/").status_code == 200
