"""The connector's HTTP transport: every request through the session is counted,
given a default timeout, and its Sforce-Limit-Info, Retry-After and Date headers
remembered (simple-salesforce's exceptions drop the response headers)."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import requests

from connectors.http import TimeoutAdapter

LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")
HTTP_DATE = re.compile(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT")


class MeteredAdapter(TimeoutAdapter):
    def __init__(self, timeout: float):
        super().__init__(timeout)
        self.calls = 0
        self.used: int | None = None
        self.limit: int | None = None
        self.usage_seen_at: float | None = None  # time.monotonic() of the last Sforce-Limit-Info
        self.retry_after: float | None = None
        self.clock_offset = timedelta()
        self._lock = threading.Lock()

    def send(self, request, **kwargs):
        with self._lock:
            self.calls += 1
            self.retry_after = None
        response = super().send(request, **kwargs)
        self.observe(response.headers)
        return response

    def observe(self, headers) -> None:
        usage = LIMIT_INFO.search(headers.get("Sforce-Limit-Info", ""))
        with self._lock:
            if usage:
                self.used, self.limit = int(usage.group(1)), int(usage.group(2))
                self.usage_seen_at = time.monotonic()
            self.retry_after = _seconds(headers.get("Retry-After"))
            if headers.get("Date"):
                self.clock_offset = _offset(headers["Date"])

    def usage_age(self) -> float | None:
        """Seconds since the last Sforce-Limit-Info was seen, None if never."""
        return None if self.usage_seen_at is None else time.monotonic() - self.usage_seen_at

    def server_now(self) -> datetime:
        """The CRM's clock as last seen in a Date header (whole seconds)."""
        return datetime.now(timezone.utc) + self.clock_offset


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _offset(date_header: str) -> timedelta:
    """Offset of the server's clock; of repeated Date headers (folded into one by
    requests), the last one wins."""
    dates = HTTP_DATE.findall(date_header)
    try:
        offset = parsedate_to_datetime(dates[-1]) - datetime.now(timezone.utc)
    except (IndexError, TypeError, ValueError):
        return timedelta()
    # Date has one-second resolution: only offsets beyond that mean a skewed clock.
    return offset if abs(offset) > timedelta(seconds=2) else timedelta()


def mount(session: requests.Session, timeout: float) -> MeteredAdapter:
    adapter = MeteredAdapter(timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return adapter
