"""HTTP access to one Dataverse environment's Web API: bearer tokens from msal,
one requests session trusting the account's CA, every call counted, transient
failures (429 with Retry-After, 5xx, timeouts, dropped connections) retried with
backoff and jitter, the token re-acquired once on 401, and Dataverse's error
bodies turned into connector errors carrying the CRM's code and message.
It knows nothing of Django."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

import requests

from connectors.base import AccountConfig
from connectors.errors import (
    AuthenticationFailed,
    ConnectorError,
    InvalidRequest,
    ReplicationWindowExceeded,
    TransientError,
)
from connectors.http import build_session, describe_request_error
from connectors.retry import RetryPolicy, call_with_retries

from . import batch_format
from .auth import Credentials, TokenProvider

logger = logging.getLogger("crmsync.connectors.dynamics")
MAX_PAGE_SIZE = 5000
EXPIRED_DELTA_TOKEN = "0x80044352"
TRANSIENT_STATUSES = (429, 500, 502, 503, 504)
_BURST_HEADER = "x-ms-ratelimit-burst-remaining-xrm-requests"


class DataverseClient:
    def __init__(self, config: AccountConfig, credentials: Credentials, *, retry_policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] | None = None):
        self.org_url = config.server_url.rstrip("/")
        self.api_url = f"{self.org_url}/api/data/v{config.api_version or '9.2'}"
        self.timeout = config.timeout
        self.retry_policy = retry_policy or RetryPolicy()
        self.sleep = sleep
        self.calls = 0
        self.burst_remaining: int | None = None
        self.session = build_session(config)
        self._count_calls(self.session)
        self.tokens = TokenProvider(credentials, self.org_url, self.session)

    def _count_calls(self, session: requests.Session) -> None:
        """Every HTTP call, msal's included, goes through session.request."""
        send = session.request

        def counted(*args, **kwargs):
            self.calls += 1
            kwargs.setdefault("timeout", self.timeout)
            return send(*args, **kwargs)

        session.request = counted

    def close(self) -> None:
        self.session.close()

    # --- calls ----------------------------------------------------------------
    def get_json(self, url: str, params: dict | None = None, headers: dict | None = None) -> dict:
        response = self.request("GET", url, params=params, headers=headers)
        return response.json(parse_float=Decimal)

    def request(self, method: str, url: str, *, idempotent: bool = True, **kwargs) -> requests.Response:
        """Send with retries; a response below 400, else the matching connector error."""
        response = call_with_retries(lambda: self._send_once(method, url, idempotent, kwargs),
                                     self.retry_policy, sleep=self.sleep)
        if response.status_code >= 400:
            raise error_for(response)
        return response

    def _send_once(self, method: str, url: str, idempotent: bool, kwargs: dict) -> requests.Response:
        response = self._send_authorized(method, url, idempotent, kwargs)
        if response.status_code == 401:
            logger.info("Dataverse refused the access token; acquiring a new one")
            self.tokens.invalidate()
            response = self._send_authorized(method, url, idempotent, kwargs)
            if response.status_code == 401:
                raise AuthenticationFailed("Dataverse refused a fresh access token (401): check the application "
                                           "user and its security role in the environment", status=401)
        if response.status_code in TRANSIENT_STATUSES:
            raise _transient(response)
        return response

    def _send_authorized(self, method: str, url: str, idempotent: bool, kwargs: dict) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens.token()}", "Accept": "application/json",
                   "OData-MaxVersion": "4.0", "OData-Version": "4.0", **(kwargs.get("headers") or {})}
        try:
            response = self.session.request(method, url, **{**kwargs, "headers": headers})
            response.content  # read the whole body here, so a cut-short answer fails inside the retry loop
        except requests.RequestException as exc:
            raise _transport_error(exc, idempotent, self.timeout) from None
        self._note_limits(response)
        return response

    def _note_limits(self, response: requests.Response) -> None:
        remaining = response.headers.get(_BURST_HEADER)
        if remaining and remaining.isdigit():
            self.burst_remaining = int(remaining)

    # --- $batch ---------------------------------------------------------------
    def batch(self, operations: list[batch_format.Operation], atomic: bool, idempotent: bool):
        """Send operations in one $batch; (Content-ID, result) per answered operation."""
        content_type, body = batch_format.encode(operations, atomic)
        headers = {"Content-Type": content_type}
        if not atomic:
            headers["Prefer"] = "odata.continue-on-error"
        response = self.request("POST", f"{self.api_url}/$batch", data=body, headers=headers, idempotent=idempotent)
        return batch_format.decode(response.headers.get("Content-Type", ""), response.content.decode("utf-8"))


def dataverse_error(response) -> tuple[str, str]:
    """(code, message) from a Dataverse error body, or the HTTP status when there is none."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code") or f"HTTP {response.status_code}"
    return code, error.get("message") or getattr(response, "reason", "") or "no detail given"


def error_for(response: requests.Response) -> ConnectorError:
    code, message = dataverse_error(response)
    status = response.status_code
    if code == EXPIRED_DELTA_TOKEN:
        return ReplicationWindowExceeded(message, code=code, status=status)
    if status in (401, 403):
        return AuthenticationFailed(message, code=code, status=status)
    if status in (400, 404, 405, 412):
        return InvalidRequest(message, code=code, status=status)
    return ConnectorError(message, code=code, status=status)


def _transient(response: requests.Response) -> TransientError:
    code, message = dataverse_error(response)
    retry_after = response.headers.get("Retry-After")
    seconds = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
    return TransientError(f"Dataverse answered {response.status_code}: {message}", code=code,
                          status=response.status_code, retry_after=seconds)


def _transport_error(exc: requests.RequestException, idempotent: bool, timeout: float) -> ConnectorError:
    """Retry what cannot have reached the server; a write that may have been applied is
    only retried when repeating it is harmless."""
    detail = describe_request_error(exc, timeout)
    never_sent = isinstance(exc, requests.ConnectTimeout) or "Connection refused" in str(exc)
    if idempotent or never_sent:
        return TransientError(detail)
    return ConnectorError(f"{detail}; the outcome of this write is unknown, so it was not retried "
                          f"(creates are not idempotent: check the CRM before running it again)")
