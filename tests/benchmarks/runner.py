"""Running every scenario for each CRM and collecting the samples."""

from __future__ import annotations

import importlib
import logging
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from . import scenarios
from .scenarios import CrmBench, Sample

logger = logging.getLogger("crmsync.benchmarks")
ALL = ("import", "incremental", "export", "deletions", "detection", "introspection", "scaleout", "peers")
CRMS = ("salesforce", "dynamics")


@dataclass
class Plan:
    small: int = 100_000  # full import, export
    export: int = 100_000  # rows changed locally, then exported (at most `small`)
    large: int = 1_000_000  # full import, incremental, deletions, detection, scale-out
    repeats: int = 3
    large_repeats: int = 3  # repeats of the large-N scenarios
    scaleout: int = 1_000_000  # N of the scale-out import
    scenarios: tuple[str, ...] = ALL
    crms: tuple[str, ...] = CRMS
    tables: int = 1500
    describe: int = 100
    changed_share: float = 0.01
    deleted: int = 10_000
    detected: int = 10_000


@dataclass
class Results:
    rows: dict = field(default_factory=dict)  # (crm, scenario, n) -> list[Sample]
    notes: list[str] = field(default_factory=list)
    on_add: object = None  # called after each sample, e.g. to write the results so far

    def add(self, crm: str, scenario: str, n: int, sample: Sample) -> None:
        self.rows.setdefault((crm, scenario, n), []).append(sample)
        logger.info("%s %s N=%s: %.2fs (floor %s), %s calls, %.0f MB", crm, scenario, n, sample.wall_s,
                    f"{sample.floor_s:.2f}s" if sample.floor_s is not None else "-", sample.api_calls, sample.peak_rss_mb)
        if self.on_add:
            self.on_add(self)


def dsn() -> str:
    s = connection.settings_dict
    return f"dbname={s['NAME']} user={s['USER']} host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432}"


def run(plan: Plan, on_add=None) -> Results:
    results = Results(on_add=on_add)
    with tempfile.TemporaryDirectory(prefix="crmsync-bench-") as tmp:
        for crm in plan.crms:
            bench = CrmBench(crm, Path(tmp) / crm, dsn())
            try:
                _small_phase(bench, plan, results)
                _large_phase(bench, plan, results)
            finally:
                bench.stop()
    return results


def _wanted(plan: Plan, *names: str) -> bool:
    return any(name in plan.scenarios for name in names)


def _small_phase(bench: CrmBench, plan: Plan, results: Results) -> None:
    if not _wanted(plan, "import", "export", "introspection", "peers"):
        return
    n = plan.small
    bench.load(n)
    if _wanted(plan, "import", "export"):
        for _ in range(plan.repeats):
            results.add(bench.crm, "import", n, scenarios.full_import(bench, n))
    if _wanted(plan, "export"):
        # Every writable field but lookups (the generated rows point at records the
        # benchmark does not create).
        fields = [f.crm_name for f in bench.schema.fields.all() if f.type != "reference" and not f.is_system_column]
        wf = bench.workflow("export", rows="changed", mode="upsert", key=bench.emulator.key, fields=fields)
        for repeat in range(plan.repeats):
            results.add(bench.crm, "export", min(n, plan.export), scenarios.export(bench, wf, repeat, plan.export))
    if _wanted(plan, "peers") and bench.crm == "salesforce":
        _peers(bench, n, results)
    if _wanted(plan, "introspection"):
        bench.emulator.call("add_tables", n=plan.tables)
        for _ in range(plan.repeats):
            results.add(bench.crm, "introspection", plan.describe, scenarios.introspect(bench, plan.describe))


def _large_phase(bench: CrmBench, plan: Plan, results: Results) -> None:
    if not _wanted(plan, "import", "incremental", "deletions", "detection", "scaleout"):
        return
    n, repeats = plan.large, plan.large_repeats
    bench.load(n)
    # The full imports run through the workflow the incremental imports then continue.
    wf = bench.workflow("import", incremental=True)
    for _ in range(repeats if _wanted(plan, "import") else 1):
        sample = scenarios.full_import(bench, n, wf)
        if _wanted(plan, "import"):
            results.add(bench.crm, "import", n, sample)
    if _wanted(plan, "incremental"):
        changes = max(1, round(n * plan.changed_share))
        for repeat in range(repeats):
            results.add(bench.crm, "incremental", changes, scenarios.incremental_import(bench, wf, changes, repeat))
    if _wanted(plan, "detection"):
        export_wf = bench.workflow("export", rows="changed", mode="upsert", key=bench.emulator.key)
        for _ in range(repeats):
            results.add(bench.crm, "detection", plan.detected, scenarios.change_detection(bench, export_wf, plan.detected))
    if _wanted(plan, "deletions"):
        deleted_wf = bench.workflow("import_deleted", action="flag")
        bench.run_here(deleted_wf)  # the first run only sets the deletion watermark
        for repeat in range(repeats):
            results.add(bench.crm, "deletions", plan.deleted, scenarios.deletions(bench, deleted_wf, plan.deleted, repeat))
    if _wanted(plan, "scaleout"):
        if plan.scaleout != n:
            bench.load(plan.scaleout)
        _scale_out(bench, plan, results)


def _scale_out(bench: CrmBench, plan: Plan, results: Results) -> None:
    from tests.fixtures.celery_worker import Worker, purge_queue, worker_env

    queue = f"crmsync-bench-{uuid.uuid4().hex[:8]}"
    single = None
    with tempfile.TemporaryDirectory(prefix="crmsync-bench-workers-") as logs:
        workers = []
        try:
            for count in (1, 2):  # one worker, then a second one beside it
                workers.append(Worker(worker_env(queue), Path(logs), f"bench-{bench.crm}-{count}"))
                for _ in range(plan.large_repeats):
                    sample = scenarios.scale_out(bench, workers, queue, parallel=scenarios.SPLIT_PARTS)
                    single = single or sample.extra["checksum"]
                    sample.extra["same_rows_as_one_worker"] = sample.extra["checksum"] == single
                    results.add(bench.crm, f"scaleout-{count}", plan.scaleout, sample)
        finally:
            for worker in workers:
                worker.stop()
        purge_queue(queue)


def _peers(bench: CrmBench, n: int, results: Results) -> None:
    """The peer pipelines, from tests/benchmarks/peers.py when it is there."""
    path = Path(__file__).with_name("peers.py")
    if not path.exists():
        results.notes.append("peers: not run (tests/benchmarks/peers.py is not in this checkout)")
        return
    peers = importlib.import_module("tests.benchmarks.peers")
    calls = {"singer": lambda workdir: peers.run_singer(bench.emulator, n, _dsn_url(), workdir),
             "airbyte": lambda workdir: peers.run_airbyte(bench.emulator, n, workdir)}
    for name, call in calls.items():
        try:
            with tempfile.TemporaryDirectory(prefix=f"crmsync-peer-{name}-") as workdir:
                figures = call(workdir)
        except Exception as exc:  # a peer failing is a finding, not the end of the run
            results.notes.append(f"peers: {name} failed: {exc.__class__.__name__}: {exc}"[:500])
            continue
        if figures.get("error") or figures.get("wall_s") is None:
            results.notes.append(f"peers: {name} did not finish: {figures.get('error')}"[:500])
            continue
        results.add(bench.crm, f"peer-{name}", n, Sample(figures["wall_s"], figures["peak_rss_mb"], figures["api_calls"]))


def _dsn_url() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
