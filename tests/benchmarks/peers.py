"""The peers users would pick instead of crmsync, run side by side on the same
Salesforce emulator: the Singer pipeline tap-salesforce (REST) → target-postgres,
and Airbyte's source-salesforce reading Contact to a file.

`emulator` is a SalesforceEmulator or a handle on one in another process (with
`url`, `ca_path`); the peers reach it over HTTPS only. Each peer runs from its own
virtualenv (pinned in peers_env, created on first use) inside a mount namespace
whose /etc/hosts sends login.salesforce.com to the emulator, logs in with the
OAuth refresh_token grant and then calls the instance_url it is given. Discovery runs first and is reported apart (a user runs
it once, as crmsync's wizard describes once); the measured run is the import.

    python -m tests.benchmarks.peers --n 10000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import requests

from . import peers_env as env
from .peers_emulator import EmulatorEndpoint
from .peers_env import PeerFailed
from .peers_measure import Measured, run_measured

SINGER = "tap-salesforce → target-postgres"
AIRBYTE = "airbyte-source-salesforce (read to file)"
OBJECT = "Contact"
START_DATE = "2000-01-01T00:00:00Z"
SINGER_SCHEMA = "peer_singer"


# --- shared set-up ---------------------------------------------------------------------
class PeerRun:
    """The files of one peer run under `workdir`/`name`, and the login host while
    it lasts (a context manager)."""

    def __init__(self, emulator, workdir: Path, name: str):
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.emulator = EmulatorEndpoint.of(emulator, self.dir)
        self.discovery: Measured | None = None
        self._login = None

    def __enter__(self) -> PeerRun:
        self._login = env.login_host(self.emulator, self.dir / "login-tls")
        server = self._login.__enter__()
        bundle = env.ca_bundle(self.dir / "ca-bundle.pem", self.emulator.ca_path, server.ca_path)
        self.environment = env.peer_environment(bundle)
        self.hosts = env.hosts_file(self.dir / "hosts")
        return self

    def __exit__(self, *exc) -> None:
        self._login.__exit__(*exc)

    def write_json(self, name: str, body: dict) -> Path:
        path = self.dir / name
        path.write_text(json.dumps(body, indent=1))
        return path

    def popen(self, argv: list[str], log: str, namespaced: bool = True, **kwargs) -> subprocess.Popen:
        command = env.in_namespace(argv, self.hosts) if namespaced else argv
        with (self.dir / log).open("wb") as stderr:
            return subprocess.Popen(command, env=self.environment, stderr=stderr, **kwargs)

    def discover(self, argv: list[str], out: str) -> Path:
        """Run the peer's discovery, stdout to the file `out`; its time and calls
        are kept apart from the import's, in `self.discovery`."""
        path = self.dir / out

        def start():
            with path.open("wb") as stdout:
                return [self.popen(argv, "discover.log", stdout=stdout)]

        self.discovery = run_measured(self.emulator, start)
        if self.discovery.returncodes != [0]:
            said = self.tail(out) or self.tail("discover.log")  # Airbyte reports errors on stdout
            raise PeerFailed(f"discovery exited {self.discovery.returncodes[0]}: {said}")
        return path

    def import_(self, start, logs: list[str], outputs: list[str]) -> Measured:
        """The measured import: `start()` launches the processes writing `logs`
        (stderr) and `outputs` (stdout, "" when piped on)."""
        measured = run_measured(self.emulator, start)
        failed = [f"{log} exited {code}: {self.tail(log) or self.tail(out)}"
                  for log, out, code in zip(logs, outputs, measured.returncodes) if code]
        if failed:
            raise PeerFailed("; ".join(failed))
        return measured

    def tail(self, name: str, lines: int = 3) -> str:
        """The last lines of a log or output file, cut to a readable length."""
        path = self.dir / name
        text = path.read_text(errors="replace").strip().splitlines() if name and path.is_file() else []
        errors = [message for message in map(trace_error, text[-20:]) if message]
        return errors[-1] if errors else " | ".join(text[-lines:])[-1500:]


