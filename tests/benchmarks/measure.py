"""Measuring a piece of work: wall time, and the peak resident memory of the
process(es) doing it, this process (its high-water mark, reset first) or worker
processes and their children (sampled)."""

from __future__ import annotations

import ctypes
import gc
import statistics
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil

SAMPLE_SECONDS = 0.05


@dataclass
class Measurement:
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    extra: dict = field(default_factory=dict)


def _trim() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def _reset_high_water_mark() -> bool:
    """Linux: writing 5 to clear_refs resets VmHWM to the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _high_water_mark_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _Sampler(threading.Thread):
    """The highest summed RSS of some processes and their children."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.processes = [psutil.Process(pid) for pid in pids]
        self.peak = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.peak = max(self.peak, self._rss())
            self.stopping.wait(SAMPLE_SECONDS)

    def _rss(self) -> int:
        total = 0
        for process in self.processes:
            try:
                for p in [process, *process.children(recursive=True)]:
                    total += p.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total


@contextmanager
def measured(worker_pids: list[int] | None = None):
    """with measured() as m: ... — m.wall_s and m.peak_rss_mb are set at exit."""
    m = Measurement()
    sampler = None
    if worker_pids:
        sampler = _Sampler(worker_pids)
        sampler.start()
    else:
        _trim()
        _reset_high_water_mark()
    start = time.perf_counter()
    try:
        yield m
    finally:
        m.wall_s = time.perf_counter() - start
        if sampler:
            sampler.stopping.set()
            sampler.join()
            m.peak_rss_mb = max(sampler.peak, sampler._rss()) / 2**20
        else:
            m.peak_rss_mb = _high_water_mark_mb()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
