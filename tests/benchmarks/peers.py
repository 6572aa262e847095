"""The peers users would pick instead of crmsync, run side by side on the same
Salesforce emulator: the Singer pipeline tap-salesforce (REST) → target-postgres,
and Airbyte's source-salesforce reading Contact to a file.

Each peer runs from its own virtualenv (pinned in peers_env, created on first use)
inside a mount namespace whose /etc/hosts sends login.salesforce.com to the
emulator, logs in with the OAuth refresh_token grant and then calls the
instance_url it is given. Discovery runs first, unmeasured (a user does it once,
as crmsync's wizard does); the measured run is the import itself.

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

from . import peers_env as env
from .peers_measure import Measured, run_measured

SINGER = "tap-salesforce → target-postgres"
AIRBYTE = "airbyte-source-salesforce (read to file)"
OBJECT = "Contact"
START_DATE = "2000-01-01T00:00:00Z"
SINGER_SCHEMA = "peer_singer"


# --- shared set-up ---------------------------------------------------------------------
class PeerRun:
    """The files one peer run needs under `workdir`, and the login host while
    it lasts. Use as a context manager."""

    def __init__(self, emulator, workdir: Path, name: str):
        self.emulator = emulator
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self._login = None
        self.discovery: Measured | None = None

    def __enter__(self) -> PeerRun:
        self._login = env.login_host(self.emulator, self.dir / "login-tls")
        server = self._login.__enter__()
        ca = self.dir / "emulator-ca.pem"
        ca.write_text(self.emulator.ca_pem)
        self.environment = env.peer_environment(env.ca_bundle(self.dir / "ca-bundle.pem", ca, server.ca_path))
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
        return subprocess.Popen(command, env=self.environment, stderr=(self.dir / log).open("wb"), **kwargs)

    def discover(self, argv: list[str], out: str) -> Path:
        """Run the peer's discovery to completion, stdout to the file `out`; its
        time and calls are kept apart from the import's in `self.discovery`."""
        path = self.dir / out

        def start():
            with path.open("wb") as stdout:
                return [self.popen(argv, "discover.log", stdout=stdout)]

        self.discovery = run_measured(self.emulator, start)
        if self.discovery.returncodes != [0]:
            raise PeerFailed(f"discovery exited {self.discovery.returncodes[0]}: {self.tail('discover.log')}")
        return path

    def tail(self, log: str, lines: int = 5) -> str:
        text = (self.dir / log).read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])


class PeerFailed(Exception):
    pass


def credentials(emulator) -> dict:
    creds = emulator.credentials
    return {"client_id": creds.consumer_key, "client_secret": creds.consumer_secret,
            "refresh_token": sorted(creds.refresh_tokens)[0]}


def result(tool: str, run: PeerRun, measured: Measured | None, rows: int, error: str | None, versions: list[str]) -> dict:
    """The figures of the import; discovery's apart, for the record."""
    discovery = run.discovery
    return {"tool": tool, "wall_s": measured.wall_s if measured else None,
            "api_calls": measured.api_calls if measured else None,
            "peak_rss_mb": measured.peak_rss_mb if measured else None, "rows": rows, "error": error,
            "calls_by_endpoint": measured.calls if measured else {},
            "discovery": {"wall_s": discovery.wall_s, "api_calls": discovery.api_calls, "calls_by_endpoint": discovery.calls}
            if discovery else None,
            "versions": versions}


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
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    connection.close()


def landed_rows(pg_dsn: str, schema: str, stream: str) -> int:
    """Rows in the table the target made for `stream` (its name, any case)."""
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND lower(table_name) = lower(%s)",
                       (schema, stream))
        found = cursor.fetchone()
        if found is None:
            return 0
        cursor.execute(f'SELECT count(*) FROM "{schema}"."{found[0]}"')
        count = cursor.fetchone()[0]
    connection.close()
    return count


