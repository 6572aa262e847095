"""Service protection limits: a request budget per caller and window. Past it the
Web API answers 429 with Retry-After and error 0x80072322, as Dataverse does; every
answer carries the x-ms-ratelimit-* headers."""

from __future__ import annotations

import math
import threading
import time

from .errors import REQUEST_LIMIT_EXCEEDED, DataverseError


class ServiceProtection:
    def __init__(self, budget: int = 6000, window_seconds: float = 300.0, clock=time.monotonic):
        self.budget = budget
        self.window_seconds = window_seconds
        self.clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def configure(self, budget: int, window_seconds: float) -> None:
        with self._lock:
            self.budget, self.window_seconds = budget, window_seconds
            self._windows.clear()

    def admit(self, caller: str) -> dict:
        """Count one request; the rate-limit headers, or a 429 error past the budget."""
        with self._lock:
            now = self.clock()
            started, used = self._windows.get(caller, (now, 0))
            if now - started >= self.window_seconds:
                started, used = now, 0
            remaining_time = self.window_seconds - (now - started)
            if used >= self.budget:
                raise self._throttled(remaining_time)
            self._windows[caller] = (started, used + 1)
            return {"x-ms-ratelimit-burst-remaining-xrm-requests": str(self.budget - used - 1),
                    "x-ms-ratelimit-time-remaining-xrm-requests": f"{remaining_time * 1000:.2f}",
                    "x-ms-dop-hint": "4"}

    def _throttled(self, remaining_time: float) -> DataverseError:
        retry_after = max(1, math.ceil(remaining_time))
        return DataverseError(
            429, REQUEST_LIMIT_EXCEEDED,
            f"Number of requests exceeded the limit of {self.budget} over time window of "
            f"{self.window_seconds:g} seconds.",
            headers={"Retry-After": str(retry_after), "x-ms-ratelimit-burst-remaining-xrm-requests": "0"})
