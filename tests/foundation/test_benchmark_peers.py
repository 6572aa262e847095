"""The peer benchmark's own accounting (tests/benchmarks/peers*.py), fast: the peers
themselves are not run here (they need their virtualenvs and minutes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from werkzeug.test import Client

from tests.benchmarks import peers, peers_env
from tests.benchmarks.peers_emulator import EmulatorEndpoint
from tests.benchmarks.peers_measure import PeakMemory, calls_made


def test_calls_made_are_the_calls_between_two_snapshots_by_endpoint():
    before = {"query": 3, "oauth_token": 1, "limits": 2}
    after = {"query": 53, "oauth_token": 2, "limits": 2, "describe": 1}
    assert calls_made(before, after) == {"describe": 1, "oauth_token": 1, "query": 50}


def test_singer_catalog_keeps_only_contact_with_every_supported_field_incremental_on_systemmodstamp():
    def entry(name):
        return {"tap_stream_id": name, "stream": name, "schema": {}, "metadata": [
            {"breadcrumb": [], "metadata": {"valid-replication-keys": ["SystemModstamp"]}},
            {"breadcrumb": ["properties", "Id"], "metadata": {"inclusion": "automatic"}},
            {"breadcrumb": ["properties", "Email"], "metadata": {"inclusion": "available"}},
            {"breadcrumb": ["properties", "Geo"], "metadata": {"inclusion": "unsupported"}},
        ]}

    catalog = peers.select_stream({"streams": [entry("Account"), entry("Contact")]}, "Contact")
    [contact] = catalog["streams"]
    selected = {tuple(m["breadcrumb"]): m["metadata"].get("selected") for m in contact["metadata"]}
    assert contact["tap_stream_id"] == "Contact"
    assert selected == {(): True, ("properties", "Id"): True, ("properties", "Email"): True, ("properties", "Geo"): None}
    assert contact["metadata"][0]["metadata"]["replication-key"] == "SystemModstamp"


def test_airbyte_catalog_is_the_discovered_contact_stream_read_in_full(tmp_path):
    contact = {"name": "Contact", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]}
    discovered = tmp_path / "discovered.jsonl"
    discovered.write_text("\n".join([
        json.dumps({"type": "LOG", "log": {"level": "INFO", "message": "Ignoring response"}}),
        json.dumps({"type": "CATALOG", "catalog": {"streams": [{"name": "Account"}, contact]}}),
    ]))
    assert peers.configured_catalog(discovered, "Contact") == {
        "streams": [{"stream": contact, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}


def test_airbyte_rows_are_its_record_messages_only(tmp_path):
    output = tmp_path / "records.jsonl"
    output.write_text("\n".join([
        '{"type":"LOG","log":{"level":"INFO","message":"\\"type\\":\\"RECORD\\""}}',
        '{"type":"RECORD","record":{"stream":"Contact","data":{"Id":"003"}}}',
        '{"type": "RECORD", "record": {"stream": "Contact", "data": {"Id": "004"}}}',
        '{"type":"STATE","state":{}}',
    ]) + "\n")
    assert peers.record_lines(output) == 2


def test_target_postgres_writes_to_the_given_database_through_psycopg3():
    config = peers.target_config("postgres://postgres:pw@127.0.0.1:5433/crmsync_x")
    assert config == {"sqlalchemy_url": "postgresql+psycopg://postgres:pw@127.0.0.1:5433/crmsync_x",
                      "default_target_schema": "peer_singer"}
    assert peers.short_count(1999, 2000) == "1999 rows landed, 2000 expected"
    assert peers.short_count(2000, 2000) is None


def test_login_host_answers_the_refresh_token_grant_with_the_emulators_own_instance_url(salesforce_emulator, tmp_path):
    endpoint = EmulatorEndpoint.of(salesforce_emulator, tmp_path)
    answer = Client(endpoint.forwarder()).post("/services/oauth2/token", base_url="https://login.salesforce.com",
                                               data={"grant_type": "refresh_token", **endpoint.credentials()})
    assert answer.status_code == 200
    assert answer.json["instance_url"] == salesforce_emulator.url
    assert endpoint.call_counts() == {"oauth_token": 1}


def test_an_emulator_in_another_process_is_reached_by_its_url_and_ca_alone(salesforce_emulator, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text(salesforce_emulator.ca_pem)
    handle = SimpleNamespace(url=salesforce_emulator.url, ca_path=str(ca), account={"client_id": "demo-consumer-key"})
    endpoint = EmulatorEndpoint.of(handle, tmp_path / "peer")
    answer = Client(endpoint.forwarder()).post("/services/oauth2/token", base_url="https://login.salesforce.com",
                                               data={"grant_type": "refresh_token", **endpoint.credentials()})
    assert answer.json["instance_url"] == salesforce_emulator.url
    assert endpoint.call_counts() == salesforce_emulator.call_counts() == {"oauth_token": 1}


def test_peers_resolve_login_salesforce_com_to_loopback_in_their_namespace_only(tmp_path):
    machine_hosts = Path("/etc/hosts").read_text()
    hosts = peers_env.hosts_file(tmp_path / "hosts")
    inside = subprocess.run(peers_env.in_namespace(["getent", "hosts", "login.salesforce.com"], hosts),
                            capture_output=True, text=True, check=True)
    assert inside.stdout.split()[0] == "127.0.0.1"
    assert Path("/etc/hosts").read_text() == machine_hosts
    assert "login.salesforce.com" not in machine_hosts


def test_peak_memory_sums_the_tools_processes_and_leaves_out_the_shell_that_launched_them():
    tool = "import time; blocks = [bytearray(60 * 2**20)]; time.sleep(0.6)"
    process = subprocess.Popen(["sh", "-c", f'"{sys.executable}" -c "{tool}"; true'])
    with PeakMemory([process.pid]) as memory:
        process.wait()
    assert 60 <= memory.peak_mb < 60 + 60  # the 60 MB block plus an interpreter, never the shell twice


def test_a_failed_airbyte_run_is_reported_by_its_own_trace_error_message():
    line = json.dumps({"type": "TRACE", "trace": {"type": "ERROR", "error": {
        "message": "The authentication to SalesForce has expired.", "stack_trace": "Traceback …"}}}, separators=(",", ":"))
    assert peers.trace_error(line) == "The authentication to SalesForce has expired."
    assert peers.trace_error('{"type":"LOG","log":{"message":"fine"}}') is None
    assert peers.trace_error("Traceback (most recent call last):") is None
