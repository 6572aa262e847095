"""Each fault class on reads (import), writes (export) and deletes (delete in the
CRM), over both CRMs, with a real worker: transient faults are retried and the
run succeeds; permanent ones fail the run with the CRM's message and leave the
watermark behind committed data. Then a rerun with the CRM healthy, and the
CRM's rows and the local table compared row by row.

CI runs each fault once, the operation and the CRM taking turns (8 cases, and 1
lost create answer); CRMSYNC_RELIABILITY_FULL=1 runs every fault on every
operation over both CRMs (48, and 6 lost create answers)."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.crm_drivers import DynamicsDriver, SalesforceDriver
from tests.reliability.checks import (
    assert_exported_once, assert_same_rows, assert_watermark_behind_committed, crm_rows, finished, full,
)
from tests.reliability.faults import FAULTS, fault_for
from tests.workflows.helpers import generate, rows, run_now, workflow
from workflows import runs
from workflows.models import Reject

pytestmark = pytest.mark.django_db(transaction=True)

OPERATIONS = ("import", "export", "delete")
# Enough records for two read pages (2,000 / 5,000 a page) and two write or delete
# calls (200 / 1,000 records a call), so each fault falls after committed work.
SIZES = {"salesforce": {"import": 2_100, "export": 300, "delete": 300},
         "dynamics": {"import": 5_100, "export": 1_100, "delete": 1_100}}


def cases():
    for f, fault in enumerate(FAULTS):
        for o, operation in enumerate(OPERATIONS):
            for c, crm in enumerate(("salesforce", "dynamics")):
                if full() or (o == f % len(OPERATIONS) and c == f % 2):
                    yield pytest.param(crm, operation, fault, id=f"{crm}-{operation}-{fault.name.replace(' ', '_')}")


@pytest.fixture
def driver(request, crm_name):
    if crm_name == "salesforce":
        return SalesforceDriver(request.getfixturevalue("salesforce_emulator"))
    return DynamicsDriver(request.getfixturevalue("dataverse"))


@pytest.fixture
def account(request, crm_name):
    return request.getfixturevalue(f"{crm_name}_account")


def inject(crm, fault) -> None:
    emulator = crm.emulator
    (emulator.instrumentation if crm.crm == "salesforce" else emulator).inject(fault)


def prepare(operation, account, crm, size):
    """The schema, the workflow, and what the local table holds before the run."""
    schema = generate(account, crm.table)
    name = schema.fields.get(crm_name=crm.name_field).column_name
    key = schema.fields.get(crm_name=crm.key_field).column_name
    Model = rows(schema).model
    if operation == "import":
        crm.generate(size)
        return schema, workflow(account, schema, ("import", {}))
    if operation == "export":
        Model.objects.bulk_create([Model(**{name: f"Local-{i:05d}", key: f"LOCAL-{i:05d}"}) for i in range(size)])
        return schema, workflow(account, schema, ("export", {"key": crm.key_field}))
    crm.generate(size)
    assert run_now(workflow(account, schema, ("import", {}), name="load")).status == "succeeded"
    doomed = list(rows(schema).values_list("pk", flat=True)[:size])
    Model.objects.filter(pk__in=doomed).update(is_deleted=True)
    return schema, workflow(account, schema, ("delete", {"rows": "flagged"}))


def assert_outcome(operation, crm, schema, size, before):
    if operation == "import":
        assert_same_rows(crm, schema)
    elif operation == "export":
        assert crm.count() == before + size
        assert_exported_once(crm, schema, "Local-", size)
    else:
        flagged = list(rows(schema).filter(is_deleted=True).values_list("crm_id", "deleted_at"))
        assert len(flagged) == size and all(when is not None for _, when in flagged)
        assert all(crm.get(crm_id) is None for crm_id, _ in flagged)
        assert crm.count() == before - size
        assert_same_rows(crm, schema)


def assert_consistent_after_failure(operation, crm, schema, wf, before):
    """What a failed run leaves: committed work only, the watermark behind it."""
    if operation == "import":
        assert 0 < rows(schema).count() < crm.count()
        assert_watermark_behind_committed(wf.activities.get(), schema)
    elif operation == "export":
        linked = rows(schema).filter(crm_id__isnull=False)
        assert 0 < linked.count() < rows(schema).count()
        assert crm.count() == before + linked.count()  # what is linked is in the CRM, once
    else:
        done = rows(schema).filter(is_deleted=True, deleted_at__isnull=False)
        assert 0 < done.count() and all(crm.get(i) is None for i in done.values_list("crm_id", flat=True))
        assert crm.count() == before - done.count()


@pytest.mark.parametrize("crm_name, operation, fault_class", list(cases()))
def test_a_fault_mid_run(crm_name, operation, fault_class, account, driver, worker):
    crm, size = driver, SIZES[crm_name][operation]
    schema, wf = prepare(operation, account, crm, size)
    if fault_class.timeout:
        account.timeout = fault_class.timeout
        account.save()
    before = crm.count()
    fault = fault_for(fault_class, crm_name, operation)
    inject(crm, fault)
    run = finished(runs.start_run(wf, trigger="api"), timeout=120)
    assert fault.served == 1, "the fault was never served: the scenario did not reach it"
    if fault_class.transient:
        assert run.status == "succeeded", (run.log, list(Reject.objects.filter(run=run).values_list("code", "message")[:3]))
        assert_outcome(operation, crm, schema, size, before)
    else:
        # The only permanent class is the CRM's daily limit: the run stops as
        # "stopped: API budget" (never "succeeded"), with the CRM's own message.
        assert run.status == "stopped_api_budget", run.log
        assert fault_class.message(crm_name) in run.error and fault_class.message(crm_name) in run.log
        assert_consistent_after_failure(operation, crm, schema, wf, before)
    rerun = finished(runs.start_run(wf, trigger="api"), timeout=120)
    assert rerun.status == "succeeded", rerun.log
    assert_outcome(operation, crm, schema, size, before)


LOST_ANSWERS = ("hang past the timeout", "dropped connection", "truncated body")


def lost_answer_cases():
    for f, name in enumerate(LOST_ANSWERS):
        for c, crm in enumerate(("salesforce", "dynamics")):
            if full() or (name == "truncated body" and crm == "salesforce"):
                yield pytest.param(crm, name, id=f"{crm}-create-{name.replace(' ', '_')}")


@pytest.mark.parametrize("crm_name, fault_name", list(lost_answer_cases()))
def test_a_create_whose_answer_is_lost_is_never_sent_twice(crm_name, fault_name, account, driver, worker):
    """Creates (no external id) are not idempotent: a batch the CRM created but whose
    answer was lost (the second write call) is reported for review, never sent
    again; the rest is created exactly once."""
    crm, size = driver, SIZES[crm_name]["export"]
    batch = 200 if crm_name == "salesforce" else 1000
    schema = generate(account, crm.table)
    Model = rows(schema).model
    name = schema.fields.get(crm_name=crm.name_field).column_name
    Model.objects.bulk_create([Model(**{name: f"Local-{i:05d}"}) for i in range(size)])
    wf = workflow(account, schema, ("export", {"mode": "insert"}))
    fault_class = next(f for f in FAULTS if f.name == fault_name)
    if fault_class.timeout:
        account.timeout = fault_class.timeout
        account.save()
    before = crm.count()
    fault = fault_for(fault_class, crm_name, "create")
    inject(crm, fault)
    first = finished(runs.start_run(wf, trigger="api"), timeout=120)
    assert fault.served == 1
    assert first.status in ("partial", "failed"), first.log
    if fault.kind == "hang":
        time.sleep(fault.seconds)  # the CRM gets to the held request, and creates its records
    lost = size - batch
    rerun = finished(runs.start_run(wf, trigger="api"), timeout=120)
    assert rerun.status == "partial", rerun.log
    held = Reject.objects.filter(run=rerun, code="CRMSYNC_UNCERTAIN_CREATE").count()
    assert held == lost, rerun.log
    # A dropped request never reached the CRM; a cut-short or late answer came after
    # the records were created, once, by the only attempt.
    created = size - lost if fault.kind == "drop" else size
    assert crm.count() == before + created
    remote_names = [v[0] for v in crm_rows(crm, schema).values() if (v[0] or "").startswith("Local-")]
    assert len(remote_names) == len(set(remote_names)) == created
    assert rows(schema).filter(crm_id__isnull=True).count() == held
