"""Fixtures of the reliability suites: one real Celery worker process shared by a
module's tests (restarted when a test killed it), on a queue of its own."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.celery_worker import STALE_AFTER, Worker, purge_queue, worker_env
from tests.fixtures.services import require_postgresql, require_redis


class SharedWorker:
    def __init__(self, log_dir):
        self.queue = f"crmsync-rel-{uuid.uuid4().hex[:12]}"
        self.log_dir = log_dir
        self.started = 0
        self.worker: Worker | None = None

    def ensure(self) -> Worker:
        if self.worker is None or self.worker.process.poll() is not None:
            self.started += 1
            self.worker = Worker(worker_env(self.queue), self.log_dir, f"rel{self.started}")
        return self.worker

    def restart(self) -> Worker:
        self.kill()
        return self.ensure()

    def kill(self) -> None:
        if self.worker is not None:
            self.worker.kill()

    def log_text(self) -> str:
        return self.worker.log_path.read_text() if self.worker else ""

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()


@pytest.fixture(scope="module")
def shared_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        require_postgresql("a worker process must see the test database")
        require_redis("the worker takes its tasks from the Redis broker")
        shared = SharedWorker(tmp_path_factory.mktemp("workers"))
    yield shared
    shared.stop()
    with django_db_blocker.unblock():
        purge_queue(shared.queue)


@pytest.fixture
def worker(shared_worker, transactional_db, settings) -> SharedWorker:
    """The module's worker, running, with this test's runs sent to its queue."""
    settings.CRMSYNC_QUEUE = shared_worker.queue
    settings.CRMSYNC_RUN_STALE_AFTER = STALE_AFTER
    shared_worker.ensure()
    yield shared_worker
    purge_queue(shared_worker.queue)
