"""A small load generator for the web side: threads looping over GET endpoints
with keep-alive sessions, each answer's status and latency recorded. It runs in
a process of its own (`LoadProcess`), so the test process's other threads (the
CRM emulator serving the import) never delay its clock."""

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
                   "-w", str(workers), "--threads", str(threads), "-k", "gthread", "--preload", "--access-logfile", "-"]
        self.process = subprocess.Popen(command, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                requests.get(self.url + "/admin/login/", timeout=10)
                return
            except (requests.ConnectionError, requests.Timeout):
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


def warm_up(base_url: str, endpoints: dict[str, str], headers_for, rounds: int = 5) -> None:
    """A few requests per endpoint first, so every worker has loaded its code and templates."""
    session = requests.Session()
    session.trust_env = False
    for _ in range(rounds):
        for name, path in endpoints.items():
            session.get(base_url + path, headers=headers_for(name), timeout=30, allow_redirects=False)


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


class LoadProcess:
    """`hammer` in a child process until `stop()`; then its Results."""

    def __init__(self, base_url: str, endpoints: dict[str, str], headers: dict[str, dict], work_dir: Path,
                 threads: int = 2):
        work_dir.mkdir(parents=True, exist_ok=True)
        self.stop_file, self.out_file = work_dir / "load.stop", work_dir / "load.json"
        spec = {"url": base_url, "endpoints": endpoints, "headers": headers, "threads": threads,
                "stop": str(self.stop_file), "out": str(self.out_file)}
        self.process = subprocess.Popen([sys.executable, "-m", "tests.reliability.load", json.dumps(spec)],
                                        cwd=Path(__file__).resolve().parents[2])

    def stop(self) -> Results:
        self.stop_file.touch()
        self.process.wait(90)
        data = json.loads(self.out_file.read_text())
        results = Results()
        results.latencies = data["latencies"]
        results.statuses = {name: {int(k): v for k, v in codes.items()} for name, codes in data["statuses"].items()}
        return results


def _child(spec: dict) -> None:
    stop = threading.Event()

    def watch() -> None:
        while not os.path.exists(spec["stop"]):
            time.sleep(0.05)
        stop.set()

    threading.Thread(target=watch, daemon=True).start()
    results = hammer(spec["url"], spec["endpoints"], lambda name: spec["headers"][name], stop, spec["threads"])
    Path(spec["out"]).write_text(json.dumps({"latencies": results.latencies, "statuses": results.statuses}))


def record(name: str, figures: dict) -> None:
    """Append a measure to CRMSYNC_RELIABILITY_RESULTS (the report's runner reads it)."""
    path = os.environ.get("CRMSYNC_RELIABILITY_RESULTS")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"measure": name, **figures}) + "\n")


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
