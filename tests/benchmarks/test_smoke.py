"""The benchmark runner at tiny N, so that it cannot rot: every scenario runs for
both CRMs, the results table lists each one, and the API calls are exactly those
the runs must make."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.services import require_postgresql, require_redis

from . import machine, report, runner

SMALL, LARGE = 300, 600

# (CRM, scenario, N) -> API calls counted by the emulator. The API budget governor's
# forecast opens the run's session (workflows/budget.py, workflows/sessions.py): the
# sign-in and the table's describe, whose Sforce-Limit-Info header gives Salesforce's
# daily usage (no limits call); the budget being far, it counts nothing. The run then
# uses that connector: its own calls are the work's.
SESSION = {"salesforce": 2, "dynamics": 3}  # log-in, describe / authority metadata, token, describe
# A split import (2 parts): two one-row queries for the stamp bounds, one page per part
# (at this N), and the session once in each worker process that takes a task of the run.
SPLIT = 2 + 2
EXPECTED_CALLS = {
    ("salesforce", "import", SMALL): SESSION["salesforce"] + 1,  # 1 query page
    ("salesforce", "import", LARGE): SESSION["salesforce"] + 1,
    ("salesforce", "export", SMALL): SESSION["salesforce"] + 2,  # 2 sObject Collections calls
    ("salesforce", "introspection", 26): 4,  # login, describeGlobal, 2 composite calls
    ("salesforce", "incremental", 6): SESSION["salesforce"] + 1,
    ("salesforce", "detection", 6): 0,
    ("salesforce", "deletions", 6): SESSION["salesforce"] + 1,  # getDeleted
    ("salesforce", "scaleout-1", LARGE): SESSION["salesforce"] + SPLIT,
    ("salesforce", "scaleout-2", LARGE): 2 * SESSION["salesforce"] + SPLIT,
    ("dynamics", "import", SMALL): SESSION["dynamics"] + 1,
    ("dynamics", "import", LARGE): SESSION["dynamics"] + 1,
    ("dynamics", "export", SMALL): SESSION["dynamics"] + 1,  # the describe and the entity sets in one $batch; 1 $batch
    ("dynamics", "introspection", 26): 4,  # authority metadata, token, EntityDefinitions, 1 $batch
    ("dynamics", "incremental", 6): SESSION["dynamics"] + 1,
    ("dynamics", "detection", 6): 0,
    ("dynamics", "deletions", 6): SESSION["dynamics"] + 1,
    ("dynamics", "scaleout-1", LARGE): SESSION["dynamics"] + SPLIT,
    ("dynamics", "scaleout-2", LARGE): 2 * SESSION["dynamics"] + SPLIT,
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
    # With two workers, the second signs in only if it takes one of the run's tasks,
    # which the broker decides: it almost always does (the first is busy planning).
    two = {key for key in EXPECTED_CALLS if key[1] == "scaleout-2"}
    assert {k: v for k, v in calls.items() if k not in two} == {k: v for k, v in EXPECTED_CALLS.items()
                                                                 if k not in two}
    for crm, scenario, n in two:
        assert calls[(crm, scenario, n)] in (EXPECTED_CALLS[(crm, scenario, n)],
                                             EXPECTED_CALLS[(crm, "scaleout-1", n)]), calls[(crm, scenario, n)]
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
