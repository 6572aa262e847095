"""PostgreSQL and Redis restarted (killed, then started again) during a run: each
on a throwaway server of its own, started by the test on a free port, with the
app's own processes (migrate, a Celery worker, `crmsync_run --wait`). The run
ends in a clear state (failed with a readable message, or retried to success),
never stuck "running"; a rerun then makes the local table equal to the CRM's."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import psycopg2
import pytest
from django.conf import settings

from connectors.types import ReadRequest
from tests.fixtures.celery_worker import Worker, purge_queue, worker_env
from tests.fixtures.services import require_postgresql, require_redis
from tests.reliability.checks import wait_for
from tests.reliability.load import record
from tests.reliability.services import ThrowawayPostgres, ThrowawayRedis

ROWS = 6_000  # three query pages; the server restarts once the first is committed
SETUP = """
import json, os
from connectors.models import ExternalAccount
from tests.workflows.helpers import generate, workflow
account = ExternalAccount.objects.create(**json.loads(os.environ["RESTART_ACCOUNT"]))
schema = generate(account, "Contact")
workflow(account, schema, ("import", {}), name="restart")
columns = {f.crm_name: f.column_name for f in schema.fields.all()}
print(json.dumps({"table": schema.table_name, "columns": columns}))
"""


def manage(env, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=settings.BASE_DIR, capture_output=True,
                          text=True, timeout=timeout)


def account_spec(emulator, config) -> str:
    return json.dumps({"name": "Salesforce demo", "internal_name": "sf-demo", "crm_type": "salesforce",
                       "server_url": config.server_url, "api_version": config.api_version, "timeout": 10,
                       "ca_certificate": config.ca_pem, "settings": dict(config.settings),
                       "secrets": dict(config.secrets)})


def crm_contacts(config) -> dict:
    from connectors.salesforce.connector import SalesforceConnector

    with SalesforceConnector(config) as connector:
        pages = connector.read(ReadRequest("Contact", ("LastName", "FirstName", "Email")))
        return {r["Id"]: (r["LastName"], r["FirstName"], r["Email"]) for page in pages for r in page.records}


def local_contacts(dsn: str, layout: dict) -> tuple[dict, int]:
    c = layout["columns"]
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(f'SELECT crm_id, "{c["LastName"]}", "{c["FirstName"]}", "{c["Email"]}" FROM '
                       f'"{layout["table"]}" WHERE NOT is_deleted')
        found = cursor.fetchall()
    return {row[0]: tuple(row[1:]) for row in found}, len(found)


def read_so_far(dsn: str) -> int:
    try:
        with psycopg2.connect(dsn, connect_timeout=2) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(read), 0) FROM workflows_activityrun")
            return cursor.fetchone()[0]
    except psycopg2.Error:
        return 0


def run_statuses(dsn: str) -> list[tuple]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT id, status, error FROM workflows_run ORDER BY id")
        return cursor.fetchall()


class App:
    """The app's processes on a given database and broker."""

    def __init__(self, env: dict, tmp_path, config, emulator):
        self.env, self.tmp_path = env, tmp_path
        self.layout = None
        self.config, self.emulator = config, emulator
        self.workers: list[Worker] = []

    def prepare(self) -> None:
        migrated = manage(self.env, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        made = manage({**self.env, "RESTART_ACCOUNT": account_spec(self.emulator, self.config)}, "shell", "-c", SETUP)
        assert made.returncode == 0, made.stderr[-3000:]
        self.layout = json.loads(made.stdout.strip().splitlines()[-1])

    def worker(self) -> Worker:
        worker = Worker(self.env, self.tmp_path, f"restart{len(self.workers) + 1}")
        self.workers.append(worker)
        return worker

    def start_run(self) -> subprocess.Popen:
        log = open(self.tmp_path / f"run{time.monotonic_ns()}.log", "w")
        return subprocess.Popen([sys.executable, "manage.py", "crmsync_run", "restart", "--wait", "--interval", "0.5"],
                                env=self.env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT, text=True)

    def run_logs(self) -> str:
        """What each `crmsync_run --wait` printed, oldest first (for a failure's message)."""
        return "\n".join(f"== {log.name}\n{log.read_text()[-3000:]}" for log in sorted(self.tmp_path.glob("run*.log")))

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


def restart_mid_run(app: App, dsn: str, restart) -> tuple[int, list]:
    """Start the run, restart the server once rows are being read, follow the run to
    its end; then run again. Returns the first run's exit code and all runs."""
    follower = app.start_run()
    wait_for(lambda: read_so_far(dsn) >= 2000, timeout=120, every=0.05)
    restart()
    first_exit = follower.wait(180)
    rerun = app.start_run()
    assert rerun.wait(180) == 0, f"the rerun did not succeed (first run exited {first_exit}):\n{app.run_logs()}"
    return first_exit, run_statuses(dsn)


def assert_clear_end_and_same_rows(first_exit: int, statuses: list, dsn: str, app: App, config,
                                   measure: str) -> None:
    first = statuses[0]
    record(measure, {"first run": first[1], "error": first[2], "runs": len(statuses)})
    print(measure, first)
    assert first[1] in ("succeeded", "failed"), f"run left {first[1]}"
    assert first_exit == (0 if first[1] == "succeeded" else 2)
    if first[1] == "failed":
        assert first[2], "a failed run must say why"
    assert all(status in ("succeeded", "failed") for _, status, _ in statuses)
    crm = crm_contacts(config)
    local, local_count = local_contacts(dsn, app.layout)
    assert local == crm and local_count == len(crm) == ROWS + 4


@pytest.fixture
def app_env(salesforce_emulator, tmp_path):
    """The app's environment; a run counts as vanished after 20 s without a heartbeat
    (a page can take seconds on a busy machine)."""
    queue = f"crmsync-restart-{uuid.uuid4().hex[:12]}"
    return {**worker_env(queue), "CRMSYNC_RUN_STALE_AFTER": "20", "CRMSYNC_QUEUE": queue}


@pytest.mark.django_db(transaction=True)
def test_postgresql_restarted_during_a_run(salesforce_emulator, salesforce_config, app_env, tmp_path):
    require_redis("the worker takes its tasks from Redis")
    salesforce_emulator.generate("Contact", ROWS)
    postgres = ThrowawayPostgres()
    app = None
    try:
        postgres.create_database("crmsync_restart")
        dsn = postgres.url("crmsync_restart")
        app = App({**app_env, "DATABASE_URL": dsn}, tmp_path, salesforce_config, salesforce_emulator)
        app.prepare()
        app.worker()
        first_exit, statuses = restart_mid_run(app, dsn, postgres.restart)
        assert_clear_end_and_same_rows(first_exit, statuses, dsn, app, salesforce_config, "PostgreSQL restart")
    finally:
        if app:
            app.stop()
        postgres.close()
        purge_queue(app_env["CRMSYNC_QUEUE"])


@pytest.mark.django_db(transaction=True)
def test_redis_restarted_during_a_run(salesforce_emulator, salesforce_config, app_env, tmp_path):
    require_postgresql("the app's processes share the test database")
    salesforce_emulator.generate("Contact", ROWS)
    redis_server = ThrowawayRedis()
    app = None
    try:
        db = app_env["DATABASE_URL"]
        env = {**app_env, "CELERY_BROKER_URL": redis_server.url, "CRMSYNC_CACHE_URL": redis_server.url}
        app = App(env, tmp_path, salesforce_config, salesforce_emulator)
        made = manage({**env, "RESTART_ACCOUNT": account_spec(salesforce_emulator, salesforce_config)},
                      "shell", "-c", SETUP)
        assert made.returncode == 0, made.stderr[-3000:]
        app.layout = json.loads(made.stdout.strip().splitlines()[-1])
        app.worker()
        first_exit, statuses = restart_mid_run(app, db, redis_server.restart)
        assert_clear_end_and_same_rows(first_exit, statuses, db, app, salesforce_config, "Redis restart")
    finally:
        if app:
            app.stop()
        redis_server.close()
