"""The physical floor of each scenario, measured in the same run as crmsync: the
HTTP requests crmsync made are recorded, then sent again by a bare `requests` loop
that only parses the answers (JSON or CSV); for an import the parsed rows are then
loaded with a bare psycopg2 COPY into a bare table with no index or trigger."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

AUTH = re.compile(r"/oauth2/|/services/Soap/|/token$|/userrealm/|/discovery/|openid-configuration")


@dataclass(frozen=True)
class Recorded:
    method: str
    url: str
    headers: dict
    body: bytes | str | None


@contextmanager
def recording():
    """Every HTTP request sent by this process meanwhile, in order."""
    calls: list[Recorded] = []
    original = HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        calls.append(Recorded(request.method, request.url, dict(request.headers), request.body))
        return original(self, request, *args, **kwargs)

    HTTPAdapter.send = send
    try:
        yield calls
    finally:
        HTTPAdapter.send = original


def _session(ca_path: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_path
    return session


def data_requests(calls: list[Recorded], pattern: str, methods=("GET",)) -> list[Recorded]:
    """The recorded calls carrying the data: matching `pattern`, no log-in calls;
    when a Bulk API query job was used, its pages only (not the REST page before)."""
    chosen = [c for c in calls if c.method in methods and re.search(pattern, c.url) and not AUTH.search(c.url)]
    if any("/jobs/query/" in c.url for c in chosen):
        chosen = [c for c in chosen if "/jobs/query/" in c.url]
    return chosen


def _rows(response: requests.Response) -> list:
    """Records of a page: JSON (REST query, OData) or CSV (Bulk API results)."""
    content_type = response.headers.get("Content-Type", "")
    if "csv" in content_type:
        rows = list(csv.reader(io.StringIO(response.text)))
        return rows[1:]
    if "json" not in content_type:  # a $batch answer: multipart text, read whole
        response.text
        return []
    body = response.json()
    if isinstance(body, dict):
        return body.get("records") or body.get("value") or body.get("deletedRecords") or []
    return body if isinstance(body, list) else []


def fetch(calls: list[Recorded], ca_path: str, on_page=None) -> dict:
    """Send the calls again and parse each answer; `on_page(rows)` is timed apart."""
    session = _session(ca_path)
    fetch_s = load_s = 0.0
    rows_seen = 0
    for call in calls:
        start = time.perf_counter()
        response = session.request(call.method, call.url, headers=call.headers, data=call.body)
        response.raise_for_status()
        rows = _rows(response) if response.content else []
        fetch_s += time.perf_counter() - start
        rows_seen += len(rows)
        if on_page is not None and rows:
            start = time.perf_counter()
            on_page(rows)
            load_s += time.perf_counter() - start
    session.close()
    return {"fetch_s": fetch_s, "load_s": load_s, "floor_s": fetch_s + load_s, "calls": len(calls), "rows": rows_seen}


class BareTable:
    """A table of text columns, no key, no index, no trigger; rows go in by COPY."""

    def __init__(self, connection, name: str):
        self.connection = connection
        self.name = name
        self.columns: list[str] | None = None

    def copy(self, rows: list) -> None:
        if self.columns is None:
            self._create(rows[0])
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if isinstance(rows[0], dict):
            writer.writerows([_text(r.get(c)) for c in self.columns] for r in rows)
        else:
            writer.writerows(rows)
        buffer.seek(0)
        with self.connection.cursor() as cursor:
            cursor.copy_expert(f'COPY "{self.name}" FROM STDIN WITH (FORMAT csv)', buffer)
        self.connection.commit()

    def _create(self, first) -> None:
        if isinstance(first, dict):
            self.columns = [k for k in first if k != "attributes" and not k.startswith("@")]
            count = len(self.columns)
        else:
            self.columns, count = [], len(first)
        with self.connection.cursor() as cursor:
            cursor.execute(f'DROP TABLE IF EXISTS "{self.name}"')
            cursor.execute(f'CREATE TABLE "{self.name}" ({", ".join(f"c{i} text" for i in range(count))})')
        self.connection.commit()

    def drop(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f'DROP TABLE IF EXISTS "{self.name}"')
        self.connection.commit()


def _text(value):
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def import_floor(calls: list[Recorded], ca_path: str, dsn: str, pattern: str, table: str) -> dict:
    """Fetch + parse the same pages, plus COPY of the same rows into a bare table."""
    import psycopg2

    connection = psycopg2.connect(dsn)
    bare = BareTable(connection, table)
    try:
        return fetch(data_requests(calls, pattern), ca_path, bare.copy)
    finally:
        bare.drop()
        connection.close()
