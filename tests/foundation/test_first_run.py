"""The first-run command prepares the database, starts the demo CRMs with an
external account for each, and prints a login that works."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from connectors.models import ExternalAccount
from connectors.services import test_connection as check_connection
from crmsync.management.commands import crmsync_demo


@pytest.fixture
def demo_emulators():
    """Stops whatever emulators the command left running with --no-serve."""
    yield crmsync_demo.running
    while crmsync_demo.running:
        crmsync_demo.running.pop().stop()


@pytest.mark.django_db
def test_crmsync_demo_prints_the_console_url_and_a_working_demo_login(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("crmsync_demo", "--no-serve", "--no-emulators", "--addr", "127.0.0.1:8123")
    out = capsys.readouterr().out
    assert "crmsync console: http://127.0.0.1:8123/admin/" in out
    username, password = out.split("login: ", 1)[1].strip().split(" / ")
    user = authenticate(username=username, password=password)
    assert user is not None and user.is_staff and user.is_superuser
    assert (tmp_path / "demo_admin_password").stat().st_mode & 0o077 == 0
    assert not ExternalAccount.objects.exists()


@pytest.mark.django_db
def test_crmsync_demo_starts_both_emulators_with_accounts_whose_connection_test_succeeds(
    capsys, settings, tmp_path, demo_emulators
):
    settings.VAR_DIR = tmp_path
    call_command("crmsync_demo", "--no-serve", "--salesforce-port", "0", "--dynamics-port", "0")
    out = capsys.readouterr().out
    accounts = {account.name: account for account in ExternalAccount.objects.all()}
    assert set(accounts) == {"Salesforce demo", "Dynamics demo"}
    for account in accounts.values():
        assert f"external account '{account.name}'" in out and account.server_url in out
        result = check_connection(account)
        assert result.ok, result.detail
    assert list(tmp_path.glob("emulators/*/*.pem")), "the emulators' TLS files live under the var dir"


@pytest.mark.django_db
def test_crmsync_demo_run_twice_updates_the_demo_accounts_in_place(capsys, settings, tmp_path, demo_emulators):
    settings.VAR_DIR = tmp_path
    call_command("crmsync_demo", "--no-serve", "--salesforce-port", "0", "--dynamics-port", "0")
    first = dict(ExternalAccount.objects.values_list("internal_name", "pk"))
    demo_emulators.pop().stop()
    call_command("crmsync_demo", "--no-serve", "--salesforce-port", "0", "--dynamics-port", "0")
    assert dict(ExternalAccount.objects.values_list("internal_name", "pk")) == first
    assert check_connection(ExternalAccount.objects.get(internal_name="sf-demo")).ok