def trace_error(line: str) -> str | None:
    """The message of an Airbyte TRACE error line (Airbyte reports errors on stdout)."""
    if not line.startswith('{"type":"TRACE"'):
        return None
    try:
        return json.loads(line)["trace"]["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return None


def measured_result(tool: str, versions: list[str], n: int, body) -> dict:
    """Run `body()` → (run, measured, rows) and shape the result; any failure,
    installation and login host included, becomes the result's `error`."""
    run = measured = None
    try:
        run, measured, rows = body()
        error = short_count(rows, n)
    except (PeerFailed, OSError, psycopg2.Error, requests.RequestException) as failed:
        rows, error = None, f"{type(failed).__name__}: {failed}"
    discovery = run.discovery if run else None
    return {
        "tool": tool, "wall_s": measured and measured.wall_s, "api_calls": measured and measured.api_calls,
        "peak_rss_mb": measured and measured.peak_rss_mb, "rows": rows, "error": error,
        "calls_by_endpoint": measured.calls if measured else {},
        "discovery": discovery and {"wall_s": discovery.wall_s, "api_calls": discovery.api_calls,
                                    "calls_by_endpoint": discovery.calls},
        "versions": versions,
    }


def short_count(rows: int, n: int) -> str | None:
    return None if rows == n else f"{rows} rows landed, {n} expected"


# --- Singer ----------------------------------------------------------------------------
def select_stream(catalog: dict, stream: str) -> dict:
    """Only `stream`, all its fields, incremental on SystemModstamp (the tap's own
    choice at discovery)."""
    chosen = [entry for entry in catalog["streams"] if entry["tap_stream_id"] == stream]
    for entry in chosen:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"].update({"selected": True, "replication-method": "INCREMENTAL", "replication-key": "SystemModstamp"})
            elif item["metadata"].get("inclusion") != "unsupported":
                item["metadata"]["selected"] = True
    return {"streams": chosen}


def target_config(pg_dsn: str) -> dict:
    """target-postgres on the same database, through psycopg 3 (its default driver)."""
    url = urlsplit(pg_dsn)
    return {"sqlalchemy_url": f"postgresql+psycopg://{url.netloc}{url.path}", "default_target_schema": SINGER_SCHEMA}


def reset_schema(pg_dsn: str, schema: str) -> None:
    connection = psycopg2.connect(pg_dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    connection.close()


def landed_rows(pg_dsn: str, schema: str, stream: str) -> int:
    """Rows in the table the target made for `stream` (its name, any case)."""
    connection = psycopg2.connect(pg_dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND lower(table_name) = lower(%s)",
                       (schema, stream))
        found = cursor.fetchone()
        count = 0
        if found:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{found[0]}"')
            count = cursor.fetchone()[0]
    connection.close()
    return count


def run_singer(emulator, n: int, pg_dsn: str, workdir) -> dict:
    """tap-salesforce (api_type REST) piped into meltanolabs target-postgres,
    loading the emulator's `n` Contacts into the schema peer_singer of `pg_dsn`
    (dropped first)."""
    versions = [env.TAP_SALESFORCE.requirement, env.TARGET_POSTGRES.requirement]
    return measured_result(SINGER, versions, n, lambda: singer_import(emulator, pg_dsn, Path(workdir)))


def singer_import(emulator, pg_dsn: str, workdir: Path):
    tap, target = env.ensure_installed(env.TAP_SALESFORCE), env.ensure_installed(env.TARGET_POSTGRES)
    with PeerRun(emulator, workdir, "singer") as run:
        config = run.write_json("tap-config.json", {**run.emulator.credentials(), "start_date": START_DATE, "api_type": "REST",
                                                    "select_fields_by_default": True})
        discovered = run.discover([str(tap), "--config", str(config), "--discover"], "discovered.json")
        catalog = run.write_json("catalog.json", select_stream(json.loads(discovered.read_text()), OBJECT))
        target_cfg = run.write_json("target-config.json", target_config(pg_dsn))
        reset_schema(pg_dsn, SINGER_SCHEMA)

        def start():
            tap_process = run.popen([str(tap), "--config", str(config), "--properties", str(catalog)], "tap.log",
                                    stdout=subprocess.PIPE)
            target_process = run.popen([str(target), "--config", str(target_cfg)], "target.log", namespaced=False,
                                       stdin=tap_process.stdout, stdout=subprocess.DEVNULL)
            tap_process.stdout.close()  # the target owns the pipe now
            return [tap_process, target_process]

        measured = run.import_(start, ["tap.log", "target.log"], ["", ""])
    return run, measured, landed_rows(pg_dsn, SINGER_SCHEMA, OBJECT)


# --- Airbyte ---------------------------------------------------------------------------
def configured_catalog(discovered: Path, stream: str) -> dict:
    """The stream from `discover`'s CATALOG message, read in full refresh."""
    for line in discovered.read_text().splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        if message.get("type") == "CATALOG":
            found = [s for s in message["catalog"]["streams"] if s["name"] == stream]
            return {"streams": [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"} for s in found]}
    raise PeerFailed("source-salesforce discover printed no CATALOG message")


def record_lines(path: Path) -> int:
    """AirbyteMessages of type RECORD in the output (one JSON message a line)."""
    with path.open("rb") as lines:
        return sum(1 for line in lines if line.startswith((b'{"type":"RECORD"', b'{"type": "RECORD"')))


def run_airbyte(emulator, n: int, workdir) -> dict:
    """airbyte-source-salesforce `read` of the emulator's `n` Contacts, its
    messages to a file."""
    return measured_result(AIRBYTE, [env.SOURCE_SALESFORCE.requirement], n, lambda: airbyte_read(emulator, Path(workdir)))


def airbyte_read(emulator, workdir: Path):
    source = env.ensure_installed(env.SOURCE_SALESFORCE)
    with PeerRun(emulator, workdir, "airbyte") as run:
        config = run.write_json("config.json", {**run.emulator.credentials(), "start_date": START_DATE, "is_sandbox": False})
        discovered = run.discover([str(source), "discover", "--config", str(config)], "discovered.jsonl")
        catalog = run.write_json("catalog.json", configured_catalog(discovered, OBJECT))
        output = run.dir / "records.jsonl"

        def start():
            with output.open("wb") as stdout:
                return [run.popen([str(source), "read", "--config", str(config), "--catalog", str(catalog)], "read.log",
                                  stdout=stdout)]

        measured = run.import_(start, ["read.log"], ["records.jsonl"])
    return run, measured, record_lines(output)


# --- command line ----------------------------------------------------------------------
def table(results: list[dict], n: int) -> str:
    lines = [f"N = {n:,} Contacts", "",
             "| tool | wall s | API calls | peak RSS MB | rows | discovery s | discovery calls | error |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        found = r["discovery"] or {}
        lines.append(f"| {r['tool']} | {r['wall_s']} | {r['api_calls']} | {r['peak_rss_mb']} | {r['rows']} | "
                     f"{found.get('wall_s', '')} | {found.get('api_calls', '')} | {r['error'] or ''} |")
    lines += ["", "import calls by endpoint:"] + [f"  {r['tool']}: {json.dumps(r['calls_by_endpoint'])}" for r in results]
    return "\n".join(lines)


def run_both(n: int, pg_dsn: str, workdir: Path) -> list[dict]:
    """A fresh emulator holding `n` generated Contacts, then each peer on it."""
    from connectors.salesforce.emulator import SalesforceEmulator

    emulator = SalesforceEmulator(workdir / "emulator-tls", bulk_delay=0.05).start()
    try:
        emulator.reset(demo=False)
        emulator.generate(OBJECT, n)
        return [run_singer(emulator, n, pg_dsn, workdir), run_airbyte(emulator, n, workdir)]
    finally:
        emulator.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the Singer and Airbyte Salesforce peers against the emulator")
    parser.add_argument("--n", type=int, default=10_000, help="Contacts to generate")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/crmsync", help="PostgreSQL for target-postgres")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the peers' files and logs here (else a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.workdir:
        results = run_both(args.n, args.pg, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="crmsync-peers-") as workdir:
            results = run_both(args.n, args.pg, Path(workdir))
    print(table(results, args.n))
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "results": results}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
