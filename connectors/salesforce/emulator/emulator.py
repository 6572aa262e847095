"""`SalesforceEmulator`: the emulated org behind an HTTPS server, with a Python
control API for tests, demos and benchmarks (the same operations are served over
HTTP under /_emulator/ by `control.py`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from connectors.emulator_kit.instrumentation import Fault, Instrumentation
from connectors.emulator_kit.server import EmulatorServer

from . import seed
from .app import SalesforceApp
from .auth import Credentials
from .control import ControlApp
from .schema import FieldDef, ObjectDef
from .state import DEFAULT_VERSION, OrgState
from .values import format_datetime


class SalesforceEmulator:
    def __init__(self, tls_dir: Path, *, host: str = "127.0.0.1", port: int = 0, bulk_delay: float = 0.5,
                 hostnames: tuple[str, ...] = ()):
        self.instrumentation = Instrumentation()
        self.bulk_delay = bulk_delay
        self.org = self._new_org()
        self.app = SalesforceApp(self, ControlApp(self))
        self.server = EmulatorServer(self.instrumentation.wrap(self.app), host=host, port=port, tls_dir=tls_dir, hostnames=hostnames)

    def _new_org(self) -> OrgState:
        return OrgState(self.instrumentation, self.bulk_delay)

    # --- server ------------------------------------------------------------------
    def start(self) -> SalesforceEmulator:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ca_pem(self) -> str:
        return self.server.tls.ca_pem

    @property
    def credentials(self) -> Credentials:
        return self.org.credentials

    @property
    def version(self) -> str:
        return DEFAULT_VERSION

    # --- state -------------------------------------------------------------------
    def reset(self, demo: bool = True) -> None:
        """A fresh org (optionally with the demo data); counts and faults cleared."""
        self.org = self._new_org()
        self.instrumentation.clear_faults()
        self.instrumentation.reset_counts()
        if demo:
            self.seed_demo()

    def seed_demo(self) -> dict[str, list[str]]:
        return seed.seed_demo(self.org)

    def generate(self, object_name: str, count: int) -> list[str]:
        """Insert `count` generated records; returns their Ids in stamp order."""
        first = seed.generate(self.org, object_name, count)
        prefix = self.org.schema.get(object_name).key_prefix
        from .ids import make_id

        return [make_id(prefix, first + i) for i in range(count)]

    # --- metadata, as an administrator deploys it in Setup --------------------------------
    def add_object(self, definition: ObjectDef) -> None:
        """Deploy a new sObject (custom or standard-looking): describeGlobal lists it,
        describe, queries and writes work on it at once. reset() forgets it."""
        self.org.schema.add(definition)
        self.org.store.create_table(definition)

    def set_fields(self, object_name: str, fields: list[FieldDef]) -> None:
        """Redeploy an object with this field list (fields added, removed, or changed,
        e.g. a longer text): describe answers with it at once, records keep the values
        of the fields that remain. reset() brings the demo definition back."""
        current = self.org.schema.get(object_name)
        definition = replace(current, fields=list(fields))
        self.org.schema.replace(definition)
        self.org.store.recreate_table(definition)

    # --- acting as a CRM user ----------------------------------------------------------
    def create(self, object_name: str, data: dict) -> str:
        return self.org.writer.create(self.org.schema.get(object_name), data)

    def update(self, object_name: str, record_id: str, data: dict) -> None:
        self.org.writer.update(self.org.schema.get(object_name), record_id, data)

    def delete(self, object_name: str, record_id: str) -> None:
        self.org.writer.delete(self.org.schema.get(object_name), record_id)

    def set_without_stamp(self, object_name: str, record_id: str, data: dict) -> None:
        """Change stored values without touching SystemModstamp (a formula's result
        moving because of a change elsewhere): incremental reads cannot see it."""
        self.org.store.set_quietly(self.org.schema.get(object_name).name, record_id, data)

    def get(self, object_name: str, record_id: str, include_deleted: bool = False) -> dict | None:
        return self.org.store.get(object_name, record_id, include_deleted)

    def count(self, object_name: str, include_deleted: bool = False) -> int:
        return self.org.store.count(object_name, include_deleted)

    def empty_recycle_bin(self, object_name: str | None = None) -> int:
        return self.org.store.empty_recycle_bin(object_name)

    def purge_delete_log(self, object_name: str) -> None:
        """Purge the delete log up to now: getDeleted before now fails from then on."""
        now = format_datetime(self.org.clock.now())
        self.org.store.purge_delete_log(now)
        self.org.delete_log_purged[self.org.schema.get(object_name).name] = now

    # --- limits, time, sessions, faults -------------------------------------------------
    def set_api_usage(self, used: int | None = None, daily: int | None = None) -> None:
        if daily is not None:
            self.org.limits.daily = daily
        if used is not None:
            self.org.limits.used = used

    @property
    def api_usage(self) -> tuple[int, int]:
        return self.org.limits.used, self.org.limits.daily

    def advance_clock(self, **delta) -> None:
        """Move the org's clock, e.g. advance_clock(days=16)."""
        self.org.clock.advance(timedelta(**delta))

    def expire_sessions(self) -> None:
        self.org.sessions.expire_all()

    def set_token_lifetime(self, seconds: float) -> None:
        self.org.sessions.lifetime = seconds

    def set_bulk_delay(self, seconds: float) -> None:
        self.bulk_delay = self.org.bulk_delay = seconds

    def inject(self, kind: str, path: str = ".*", **options) -> Fault:
        """Serve a fault to the next matching requests (see emulator_kit Fault)."""
        fault = Fault(kind, path, **options)
        self.instrumentation.inject(fault)
        return fault

    def clear_faults(self) -> None:
        self.instrumentation.clear_faults()

    def calls(self, route: str | None = None) -> int:
        return self.instrumentation.calls(route)

    def call_counts(self) -> dict[str, int]:
        return self.instrumentation.snapshot()

    def reset_calls(self) -> None:
        self.instrumentation.reset_counts()
