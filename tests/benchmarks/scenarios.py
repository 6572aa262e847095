"""The scenarios of the benchmark, each run through crmsync's own workflow engine
(in this process, or by Celery workers for scale-out) against an emulator in its
own process, with the floor measured right after in the same run."""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from django.db import connection
from django.db.models import Q

from connectors.models import ExternalAccount
from wizard import generation, introspection
from wizard.live_models import model_for
from workflows import runs
from workflows.models import ACTIVE_STATUSES, Activity, Run, RunStatus, SyncState, Workflow
from workflows.operations import exporting

from . import floors
from .emulator_host import EmulatorProcess
from .measure import measured

SF_PAGE, SF_BULK_PAGE, SF_BULK_THRESHOLD, SF_COLLECTION, SF_COMPOSITE = 2000, 50_000, 50_000, 200, 25
DV_PAGE, DV_BATCH = 5000, 1000
IMPORT_PATTERN = {"salesforce": r"/query|/jobs/query/", "dynamics": r"/contacts\b"}
WRITE_PATTERN = {"salesforce": r"/composite/sobjects", "dynamics": r"/\$batch"}
DELETED_PATTERN = {"salesforce": r"/deleted/", "dynamics": r"/contacts\b"}
EXTRA_CALLS_ALLOWED = 3  # per run; a split import may add them once per worker process (sign-in, describe)
SPLIT_PARTS = 2


@dataclass
class Sample:
    """One repeat of a scenario: crmsync's figures and the floor's."""

    wall_s: float
    peak_rss_mb: float
    api_calls: int
    floor_s: float | None = None
    extra: dict = field(default_factory=dict)


def minimum_calls(crm: str, scenario: str, n: int, tables: int = 0) -> int:
    """The fewest API calls the CRM's API allows for the work (issue 9)."""
    if scenario == "import":
        if crm == "salesforce":
            # Bulk API 2.0 above the threshold: create, one status call, result pages.
            return 2 + math.ceil(n / SF_BULK_PAGE) if n > SF_BULK_THRESHOLD else math.ceil(n / SF_PAGE)
        return max(1, math.ceil(n / DV_PAGE))
    if scenario.startswith("scaleout"):
        # A split import: two one-row queries find the stamp bounds, then each of the
        # SPLIT_PARTS ranges is a read of its own. The ranges split the stamps' span, not
        # the rows, so a range may end one page past an even share's.
        per_part = minimum_calls(crm, "import", math.ceil(n / SPLIT_PARTS))
        return 2 + SPLIT_PARTS * per_part + SPLIT_PARTS - 1
    if scenario == "incremental":
        return max(1, math.ceil(n / (SF_PAGE if crm == "salesforce" else DV_PAGE)))
    if scenario == "export":
        return math.ceil(n / (SF_COLLECTION if crm == "salesforce" else DV_BATCH))
    if scenario == "deletions":
        return 1 if crm == "salesforce" else max(1, math.ceil(n / DV_PAGE))
    if scenario == "introspection":
        # The listing, then describes: Salesforce composite (25 per call), Dataverse one $batch.
        return 1 + (math.ceil(tables / SF_COMPOSITE) if crm == "salesforce" else 1)
    return 0


