"""The console's main pages at 1280×800 and on a 390×844 phone: nothing makes the
page scroll sideways (wide tables scroll inside their own box), and every visible
form control has a label."""

from __future__ import annotations

import pytest

from tests.browser.conftest import NARROW, WIDE, horizontal_overflow, screenshot
from tests.workflows.helpers import generate, run_now
from workflows import templates

UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter(el => !["hidden", "submit", "button"].includes(el.type) && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
  .map(el => el.name || el.id)"""


@pytest.fixture
def pages(salesforce_account, admin_user):
    contact = generate(salesforce_account, "Contact", ["LastName", "FirstName", "Email", "LeadSource"])
    workflow = templates.create_workflow(templates.get("two-way-contacts"), contact)
    run = run_now(workflow)
    account = salesforce_account.pk
    return {
        "home": "/admin/",
        "accounts": "/admin/connectors/externalaccount/",
        "account": f"/admin/connectors/externalaccount/{account}/change/",
        "wizard": f"/admin/wizard/dataschema/wizard/{account}/",
        "schemas": "/admin/wizard/dataschema/",
        "enumerations": f"/admin/wizard/enumeration/sync/account/{account}/",
        "workflows": "/admin/workflows/workflow/",
        "from-template": f"/admin/workflows/workflow/from-template/?account={account}",
        "workflow": f"/admin/workflows/workflow/{workflow.pk}/change/",
        "run": f"/admin/workflows/run/{run.pk}/change/",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280x800", "390x844"])
def test_main_pages_do_not_scroll_sideways_and_label_every_control(console, pages, viewport):
    console.set_viewport_size(viewport)
    problems = {}
    for name, url in pages.items():
        answer = console.goto(url)
        assert answer.status == 200, f"{name}: {url} answered {answer.status}"
        screenshot(console, f"{viewport['width']}-{name}")
        overflow = horizontal_overflow(console)
        unlabelled = console.evaluate(UNLABELLED_CONTROLS)
        if overflow or unlabelled:
            problems[name] = {"overflow_px": overflow, "unlabelled": unlabelled}
    assert problems == {}
