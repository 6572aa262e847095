"""Turns simple-salesforce and requests exceptions into connector errors that keep
Salesforce's own error code and message, and says which failures are worth
retrying and which may have been processed before the answer was lost."""

from __future__ import annotations

import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from connectors.errors import (
    ApiLimitReached, AuthenticationFailed, ConnectorError, InvalidRequest, ReplicationWindowExceeded, TransientError,
)
from connectors.http import closed_midway, describe_request_error

from .transport import MeteredAdapter

# 503 and 429 mean "not processed"; 500, 502, 504 may come after the work was done.
NOT_PROCESSED_STATUSES = {429, 503}
TRANSIENT_STATUSES = {429, 500, 502, 503, 504}
TRANSIENT_CODES = {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"}


class SessionExpired(AuthenticationFailed):
    """INVALID_SESSION_ID: log in again once, then repeat the call."""


class OutcomeUnknown(ConnectorError):
    """A non-idempotent write whose answer was lost: it may or may not have happened."""


def transient(message: str, *, processed_maybe: bool, **kwargs) -> TransientError:
    error = TransientError(message, **kwargs)
    error.outcome_unknown = processed_maybe
    return error


def first_error(content) -> tuple[str, str]:
    """(errorCode, message) of a Salesforce error body."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode") or content[0].get("statusCode") or "", content[0].get("message", "")
    if isinstance(content, dict):
        return content.get("errorCode", "") or content.get("error", ""), content.get("message", "") or content.get("error_description", "")
    text = content.decode(errors="replace") if isinstance(content, bytes) else str(content)
    return "", text[:500]


def translate(exc: Exception, meter: MeteredAdapter) -> ConnectorError:
    if isinstance(exc, SalesforceAuthenticationFailed):
        return AuthenticationFailed(f"Salesforce refused the login: {exc.auth_message}", code=str(exc.code))
    if isinstance(exc, SalesforceError):
        return from_response(exc, meter)
    if isinstance(exc, requests.exceptions.SSLError) and not closed_midway(exc):
        return ConnectorError(describe_request_error(exc))
    if isinstance(exc, requests.exceptions.ConnectTimeout) or "Connection refused" in str(exc):
        return transient(describe_request_error(exc), processed_maybe=False)
    if isinstance(exc, requests.exceptions.RequestException):
        return transient(describe_request_error(exc), processed_maybe=True)
    raise exc


def from_response(exc: SalesforceError, meter: MeteredAdapter) -> ConnectorError:
    code, message = first_error(exc.content)
    status = exc.status
    if status == 401 and code == "INVALID_SESSION_ID":
        return SessionExpired(message, code=code, status=status)
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        return limit_exceeded(message, code, meter)
    if status in TRANSIENT_STATUSES or code in TRANSIENT_CODES:
        return transient(message or f"HTTP {status}", processed_maybe=status not in NOT_PROCESSED_STATUSES and code not in TRANSIENT_CODES,
                         retry_after=meter.retry_after, code=code or None, status=status)
    if code == "INVALID_REPLICATION_DATE":
        return ReplicationWindowExceeded(message, code=code, status=status)
    return InvalidRequest(message, code=code or None, status=status)


def limit_exceeded(message: str, code: str, meter: MeteredAdapter) -> ConnectorError:
    """The daily allocation is spent (stop), or too many long requests run at once (retry)."""
    if meter.limit is not None and meter.used is not None and meter.used < meter.limit:
        return transient(message, processed_maybe=False, code=code, status=403)
    return ApiLimitReached(f"Salesforce's daily API request allocation is used up: {message}", code=code, status=403)
