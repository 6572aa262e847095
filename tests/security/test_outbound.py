"""Outbound policy: https only, certificate verification never turned off, a timeout
on every request and a bound on every answer's size — read from the code itself
(AST) and shown over the emulators' real HTTPS."""

from __future__ import annotations

import ast
import time
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from connectors.http import ResponseTooLarge, TimeoutAdapter, build_session
from connectors.retry import RetryPolicy
from connectors.salesforce.connector import SalesforceConnector
from connectors.types import ReadRequest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [p for package in ("crmsync", "connectors", "wizard", "workflows") for p in (ROOT / package).rglob("*.py")
           if "migrations" not in p.parts]
CLIENT_CODE = [p for p in PRODUCT if p.parts[-3:-1] != ("connectors", "emulator") and "emulator" not in p.parts
               and "emulator_kit" not in p.parts]
HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}


def calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            yield node


def dotted(node) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def test_no_code_turns_certificate_verification_off():
    """Neither verify=False, `session.verify = False`, CERT_NONE nor check_hostname=False anywhere."""
    found = []
    for path in PRODUCT:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "verify" and _is_false(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.value.lineno} verify=False")
            if isinstance(node, ast.Assign) and any(dotted(t).endswith((".verify", ".check_hostname"))
                                                    for t in node.targets) and _is_false(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} verification switched off")
            if isinstance(node, ast.Attribute) and node.attr in ("CERT_NONE", "_create_unverified_context"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.attr}")
    assert found == []
    assert len(PRODUCT) > 150  # the walk really read the code


def _is_false(value) -> bool:
    return isinstance(value, ast.Constant) and value.value in (False, None, 0, "")


def test_sessions_are_only_built_by_the_shared_wrapper_and_no_bare_requests_calls_exist():
    """requests.Session() only in connectors/http.py (which mounts the timeout adapter);
    no module-level requests.get/post/… that would bypass it."""
    sessions, bare = [], []
    for path in CLIENT_CODE:
        for node in calls(path):
            name = dotted(node.func)
            if name in ("requests.Session", "requests.session"):
                sessions.append(str(path.relative_to(ROOT)))
            if name.startswith("requests.") and name.split(".")[1] in HTTP_VERBS:
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert sessions == ["connectors/http.py"]
    assert bare == []


def test_every_transport_adapter_in_the_connectors_sets_the_timeout():
    """Every HTTPAdapter subclass in the connectors derives from TimeoutAdapter."""
    offenders = []
    for path in CLIENT_CODE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(dotted(b).endswith("HTTPAdapter") for b in node.bases):
                if node.name != "TimeoutAdapter":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert offenders == []
    from connectors.salesforce.transport import MeteredAdapter

    assert issubclass(MeteredAdapter, TimeoutAdapter)


def test_a_request_sent_without_a_timeout_still_times_out(salesforce_emulator, salesforce_config):
    """The shared session gives the account's timeout to a call that names none."""
    session = build_session(replace(salesforce_config, timeout=0.5))
    salesforce_emulator.inject("hang", path="/services/data$", seconds=3)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(f"{salesforce_emulator.url}/services/data")
    assert time.monotonic() - started < 2.5
    session.close()


def test_an_answer_larger_than_the_bound_is_refused_with_a_readable_error(salesforce_emulator, salesforce_config):
    """A 3 MB answer against a 1 MB bound: refused before it is loaded, no retry."""
    config = replace(salesforce_config, max_response_bytes=2**20)
    connector = SalesforceConnector(config, retry_policy=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.1))
    huge = '{"totalSize": 1, "done": true, "records": [], "pad": "' + "x" * (3 * 2**20) + '"}'
    salesforce_emulator.inject("status", path="/query", status=200, body=huge)
    salesforce_emulator.instrumentation.forget_received()
    with pytest.raises(ResponseTooLarge) as caught:
        list(connector.read(ReadRequest(table="Contact", fields=("LastName",))))
    assert str(caught.value) == (
        f"CRMSYNC_RESPONSE_TOO_LARGE: the CRM's answer to GET {salesforce_emulator.url}/services/data/v62.0/query/ "
        "is larger than 1 MB, the most crmsync accepts in one response (CRMSYNC_MAX_RESPONSE_MB)")
    queries = [path for _, path in salesforce_emulator.instrumentation.received() if "/query" in path]
    assert len(queries) == 1  # refused once, not retried
    connector.close()


def test_a_body_without_a_length_is_read_only_up_to_the_bound():
    """Without Content-Length (chunked, or compressed) the body is read up to the bound, then refused."""
    import io

    from urllib3 import HTTPResponse

    from connectors.http import size_limit

    def response_of(size: int) -> requests.Response:
        response = requests.Response()
        response.raw = HTTPResponse(body=io.BytesIO(b"x" * size), preload_content=False)
        response.status_code, response.url = 200, "https://crm.example.invalid/data?secret=1"
        response.request = requests.Request("GET", response.url).prepare()
        return response

    assert size_limit(1000)(response_of(1000)).content == b"x" * 1000
    with pytest.raises(ResponseTooLarge, match=r"GET https://crm.example.invalid/data is larger than"):
        size_limit(1000)(response_of(1001))
