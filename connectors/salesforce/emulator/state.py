"""Everything one emulated org holds: metadata, records, sessions, cursors, Bulk
jobs and API usage. Handlers receive it; the control interface changes it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from connectors.emulator_kit.instrumentation import Instrumentation

from .auth import Credentials, Sessions
from .clock import Clock
from .org import demo_schema
from .query_engine import QueryEngine
from .soql_sql import sf_includes
from .store import Store
from .writes import Writer

DEFAULT_VERSION = "62.0"
SUPPORTED_VERSIONS = tuple(f"{major}.0" for major in range(31, 67))


@dataclass
class Limits:
    """The org's daily API request allocation and what has been used of it."""

    daily: int = 100_000
    used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def consume(self) -> bool:
        """Count one request; False when the allocation is already spent."""
        with self._lock:
            if self.used >= self.daily:
                return False
            self.used += 1
            return True

    @property
    def header(self) -> str:
        return f"api-usage={self.used}/{self.daily}"


class OrgState:
    def __init__(self, instrumentation: Instrumentation | None = None, bulk_delay: float = 0.5):
        self.schema = demo_schema()
        self.clock = Clock()
        self.store = Store(self.schema, self.clock)
        self.store.db.create_function("sf_includes", 2, sf_includes, deterministic=True)
        self.writer = Writer(self.store)
        self.engine = QueryEngine(self.store)
        self.credentials = Credentials()
        self.sessions = Sessions()
        self.limits = Limits()
        self.instrumentation = instrumentation or Instrumentation()
        self.bulk_jobs: dict[str, object] = {}
        self.bulk_delay = bulk_delay
        # When the delete log was last purged, per object (getDeleted's window).
        self.delete_log_purged: dict[str, str] = {}
