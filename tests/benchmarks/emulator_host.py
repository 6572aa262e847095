"""One CRM emulator in a process of its own, so its CPU and memory are not counted
as crmsync's; driven over stdin/stdout with one JSON command per line.

    python -m tests.benchmarks.emulator_host salesforce|dynamics TLS_DIR

prints {"url", "ca_path", "account"} once serving, then answers each command
({"op": ..., ...}) with one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

# Generated rows are spread over time in batches, as in a real org, so that the
# incremental overlap window (Salesforce: 5 minutes) holds one batch, not all rows.
BATCH = 1000
BATCH_GAP = timedelta(minutes=10)
INTROSPECTION_FIELDS = 12
DV_BATCH_GAP_US = 1_000_000  # Dataverse shows modifiedon to the second


class SalesforceHost:
    crm = "salesforce"
    table = "Contact"
    key = "External_Id__c"

    def __init__(self, tls_dir: Path):
        from connectors.salesforce.emulator import SalesforceEmulator

        self.emulator = SalesforceEmulator(tls_dir, bulk_delay=0.0).start()
        self.emulator.reset(demo=False)

    def describe(self) -> dict:
        creds = self.emulator.credentials
        return {"url": self.emulator.url, "ca_path": str(self.emulator.server.ca_path), "account": {
            "crm_type": "salesforce", "api_version": "62.0",
            "settings": {"auth_flow": "password", "username": creds.username, "bulk_poll_seconds": "0.05"},
            "secrets": {"password": creds.password, "security_token": creds.security_token},
            "client_id": creds.consumer_key, "client_secret": creds.consumer_secret}}

    def generate(self, n: int) -> None:
        for start in range(0, n, BATCH):
            self.emulator.generate(self.table, min(BATCH, n - start))
            self.emulator.org.clock.advance(BATCH_GAP)
        self.emulator.org.clock.advance(BATCH_GAP)

    def reset(self) -> None:
        self.emulator.reset(demo=False)

    def ids(self, n: int, step: int, offset: int = 0) -> list[str]:
        rows = self.emulator.org.store.query(f'SELECT Id FROM "{self.table}" WHERE IsDeleted = 0 ORDER BY rowid')
        return [r[0] for r in rows[offset::step][:n]]

    def change(self, n: int, step: int, value: str) -> None:
        for record_id in self.ids(n, step):
            self.emulator.update(self.table, record_id, {"Title": value})

    def delete(self, n: int, step: int, offset: int = 0) -> None:
        for record_id in self.ids(n, step, offset):
            self.emulator.delete(self.table, record_id)
        self.emulator.advance_clock(minutes=1)  # getDeleted lists whole minutes

    def add_tables(self, n: int) -> None:
        from connectors.salesforce.emulator.fields import integer, system_fields, text
        from connectors.salesforce.emulator.schema import ObjectDef

        for i in range(n):
            fields = [text(f"Field_{j}__c", f"Field {j}", 80) if j % 2 else integer(f"Count_{j}__c", f"Count {j}")
                      for j in range(INTROSPECTION_FIELDS)]
            self.emulator.add_object(ObjectDef(f"Bench_{i:04d}__c", f"Bench {i}", f"Bench {i}s", _prefix(i),
                                               fields=system_fields() + fields, custom=True))

    def count(self) -> int:
        return self.emulator.count(self.table)

    def calls(self) -> int:
        return self.emulator.calls()

    def reset_calls(self) -> None:
        self.emulator.reset_calls()


def _prefix(number: int) -> str:
    """A three-character key prefix of its own for each generated object."""
    digits, value = "0123456789abcdefghijklmnopqrstuvwxyz", number + 36 * 36 * 20
    return "".join(digits[value // 36 ** k % 36] for k in (2, 1, 0))


class DynamicsHost:
    crm = "dynamics"
    table = "contact"
    key = "cr8a1_externalid"

    def __init__(self, tls_dir: Path):
        from connectors.dynamics.emulator import DataverseEmulator

        self.emulator = DataverseEmulator()
        self.emulator.reset()
        self.emulator.limits.configure(10_000_000, 300)  # service protection out of the way
        self.server = self.emulator.serve(tls_dir).start()

    def describe(self) -> dict:
        from connectors.dynamics.emulator import credentials as demo

        return {"url": self.server.url, "ca_path": str(self.server.ca_path), "account": {
            "crm_type": "dynamics", "api_version": "9.2",
            "settings": {"tenant_id": demo.TENANT_ID, "client_id": demo.CLIENT_ID, "auth_type": "client_secret",
                         "authority_host": self.server.url},
            "secrets": {"client_secret": demo.CLIENT_SECRET},
            "client_id": demo.CLIENT_ID, "client_secret": demo.CLIENT_SECRET}}

    def generate(self, n: int) -> None:
        """In batches (at least two) a second apart, from a quarter past a whole second,
        so that a split import finds the same whole-second modifiedon bounds and the same
        rows in each range whatever the machine's speed: seeded back to back, N rows
        could share one second or not, and the import split or not by chance."""
        store, size = self.emulator.store, max(1, min(BATCH, -(-n // 2)))
        with store.lock:
            now = max(store.clock, int(time.time() * 1_000_000))
            store.clock = -(-now // 1_000_000) * 1_000_000 + DV_BATCH_GAP_US // 4
        for start in range(0, n, size):
            self.emulator.seed_rows(self.table, min(size, n - start))
            with store.lock:
                store.clock += DV_BATCH_GAP_US

    def reset(self) -> None:
        self.emulator.reset()
        self.emulator.seed_demo()  # the accounts and programs generated contacts refer to
        self.emulator.limits.configure(10_000_000, 300)

    def ids(self, n: int, step: int, offset: int = 0) -> list[str]:
        entity, store = self.emulator.entities[self.table], self.emulator.store
        with store.lock:
            rows = store.db.execute(f'SELECT "{entity.primary_id}" FROM "{entity.name}" ORDER BY "_rowid"').fetchall()
        return [r[0] for r in rows[offset::step][:n]]

    def change(self, n: int, step: int, value: str) -> None:
        for record_id in self.ids(n, step):
            self.emulator.update_record(self.table, record_id, {"jobtitle": value})

    def delete(self, n: int, step: int, offset: int = 0) -> None:
        for record_id in self.ids(n, step, offset):
            self.emulator.delete_record(self.table, record_id)

    def add_tables(self, n: int) -> None:
        from connectors.dynamics.emulator.metadata import AttributeDef, EntityDef
        from connectors.dynamics.emulator.schema import L, primary, system_attributes, text

        for i in range(n):
            name, label = f"cr8a1_bench{i:04d}", L(f"Bench {i}", f"Banc {i}", f"基準 {i}")
            attributes = [primary(name, label), text("cr8a1_name", label, 100, primary_name=True, custom=True)] + [
                AttributeDef(f"cr8a1_count{j}", "Integer", label, custom=True) if j % 2
                else text(f"cr8a1_field{j}", label, 80, custom=True) for j in range(INTROSPECTION_FIELDS)]
            self.emulator.add_entity(EntityDef(name, f"{name}s", label, label, tuple(attributes + system_attributes(name)),
                                               f"{name}id", "cr8a1_name", 20000 + i, custom=True))

    def count(self) -> int:
        return self.emulator.store.count(self.emulator.entities[self.table])

    def calls(self) -> int:
        return self.emulator.calls()

    def reset_calls(self) -> None:
        self.emulator.instrumentation.reset_counts()


HOSTS = {"salesforce": SalesforceHost, "dynamics": DynamicsHost}


def serve(crm: str, tls_dir: str) -> None:
    host = HOSTS[crm](Path(tls_dir))
    _answer(host.describe())
    for line in sys.stdin:
        command = json.loads(line)
        op = command.pop("op")
        if op == "quit":
            return
        try:
            _answer({"ok": getattr(host, op)(**command)})
        except Exception as exc:  # the runner shows it; the host keeps serving
            _answer({"error": f"{exc.__class__.__name__}: {exc}"})


def _answer(value: dict) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


class EmulatorProcess:
    """The runner's handle on an emulator host process."""

    def __init__(self, crm: str, tls_dir: Path):
        self.crm = crm
        self.table = HOSTS[crm].table
        self.key = HOSTS[crm].key
        self.process = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.emulator_host", crm, str(tls_dir)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        cwd=Path(__file__).resolve().parents[2])
        info = self._read()
        self.url, self.ca_path, self.account = info["url"], info["ca_path"], info["account"]

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.crm} emulator process ended")
        return json.loads(line)

    def call(self, op: str, **arguments):
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if "error" in answer:
            raise RuntimeError(f"{self.crm} emulator: {answer['error']}")
        return answer["ok"]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.call("quit")
            except (RuntimeError, BrokenPipeError, ValueError):
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
