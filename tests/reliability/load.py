"""A small load generator for the web side: threads looping over GET endpoints
with keep-alive sessions, each answer's status and latency recorded."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """The app served by gunicorn on a loopback port, as in production."""

    def __init__(self, env: dict, cwd: Path, log_path: Path, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w")
        self.log_path = log_path
        command = [sys.executable, "-m", "gunicorn", "crmsync.wsgi:application", "-b", f"127.0.0.1:{self.port}",
                   "-w", str(workers), "--threads", str(threads), "-k", "gthread", "--access-logfile", "-"]
        self.process = subprocess.Popen(command, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                requests.get(self.url + "/admin/login/", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start:\n" + self.log_path.read_text()[-3000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(name, []).append(seconds)
            counts = self.statuses.setdefault(name, {})
            counts[status] = counts.get(status, 0) + 1

    def summary(self) -> dict[str, dict]:
        out = {name: _figures(values) for name, values in self.latencies.items()}
        out["all"] = _figures([v for values in self.latencies.values() for v in values])
        return out


def _figures(values: list[float]) -> dict:
    ordered = sorted(values)
    ms = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)
    return {"requests": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": ms(0.95),
            "max_ms": round(ordered[-1] * 1000, 1)}


def hammer(base_url: str, endpoints: dict[str, str], headers_for, stop: threading.Event, threads: int = 4,
           pause: float = 0.0) -> Results:
    """Until `stop` is set, each thread GETs the endpoints in turn."""
    results = Results()

    def loop(offset: int) -> None:
        session = requests.Session()
        session.trust_env = False
        names = list(endpoints)
        i = offset
        while not stop.is_set():
            name = names[i % len(names)]
            i += 1
            started = time.perf_counter()
            response = session.get(base_url + endpoints[name], headers=headers_for(name), timeout=30,
                                   allow_redirects=False)
            response.content
            results.add(name, response.status_code, time.perf_counter() - started)
            if pause:
                time.sleep(pause)

    workers = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(threads)]
    for thread in workers:
        thread.start()
    stop.wait()
    for thread in workers:
        thread.join(35)
    return results


def record(name: str, figures: dict) -> None:
    """Append a measure to CRMSYNC_RELIABILITY_RESULTS (the report's runner reads it)."""
    path = os.environ.get("CRMSYNC_RELIABILITY_RESULTS")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"measure": name, **figures}) + "\n")
