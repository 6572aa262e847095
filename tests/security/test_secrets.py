"""No configured secret ever leaves crmsync: not in API responses, console pages,
logs (at DEBUG), connection-test results, run errors, run logs, rejects or the
OpenAPI document. Each secret is distinctive, so a plain search finds any leak."""

from __future__ import annotations

import logging

import pytest
import tenacity
from django.test import Client
from django.urls import reverse

from connectors import services
from connectors.models import ExternalAccount
from connectors.types import FieldDescription as F
from connectors.types import FieldType as T
from connectors.types import TableDescription
from tests.fixtures.accounts import api_client_for
from wizard import generation
from workflows import engine, tasks
from workflows.models import Activity, Reject, Run, Workflow

pytestmark = pytest.mark.django_db(transaction=True)

# Nothing listens on port 9 of the loopback: every connection is refused at once.
UNREACHABLE = "https://127.0.0.1:9"
SF_SECRETS = {"password": "SfPassword-Zq81-secret", "security_token": "SfToken-Kx27-secret"}
DYN_SECRETS = {"client_secret": "DynClientSecret-Wm55-secret", "password": "DynPassword-Hr19-secret"}
WRONG_SF_SECRETS = {"password": "WrongSfPassword-Pt63-secret", "security_token": "WrongSfToken-Lb04-secret"}


@pytest.fixture
def accounts(salesforce_emulator):
    """Two unreachable accounts and one reaching the emulator with wrong credentials."""
    username = salesforce_emulator.credentials.username
    return [
        ExternalAccount.objects.create(
            name="SF unreachable", internal_name="sf-unreachable", crm_type="salesforce", server_url=UNREACHABLE,
            timeout=2, settings={"auth_flow": "password", "username": username}, secrets=dict(SF_SECRETS)),
        ExternalAccount.objects.create(
            name="Dyn unreachable", internal_name="dyn-unreachable", crm_type="dynamics", server_url=UNREACHABLE,
            timeout=2, settings={"tenant_id": "00000000-0000-0000-0000-000000000001",
                                 "client_id": "00000000-0000-0000-0000-000000000002",
                                 "auth_type": "client_secret", "authority_host": UNREACHABLE},
            secrets=dict(DYN_SECRETS)),
        ExternalAccount.objects.create(
            name="SF wrong password", internal_name="sf-wrong", crm_type="salesforce",
            server_url=salesforce_emulator.url, timeout=5, ca_certificate=salesforce_emulator.ca_pem,
            settings={"auth_flow": "password", "username": username}, secrets=dict(WRONG_SF_SECRETS)),
    ]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """Retries still happen (and log), without waiting between them."""
    monkeypatch.setattr(tenacity.nap, "sleep", lambda seconds: None)


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def configured_secrets() -> list[str]:
    return [*SF_SECRETS.values(), *DYN_SECRETS.values(), *WRONG_SF_SECRETS.values()]


def leaks(*texts: str) -> list[str]:
    """The configured secrets found in any of the texts."""
    return [secret for secret in configured_secrets() for text in texts if secret in text]


def note() -> TableDescription:
    fields = (
        F("Id", "Note ID", T.ID, "id", length=18, nullable=False, read_only=True, primary_key=True),
        F("SystemModstamp", "System Modstamp", T.DATETIME, "datetime", read_only=True),
        F("Title", "Title", T.STRING, "string", length=80),
    )
    return TableDescription("Note", "Note", fields, id_field="Id", modstamp_field="SystemModstamp")


def api_texts(superuser, accounts) -> list[str]:
    api = api_client_for(superuser)
    texts = [api.get("/api/external-accounts/").content.decode(), api.get("/api/schema/").content.decode()]
    for account in accounts:
        texts.append(api.get(f"/api/external-accounts/{account.pk}/").content.decode())
        tested = api.post(f"/api/external-accounts/{account.pk}/test/")
        assert tested.status_code < 500
        texts.append(tested.content.decode())
    return texts