class CrmBench:
    """One CRM's emulator process, external account, generated table and workflows."""

    def __init__(self, crm: str, tls_dir: Path, dsn: str):
        self.crm = crm
        self.dsn = dsn
        self.emulator = EmulatorProcess(crm, tls_dir)
        self.account = self._account()
        self.schema = None
        self.model = None

    def _account(self) -> ExternalAccount:
        info = self.emulator.account
        return ExternalAccount.objects.create(
            name=f"Benchmark {self.crm}", internal_name=f"bench-{self.crm}-{uuid.uuid4().hex[:8]}",
            crm_type=self.crm, server_url=self.emulator.url, api_version=info["api_version"], timeout=120,
            ca_certificate=Path(self.emulator.ca_path).read_text(), settings=info["settings"], secrets=info["secrets"])

    # --- the CRM's data ---------------------------------------------------------
    def load(self, n: int) -> None:
        self.emulator.call("reset") if self.schema else None
        self.emulator.call("generate", n=n)
        if self.schema is None:
            table = self.emulator.table
            description = introspection.describe(self.account, [table])[table]
            self.schema = generation.generate(self.account, [description])[0].schema
            self.model = model_for(self.schema)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def empty_local_table(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f'TRUNCATE "{self.table}"')
        SyncState.objects.filter(activity__schema=self.schema).delete()

    def workflow(self, operation: str, **options) -> Workflow:
        name = f"bench-{self.crm}-{operation}-{uuid.uuid4().hex[:6]}"
        wf = Workflow.objects.create(name=name, internal_name=name, account=self.account, conflict_policy="crm_wins")
        Activity.objects.create(workflow=wf, position=0, operation=operation, schema=self.schema, options=options)
        return wf

    def checksum(self) -> str:
        """The table's content as the CRM gave it (not our own stamps)."""
        columns = ", ".join(f'"{f.column_name}"' for f in self.schema.fields.all())
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*), md5(string_agg(t::text, \',\' ORDER BY t.crm_id)) FROM '
                           f'(SELECT {columns}, is_deleted FROM "{self.table}") t')
            count, digest = cursor.fetchone()
        return f"{count}:{digest}"

    def stop(self) -> None:
        self.emulator.stop()

    # --- running crmsync --------------------------------------------------------
    def run_here(self, wf: Workflow) -> tuple[Sample, list]:
        """Run the workflow in this process; its time, memory, calls and requests."""
        self.emulator.call("reset_calls")
        run = Run.objects.create(workflow=wf, trigger="benchmark")
        with floors.recording() as calls, measured() as m:
            runs.run_chain(run).apply()
        return self._sample(run, m), calls

    def run_on_workers(self, wf: Workflow, worker_pids: list[int], queue: str) -> Sample:
        self.emulator.call("reset_calls")
        run = Run.objects.create(workflow=wf, trigger="benchmark")
        with measured(worker_pids) as m:
            runs.run_chain(run).apply_async(queue=queue)
            while Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).exists():
                time.sleep(0.05)
        return self._sample(run, m)

    def _sample(self, run: Run, m) -> Sample:
        run.refresh_from_db()
        if run.status != RunStatus.SUCCEEDED:
            raise RuntimeError(f"{self.crm} benchmark run {run.status}: {run.error or run.log[-2000:]}")
        counters = {a.operation: {k: getattr(a, k) for k in ("read", "inserted", "updated", "unchanged", "deleted")}
                    for a in run.activity_runs.all()}
        return Sample(m.wall_s, m.peak_rss_mb, self.emulator.call("calls"), extra={"counters": counters})

    def import_floor(self, calls) -> dict:
        return floors.import_floor(calls, self.emulator.ca_path, self.dsn, IMPORT_PATTERN[self.crm],
                                   f"bench_floor_{self.crm}")


# --- the scenarios --------------------------------------------------------------
def full_import(bench: CrmBench, n: int, wf: Workflow | None = None) -> Sample:
    bench.empty_local_table()
    sample, calls = bench.run_here(wf or bench.workflow("import", incremental=True))
    floor = bench.import_floor(calls)
    sample.floor_s, sample.extra["floor"] = floor["floor_s"], floor
    sample.extra["checksum"] = bench.checksum()
    _expect_rows(bench)
    return sample


def incremental_import(bench: CrmBench, wf: Workflow, changes: int, repeat: int) -> Sample:
    bench.emulator.call("change", n=changes, step=100, value=f"Changed in the CRM ({repeat})")
    sample, calls = bench.run_here(wf)
    floor = bench.import_floor(calls)
    sample.floor_s, sample.extra["floor"] = floor["floor_s"], floor
    return sample


