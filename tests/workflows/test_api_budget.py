"""The API budget governor, over both emulators: the forecast (from counts, page
and batch sizes) stored on the run and shown before it, equal to the calls the
run spends; a run over budget stops with its own status or, at low priority,
waits; a run passing its budget midway stops between pages, keeping what it
committed; the dashboard shows used, forecast and remaining calls."""

import pytest
from django.urls import reverse

from tests.workflows.helpers import generate, rows, run_now, workflow
from tests.workflows.test_export import column, sql_update
from workflows import engine, runs, tasks
from workflows.budget import own_calls
from workflows.models import Run

pytestmark = pytest.mark.django_db(transaction=True)


def set_budget(crm_account, crm, remaining: int) -> None:
    """Leave `remaining` calls in the account's budget (half of the CRM's daily
    allocation) as the next forecast will read it."""
    crm_account.api_quota_share = 50
    if crm.crm == "salesforce":
        # Salesforce reports its own usage (the limits call counts itself).
        crm.emulator.set_api_usage(used=50_000 - remaining - 1, daily=100_000)
    else:
        from django.utils import timezone

        used = own_calls(crm_account, timezone.now() - engine.budget.LEDGER)
        crm_account.daily_api_allocation = 2 * (used + remaining)
    crm_account.save()


def spent(run) -> list[int]:
    return [a.api_calls for a in run.activity_runs.order_by("position")]


def test_the_forecast_is_shown_before_the_run_stored_on_it_and_equals_the_calls_spent(
        admin_api, client, superuser, crm_account, crm):
    schema = generate(crm_account, crm.table)
    crm.generate(2)
    wf = workflow(crm_account, schema, ("import", {}), ("export", {}), ("delete", {}), policy="local_wins")
    set_budget(crm_account, crm, remaining=10_000)
    first = run_now(wf)
    assert first.status == "succeeded", first.log
    assert [a["calls"] for a in first.forecast["activities"]] == spent(first) and first.forecast_calls == sum(spent(first))
    # Local changes to export and delete: the forecast counts them before the run.
    sql_update(schema, column(schema, crm.name_field), "Budget-Changed", rows(schema).first().crm_id)
    rows(schema).filter(pk=rows(schema).last().pk).update(is_deleted=True)
    shown = admin_api.get(f"/api/workflows/{wf.pk}/forecast/").json()
    assert [a["records"] for a in shown["activities"]][1:] == [1, 1]
    client.force_login(superuser)
    page = client.get(reverse("admin:workflows_workflow_change", args=[wf.pk])).content.decode()
    assert f'<strong id="forecast-calls">{shown["calls"]}</strong>' in page
    second = run_now(wf)
    assert second.status == "succeeded", second.log
    assert second.forecast_calls == shown["calls"] == sum(spent(second)), second.forecast
    assert [a["calls"] for a in second.forecast["activities"]] == spent(second)
    assert admin_api.get(f"/api/runs/{second.pk}/").json()["forecast_calls"] == second.forecast_calls
    assert f"API calls forecast before the run: <strong>{second.forecast_calls}</strong>" in client.get(
        reverse("admin:workflows_run_change", args=[second.pk])).content.decode()


def test_a_run_over_budget_stops_with_its_own_status_and_a_low_priority_one_waits(client, superuser, crm_account, crm):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {}))
    # The forecast's sign-in and describe (which the run then uses) leave at most 1 call:
    # a normal run may take 80% of it, none, fewer than the read's one page needs.
    set_budget(crm_account, crm, remaining=1)
    stopped = run_now(wf)
    assert stopped.status == "stopped_api_budget" and stopped.get_status_display() == "stopped: API budget"
    assert "stopped: API budget: forecast" in stopped.error and stopped.ended_at is not None
    assert not rows(schema).exists() and not stopped.activity_runs.exists()

    wf.priority = "low"
    wf.save()
    set_budget(crm_account, crm, remaining=1)  # a low-priority run may take half: none
    waiting = run_now(wf)
    assert waiting.status == "waiting_api_budget", waiting.log
    assert waiting.is_active and "the run starts when the budget allows" in waiting.log
    client.force_login(superuser)
    home = client.get(reverse("admin:index")).content.decode()
    assert f'<span class="budget-forecast">{waiting.forecast_calls}</span>' in home
    assert '<span class="budget-remaining">' in home
    set_budget(crm_account, crm, remaining=10_000)
    runs.run_chain(waiting).apply()  # what the periodic release does
    waiting.refresh_from_db()
    assert waiting.status == "succeeded", waiting.log
    assert rows(schema).count() == crm.count()


