"""Measuring a peer run: wall time, peak resident memory of its process trees
(sampled, summed over the tool's own processes), and the emulator calls it made."""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import psutil

WRAPPERS = frozenset({"sh", "bash", "unshare", "mount"})  # launchers, not the tool's work
SAMPLE_SECONDS = 0.05


class PeakMemory:
    """Samples the resident memory of the given processes and all their
    descendants every SAMPLE_SECONDS; `peak_mb` is the highest sum seen."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return round(self.peak_bytes / 2**20, 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self.sample())
            self._stop.wait(SAMPLE_SECONDS)

    def sample(self) -> int:
        return sum(tree_rss(pid) for pid in self.pids)


def tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        try:
            if process.name() not in WRAPPERS:
                total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def calls_made(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Per-endpoint calls between two snapshots of the emulator's counters."""
    made = Counter(after)
    made.subtract(before)
    return {endpoint: count for endpoint, count in sorted(made.items()) if count}


@dataclass
class Measured:
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    returncodes: list[int] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def api_calls(self) -> int:
        return sum(self.calls.values())


def run_measured(emulator, start) -> Measured:
    """Call `start()` (which launches and returns the Popen objects of one run),
    wait for all of them, and measure. The clock starts before the first launch."""
    before = emulator.call_counts()
    began = time.perf_counter()
    processes: list[subprocess.Popen] = start()
    with PeakMemory([p.pid for p in processes]) as memory:
        codes = [p.wait() for p in processes]
    wall = time.perf_counter() - began
    return Measured(round(wall, 2), memory.peak_mb, codes, calls_made(before, emulator.call_counts()))
