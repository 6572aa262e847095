"""The admin console: navigation tree, the external-account form, Test connection."""

import logging

import pytest
from django.test import Client

from connectors.models import ExternalAccount
from tests.fixtures.accounts import PAPER_RIGHT_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def account_form(**overrides):
    data = {
        "name": "Paper demo",
        "internal_name": "paper-demo",
        "crm_type": "paper",
        "server_url": "https://paper.example.invalid",
        "api_version": "",
        "enabled": "on",
        "timeout": "60",
        "api_quota_share": "90",
        "ca_certificate": "",
        "paper__username": "integration@example.invalid",
        "paper__api_key": PAPER_RIGHT_KEY,
        "paper__region": "eu",
    }
    data.update(overrides)
    return data


def test_home_page_is_arranged_like_the_reference_navigation_tree(console, paper_connector):
    page = console.get("/admin/").content.decode()
    assert "Administration › Platform" in page
    assert page.index("Administration › Platform") < page.index("External accounts")


def test_http_url_refused_in_the_admin_form_with_its_message(console, paper_connector):
    response = console.post("/admin/connectors/externalaccount/add/", account_form(server_url="http://x.example"))
    assert response.status_code == 200
    assert "Only https:// URLs are accepted, not http://." in response.content.decode()
    assert ExternalAccount.objects.count() == 0


def test_secret_is_write_only_in_the_admin_and_blank_keeps_it(console, paper_connector):
    response = console.post("/admin/connectors/externalaccount/add/", account_form())
    assert response.status_code == 302
    account = ExternalAccount.objects.get()
    page = console.get(f"/admin/connectors/externalaccount/{account.pk}/change/").content.decode()
    assert PAPER_RIGHT_KEY not in page
    assert "(set) Leave blank to keep the current value." in page
    console.post(f"/admin/connectors/externalaccount/{account.pk}/change/", account_form(paper__api_key=""))
    assert ExternalAccount.objects.get().secrets == {"api_key": PAPER_RIGHT_KEY}


def test_test_connection_button_shows_a_human_result_and_logs_no_secret(console, paper_connector, caplog):
    console.post("/admin/connectors/externalaccount/add/", account_form())
    account = ExternalAccount.objects.get()
    with caplog.at_level(logging.DEBUG):
        response = console.post(f"/admin/connectors/externalaccount/{account.pk}/test-connection/", follow=True)
    page = response.content.decode()
    assert "Test connection: connected as integration@example.invalid (API v1)" in page
    assert PAPER_RIGHT_KEY not in page and PAPER_RIGHT_KEY not in caplog.text
    assert "account paper-demo: ok" in caplog.text


def test_test_connection_needs_post(console, paper_connector):
    console.post("/admin/connectors/externalaccount/add/", account_form())
    account = ExternalAccount.objects.get()
    assert console.get(f"/admin/connectors/externalaccount/{account.pk}/test-connection/").status_code == 405
