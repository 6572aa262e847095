"""The README's first command on PostgreSQL and Redis: `crmsync_demo` serves the
console, starts a Celery worker and Celery beat as child processes, and Ctrl-C
(SIGINT) or SIGTERM stops every process it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.fixtures.celery_worker import purge_queue, worker_env

START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, their pools...), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(check, what: str, timeout: float = START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


@pytest.fixture
def demo_env(celery_workers, tmp_path):
    """The test database and Redis, a queue of its own, a var dir of its own."""
    queue = f"crmsync-demo-{uuid.uuid4().hex[:12]}"
    env = {**worker_env(queue), "CRMSYNC_VAR_DIR": str(tmp_path)}
    env.pop("CRMSYNC_SECRET_KEYS")  # generated into the var dir, as on a fresh checkout
    yield env
    purge_queue(queue)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT], ids=["ctrl-c"])
def test_first_run_on_postgresql_and_redis_starts_worker_and_beat_and_ctrl_c_stops_them_all(
        demo_env, tmp_path, stop_signal):
    port = free_port()
    out = open(tmp_path / "demo.out", "w")
    demo = subprocess.Popen(
        [sys.executable, "manage.py", "crmsync_demo", "--addr", f"127.0.0.1:{port}",
         "--salesforce-port", "0", "--dynamics-port", "0"],
        env=demo_env, cwd=settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT)
    try:
        text = lambda: (tmp_path / "demo.out").read_text()  # noqa: E731
        wait_for(lambda: "celery beat: pid" in text(), "the worker and beat to be started")
        assert f"crmsync console: http://127.0.0.1:{port}/admin/" in text()
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/admin/login/"), "the console")
        logs = tmp_path / "logs"
        wait_for(lambda: " ready." in (logs / "worker.log").read_text(), "the worker to be ready")
        wait_for(lambda: "beat: Starting..." in (logs / "beat.log").read_text(), "beat to start")
        started = descendants(demo.pid)
        assert len(started) >= 3, "a worker with its pool, and beat"

        demo.send_signal(stop_signal)
        assert demo.wait(40) == 0
        wait_for(lambda: not [pid for pid in started if alive(pid)], "every child to be gone", timeout=10)
        assert "stopped the console, the worker, the beat and the emulators" in text()
    finally:
        if demo.poll() is None:
            demo.kill()
        for pid in descendants(demo.pid):
            os.kill(pid, signal.SIGKILL)
        out.close()