def console_texts(superuser, accounts) -> list[str]:
    client = Client()
    client.force_login(superuser)
    texts = [client.get(reverse("admin:connectors_externalaccount_changelist")).content.decode()]
    for account in accounts:
        change = reverse("admin:connectors_externalaccount_change", args=[account.pk])
        texts.append(client.get(change).content.decode())
        tested = client.post(reverse("admin:connectors_externalaccount_test", args=[account.pk]), follow=True)
        texts.append(tested.content.decode())
        wizard = reverse("admin:wizard_configuration", args=[account.pk])
        texts.append(client.get(wizard).content.decode())
        step_one = client.post(wizard, {f"configuration_wizard_{account.pk}-current_step": "account",
                                        "account-confirm": "on"})
        assert "Test connection failed" in step_one.content.decode()
        texts.append(step_one.content.decode())
    return texts


def run_texts(superuser, account) -> list[str]:
    """A failed import of an unreachable account: its error, log, rejects and pages."""
    schema = generation.generate(account, [note()])[0].schema
    workflow = Workflow.objects.create(name="wf", internal_name=f"wf-{account.pk}", account=account)
    Activity.objects.create(workflow=workflow, position=0, operation="import", schema=schema, options={})
    run = Run.objects.create(workflow=workflow, trigger="test")
    engine.begin(run.pk)
    # The last of the task's retries: the transient CRM error fails the run.
    tasks.run_activity.apply(args=(run.pk, 0), retries=tasks.run_activity.max_retries)
    run.refresh_from_db()
    assert run.status == "failed"
    client = Client()
    client.force_login(superuser)
    pages = [
        api_client_for(superuser).get(f"/api/runs/{run.pk}/").content.decode(),
        api_client_for(superuser).get(f"/api/runs/{run.pk}/rejects/").content.decode(),
        client.get(reverse("admin:workflows_run_change", args=[run.pk])).content.decode(),
        client.get(reverse("admin:workflows_run_progress", args=[run.pk])).content.decode(),
    ]
    rejects = [f"{r.code} {r.message} {r.fields} {r.payload}" for r in Reject.objects.filter(run=run)]
    return [run.error, run.log, *rejects, *pages]


def test_accounts_api_and_openapi_document_never_show_a_secret(superuser, accounts, debug_logs):
    """List, detail and test of each account, and the OpenAPI document, name no secret."""
    texts = api_texts(superuser, accounts)
    assert leaks(*texts, debug_logs.text) == []


def test_console_pages_and_the_wizards_failed_connection_test_never_show_a_secret(superuser, accounts, debug_logs):
    """The account list, change pages, test button and wizard step 1 name no secret."""
    texts = console_texts(superuser, accounts)
    assert leaks(*texts, debug_logs.text) == []


def test_failed_connection_tests_keep_no_secret_in_their_result_or_the_account(accounts, debug_logs):
    """The unreachable URL and the wrong password fail with a readable, secret-free reason."""
    results = [services.test_connection(account) for account in accounts]
    assert [result.ok for result in results] == [False, False, False]
    assert "connection test of account sf-wrong: failed" in debug_logs.text
    stored = [account.last_test_detail for account in ExternalAccount.objects.all()]
    assert leaks(*(r.detail for r in results), *stored, debug_logs.text) == []


def test_a_failed_run_keeps_no_secret_in_its_error_log_rejects_or_pages(superuser, accounts, debug_logs):
    """Runs of unreachable accounts fail; their error, run log and rejects name no secret."""
    texts = [text for account in accounts[:2] for text in run_texts(superuser, account)]
    assert leaks(*texts, debug_logs.text) == []


def test_the_leak_detector_finds_a_secret_written_to_a_reject_or_a_log(accounts, debug_logs):
    """The search itself works: a secret put in a reject or a log line is found."""
    workflow = Workflow.objects.create(name="wf", internal_name="wf-probe", account=accounts[0])
    run = Run.objects.create(workflow=workflow, status="failed", trigger="test")
    activity_run = run.activity_runs.create(position=0, operation="import")
    Reject.objects.create(run=run, activity_run=activity_run, code="X", message=f"bad {SF_SECRETS['password']}")
    logging.getLogger("crmsync.probe").debug("token %s", DYN_SECRETS["client_secret"])
    rejects = [r.message for r in Reject.objects.all()]
    assert leaks(*rejects, debug_logs.text) == [SF_SECRETS["password"], DYN_SECRETS["client_secret"]]
