"""The web side under load while a large import runs in a real worker: the app
served by gunicorn on loopback, a load generator (2 clients, no pause) on the
list and status endpoints of the API and on the console's home page; p95 under
300 ms each. The same load is measured first with no run going: on a machine
already saturated by other work (its p95 over 300 ms with nothing running), the
bound becomes 1.5 times that baseline (twice for the console's home page, a
heavier page whose short baseline is noisier), so what is asserted is that the
import does not make the web side slow; both figures are recorded.

CI imports 20,000 rows; CRMSYNC_RELIABILITY_FULL=1 imports 1,000,000
(CRMSYNC_LOAD_ROWS overrides both)."""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.fixtures.celery_worker import worker_env
from tests.fixtures.crm_drivers import SalesforceDriver
from tests.reliability.checks import count, finished, wait_for
from tests.reliability.load import Gunicorn, LoadProcess, record, warm_up
from tests.workflows.helpers import generate, rows, workflow
from workflows import runs

pytestmark = pytest.mark.django_db(transaction=True)

P95_LIMIT_MS = 300
BASELINE_SECONDS = 12
CLIENTS = 2  # concurrent clients, each looping over the endpoints without pause


def test_list_and_status_endpoints_stay_fast_during_a_large_import(salesforce_account, salesforce_emulator,
                                                                    admin_user, worker, tmp_path):
    size = count("CRMSYNC_LOAD_ROWS", 20_000, 1_000_000)
    crm = SalesforceDriver(salesforce_emulator)
    crm.generate(size)
    schema = generate(salesforce_account, crm.table)
    wf = workflow(salesforce_account, schema, ("import", {}), name="large import")
    for n in range(20):  # lists with something in them
        workflow(salesforce_account, schema, ("export", {"key": crm.key_field}), name=f"other {n}")
    token = Token.objects.create(user=admin_user).key
    browser = Client()
    browser.force_login(admin_user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    server = Gunicorn(worker_env(worker.queue), settings.BASE_DIR, tmp_path / "gunicorn.log")
    try:
        earlier = runs.start_run(workflow(salesforce_account, schema, ("export", {}), name="earlier"))
        finished(earlier)
        endpoints = {"API workflows": "/api/workflows/", "API runs": "/api/runs/",
                     "API external accounts": "/api/external-accounts/", "run status": f"/api/runs/{earlier.pk}/",
                     "console home": "/admin/"}
        auth = lambda name: {"Cookie": cookie} if name == "console home" else {"Authorization": f"Token {token}"}
        warm_up(server.url, endpoints, auth)
        quiet = LoadProcess(server.url, endpoints, {name: auth(name) for name in endpoints}, tmp_path / "quiet",
                            threads=CLIENTS)
        time.sleep(BASELINE_SECONDS)
        baseline = quiet.stop().summary()
        run = runs.start_run(wf, trigger="api")
        wait_for(lambda: run.activity_runs.filter(read__gt=0).exists(), timeout=600)
        endpoints["run status"] = f"/api/runs/{run.pk}/"
        load = LoadProcess(server.url, endpoints, {name: auth(name) for name in endpoints}, tmp_path / "busy",
                           threads=CLIENTS)
        try:
            run = finished(run, timeout=7200)
        finally:
            results = load.stop()
    finally:
        server.stop()
    assert run.status == "succeeded", run.log
    assert rows(schema).count() == crm.count() == size + 4
    summary = results.summary()
    limits = {name: max(P95_LIMIT_MS, (2 if name == "console home" else 1.5) * figures["p95_ms"])
              for name, figures in baseline.items()}
    record("web load", {"rows": size, "clients": CLIENTS, "load average": os.getloadavg(), "during import": summary,
                        "baseline (no run)": baseline, "statuses": results.statuses})
    print({"during import": summary, "baseline": baseline})
    assert all(set(codes) == {200} for codes in results.statuses.values()), results.statuses
    assert summary["all"]["requests"] >= 50
    slow = {name: f["p95_ms"] for name, f in summary.items() if name != "all" and f["p95_ms"] >= limits[name]}
    assert not slow, f"p95 over {limits}: {slow}; during the import: {summary}; with no run: {baseline}"
