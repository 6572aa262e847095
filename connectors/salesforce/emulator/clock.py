"""The emulated org's clock: real time plus an adjustable offset, and strictly
increasing SystemModstamp values (one millisecond apart at least)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()
        self._last = datetime(2000, 1, 1, tzinfo=timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def stamp(self) -> datetime:
        """A modification stamp later than every stamp handed out before."""
        with self._lock:
            now = self.now().replace(microsecond=self.now().microsecond // 1000 * 1000)
            self._last = max(now, self._last + timedelta(milliseconds=1))
            return self._last

    def reserve(self, count: int) -> datetime:
        """The first of `count` consecutive stamps (1 ms apart), ending no later than
        now where possible, so a large seed looks like recent activity."""
        with self._lock:
            start = self.now() - timedelta(milliseconds=count)
            start = start.replace(microsecond=start.microsecond // 1000 * 1000)
            start = max(start, self._last + timedelta(milliseconds=1))
            self._last = start + timedelta(milliseconds=count - 1)
            return start

    def advance(self, delta: timedelta) -> None:
        """Move the org's time (e.g. 16 days ahead to test replication windows)."""
        with self._lock:
            self.offset += delta
