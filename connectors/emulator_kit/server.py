"""Serve an emulator's WSGI app over HTTPS in a background thread or the foreground.

The server is cheroot's: HTTP/1.1 with keep-alive, as real CRM endpoints allow, so a
client pays one TLS handshake per connection rather than per request (werkzeug's
development server closes every connection). Each request's socket is handed to the
app under `SOCKET_KEY`, so injected faults can drop or cut a connection."""

from __future__ import annotations

import logging
import ssl
import threading
from pathlib import Path

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from cheroot.workers.threadpool import ThreadPool, WorkerThread

from .tls import TlsFiles, ensure_certificates

SOCKET_KEY = "emulator.socket"
# Enough for the parallel readers and writers tests and benchmarks use, plus requests
# held by a "hang" fault; idle keep-alive connections wait in a selector, not a thread.
THREADS = 32


class _Gateway(wsgi.Gateway_10):
    def get_environ(self):
        environ = super().get_environ()
        environ[SOCKET_KEY] = self.req.conn.socket
        return environ


class _DaemonThreadPool(ThreadPool):
    """Worker threads that never keep a test process alive (as werkzeug's were)."""

    def _spawn_worker(self):
        worker = WorkerThread(self.server)
        worker.name = f"emulator worker {worker.name}"
        worker.daemon = True
        worker.start()
        return worker


class _Server(wsgi.Server):
    def serve(self):
        # cheroot's own loop, with its thread answering 503 to connections it cannot
        # take as a daemon too.
        threading.Thread(target=self._serve_unservicable, daemon=True).start()
        while self.ready and not self.interrupt:
            self._connections.run(self.expiration_interval)


class EmulatorServer:
    """An HTTPS server for one emulator app; TLS only, on loopback by default."""

    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, tls_dir: Path, hostnames: tuple[str, ...] = ()):
        self.tls: TlsFiles = ensure_certificates(Path(tls_dir), hostnames)
        self._server = _Server((host, port), app, numthreads=THREADS, server_name="crmsync-emulator",
                               timeout=30, shutdown_timeout=1)
        self._server.requests = _DaemonThreadPool(self._server, min=THREADS, max=THREADS)
        self._server.gateway = _Gateway
        self._server.ssl_adapter = _tls_adapter(self.tls)
        logging.getLogger("cheroot").setLevel(logging.CRITICAL)
        self._server.prepare()  # binds now, so the port is known
        self.host = host
        self.port = self._server.bind_addr[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0") else self.host
        return f"https://{host}:{self.port}"

    @property
    def ca_path(self) -> Path:
        return self.tls.ca_path

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.serve, name=f"emulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        try:
            self._server.serve()
        finally:
            self._server.stop()

    def stop(self) -> None:
        self._server.stop()
        if self._thread:
            self._thread.join(timeout=5)


def _tls_adapter(tls: TlsFiles) -> BuiltinSSLAdapter:
    adapter = BuiltinSSLAdapter(str(tls.cert_path), str(tls.key_path))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(tls.cert_path), str(tls.key_path))
    adapter.context = context
    return adapter
