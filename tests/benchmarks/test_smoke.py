"""The benchmark runner at tiny N, so that it cannot rot: every scenario runs for
both CRMs, the results table lists each one, and the API calls are exactly those
the runs must make."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.services import require_postgresql, require_redis

from . import machine, report, runner

SMALL, LARGE = 300, 600

# (CRM, scenario, N) -> API calls counted by the emulator. Each run first makes the
# API budget governor's forecast (workflows/budget.py: its own log-in, the CRM's
# limits, the table's describe and a COUNT() / $count), then the run's own calls.
FORECAST = {"salesforce": 4, "dynamics": 4}
EXPECTED_CALLS = {
    ("salesforce", "import", SMALL): FORECAST["salesforce"] + 3,  # login, describe, 1 query page
    ("salesforce", "import", LARGE): FORECAST["salesforce"] + 3,
    ("salesforce", "export", SMALL): 6,  # forecast (login, limits), login, describe, 2 sObject Collections calls
    ("salesforce", "introspection", 26): 4,  # login, describeGlobal, 2 composite calls
    ("salesforce", "incremental", 6): FORECAST["salesforce"] + 3,
    ("salesforce", "detection", 6): 0,
    ("salesforce", "deletions", 6): 4,  # forecast (login, limits), login, getDeleted
    ("salesforce", "scaleout-1", LARGE): FORECAST["salesforce"] + 10,
    ("salesforce", "scaleout-2", LARGE): FORECAST["salesforce"] + 10,
    ("dynamics", "import", SMALL): FORECAST["dynamics"] + 4,
    ("dynamics", "import", LARGE): FORECAST["dynamics"] + 4,
    ("dynamics", "export", SMALL): 5,
    ("dynamics", "introspection", 26): 4,  # authority metadata, token, EntityDefinitions, 1 $batch
    ("dynamics", "incremental", 6): FORECAST["dynamics"] + 4,
    ("dynamics", "detection", 6): 0,
    ("dynamics", "deletions", 6): 4,
    ("dynamics", "scaleout-1", LARGE): FORECAST["dynamics"] + 13,
    ("dynamics", "scaleout-2", LARGE): FORECAST["dynamics"] + 13,
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
    # Scale-out: whether a split import reads one range or two pages per part is not
    # yet deterministic on Dataverse (issue 9 keeps it open); its calls are bounded here.
    split = {key for key in EXPECTED_CALLS if key[1].startswith("scaleout")}
    assert {k: v for k, v in calls.items() if k not in split} == {k: v for k, v in EXPECTED_CALLS.items()
                                                                   if k not in split}
    assert calls.keys() == EXPECTED_CALLS.keys()
    for key in split:
        assert 0 < calls[key] <= EXPECTED_CALLS[key], (key, calls[key])
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
