"""The whole journey of a new administrator, in a real headless Chromium: log in,
create a Salesforce and a Dynamics account (http:// refused, a wrong secret failing
in words, the right one connecting), generate Contact, Account and a custom object
with the configuration wizard, synchronize enumerations with Replace on one line,
create a two-way workflow from a template, run it to the end of its progress bar,
download the record the CRM rejected, and see the dashboard's charts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from connectors.dynamics.emulator import credentials as dynamics_demo
from connectors.models import ExternalAccount
from tests.browser.conftest import log_in, screenshot
from wizard.enumeration_models import Enumeration
from wizard.live_models import model_for
from wizard.models import DataSchema
from workflows.models import Run, Workflow

SALESFORCE_TABLES = ("Contact", "Account", "Loyalty_Program__c")


def save_account(tab) -> None:
    tab.get_by_role("button", name="Save and continue editing").click()


def fill_common(tab, name: str, crm_type: str, url: str, ca_pem: str) -> None:
    tab.goto("/admin/connectors/externalaccount/add/")
    tab.get_by_label(re.compile(r"^Label")).fill(name)
    tab.get_by_label("CRM type").select_option(crm_type)
    tab.get_by_label("Server URL").fill(url)
    tab.get_by_label("CA certificate").fill(ca_pem)


def check_connection(tab, expected: str, level: str = "success") -> None:
    tab.get_by_role("button", name="Test connection").click()
    expect(tab.locator(f"ul.messagelist li.{level}")).to_contain_text(expected)


def create_salesforce_account(tab, emulator) -> ExternalAccount:
    creds = emulator.credentials
    fill_common(tab, "Salesforce demo", "salesforce", emulator.url.replace("https://", "http://"), emulator.ca_pem)
    tab.get_by_label("Username").fill(creds.username)
    tab.locator("#id_salesforce__password").fill("not-the-password")
    save_account(tab)
    expect(tab.locator(".errorlist")).to_contain_text("Only https:// URLs are accepted, not http://")
    screenshot(tab, "salesforce-http-refused")
    tab.get_by_label("Server URL").fill(emulator.url)
    tab.locator("#id_salesforce__password").fill("not-the-password")
    save_account(tab)
    expect(tab.locator("ul.messagelist")).to_contain_text("was added successfully")
    check_connection(tab, "Test connection: INVALID_LOGIN: Salesforce refused the login", "error")
    screenshot(tab, "salesforce-wrong-password")
    tab.locator("#id_salesforce__password").fill(creds.password)
    tab.locator("#id_salesforce__security_token").fill(creds.security_token)
    save_account(tab)
    check_connection(tab, "Test connection: Connected to " + emulator.url)
    screenshot(tab, "salesforce-connected")
    return ExternalAccount.objects.get(internal_name="salesforce-demo")


def create_dynamics_account(tab, server, dataverse) -> ExternalAccount:
    fill_common(tab, "Dynamics demo", "dynamics", server.url, server.tls.ca_pem)
    tab.get_by_label("Directory (tenant) ID").fill(dynamics_demo.TENANT_ID)
    tab.get_by_label("Application (client) ID").fill(dynamics_demo.CLIENT_ID)
    tab.get_by_label("Authority host").fill(server.url)
    tab.get_by_label("Client secret").fill("not-the-secret")
    save_account(tab)
    check_connection(tab, "Test connection: ", "error")
    screenshot(tab, "dynamics-wrong-secret")
    tab.get_by_label("Client secret").fill(dynamics_demo.CLIENT_SECRET)
    save_account(tab)
    check_connection(tab, "Test connection: Connected to " + server.url)
    screenshot(tab, "dynamics-connected")
    return ExternalAccount.objects.get(internal_name="dynamics-demo")


def run_wizard(tab, account: ExternalAccount) -> None:
    tab.goto(f"/admin/connectors/externalaccount/{account.pk}/change/")
    tab.get_by_role("link", name="Configuration wizard…").click()
    expect(tab.locator("h2")).to_contain_text("Step 1: the account")
    tab.get_by_role("button", name="Next").click()
    for table in SALESFORCE_TABLES:
        tab.get_by_label(table, exact=True).check()
    screenshot(tab, "wizard-tables")
    tab.get_by_role("button", name="Next").click()
    expect(tab.locator("h2")).to_contain_text("Step 3: fields")
    screenshot(tab, "wizard-fields")
    tab.get_by_role("button", name="Next").click()
    expect(tab.locator("h2")).to_contain_text("Step 4: summary")
    tab.get_by_role("button", name="Generate").click()
    finish_generation(tab)
    screenshot(tab, "wizard-generated")
    assert sorted(DataSchema.objects.filter(account=account).values_list("crm_name", flat=True)) == sorted(
        SALESFORCE_TABLES)


def finish_generation(tab) -> None:
    """The generation page polls its job: the bar fills, elapsed time runs, each table is reported."""
    expect(tab.locator("#generation-status")).to_have_text("Done", timeout=60_000)
    expect(tab.locator("#generation-progress")).to_have_attribute("value", "100")
    expect(tab.locator("#generation-elapsed")).to_have_text(re.compile(r"^\d+:\d\d:\d\d$"))
    expect(tab.locator("#generation-results li")).to_have_count(len(SALESFORCE_TABLES))
    expect(tab.locator("#generation-results")).to_contain_text("Generated Contact")


def synchronize_enumerations(tab, account: ExternalAccount) -> None:
    tab.goto(f"/admin/connectors/externalaccount/{account.pk}/change/")
    tab.get_by_role("link", name="Synchronizing enumerations…").click()
    lines = tab.locator("#mapping-table tbody tr")
    expect(lines.first).to_be_visible()
    first_crm = lines.first.locator("code").first.inner_text()
    tab.get_by_label(f"Replace the values of the local enumeration for {first_crm}").select_option("yes")
    screenshot(tab, "enumerations-mapping")
    tab.get_by_role("button", name="Next").click()
    expect(tab.locator("h2").first).to_contain_text("Planned changes")
    screenshot(tab, "enumerations-plan")
    tab.get_by_role("button", name="Start").click()
    expect(tab.locator("#result-table")).to_be_visible(timeout=60_000)
    expect(tab.locator("#sync-state")).to_contain_text("Done")
    expect(tab.locator("#sync-progress")).to_have_attribute("value", "100")
    screenshot(tab, "enumerations-done")
    replaced = tab.locator("#result-table tbody tr").filter(has=tab.locator(f"code:text-is('{first_crm}')"))
    expect(replaced.locator("td").nth(1)).to_have_text("Yes")
    assert Enumeration.objects.count() == lines.count() or Enumeration.objects.exists()


def create_two_way_workflow(tab, account: ExternalAccount) -> Workflow:
    tab.goto("/admin/")
    tab.locator("#guide-workflow a").click()
    tab.get_by_label(re.compile("^Two-way contacts")).check()
    expect(tab.get_by_label("External account")).to_have_value(str(account.pk))
    expect(tab.get_by_label("Table (generated schema)")).to_have_value(
        str(DataSchema.objects.get(account=account, crm_name="Contact").pk))
    screenshot(tab, "workflow-from-template")
    tab.get_by_role("button", name="Create workflow").click()
    expect(tab.locator("ul.messagelist")).to_contain_text("created from a template")
    screenshot(tab, "workflow-created")
    return Workflow.objects.get()


def add_a_local_contact_the_crm_will_refuse(account: ExternalAccount) -> None:
    """Salesforce requires LastName: the export of this row comes back rejected."""
    schema = DataSchema.objects.get(account=account, crm_name="Contact")
    column = schema.fields.get(crm_name="FirstName").column_name
    model_for(schema).objects.create(**{column: "Nameless"})


def run_workflow_to_the_end(tab, workflow: Workflow) -> Run:
    tab.get_by_role("button", name="Run now").click()
    expect(tab.locator("#run-status")).to_have_text("partial", timeout=60_000)
    bars = tab.locator("#run-activities progress")
    expect(bars).to_have_count(2)
    for index in range(2):
        expect(bars.nth(index)).to_have_attribute("value", "100")
    expect(tab.locator("#run-elapsed")).to_have_text(re.compile(r"^\d+:\d\d:\d\d$"))
    screenshot(tab, "run-finished")
    return Run.objects.get(workflow=workflow)


def download_rejects(tab, run: Run) -> None:
    expect(tab.locator("#reject-table")).to_contain_text("REQUIRED_FIELD_MISSING")
    with tab.expect_download() as download:
        tab.get_by_role("link", name="Download rejects (CSV)").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert download.value.suggested_filename == f"run-{run.pk}-rejects.csv"
    assert len(rows) == 2 and rows[1][6] == "REQUIRED_FIELD_MISSING", rows
    screenshot(tab, "rejects")


def see_dashboard(tab) -> None:
    tab.goto("/admin/")
    expect(tab.locator("#chart-rows svg")).to_be_visible()
    expect(tab.locator("#chart-api-calls svg")).to_be_visible()
    assert tab.locator("#chart-rows svg .series rect, #chart-rows svg .series path").count() > 0
    expect(tab.locator("#dashboard-workflows")).to_contain_text("Partial")
    expect(tab.locator("#guide-heading")).to_contain_text("all done")
    screenshot(tab, "dashboard")


@pytest.mark.django_db(transaction=True)
def test_a_new_administrator_reaches_a_two_way_contact_sync_with_rejects_and_charts(
        page, admin_user, salesforce_emulator, dataverse_server, dataverse, task_runner):
    console = page
    log_in(console, admin_user, shoot=True)
    screenshot(console, "home")
    salesforce = create_salesforce_account(console, salesforce_emulator)
    create_dynamics_account(console, dataverse_server, dataverse)
    run_wizard(console, salesforce)
    synchronize_enumerations(console, salesforce)
    workflow = create_two_way_workflow(console, salesforce)
    add_a_local_contact_the_crm_will_refuse(salesforce)
    run = run_workflow_to_the_end(console, workflow)
    assert (run.status, run.rejects.count()) == ("partial", 1)
    download_rejects(console, run)
    see_dashboard(console)
