"""The console's home page is a dashboard: accounts with their connection state,
workflows with their last run and next schedule, and two inline SVG charts."""

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from connectors.models import ExternalAccount
from workflows.models import ActivityRun, Operation, Run, RunStatus, Workflow
from workflows.schedules import sync_schedule

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def console(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def make_account(name, internal_name, ok, detail=""):
    return ExternalAccount.objects.create(
        name=name, internal_name=internal_name, crm_type="salesforce", server_url="https://crm.example.invalid",
        last_test_ok=ok, last_test_detail=detail, last_tested_at=timezone.now(),
    )


def make_run(workflow, status, days_ago, *steps):
    """A finished run `days_ago` days back with one activity run per (operation, counters) step."""
    run = Run.objects.create(workflow=workflow, status=status)
    when = timezone.now() - timedelta(days=days_ago)
    Run.objects.filter(pk=run.pk).update(created_at=when, started_at=when, ended_at=when)
    for position, (operation, counters) in enumerate(steps):
        ActivityRun.objects.create(run=run, position=position, operation=operation, status=status, **counters)
    return run


def series(svg: str) -> dict[str, list[int]]:
    """Each series' legend title → its values, read from the SVG pygal rendered."""
    root = ElementTree.fromstring(svg)
    values, titles = {}, {}
    for group in root.iter(f"{SVG}g"):
        classes = group.get("class", "").split()
        number = next((c.removeprefix("serie-") for c in classes if c.startswith("serie-")), None)
        if "series" in classes and number is not None:
            # pygal repeats each series' group in its overlays, without values
            found = [int(d.text) for d in group.iter(f"{SVG}desc") if d.get("class") == "value"]
            values.setdefault(number, []).extend(found)
        if group.get("id", "").startswith("activate-serie-"):
            titles[group.get("id").removeprefix("activate-serie-")] = group.find(f"{SVG}text").text
    assert set(titles) == set(values), "one legend entry per series"
    return {titles[number]: values[number] for number in values}


@pytest.fixture
def activity():
    salesforce = make_account("Salesforce demo", "sf-demo", True)
    make_account("Dynamics demo", "dyn-demo", False, "invalid_client: the client secret is wrong")
    nightly = Workflow.objects.create(name="Nightly contacts", internal_name="nightly", account=salesforce,
                                      schedule="0 3 * * *")
    sync_schedule(nightly)
    make_run(nightly, RunStatus.SUCCEEDED, 2,
             (Operation.IMPORT, {"read": 12, "inserted": 10, "updated": 2, "api_calls": 4}),
             (Operation.EXPORT, {"read": 3, "inserted": 3, "rejected": 1, "api_calls": 2}))
    make_run(nightly, RunStatus.PARTIAL, 0,
             (Operation.IMPORT, {"read": 7, "updated": 7, "rejected": 2, "api_calls": 5}),
             (Operation.EXPORT, {"read": 4, "updated": 4, "api_calls": 3}))
    old = make_run(nightly, RunStatus.FAILED, 45, (Operation.IMPORT, {"read": 99, "inserted": 99, "api_calls": 99}))
    Workflow.objects.create(name="Manual deletions", internal_name="deletions", account=salesforce)
    return nightly, old


def test_home_page_shows_each_account_with_its_connection_state_and_todays_api_calls(console, activity):
    page = console.get("/admin/").content.decode()
    accounts = page.split('id="dashboard-accounts"', 1)[1].split("</table>", 1)[0]
    assert "Salesforce demo" in accounts and "connected" in accounts
    assert "Dynamics demo" in accounts and "invalid_client: the client secret is wrong" in accounts
    assert re.search(r"<td>8\s", accounts), "today's run made 5 + 3 API calls"


def test_home_page_shows_each_workflow_with_last_run_status_next_run_and_its_rows(console, activity):
    page = console.get("/admin/").content.decode()
    workflows = page.split('id="dashboard-workflows"', 1)[1].split("</table>", 1)[0]
    nightly_row = workflows.split("Nightly contacts", 1)[1].split("</tr>", 1)[0]
    assert "Partial" in nightly_row and "run-partial" in nightly_row
    assert "manual only" not in nightly_row and "schedule disabled" not in nightly_row
    assert re.findall(r"<td>(\d+)</td>", nightly_row) == ["7", "4", "2"]
    manual_row = workflows.split("Manual deletions", 1)[1].split("</tr>", 1)[0]
    assert "never run" in manual_row and "manual only" in manual_row


def test_home_page_still_shows_the_navigation_sections(console, activity):
    page = console.get("/admin/").content.decode()
    assert "Administration › Platform" in page and "Workflows" in page
    assert page.index('id="dashboard"') < page.index("Administration › Platform")


def test_rows_chart_has_imported_exported_and_rejected_per_run_of_the_last_30_days(console, activity):
    page = console.get("/admin/").content.decode()
    svg = page.split('id="chart-rows">', 1)[1].split("</figure>", 1)[0]
    assert svg.lstrip().startswith("<svg")
    assert series(svg) == {"imported": [12, 7], "exported": [3, 4], "rejected": [1, 2]}


def test_api_calls_chart_has_one_point_per_day_per_account(console, activity):
    page = console.get("/admin/").content.decode()
    svg = page.split('id="chart-api-calls">', 1)[1].split("</figure>", 1)[0]
    values = series(svg)["Salesforce demo"]
    assert len(values) == 30
    assert values[-1] == 8 and values[-3] == 6 and sum(values) == 14


def test_dashboard_loads_nothing_from_the_network(console, activity):
    page = console.get("/admin/").content.decode()
    assert not re.search(r'(src|href)="https?://', page)
    assert not re.search(r"<script[^>]*\bsrc=", page.split('id="dashboard"', 1)[1])


def test_dashboard_of_a_fresh_install_says_there_is_nothing_yet(console):
    page = console.get("/admin/").content.decode()
    assert "No external account yet." in page and "No workflow yet." in page
    for chart in ("chart-rows", "chart-api-calls"):
        assert "no runs yet" in page.split(f'id="{chart}">', 1)[1].split("</figure>", 1)[0]
