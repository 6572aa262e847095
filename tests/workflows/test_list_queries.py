"""The list and status pages a console or a monitoring script polls cost a fixed
number of database queries, however many workflows and runs there are (under load
each query is a wait: the web-load suite measured p95 441 ms on /api/workflows/
before the schema fields were prefetched)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.workflows.helpers import generate, workflow
from crmsync import dashboard
from workflows.models import Run, RunStatus, Workflow

pytestmark = pytest.mark.django_db(transaction=True)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def add_workflows(account, schema, crm, count: int, start: int) -> None:
    for n in range(start, start + count):
        wf = workflow(account, schema, ("import", {}), ("export", {"key": crm.key_field}), name=f"wf {n}")
        Run.objects.create(workflow=wf, status=RunStatus.SUCCEEDED, trigger="api", forecast_calls=n)


def test_lists_and_the_console_home_cost_the_same_queries_for_2_and_12_workflows(admin_api, admin_client, crm_account,
                                                                                   crm):
    schema = generate(crm_account, crm.table)
    add_workflows(crm_account, schema, crm, 2, 0)
    few = {url: queries(client, url) for url, client in (("/api/workflows/", admin_api), ("/api/runs/", admin_api),
                                                         ("/admin/", admin_client))}
    add_workflows(crm_account, schema, crm, 10, 2)
    many = {url: queries(client, url) for url, client in (("/api/workflows/", admin_api), ("/api/runs/", admin_api),
                                                          ("/admin/", admin_client))}
    assert many == few
    # The dashboard's forecast, now one query: the sum of each enabled workflow's last forecast.
    crm_account.api_daily_max = 100_000
    crm_account.save()
    Run.objects.create(workflow=Workflow.objects.get(name="wf 11"), status=RunStatus.SUCCEEDED, trigger="api",
                       forecast_calls=None)  # a run without a forecast does not hide the one before it
    Workflow.objects.filter(name="wf 0").update(enabled=False)
    assert dashboard.budget_figures(crm_account)["forecast"] == sum(range(1, 12))
