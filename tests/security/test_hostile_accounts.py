"""Hostile and bad external-account input: every refused URL or CA gets a 400 naming
the field and changes nothing stored; a server certificate the account does not
trust, a wrong password or a missing credential give a readable Test connection
answer over real TLS, with no secret in it."""

from __future__ import annotations

import pytest

from connectors.models import ExternalAccount
from tests.fixtures.accounts import PAPER_RIGHT_KEY

pytestmark = pytest.mark.django_db

VALID_URL = "https://paper.example.invalid"
HOSTILE_URLS = [
    ("http://paper.example.invalid", "Only https:// URLs are accepted, not http://."),
    ("ftp://paper.example.invalid/file", "Only https:// URLs are accepted, not ftp://."),
    ("file:///etc/passwd", "Only https:// URLs are accepted, not file://."),
    ("javascript:alert(document.cookie)", "Only https:// URLs are accepted, not javascript:."),
    ("data:text/html,<script>alert(1)</script>", "Only https:// URLs are accepted, not data:."),
    ("gopher://127.0.0.1:6379/_FLUSHALL", "Only https:// URLs are accepted, not gopher://."),
    ("//paper.example.invalid", "Only https:// URLs are accepted, not a URL without a scheme."),
    ("https://", "Enter a valid https:// URL."),
    ("https://[::1", "Enter a valid https:// URL."),
    ("https://paper example.invalid", "Enter a valid https:// URL."),
    ("https://paper.example.invalid/\r\nX-Injected: 1", "Enter a valid https:// URL."),
    ("https://paper.example.invalid:99999", "The port of the server URL must be between 0 and 65535."),
    ("https://admin:hunter2@paper.example.invalid", "The server URL must not contain a user name or password."),
    ("https://token@paper.example.invalid", "The server URL must not contain a user name or password."),
    ("https://" + "a" * 3000 + ".example", "The server URL is longer than 2048 characters."),
]
PRIVATE_KEY = ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFakeKeyMaterialNotRealButLooksLikeIt00000\n"
               "-----END PRIVATE KEY-----\n")


@pytest.fixture
def paper_account(paper_connector, admin_api):
    response = admin_api.post("/api/external-accounts/", {
        "name": "Paper", "internal_name": "paper", "crm_type": "paper", "server_url": VALID_URL,
        "settings": {"username": "u@example.invalid", "api_key": PAPER_RIGHT_KEY}}, format="json")
    assert response.status_code == 201
    return ExternalAccount.objects.get()


def snapshot(account) -> tuple:
    account = ExternalAccount.objects.get(pk=account.pk)
    return account.server_url, account.ca_certificate, dict(account.secrets), account.updated_at


def test_each_hostile_url_is_refused_on_create_and_on_change_and_changes_nothing(admin_api, paper_account):
    before = snapshot(paper_account)
    problems = []
    for url, message in HOSTILE_URLS:
        created = admin_api.post("/api/external-accounts/", {
            "name": "Other", "internal_name": "other", "crm_type": "paper", "server_url": url,
            "settings": {"username": "u", "api_key": "k"}}, format="json")
        changed = admin_api.patch(f"/api/external-accounts/{paper_account.pk}/", {"server_url": url}, format="json")
        for answer in (created, changed):
            if (answer.status_code, answer.json()) != (400, {"server_url": [message]}):
                problems.append((url[:60], answer.status_code, answer.content[:200]))
    assert problems == []
    assert ExternalAccount.objects.count() == 1 and snapshot(paper_account) == before


@pytest.mark.parametrize("ca, message", [
    ("not a certificate", "The CA certificate is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)."),
    (PRIVATE_KEY, "The CA certificate is a private key, not a certificate: paste the CA's certificate, never a key."),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
     "The CA certificate is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)."),
])
def test_a_ca_field_that_is_not_a_pem_certificate_is_refused_without_echoing_it(admin_api, paper_account, ca,
                                                                                 message):
    before = snapshot(paper_account)
    answer = admin_api.patch(f"/api/external-accounts/{paper_account.pk}/", {"ca_certificate": ca}, format="json")
    assert (answer.status_code, answer.json()) == (400, {"ca_certificate": [message]})
    assert "FakeKeyMaterial" not in answer.content.decode()
    assert snapshot(paper_account) == before


@pytest.fixture(params=["salesforce", "dynamics"])
def account_on(request):
    return request.getfixturevalue(f"{request.param}_account")


def test_a_certificate_the_account_does_not_trust_is_explained_by_test_connection(admin_api, account_on,
                                                                                   dataverse_server,
                                                                                   salesforce_emulator):
    """No CA, then the other emulator's CA: the TLS handshake fails, the answer says why."""
    other_ca = (dataverse_server.tls.ca_pem if account_on.crm_type == "salesforce" else salesforce_emulator.ca_pem)
    for ca in ("", other_ca):
        ExternalAccount.objects.filter(pk=account_on.pk).update(ca_certificate=ca)
        answer = admin_api.post(f"/api/external-accounts/{account_on.pk}/test/")
        assert answer.status_code == 200
        detail = answer.json()["detail"]
        assert answer.json()["ok"] is False
        assert "TLS certificate not trusted: unable to get local issuer certificate" in detail, detail
        assert "_ssl.c" not in detail
    assert ExternalAccount.objects.get(pk=account_on.pk).last_test_ok is False


def test_wrong_and_missing_credentials_are_explained_without_the_secret(admin_api, account_on):
    secret_name = "password" if account_on.crm_type == "salesforce" else "client_secret"
    wrong = "wrong-secret-value-never-shown-9931"
    account_on.secrets = {**account_on.secrets, secret_name: wrong}
    account_on.save()
    answer = admin_api.post(f"/api/external-accounts/{account_on.pk}/test/").json()
    assert answer["ok"] is False and wrong not in answer["detail"]
    expected = ("INVALID_LOGIN: Salesforce refused the login" if account_on.crm_type == "salesforce"
                else "AADSTS7000215")
    assert expected in answer["detail"], answer["detail"]
    cleared = admin_api.patch(f"/api/external-accounts/{account_on.pk}/", {"settings": {secret_name: None}},
                              format="json")
    assert cleared.status_code == 400
    assert cleared.json() == {"settings": {secret_name: ["This setting is required."]}}
