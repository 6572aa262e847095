"""A worker SIGKILLed at many points of an import and of an export, over both
CRMs: the k-th CRM request of the run is held by the emulator (unprocessed, or
processed with its answer held back), the worker is killed while it waits, a new
worker starts and the workflow runs again. Afterwards: no row lost, none
doubled, no record created twice in the CRM.

CI runs 6 kill points; CRMSYNC_RELIABILITY_FULL=1 runs all 25."""

from __future__ import annotations

import time

import pytest

from connectors.emulator_kit.instrumentation import Fault
from tests.fixtures.celery_worker import STALE_AFTER
from tests.fixtures.crm_drivers import DynamicsDriver, SalesforceDriver
from tests.reliability.checks import assert_exported_once, assert_same_rows, finished, full, wait_for
from tests.reliability.faults import DV_PATHS, SF_PATHS, forecast_calls_on_the_path
from tests.workflows.helpers import generate, rows, workflow
from workflows import runs
from workflows.models import Reject

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = {"salesforce": {"import": 2000, "export": 200, "create": 200},
        "dynamics": {"import": 5000, "export": 1000, "create": 1000}}
# (crm, operation, k, when): the run's k-th read/write call is held "before" the CRM
# processes it, or "after" (processed, its answer never delivered).
ALL = (
    [("salesforce", "import", k, "before") for k in (1, 2, 3, 4)]
    + [("dynamics", "import", k, "before") for k in (1, 2, 3)]
    + [("salesforce", "export", k, when) for k in (1, 2, 3, 4, 5) for when in ("before", "after")]
    + [("dynamics", "export", k, when) for k in (1, 2, 3) for when in ("before", "after")]
    + [("salesforce", "create", 2, "after"), ("dynamics", "create", 1, "after")]
)
CI = (("salesforce", "import", 2, "before"), ("dynamics", "import", 2, "before"),
      ("salesforce", "export", 2, "after"), ("dynamics", "export", 1, "before"),
      ("dynamics", "export", 2, "after"), ("salesforce", "create", 2, "after"))


def points():
    for point in ALL if full() else CI:
        yield pytest.param(*point, id="-".join(map(str, point)))


@pytest.fixture
def setup(request):
    crm_name = request.node.callspec.params["crm_name"]
    account = request.getfixturevalue(f"{crm_name}_account")
    if crm_name == "salesforce":
        return account, SalesforceDriver(request.getfixturevalue("salesforce_emulator"))
    return account, DynamicsDriver(request.getfixturevalue("dataverse"))


def kill_at(worker, crm, fault: Fault, run) -> None:
    """Wait until the worker's request reached the held point, then SIGKILL it."""
    (crm.emulator.instrumentation if crm.crm == "salesforce" else crm.emulator).inject(fault)
    wait_for(lambda: fault.served, timeout=90, every=0.01)
    if fault.kind == "hold_answer":
        time.sleep(0.5)  # the CRM finishes processing, then holds the answer back
    worker.kill()


@pytest.mark.parametrize("crm_name, operation, k, when", list(points()))
def test_a_worker_killed_at_a_point_of_the_run(crm_name, operation, k, when, setup, worker):
    account, crm = setup
    page = PAGE[crm_name][operation]
    size = page * k + page // 2  # the held call is never the last one
    schema = generate(account, crm.table)
    if operation == "import":
        crm.generate(size)
        wf = workflow(account, schema, ("import", {}))
    else:
        Model = rows(schema).model
        name = schema.fields.get(crm_name=crm.name_field).column_name
        key = schema.fields.get(crm_name=crm.key_field).column_name
        Model.objects.bulk_create([Model(**{name: f"Local-{i:05d}", key: f"K-{i:05d}"}) for i in range(size)])
        options = {"key": crm.key_field} if operation == "export" else {"mode": "insert"}
        wf = workflow(account, schema, ("export", options))
    before = crm.count()
    path, method = (SF_PATHS if crm_name == "salesforce" else DV_PATHS)[operation]
    skip = k - 1 + forecast_calls_on_the_path(crm_name, operation)  # the k-th call of the operation itself
    fault = Fault("hold" if when == "before" else "hold_answer", path=path, method=method, skip=skip, seconds=20)
    first = runs.start_run(wf, trigger="api")
    kill_at(worker, crm, fault, first)
    worker.ensure()
    time.sleep(STALE_AFTER + 0.5)  # the killed run stops beating
    second = finished(runs.start_run(wf, trigger="api"), timeout=180)
    first.refresh_from_db()
    assert first.status == "failed" and "vanished" in first.error
    if operation == "import":
        assert second.status == "succeeded", second.log
        assert_same_rows(crm, schema)
    elif operation == "export":
        assert second.status == "succeeded", second.log
        assert crm.count() == before + size
        assert_exported_once(crm, schema, "Local-", size)
    else:
        # Creates sent before the kill are never sent again: the CRM holds each once;
        # the held batch is reported for review rather than re-sent.
        assert crm.count() == before + size
        names = [v[0] for v in crm_names(crm, schema)]
        assert len(names) == len(set(names)) == size
        held = Reject.objects.filter(run=second, code="CRMSYNC_UNCERTAIN_CREATE").count()
        assert second.status == "partial" and held == page, second.log
        assert rows(schema).filter(crm_id__isnull=True).count() == held


def crm_names(crm, schema):
    from tests.reliability.checks import crm_rows

    return [v for v in crm_rows(crm, schema).values() if (v[0] or "").startswith("Local-")]
