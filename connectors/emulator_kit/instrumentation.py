"""Call counting, request recording and fault injection shared by the CRM emulators.

Wraps a WSGI app: every request is counted by route name and its method and
decoded path with query kept (the last few hundred), and faults queued with
`inject` are served instead of the real answer to the next matching requests.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from urllib.parse import unquote_plus
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

FAULT_KINDS = ("status", "hang", "drop", "truncate", "hold", "hold_answer")
RECORDED_REQUESTS = 500


@dataclass
class Fault:
    """Serve `kind` to the next `count` requests whose method and path match.

    kind "status" answers `status` with `body` (and Retry-After and `headers` if set); "hang"
    sleeps `seconds` then answers normally; "drop" closes the connection without
    an answer; "truncate" sends the real headers and half the body, then closes;
    "hold" keeps the request unanswered for `seconds`, then drops it unprocessed;
    "hold_answer" processes the request, then keeps its answer back for `seconds`
    and drops it (so a client killed meanwhile never learns what was done).
    The first `skip` matching requests pass untouched; `served` counts the
    requests the fault was served to (a held request counts from its arrival).
    """

    kind: str
    path: str = ".*"
    method: str | None = None
    count: int = 1
    status: int = 503
    body: str = ""
    content_type: str = "application/json"
    retry_after: int | None = None
    headers: dict | None = None
    seconds: float = 30.0
    skip: int = 0
    served: int = 0
    _pattern: re.Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        self._pattern = re.compile(self.path)

    def matches(self, request: Request) -> bool:
        if self.method and request.method.upper() != self.method.upper():
            return False
        return bool(self._pattern.search(request.full_path.rstrip("?")))


class Instrumentation:
    """Per-emulator counters and fault queue, safe across server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self._received: deque[tuple[str, str]] = deque(maxlen=RECORDED_REQUESTS)

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def count(self, route: str) -> None:
        with self._lock:
            self.counts[route] += 1

    def calls(self, route: str | None = None) -> int:
        with self._lock:
            if route is None:
                return sum(self.counts.values())
            return self.counts[route]

    def record(self, request: Request) -> None:
        with self._lock:
            self._received.append((request.method, unquote_plus(request.full_path.rstrip("?"))))

    def received(self) -> list[tuple[str, str]]:
        """(method, decoded path and query) of the requests served, oldest first."""
        with self._lock:
            return list(self._received)

    def forget_received(self) -> None:
        with self._lock:
            self._received.clear()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()

    def take_fault(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(request):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    fault.served += 1
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def wrap(self, app, *, skip_prefix: str = "/_emulator/"):
        """A WSGI app applying queued faults before `app` (control paths exempt)."""

        def wrapped(environ, start_response):
            request = Request(environ)
            if request.path.startswith(skip_prefix):
                return app(environ, start_response)
            self.record(request)
            fault = self.take_fault(request)
            if fault is None:
                return app(environ, start_response)
            return _serve_fault(fault, app, environ, start_response)

        return wrapped


def _serve_fault(fault: Fault, app, environ, start_response):
    if fault.kind == "hang":
        time.sleep(fault.seconds)
        return app(environ, start_response)
    if fault.kind == "drop":
        _close_socket(environ)
        return []
    if fault.kind == "hold":
        time.sleep(fault.seconds)
        _close_socket(environ)
        return []
    if fault.kind == "hold_answer":
        Response.from_app(app, environ).get_data()
        time.sleep(fault.seconds)
        _close_socket(environ)
        return []
    if fault.kind == "truncate":
        return _truncated(app, environ, start_response)
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    headers.update(fault.headers or {})
    response = Response(fault.body, status=fault.status, content_type=fault.content_type, headers=headers)
    return response(environ, start_response)


def _truncated(app, environ, start_response):
    response = Response.from_app(app, environ)
    body = response.get_data()
    response.headers["Content-Length"] = str(len(body))
    start_response(response.status, list(response.headers.items()))
    return _TruncatedBody(body[: len(body) // 2], environ)


class _TruncatedBody:
    """Yields half the body, then shuts the socket so the client sees it cut short."""

    def __init__(self, chunk: bytes, environ):
        self.chunk = chunk
        self.environ = environ

    def __iter__(self):
        yield self.chunk

    def close(self):
        _close_socket(self.environ)


def _close_socket(environ) -> None:
    import socket

    from .server import SOCKET_KEY

    sock = environ.get(SOCKET_KEY) or environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
