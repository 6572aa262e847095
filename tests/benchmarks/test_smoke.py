"""The benchmark runner at tiny N, so that it cannot rot: every scenario runs for
both CRMs, the results table lists each one, and the API calls are exactly those
the runs must make."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.services import require_postgresql, require_redis

from . import machine, report, runner

SMALL, LARGE = 300, 600

# (CRM, scenario, N) -> API calls counted by the emulator.
EXPECTED_CALLS = {
    ("salesforce", "import", SMALL): 3,  # login, describe, 1 query page
    ("salesforce", "import", LARGE): 3,
    ("salesforce", "export", SMALL): 4,  # login, describe, 2 sObject Collections calls
    ("salesforce", "introspection", 26): 4,  # login, describeGlobal, 2 composite calls
    ("salesforce", "incremental", 6): 3,
    ("salesforce", "detection", 6): 0,
    ("salesforce", "deletions", 6): 2,  # login, getDeleted
    ("salesforce", "scaleout-1", LARGE): 10,
    ("salesforce", "scaleout-2", LARGE): 10,
    ("dynamics", "import", SMALL): 4,
    ("dynamics", "import", LARGE): 4,
    ("dynamics", "export", SMALL): 5,
    ("dynamics", "introspection", 26): 4,  # authority metadata, token, EntityDefinitions, 1 $batch
    ("dynamics", "incremental", 6): 4,
    ("dynamics", "detection", 6): 0,
    ("dynamics", "deletions", 6): 4,
    ("dynamics", "scaleout-1", LARGE): 13,
    ("dynamics", "scaleout-2", LARGE): 13,
}


@pytest.mark.usefixtures("celery_workers")
def test_every_scenario_runs_for_both_crms_with_the_exact_api_calls(tmp_path):
    require_postgresql("the floors load rows with COPY")
    require_redis("scale-out runs on Celery workers")
    plan = runner.Plan(small=SMALL, large=LARGE, export=SMALL, scaleout=LARGE, repeats=1, large_repeats=1,
                       tables=40, describe=26, deleted=LARGE // 100,
                       detected=LARGE // 100, scenarios=tuple(s for s in runner.ALL if s != "peers"))

    results = runner.run(plan)
    rows = report.write(results, plan, machine.describe(), tmp_path, ["smoke run"])

    calls = {(r["crm"], r["scenario"], r["n"]): r["api_calls"] for r in rows}
    assert calls == EXPECTED_CALLS
    written = json.loads((tmp_path / "results.json").read_text())
    assert len(written["rows"]) == len(EXPECTED_CALLS)
    markdown = (tmp_path / "results.md").read_text()
    for label in ("full import", "incremental import", "export", "deletions", "change detection", "introspection",
                  "import, 1 worker", "import, 2 workers"):
        assert markdown.count(f"| {label}") == 2 or markdown.count(f"| {label}") == 4, label
    by_key = {(r["crm"], r["scenario"], r["n"]): r for r in rows}
    for crm in runner.CRMS:
        assert by_key[(crm, "import", LARGE)]["floor_s"] > 0
        assert by_key[(crm, "scaleout-2", LARGE)]["targets"]["same rows as 1 worker"]
        assert by_key[(crm, "detection", LARGE // 100)]["extra"]["found"] == LARGE // 100