def test_a_run_passing_its_budget_midway_stops_between_pages_and_keeps_what_it_committed(crm_account, crm):
    schema = generate(crm_account, crm.table)
    wf = workflow(crm_account, schema, ("import", {"incremental": False, "fields": [crm.name_field]}))
    wf.priority = "high"  # may take all that remains
    wf.save()
    probe = run_now(wf)  # the same read once, to know its forecast
    before = rows(schema).count()
    # The probe's budget was far: its forecast did not count. This one is near, so the
    # forecast counts (one call): exactly the forecast is left after it.
    assert probe.forecast["calls_after_budget"] == 0 and not probe.forecast["activities"][0]["exact"]
    set_budget(crm_account, crm, remaining=probe.forecast_calls + 1)
    run = Run.objects.create(workflow=wf, trigger="test")
    assert engine.begin(run.pk).kind == "activity"
    run.refresh_from_db()
    assert run.budget_allowed == run.forecast_calls == probe.forecast_calls
    assert run.forecast["calls_after_budget"] == 1 and run.forecast["activities"][0]["exact"]
    page = 2000 if crm.crm == "salesforce" else 5000
    crm.generate(2 * page)  # added after the forecast: the read now needs two more pages
    tasks.run_activity.si(run.pk, 0).apply()
    run.refresh_from_db()
    assert run.status == "stopped_api_budget", run.log
    if crm.crm == "salesforce":
        # The run's connector is the forecast's, whose meter reads Salesforce's own count
        # from every answer: its guard refuses the call that would pass the same share
        # before the run's own count of calls could pass it.
        assert "CRMSYNC_API_BUDGET: Stopped before passing 50% of the org's daily API allocation" in run.error
    else:
        assert f"past the {run.budget_allowed} its budget allowed" in run.error
    kept = rows(schema).count()  # the first page committed, the rest left for the next run
    assert page <= kept <= page + before and kept < crm.count()
    assert run.activity_runs.get().status == "stopped_api_budget"


# The calls a run makes besides the work's own pages: signing in (Salesforce: the
# log-in; Dataverse through msal: the authority's metadata and the token) and the
# table's describe, whose Sforce-Limit-Info header stands for Salesforce's limits call.
SESSION_CALLS = {"salesforce": 2, "dynamics": 3}
PAGE = {"salesforce": 2000, "dynamics": 5000}


def test_a_full_import_costs_its_pages_plus_the_sign_in_and_describe_it_shares_with_the_forecast(crm_account, crm):
    schema = generate(crm_account, crm.table)
    crm.generate(PAGE[crm.crm] + 10)
    wf = workflow(crm_account, schema, ("import", {"incremental": False}))
    set_budget(crm_account, crm, remaining=10_000)  # far from reached: the forecast counts nothing
    crm.reset_calls()
    run = run_now(wf)
    assert run.status == "succeeded", run.log
    pages = -(-crm.count() // PAGE[crm.crm])
    assert pages == 2 and rows(schema).count() == crm.count()
    assert crm.calls() == SESSION_CALLS[crm.crm] + pages
    assert run.forecast["calls_spent"] == SESSION_CALLS[crm.crm] and spent(run) == [pages]
    assert run.forecast["activities"][0]["exact"] is False and run.forecast["calls_after_budget"] == 0


def test_a_read_larger_than_its_uncounted_forecast_allows_stops_at_its_first_page_with_nothing_written(
        salesforce_account, salesforce_emulator, monkeypatch):
    """Salesforce tells a read's size with its first page: a run whose forecast did not
    count (the budget looked far enough) stops there, before writing, when it does not fit."""
    from tests.fixtures.crm_drivers import SalesforceDriver

    monkeypatch.setattr(engine.budget, "UNCOUNTED_RECORDS", 2000)  # "far" is then one page's worth
    crm = SalesforceDriver(salesforce_emulator)
    schema = generate(salesforce_account, crm.table)
    wf = workflow(salesforce_account, schema, ("import", {"incremental": False}))
    wf.priority = "high"  # may take all that remains
    wf.save()
    crm.generate(2 * 2000)  # three pages with the demo rows
    set_budget(salesforce_account, crm, remaining=2)  # fewer than the 3 pages
    run = run_now(wf)
    assert run.status == "stopped_api_budget", run.log
    assert run.forecast["activities"][0]["exact"] is False and run.budget_allowed == 2
    assert (f"the CRM has {crm.count()} record(s) to read, 3 API call(s) for the run, past the 2 its budget allows"
            in run.error) and "nothing of this read was written" in run.error
    assert not rows(schema).exists() and spent(run) == [1]
