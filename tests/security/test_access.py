"""Every URL of the project, walked through Django's own resolver, refuses anyone
who is not a staff user holding the model's permission, and never answers 500."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from connectors.models import ExternalAccount
from connectors.types import FieldDescription as F
from connectors.types import FieldType as T
from connectors.types import TableDescription
from wizard import generation
from wizard.enumeration_models import EnumerationSyncJob
from workflows.models import Activity, Run, Workflow

pytestmark = pytest.mark.django_db(transaction=True)

DUMMY = "999999"
# Pages a signed-in staff user may open whatever their permissions: they show no
# model data (the index then says "You don't have permission to view or edit anything").
STAFF_PAGES = {"/", "/admin/", "/admin/login/", "/admin/password_change/", "/admin/password_change/done/", "/admin/jsi18n/"}
# The API's root (links only), its OpenAPI document and Swagger UI: staff, no permission.
STAFF_API_PAGES = {"/api/", "/api/.json", "/api/schema/", "/api/docs/"}
# Routes in the API's path that map to a model, for filling their `pk`.
API_MODELS = {
    "external-accounts": "connectors.externalaccount",
    "schemas": "wizard.dataschema",
    "enumeration-sync-jobs": "wizard.enumerationsyncjob",
    "workflows": "workflows.workflow",
    "runs": "workflows.run",
}
# Distinctive names: a page that shows them to someone without permission leaks data.
ACCOUNT_NAME = "Walked-Account-7731"
WORKFLOW_NAME = "Walked-Workflow-7731"
PARAMETER = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def walk(resolver=None, prefix=""):
    """Every URL pattern of the project as its full pattern text."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def model_of(pattern: str):
    """The model a URL is about, from its admin `app/model/` or its API route."""
    admin_route = re.match(r"admin/(\w+)/(\w+)/", pattern)
    if admin_route:
        try:
            return apps.get_model(*admin_route.groups())
        except LookupError:
            return None
    api_route = re.match(r"api/\^([\w-]+)", pattern)
    if api_route and api_route.group(1) in API_MODELS:
        return apps.get_model(API_MODELS[api_route.group(1)])
    return None


def concrete(pattern: str, objects: dict) -> str:
    """A requestable path: each parameter filled with the id of a real object."""
    model = model_of(pattern)

    def fill(match):
        name = match.group(1) or match.group(2)
        if name in ("pk", "object_id", "id"):
            row = model.objects.order_by("pk").first() if model else None
            return str(row.pk) if row else DUMMY
        return objects.get(name, DUMMY)

    path = PARAMETER.sub(fill, pattern.replace("<drf_format_suffix:format>", ".json"))
    path = path.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    return "/" + path


@pytest.fixture
def objects(superuser):
    account = ExternalAccount.objects.create(
        name=ACCOUNT_NAME, internal_name="walk", crm_type="salesforce", server_url="https://sf.example.invalid"
    )
    schema = generation.generate(account, [note()])[0].schema
    workflow = Workflow.objects.create(name=WORKFLOW_NAME, internal_name="wf", account=account)
    Activity.objects.create(workflow=workflow, position=0, operation="import", schema=schema, options={})
    Run.objects.create(workflow=workflow, status="succeeded", trigger="test")
    job = EnumerationSyncJob.objects.create(account=account)
    Group.objects.create(name="walkers")
    Token.objects.create(user=superuser)
    return {
        "account_pk": str(account.pk),
        "schema_pk": str(schema.pk),
        "field_pk": str(schema.fields.order_by("pk").last().pk),
        "job_pk": str(job.pk),
        "crm_id": "003000000000001AAA",
        "name": "Note_Kind",
        "format": "json",
        "url": "no/such/page/",
        "app_label": "connectors",
    }


def note() -> TableDescription:
    fields = (
        F("Id", "Note ID", T.ID, "id", length=18, nullable=False, read_only=True, primary_key=True),
        F("SystemModstamp", "System Modstamp", T.DATETIME, "datetime", read_only=True),
        F("Title", "Title", T.STRING, "string", length=80),
    )
    return TableDescription("Note", "Note", fields, id_field="Id", modstamp_field="SystemModstamp")


