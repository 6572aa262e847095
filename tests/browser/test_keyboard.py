"""The configuration wizard with the keyboard only: Tab to a control, Space to tick,
Enter to submit, from step 1 to a generated schema; the focus is always visible."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from wizard.models import DataSchema

MAX_TABS = 120
FOCUSED = """() => { const el = document.activeElement;
  return {tag: el.tagName, type: el.type || "", value: el.value || "", id: el.id || "",
          outline: getComputedStyle(el).outlineStyle !== "none" || getComputedStyle(el).boxShadow !== "none"}; }"""


def tab_to(tab, wanted) -> dict:
    """Press Tab until the focused element matches `wanted(focused)`; fail after MAX_TABS."""
    for _ in range(MAX_TABS):
        tab.keyboard.press("Tab")
        focused = tab.evaluate(FOCUSED)
        if wanted(focused):
            return focused
    raise AssertionError(f"no element reached with Tab after {MAX_TABS} presses")


def submit_with_enter(tab, label: str) -> None:
    focused = tab_to(tab, lambda f: f["tag"] == "INPUT" and f["type"] == "submit" and f["value"] == label)
    assert focused["outline"], f"the focused {label} button shows no focus ring"
    tab.keyboard.press("Enter")


@pytest.mark.django_db(transaction=True)
def test_the_configuration_wizard_can_be_completed_with_tab_space_and_enter(console, salesforce_account,
                                                                           task_runner):
    console.goto(f"/admin/connectors/externalaccount/{salesforce_account.pk}/change/")
    tab_to(console, lambda f: f["id"] == "configuration-wizard")
    console.keyboard.press("Enter")
    expect(console.locator("h2")).to_contain_text("Step 1: the account")
    submit_with_enter(console, "Next")
    expect(console.locator("h2")).to_contain_text("Step 2: the CRM's tables")
    tab_to(console, lambda f: f["id"] == "table-search")
    console.keyboard.type("Contact")  # narrows the list: hidden rows are skipped by Tab
    tab_to(console, lambda f: f["type"] == "checkbox" and f["value"] == "Contact")
    console.keyboard.press("Space")
    screenshot(console, "wizard-tables")
    submit_with_enter(console, "Next")
    expect(console.locator("h2")).to_contain_text("Step 3: fields")
    tab_to(console, lambda f: f["type"] == "checkbox" and f["value"] == "Description")
    console.keyboard.press("Space")  # leave one field out
    submit_with_enter(console, "Next")
    expect(console.locator("h2")).to_contain_text("Step 4: summary")
    screenshot(console, "wizard-summary")
    submit_with_enter(console, "Generate")
    expect(console.locator("#generation-status")).to_have_text("Done", timeout=60_000)
    expect(console.locator("#generation-results")).to_contain_text("Generated Contact")
    screenshot(console, "wizard-generated")
    schema = DataSchema.objects.get(account=salesforce_account)
    fields = set(schema.fields.values_list("crm_name", flat=True))
    assert schema.crm_name == "Contact" and "LastName" in fields and "Description" not in fields