def export(bench: CrmBench, wf: Workflow, repeat: int, count: int) -> Sample:
    with connection.cursor() as cursor:  # a marketer's change to `count` rows (the trigger stamps them)
        cursor.execute(f'UPDATE "{bench.table}" SET "{_data_column(bench)}" = %s WHERE id IN '
                       f'(SELECT id FROM "{bench.table}" ORDER BY id LIMIT %s)', [f"Changed locally ({repeat})", count])
    sample, calls = bench.run_here(wf)
    writes = floors.data_requests(calls, WRITE_PATTERN[bench.crm], methods=("POST", "PATCH"))
    floor = floors.fetch(writes, bench.emulator.ca_path)
    sample.floor_s, sample.extra["floor"] = floor["floor_s"], floor
    return sample


def deletions(bench: CrmBench, wf: Workflow, count: int, repeat: int) -> Sample:
    bench.emulator.call("delete", n=count, step=37, offset=repeat)
    sample, calls = bench.run_here(wf)
    floor = floors.import_floor(floors.data_requests(calls, DELETED_PATTERN[bench.crm]) or calls[:0],
                                bench.emulator.ca_path, bench.dsn, ".", f"bench_floor_{bench.crm}")
    sample.floor_s, sample.extra["floor"] = floor["floor_s"], floor
    return sample


def change_detection(bench: CrmBench, wf: Workflow, count: int) -> Sample:
    """Find the locally changed rows as the export does, among all rows."""
    with connection.cursor() as cursor:
        # As after a sync: both stamps set by the writer, so the trigger keeps them.
        cursor.execute(f'UPDATE "{bench.table}" SET last_synced_at = now(), local_modstamp = now()')
        cursor.execute(f'UPDATE "{bench.table}" SET "{_data_column(bench)}" = \'touched\' WHERE id IN '
                       f'(SELECT id FROM "{bench.table}" ORDER BY id LIMIT %s)', [count])
    activity = wf.activities.get()
    ctx = SimpleNamespace(options={"rows": "changed", "filter": None, "mode": "upsert"}, model=bench.model,
                          schema=bench.schema, activity=activity)
    with measured() as m:
        found = list(exporting._rows(ctx).order_by("pk").values_list("pk", flat=True))
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id FROM "{bench.table}" WHERE last_synced_at IS NULL OR local_modstamp > last_synced_at')
        bare = cursor.fetchall()
    floor_s = time.perf_counter() - start
    if len(found) != count or len(bare) != count:
        raise RuntimeError(f"change detection found {len(found)} rows (bare SQL {len(bare)}), expected {count}")
    return Sample(m.wall_s, m.peak_rss_mb, 0, floor_s, extra={"found": len(found)})


def _data_column(bench: CrmBench) -> str:
    return bench.schema.fields.get(crm_name="Title" if bench.crm == "salesforce" else "jobtitle").column_name


def introspect(bench: CrmBench, describe: int) -> Sample:
    bench.emulator.call("reset_calls")
    with floors.recording() as calls, measured() as m:
        with bench.account.connector() as connector:
            names = sorted(t.name for t in connector.list_tables() if _is_bench_table(t.name))[:describe]
            described = connector.describe_tables(names)
    api_calls = bench.emulator.call("calls")
    if len(described) != describe:
        raise RuntimeError(f"described {len(described)} tables, expected {describe}")
    replay = [c for c in calls if not floors.AUTH.search(c.url) and "/limits" not in c.url]
    floor = floors.fetch(replay, bench.emulator.ca_path)
    return Sample(m.wall_s, m.peak_rss_mb, api_calls, floor["floor_s"], extra={"floor": floor})


def _is_bench_table(name: str) -> bool:
    return name.lower().startswith(("bench_", "cr8a1_bench"))


def scale_out(bench: CrmBench, workers: list, queue: str, parallel: int) -> Sample:
    bench.empty_local_table()
    wf = bench.workflow("import", incremental=True, parallel=parallel)
    sample = bench.run_on_workers(wf, [w.process.pid for w in workers], queue)
    sample.extra["checksum"] = bench.checksum()
    return sample


def _expect_rows(bench: CrmBench) -> None:
    count, expected = bench.model.objects.filter(Q(is_deleted=False)).count(), bench.emulator.call("count")
    if count != expected:
        raise RuntimeError(f"{bench.crm}: {count} rows imported, the CRM has {expected}")
