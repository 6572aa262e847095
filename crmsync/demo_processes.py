"""The first run on PostgreSQL and Redis: a Celery worker and Celery beat started as
child processes of the console, each in its own process group with its log under
var/logs/, and stopped with everything they started when the console stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

STOP_WAIT = 15  # seconds a child has to finish its task before it is killed


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_path: Path


def start_worker_and_beat(var_dir: Path, base_dir: Path) -> list[Child]:
    logs = var_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    celery = [sys.executable, "-m", "celery", "-A", "crmsync"]
    return [
        _start("worker", celery + ["worker", "-l", "INFO", "--concurrency", "2"], logs, base_dir),
        _start("beat", celery + ["beat", "-l", "INFO", "--pidfile="], logs, base_dir),
    ]


def _start(name: str, command: list[str], logs: Path, base_dir: Path) -> Child:
    log_path = logs / f"{name}.log"
    with open(log_path, "ab") as log:
        # A session of its own: the child and its pool are stopped as one group, by us.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=base_dir,
                                   start_new_session=True)
    return Child(name, process, log_path)


def stop(children: list[Child]) -> None:
    """SIGTERM each group (a warm shutdown), then SIGKILL what is left after STOP_WAIT."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    for child in children:
        try:
            child.process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            child.process.wait(5)
        # Pool processes outliving their parent still belong to the group.
        _signal_group(child, signal.SIGKILL)


def _signal_group(child: Child, sig: int) -> None:
    try:
        os.killpg(child.process.pid, sig)
    except ProcessLookupError:
        pass
