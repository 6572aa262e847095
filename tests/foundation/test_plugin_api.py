"""Adding a CRM means adding one package: an in-test connector, registered here
and nowhere else, is usable through the API and the admin at once."""

import pytest

from connectors import registry
from connectors.errors import AlreadyRegistered, NotRegistered
from tests.fixtures.accounts import PAPER_RIGHT_KEY, PaperConnector

pytestmark = pytest.mark.django_db


def test_a_registered_connector_is_usable_through_the_api(admin_api, paper_connector):
    body = {
        "name": "Paper",
        "internal_name": "paper",
        "crm_type": "paper",
        "server_url": "https://paper.example.invalid",
        "settings": {"username": "robot@example.invalid", "api_key": PAPER_RIGHT_KEY, "region": "us"},
    }
    created = admin_api.post("/api/external-accounts/", body, format="json")
    assert created.status_code == 201
    result = admin_api.post(f"/api/external-accounts/{created.json()['id']}/test/").json()
    assert result == {"ok": True, "detail": "connected as robot@example.invalid (API v1)"}


def test_its_settings_appear_in_the_admin_form(admin_client, paper_connector):
    page = admin_client.get("/admin/connectors/externalaccount/add/").content.decode()
    assert 'name="paper__api_key"' in page and "Paper CRM settings" in page


def test_unknown_crm_type_is_refused_once_unregistered(admin_api):
    assert "paper" not in dict(registry.choices())
    with pytest.raises(NotRegistered):
        registry.get("paper")


def test_registering_another_class_under_the_same_type_fails_loudly(paper_connector):
    other = type("OtherPaper", (PaperConnector,), {})
    with pytest.raises(AlreadyRegistered):
        registry.register(other)
