"""Errors a connector raises. Each carries a message a person can act on and,
where the CRM gave one, the CRM's own code and message."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class: something went wrong talking to a CRM."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.code else self.message


class AuthenticationFailed(ConnectorError):
    """The CRM refused the credentials."""


class TransientError(ConnectorError):
    """Worth retrying later: throttling, 5xx, timeouts, dropped connections."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ApiLimitReached(ConnectorError):
    """The org's daily API allocation (or the share we may use of it) is spent."""


class ReplicationWindowExceeded(ConnectorError):
    """The CRM no longer keeps changes or deletions that far back."""


class InvalidRequest(ConnectorError):
    """The request was malformed or named something the CRM does not have."""


class NotRegistered(LookupError):
    """No connector is registered under this CRM type."""


class AlreadyRegistered(ValueError):
    """A connector with this CRM type is already registered."""
