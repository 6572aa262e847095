"""Building generated schemas and workflows for the tests, and running them."""

from __future__ import annotations

from wizard import generation, introspection
from wizard.live_models import model_for
from workflows import runs
from workflows.models import Activity, Run, Workflow


def generate(account, table: str, fields=None):
    description = introspection.describe(account, [table])[table]
    return generation.generate(account, [description], {table: fields} if fields else None)[0].schema


def workflow(account, schema, *activities, policy="crm_wins", name="wf") -> Workflow:
    wf = Workflow.objects.create(name=name, internal_name=name, account=account, conflict_policy=policy)
    for position, (operation, options) in enumerate(activities):
        Activity.objects.create(workflow=wf, position=position, operation=operation, schema=schema, options=options)
    return wf


def run_now(wf: Workflow) -> Run:
    """Start a run and execute its task chain here, synchronously."""
    run = Run.objects.create(workflow=wf, trigger="test")
    runs.run_chain(run).apply()
    run.refresh_from_db()
    return run


def rows(schema):
    return model_for(schema).objects.order_by("crm_id")


def counters(run: Run, position: int = 0) -> dict:
    activity = run.activity_runs.get(position=position)
    return {name: getattr(activity, name) for name in ("read", "inserted", "updated", "unchanged", "rejected",
                                                        "deleted", "conflicts") if getattr(activity, name)}
