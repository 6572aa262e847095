"""Two administrators generating at once through the API create the table once;
a CRM with 1,500 extra tables is listed once per wizard and answered from cache."""

import threading
import time

import pytest
from django.db import connection

from tests.fixtures.accounts import api_client_for
from tests.fixtures.services import require_postgresql
from wizard.models import DataSchema


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_api_generations_create_the_table_once(crm_account, org, superuser):
    require_postgresql("proves the account row lock between two sessions")
    url = f"/api/external-accounts/{crm_account.pk}/schemas/"
    start, answers, errors = threading.Barrier(2), [], []

    def administrator():
        try:
            client = api_client_for(superuser)
            start.wait(timeout=10)
            response = client.post(url, {"tables": [org.contact, org.custom]}, format="json")
            answers.append((response.status_code, [o["action"] for o in response.json()]))
        except Exception as exc:  # pragma: no cover - shown in the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=administrator) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert errors == []
    # Each table is generated in its own transaction under the account's lock, so the two
    # requests may interleave table by table; what matters is that each table is created by
    # exactly one of them and found unchanged by the other.
    assert [status for status, _ in answers] == [201, 201]
    for position in range(2):
        assert sorted(actions[position] for _, actions in answers) == ["created", "unchanged"], answers
    assert DataSchema.objects.filter(account=crm_account).count() == 2
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if t.startswith("crm_")]
    assert len(tables) == 2


EXTRA_TABLES = 1500


@pytest.mark.django_db
def test_listing_1500_tables_calls_the_crm_once_per_wizard_and_answers_fast(crm_account, org, admin_api,
                                                                           listing_token):
    for i in range(EXTRA_TABLES):
        name = f"Extra_{i:04d}__c" if crm_account.crm_type == "salesforce" else f"cr8a1_extra{i:04d}"
        org.add_table(name, f"Extra {i:04d}", [])
    url = f"/api/external-accounts/{crm_account.pk}/tables/"
    before = org.listing_calls()

    first = admin_api.get(url, {"listing": listing_token})
    assert first.status_code == 200
    assert len(first.json()) == len(org.demo_tables) + EXTRA_TABLES
    assert org.listing_calls() == before + 1
    calls_after_first = org.emulator.calls()

    started = time.perf_counter()
    second = admin_api.get(url, {"listing": listing_token, "custom": "true"})
    elapsed = time.perf_counter() - started
    assert len(second.json()) == EXTRA_TABLES + 1
    assert org.emulator.calls() == calls_after_first  # not even a login
    assert elapsed < 0.5

    admin_api.get(url, {"listing": listing_token + "-another-wizard"})
    assert org.listing_calls() == before + 2
