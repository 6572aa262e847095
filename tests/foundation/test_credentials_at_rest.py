"""Credentials are encrypted at rest with rotatable Fernet keys."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from connectors import services
from connectors.models import ExternalAccount
from connectors.types import ConnectionResult

pytestmark = pytest.mark.django_db

SECRET = "paper-secret-value-for-tests"


def make_account():
    return ExternalAccount.objects.create(
        name="Paper",
        internal_name="paper",
        crm_type="paper",
        server_url="https://paper.example.invalid",
        settings={"username": "u"},
        secrets={"api_key": SECRET},
    )


def raw_secrets_column(account_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM connectors_externalaccount WHERE id = %s", [account_id])
        return cursor.fetchone()[0]


def test_the_raw_database_column_holds_no_plaintext_credential():
    account = make_account()
    raw = raw_secrets_column(account.pk)
    assert SECRET not in raw and "api_key" not in raw
    assert raw.startswith("gAAAAA")  # a Fernet token
    assert ExternalAccount.objects.get().secrets == {"api_key": SECRET}


def test_key_rotation_old_key_decrypts_new_key_encrypts_and_rotate_command_reencrypts():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(CRMSYNC_SECRET_KEYS=[old]):
        account = make_account()
    with override_settings(CRMSYNC_SECRET_KEYS=[new, old]):
        assert ExternalAccount.objects.get().secrets == {"api_key": SECRET}
        assert Fernet(old.encode()).decrypt(raw_secrets_column(account.pk).encode())
        call_command("rotate_secret_keys")
        token = raw_secrets_column(account.pk).encode()
        assert Fernet(new.encode()).decrypt(token)
    with override_settings(CRMSYNC_SECRET_KEYS=[new]):
        assert ExternalAccount.objects.get().secrets == {"api_key": SECRET}


def test_a_secret_encrypted_with_a_removed_key_gives_a_clear_error_and_is_not_destroyed(paper_connector):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(CRMSYNC_SECRET_KEYS=[old]):
        account = make_account()
        token = raw_secrets_column(account.pk)
    with override_settings(CRMSYNC_SECRET_KEYS=[new]):
        account = ExternalAccount.objects.get()
        result = services.test_connection(account)
        assert result == ConnectionResult(
            False,
            "stored credentials cannot be decrypted with the configured CRMSYNC_SECRET_KEYS; "
            "restore the old key or enter the credentials again",
        )
        account.name = "Renamed"
        account.save()
        assert raw_secrets_column(account.pk) == token