def urls(objects) -> list[str]:
    return sorted({concrete(pattern, objects) for pattern in walk()})


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def answers(user, url):
    """GET and POST answers of one URL, each from a fresh session (POST /admin/logout/
    must not sign the user out for the rest of the walk)."""
    return [(method, getattr(client_for(user), method.lower())(url)) for method in ("GET", "POST")]


def login_redirect(response) -> bool:
    return response.status_code == 302 and "/admin/login/" in response["Location"]


def test_walk_covers_the_api_and_every_admin_page_with_real_objects(objects):
    """The walk reaches the API, the console and each model's change page of a real row."""
    walked = urls(objects)
    assert "/api/external-accounts/" in walked
    assert f"/admin/workflows/run/{Run.objects.get().pk}/progress/" in walked
    assert f"/admin/wizard/dataschema/wizard/{objects['account_pk']}/" in walked
    assert len(walked) > 150


def test_anonymous_gets_401_from_the_api_and_the_login_page_from_the_console(objects):
    """Anonymous: every API URL answers 401, every console page sends to the login."""
    problems = []
    for url in urls(objects):
        for method, response in answers(None, url):
            if not expected_for_outsider(url, response, api_status=401):
                problems.append((method, url, response.status_code))
    assert problems == [], "\n".join(map(str, problems))


def test_non_staff_user_gets_403_from_the_api_and_the_login_page_from_the_console(objects, non_staff):
    """A signed-in user without staff status is refused like a stranger, with 403 on the API."""
    problems = []
    for url in urls(objects):
        for method, response in answers(non_staff, url):
            if not expected_for_outsider(url, response, api_status=403):
                problems.append((method, url, response.status_code))
    assert problems == [], "\n".join(map(str, problems))


def test_staff_without_permissions_is_denied_every_model_page_and_endpoint(objects, staff_without_permissions):
    """Staff without any model permission: 403 on the API, no console page with data, no 500."""
    problems = []
    for url in urls(objects):
        for method, response in answers(staff_without_permissions, url):
            if not expected_for_staff_without_permissions(url, method, response):
                problems.append((method, url, response.status_code))
    assert problems == [], "\n".join(map(str, problems))


def expected_for_outsider(url: str, response, api_status: int) -> bool:
    if url.startswith("/api/"):
        return response.status_code == api_status
    if url == "/":
        return response.status_code == 302
    if url == "/admin/login/":
        return response.status_code in (200, 302)
    if url == "/admin/logout/":
        return response.status_code in (200, 302, 405)
    return login_redirect(response)


def shows_data(response) -> bool:
    content = response.content.decode(errors="replace")
    return ACCOUNT_NAME in content or WORKFLOW_NAME in content


def expected_for_staff_without_permissions(url: str, method: str, response) -> bool:
    status = response.status_code
    if url in STAFF_API_PAGES:
        return status in (200, 405)
    if url.startswith("/api/"):
        return status == 403
    if status >= 500:
        return False
    if url == "/admin/logout/" and method == "POST":
        return status == 200
    if url in STAFF_PAGES:
        return status in (200, 302, 405) and not shows_data(response)
    return status in (302, 403, 404, 405)


def test_a_viewer_of_accounts_can_neither_test_them_nor_open_the_wizard(objects, staff_viewer):
    """view_externalaccount shows accounts; using their credentials needs more."""
    account = objects["account_pk"]
    api = client_for(staff_viewer)
    assert api.get(f"/api/external-accounts/{account}/").status_code == 200
    assert api.post(f"/api/external-accounts/{account}/test/").status_code == 403
    assert client_for(staff_viewer).get(f"/admin/wizard/dataschema/wizard/{account}/").status_code == 403
    tested = client_for(staff_viewer).post(f"/admin/connectors/externalaccount/{account}/test-connection/")
    assert tested.status_code in (302, 403)
