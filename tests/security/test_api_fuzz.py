"""schemathesis fuzzes every operation of the REST API from its own OpenAPI document
(the one /api/schema/ serves), as a staff superuser with a token: no answer may be
a 5xx. The example count is small and derandomized for CI; CRMSYNC_FUZZ_EXAMPLES
raises it (the report's full run)."""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error

from django.contrib.auth.models import User
from connectors.models import ExternalAccount
from tests.security.test_access import note
from wizard import generation
from wizard.enumeration_models import EnumerationSyncJob
from workflows.models import Activity, Run, Workflow

EXAMPLES = int(os.environ.get("CRMSYNC_FUZZ_EXAMPLES", "6"))
# Path parameters pointed at real objects on every other example (random ids only reach 404s).
REAL_IDS = {"/api/external-accounts/": "account", "/api/workflows/": "workflow", "/api/runs/": "run",
            "/api/schemas/": "schema", "/api/enumeration-sync-jobs/": "job"}


def openapi_document() -> dict:
    """The document /api/schema/ serves, through the same generator and renderer."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = get_wsgi_application()


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: the WSGI handler must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api(salesforce_account, keep_test_connection):
    """A superuser's token, and one object of each kind on an account of the
    Salesforce emulator, for the fuzzer to aim at."""
    user = User.objects.create_superuser("fuzzer", "fuzz@example.invalid", None)
    schema_row = generation.generate(salesforce_account, [note()])[0].schema
    workflow = Workflow.objects.create(name="Fuzzed", internal_name="fuzzed", account=salesforce_account)
    Activity.objects.create(workflow=workflow, position=0, operation="import", schema=schema_row, options={})
    run = Run.objects.create(workflow=workflow, status="succeeded")
    job = EnumerationSyncJob.objects.create(account=salesforce_account)
    ids = {"account": salesforce_account.pk, "workflow": workflow.pk, "run": run.pk, "schema": schema_row.pk,
           "job": job.pk}
    return {"token": Token.objects.create(user=user).key, "ids": ids, "calls": [0]}


def aim(case, api) -> None:
    api["calls"][0] += 1
    if api["calls"][0] % 2 or not case.path_parameters:
        return
    for prefix, kind in REAL_IDS.items():
        if case.path.startswith(prefix):
            name = "account_pk" if "account_pk" in case.path_parameters else "id"
            case.path_parameters[name] = api["ids"][kind]
            return


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_no_operation_answers_a_server_error(case, api):
    aim(case, api)
    response = case.call(headers={"Authorization": f"Token {api['token']}"})
    case.validate_response(response, checks=[not_a_server_error])


def test_deleting_an_account_still_in_use_is_a_409_that_says_by_what(api, salesforce_account):
    """Found by the fuzzer (was a 500): the account stays, the answer names its users."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api['token']}")
    response = client.delete(f"/api/external-accounts/{salesforce_account.pk}/")
    assert response.status_code == 409
    assert response.json() == {"detail": 'Still used by data schema "Note (sf-demo:Note)", workflow "Fuzzed": '
                                         "delete or change those first."}
    assert ExternalAccount.objects.filter(pk=salesforce_account.pk).exists()


def test_options_on_a_route_without_an_object_answers_200(api):
    """Found by the fuzzer (was a 500): OPTIONS on /api/schemas/{id}/audits/schedule/."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api['token']}")
    response = client.options(f"/api/schemas/{api['ids']['schema']}/audits/schedule/")
    assert response.status_code == 200
    assert response.json()["name"] == "Schedule"


@pytest.mark.parametrize("path", ["/api/audit-log/?actor=a%00b", "/api/runs/?status=%00",
                                  "/api/workflows/?x%00y=1"])
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(api, path):
    """Found by the fuzzer (was a 500: PostgreSQL cannot compare with a NUL)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api['token']}")
    response = client.get(path)
    assert response.status_code == 400
    [(name, messages)] = response.json().items()
    assert messages == ["Query parameters must not contain NUL (\\x00) characters."]
    assert "\\x00" in name or name in {"actor", "status"}


def test_a_forecast_the_crm_refuses_is_a_409_with_its_message(api):
    """Found by the fuzzer (was a 503): the fuzzed workflow names a table the CRM lacks."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api['token']}")
    response = client.get(f"/api/workflows/{api['ids']['workflow']}/forecast/")
    assert response.status_code == 409
    assert response.json() == {"detail": "the CRM refused: NOT_FOUND: cannot describe Note: "
                                         "The requested resource does not exist"}
