"""Serve an emulator's WSGI app over HTTPS in a background thread or the foreground."""

from __future__ import annotations

import logging
import ssl
import threading
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from .tls import TlsFiles, ensure_certificates


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real CRM endpoints allow

    def log_request(self, *args, **kwargs) -> None:
        if logging.getLogger("crmsync.emulator").isEnabledFor(logging.DEBUG):
            super().log_request(*args, **kwargs)


class EmulatorServer:
    """An HTTPS server for one emulator app; TLS only, on loopback by default."""

    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, tls_dir: Path, hostnames: tuple[str, ...] = ()):
        self.tls: TlsFiles = ensure_certificates(Path(tls_dir), hostnames)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.tls.cert_path), str(self.tls.key_path))
        self._server = make_server(host, port, app, threaded=True, ssl_context=context, request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0") else self.host
        return f"https://{host}:{self.port}"

    @property
    def ca_path(self) -> Path:
        return self.tls.ca_path

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"emulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
