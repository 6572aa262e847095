"""Outbound HTTP for connectors: one `requests.Session` per connector, TLS
verification always on (with the account's private CA added, never turned off),
timeouts everywhere, answers bounded in size, and exceptions turned into messages
a person understands."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
import ssl
import tempfile
from pathlib import Path

import certifi
import requests
from cryptography import x509
from requests.adapters import HTTPAdapter

from .base import AccountConfig
from .errors import ConnectorError, TransientError

USER_AGENT = "crmsync/0.1"
CHUNK_BYTES = 1024 * 1024


class ResponseTooLarge(ConnectorError):
    """The CRM answered with more than crmsync accepts in one response."""


def ca_bundle_path(ca_pem: str) -> str:
    """The public CA bundle, plus the account's own CA when it has one.

    requests wants a file path; the combined bundle is written once per distinct
    CA under the system temp directory and reused.
    """
    if not ca_pem.strip():
        return certifi.where()
    digest = hashlib.sha256(ca_pem.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"crmsync-ca-{digest}.pem"
    if not path.exists():
        bundle = Path(certifi.where()).read_text() + "\n" + ca_pem.strip() + "\n"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(bundle)
        tmp.replace(path)
    return str(path)


class TimeoutAdapter(HTTPAdapter):
    """Gives every request sent through it the account's timeout unless the
    caller chose one: no call through a connector's session can wait forever."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def build_session(config: AccountConfig) -> requests.Session:
    """A session that ignores REQUESTS_CA_BUNDLE and proxies from the environment,
    which would otherwise override the account's own CA for every request."""
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle_path(config.ca_pem)
    adapter = TimeoutAdapter(config.timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.hooks["response"].append(size_limit(config.max_response_bytes))
    return session


def size_limit(max_bytes: int):
    """A response hook that reads the body (decompressed) up to `max_bytes` and
    refuses the answer past that, before requests would load it all into memory."""

    def check(response: requests.Response, **kwargs) -> requests.Response:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            response.close()
            raise too_large(response, max_bytes)
        if kwargs.get("stream"):  # read by its caller, through streamed_chunks
            response.max_bytes = max_bytes
            return response
        body = bytearray()
        for chunk in response.iter_content(CHUNK_BYTES):  # decoded, transport errors as requests' own
            body += chunk
            if len(body) > max_bytes:
                response.close()
                raise too_large(response, max_bytes)
        response._content = bytes(body)
        response._content_consumed = True
        return response

    return check


def streamed_chunks(response: requests.Response) -> Iterator[bytes]:
    """The body of a response requested with stream=True, decompressed, chunk by
    chunk, refused past the session's size limit like any other answer."""
    max_bytes, read = getattr(response, "max_bytes", None), 0
    for chunk in response.iter_content(CHUNK_BYTES):
        read += len(chunk)
        if max_bytes is not None and read > max_bytes:
            response.close()
            raise too_large(response, max_bytes)
        yield chunk


def too_large(response: requests.Response, max_bytes: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"the CRM's answer to {response.request.method} {response.url.split('?')[0]} is larger than "
        f"{max_bytes / 2**20:g} MB, the most crmsync accepts in one response (CRMSYNC_MAX_RESPONSE_MB)",
        code="CRMSYNC_RESPONSE_TOO_LARGE", status=response.status_code)


def validate_ca_pem(text: str) -> None:
    """Raise ValueError unless `text` holds at least one PEM certificate (and no key)."""
    if "PRIVATE KEY-----" in text:
        raise ValueError("a private key, not a certificate: paste the CA's certificate, never a key")
    try:
        certificates = x509.load_pem_x509_certificates(text.encode())
    except ValueError:
        raise ValueError("not a PEM certificate (expected -----BEGIN CERTIFICATE-----)") from None
    if not certificates:
        raise ValueError("no certificate found in the PEM text")


def describe_request_error(exc: BaseException, timeout: float | None = None) -> str:
    """A short human sentence for a transport failure, with no secrets in it."""
    if isinstance(exc, requests.exceptions.SSLError):
        reason = _innermost(exc)
        if isinstance(reason, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return "TLS certificate not trusted: " + _verify_message(exc)
        if closed_midway(exc):
            return "connection lost: the server closed the connection"
        return "TLS handshake failed"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "host unreachable: connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {timeout:g} s" if timeout else "no answer before the timeout"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "Name or service not known" in text or "NameResolutionError" in text or "nodename" in text:
            return "host unreachable: name not resolved"
        if "Connection refused" in text:
            return "host unreachable: connection refused"
        return "connection lost: the server closed the connection"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return "connection lost: the response was cut short"
    if isinstance(exc, TransientError):
        return exc.message
    return exc.__class__.__name__


def closed_midway(exc: BaseException) -> bool:
    """A TLS connection the server closed without a TLS goodbye (a dropped kept-alive
    connection): a lost connection, not a failed handshake."""
    reason = _innermost(exc)
    return (isinstance(reason, ssl.SSLEOFError | ssl.SSLZeroReturnError)
            or "EOF occurred in violation of protocol" in str(exc) or "UNEXPECTED_EOF_WHILE_READING" in str(exc))


def _innermost(exc: BaseException) -> BaseException:
    seen = set()
    while exc.__context__ is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc = exc.__context__
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, BaseException):
            return _innermost(arg)
    return exc


def _verify_message(exc: BaseException) -> str:
    text = str(exc)
    marker = "certificate verify failed: "
    if marker in text:
        return text.split(marker, 1)[1].split(" (_ssl")[0].split(")")[0].strip(" '\"")
    return "certificate verify failed"