def run_singer(emulator, n: int, pg_dsn: str, workdir) -> dict:
    """tap-salesforce (api_type REST) piped into meltanolabs target-postgres,
    loading Contact into the schema peer_singer of `pg_dsn`."""
    tap, target = env.ensure_installed(env.TAP_SALESFORCE), env.ensure_installed(env.TARGET_POSTGRES)
    measured = None
    with PeerRun(emulator, workdir, "singer") as run:
        config = run.write_json("tap-config.json", {**credentials(emulator), "start_date": START_DATE, "api_type": "REST",
                                                    "select_fields_by_default": True})
        try:
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

            measured = run_measured(emulator, start)
            error = failure(run, measured, ["tap.log", "target.log"])
        except PeerFailed as failed:
            error = str(failed)
        rows = landed_rows(pg_dsn, SINGER_SCHEMA, OBJECT)
    versions = [env.TAP_SALESFORCE.requirement, env.TARGET_POSTGRES.requirement]
    return result(SINGER, run, measured, rows, error or short_count(rows, n), versions)


def failure(run: PeerRun, measured: Measured, logs: list[str]) -> str | None:
    failed = [f"{log} (exit {code}): {run.tail(log)}" for log, code in zip(logs, measured.returncodes) if code]
    return "; ".join(failed) or None


def short_count(rows: int, n: int) -> str | None:
    return None if rows == n else f"{rows} rows landed, {n} expected"


# --- Airbyte ---------------------------------------------------------------------------
def configured_catalog(discovered: Path, stream: str) -> dict:
    """The stream from `discover`'s CATALOG message, full refresh to a file."""
    for line in discovered.read_text().splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        if message.get("type") == "CATALOG":
            found = [s for s in message["catalog"]["streams"] if s["name"] == stream]
            return {"streams": [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"} for s in found]}
    raise PeerFailed("source-salesforce discover printed no CATALOG message")


def record_lines(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for line in lines if line.startswith(b'{"type": "RECORD"') or b'"type":"RECORD"' in line[:20])


def run_airbyte(emulator, n: int, workdir) -> dict:
    """airbyte-source-salesforce `read` of Contact, its AirbyteMessages to a file."""
    source = env.ensure_installed(env.SOURCE_SALESFORCE)
    measured, rows = None, 0
    with PeerRun(emulator, workdir, "airbyte") as run:
        config = run.write_json("config.json", {**credentials(emulator), "start_date": START_DATE, "is_sandbox": False})
        try:
            discovered = run.discover([str(source), "discover", "--config", str(config)], "discovered.jsonl")
            catalog = run.write_json("catalog.json", configured_catalog(discovered, OBJECT))
            output = run.dir / "records.jsonl"

            def start():
                with output.open("wb") as stdout:
                    return [run.popen([str(source), "read", "--config", str(config), "--catalog", str(catalog)], "read.log",
                                      stdout=stdout)]

            measured = run_measured(emulator, start)
            error = failure(run, measured, ["read.log"])
            rows = record_lines(output)
        except PeerFailed as failed:
            error = str(failed)
    return result(AIRBYTE, run, measured, rows, error or short_count(rows, n), [env.SOURCE_SALESFORCE.requirement])


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the Singer and Airbyte Salesforce peers against the emulator")
    parser.add_argument("--n", type=int, default=10_000, help="Contacts to generate")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/crmsync", help="PostgreSQL for target-postgres")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    from connectors.salesforce.emulator import SalesforceEmulator

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="crmsync-peers-"))
    emulator = SalesforceEmulator(workdir / "emulator-tls", bulk_delay=0.05).start()
    try:
        emulator.reset(demo=False)
        emulator.generate(OBJECT, args.n)
        results = [run_singer(emulator, args.n, args.pg, workdir), run_airbyte(emulator, args.n, workdir)]
    finally:
        emulator.stop()
    print(table(results, args.n))
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "results": results}, indent=1))


if __name__ == "__main__":
    main()
