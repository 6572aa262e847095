"""Comparing the CRM and the local table row by row, and full-count switches."""

from __future__ import annotations

import os

from tests.workflows.helpers import rows
from tests.workflows.test_worker import crm_rows, finished, local_rows, wait_for  # noqa: F401
from workflows import watermarks
from workflows.models import SyncState


def full() -> bool:
    """The report's runner sets CRMSYNC_RELIABILITY_FULL=1 for the full counts."""
    return os.environ.get("CRMSYNC_RELIABILITY_FULL", "").lower() in ("1", "true", "yes")


def count(name: str, ci: int, full_count: int) -> int:
    return int(os.environ.get(name) or (full_count if full() else ci))


def assert_same_rows(crm, schema) -> None:
    """Every CRM record once in the local table with the same values, and nothing else."""
    remote = crm_rows(crm, schema)
    local = local_rows(schema, crm)
    assert len(remote) == crm.count()
    assert local == remote, f"{len(set(remote) - set(local))} lost, {len(set(local) - set(remote))} extra"
    assert rows(schema).filter(is_deleted=False).count() == len(remote)  # none doubled


def assert_watermark_behind_committed(activity, schema) -> None:
    """The bookmark never runs ahead of the rows committed with it."""
    state = SyncState.objects.filter(activity=activity).first()
    since = watermarks.load(state.watermark).since if state else None
    if since is None:
        return
    newest = rows(schema).order_by("-crm_modstamp").values_list("crm_modstamp", flat=True).first()
    assert newest is not None and since <= newest, f"watermark {since} ahead of the newest committed row {newest}"


def assert_exported_once(crm, schema, prefix: str, expected: int) -> None:
    """Each local row linked to exactly one CRM record holding its values; no CRM
    record created twice."""
    remote = crm_rows(crm, schema)
    names = [values[0] for values in remote.values() if (values[0] or "").startswith(prefix)]
    assert len(names) == len(set(names)) == expected, f"{len(names)} CRM records for {expected} local rows"
    local = local_rows(schema, crm)
    exported = {k: v for k, v in local.items() if (v[0] or "").startswith(prefix)}
    assert len(exported) == expected and all(remote.get(k) == v for k, v in exported.items())
