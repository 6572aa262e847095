"""Security headers on the console and the API, and a Content-Security-Policy the
pages really fit: every inline script carries the response's nonce, every script
file comes from our own static files, no inline event handler exists — so the
admin, the run page, the dashboard's SVG charts and Swagger UI keep working."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.test_access import note
from connectors.models import ExternalAccount
from wizard import generation
from workflows.models import Activity, ActivityRun, Run, Workflow

pytestmark = pytest.mark.django_db

NONCE = re.compile(r"'nonce-([^']+)'")


class Scripts(HTMLParser):
    """The <script> tags and inline event-handler attributes of a page."""

    def __init__(self):
        super().__init__()
        self.scripts, self.handlers = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        self.handlers += [f"{tag} {name}" for name, _ in attrs if name.startswith("on")]


@pytest.fixture
def console(superuser):
    account = ExternalAccount.objects.create(name="Headers CRM", internal_name="headers", crm_type="salesforce",
                                             server_url="https://crm.example.invalid")
    schema = generation.generate(account, [note()])[0].schema
    workflow = Workflow.objects.create(name="Headers", internal_name="headers", account=account)
    activity = Activity.objects.create(workflow=workflow, position=0, operation="import", schema=schema, options={})
    run = Run.objects.create(workflow=workflow, status="running")
    ActivityRun.objects.create(run=run, activity=activity, operation="import", status="running", read=5, inserted=5)
    client = Client()
    client.force_login(superuser)
    client.objects = {"account": account, "workflow": workflow, "run": run}
    return client


def pages(console) -> dict[str, str]:
    objects = console.objects
    return {
        "dashboard": reverse("admin:index"),
        "run page (inline polling script)": reverse("admin:workflows_run_change", args=[objects["run"].pk]),
        "workflow form": reverse("admin:workflows_workflow_change", args=[objects["workflow"].pk]),
        "account form": reverse("admin:connectors_externalaccount_change", args=[objects["account"].pk]),
        "account list": reverse("admin:connectors_externalaccount_changelist"),
        "wizard": reverse("admin:wizard_configuration", args=[objects["account"].pk]),
        "swagger ui": "/api/docs/",
        "audit log": reverse("admin:auditlog_logentry_changelist"),
    }


def test_every_answer_carries_the_security_headers(console):
    """nosniff, same-origin referrer, DENY framing and a CSP that forbids framing and plugins."""
    urls = [*pages(console).values(), "/api/workflows/", "/api/schema/", "/admin/login/"]
    for url in urls:
        response = (Client() if url == "/admin/login/" else console).get(url)
        assert response.status_code == 200, url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url
        policy = response["Content-Security-Policy"]
        for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'",
                          "form-action 'self'", "img-src 'self' data:"):
            assert directive in policy, (url, policy)
        assert re.search(r"script-src 'self'( 'nonce-[^']+')?;", policy + ";"), (url, policy)
        assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy


def test_each_page_renders_within_its_policy(console):
    """Inline scripts carry this response's nonce; script files are ours; no onclick=."""
    for name, url in pages(console).items():
        check_page(console, name, url)


def check_page(console, name, url):
    response = console.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    parser = Scripts()
    parser.feed(html)
    nonces = NONCE.findall(response["Content-Security-Policy"])
    inline = [s for s in parser.scripts if "src" not in s and s.get("type") not in ("application/json",)]
    assert all(s.get("nonce") in nonces for s in inline), (inline, nonces)
    sources = [s["src"] for s in parser.scripts if "src" in s]
    assert all(src.startswith("/") and not src.startswith("//") for src in sources), sources  # same origin
    assert parser.handlers == []
    if name == "dashboard":
        assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    if name == "run page (inline polling script)":
        assert len(inline) == 1 and len(nonces) == 1
    if name == "swagger ui":
        assert 'id="swagger-ui"' in html and inline == []
        script = console.get("/api/docs/?script=")
        assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
        assert "SwaggerUIBundle" in script.content.decode()
