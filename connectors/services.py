"""Services on external accounts used by the admin, the API and tasks."""

from __future__ import annotations

import logging

from django.utils import timezone

from .crypto import UndecryptableSecret
from .errors import ConnectorError, NotRegistered
from .http import describe_request_error
from .models import ExternalAccount
from .types import ConnectionResult

logger = logging.getLogger("crmsync.connectors")


def redact(text: str, secrets: dict[str, str]) -> str:
    """Defence in depth: no configured secret survives in a message."""
    for value in secrets.values():
        if value and len(value) >= 4:
            text = text.replace(value, "****")
    return text


def test_connection(account: ExternalAccount) -> ConnectionResult:
    """Test the account's connection, remember the outcome, and explain it."""
    result = _attempt(account)
    result = ConnectionResult(result.ok, redact(result.detail, account.secrets)[:500])
    account.last_test_ok = result.ok
    account.last_test_detail = result.detail
    account.last_tested_at = timezone.now()
    ExternalAccount.objects.filter(pk=account.pk).update(
        last_test_ok=result.ok, last_test_detail=result.detail, last_tested_at=account.last_tested_at
    )
    logger.info("connection test of account %s: %s", account.internal_name, "ok" if result.ok else "failed")
    return result


def _attempt(account: ExternalAccount) -> ConnectionResult:
    try:
        with account.connector() as connector:
            return connector.test_connection()
    except NotRegistered:
        return ConnectionResult(False, f"no connector is installed for CRM type '{account.crm_type}'")
    except UndecryptableSecret as exc:
        return ConnectionResult(False, str(exc))
    except ConnectorError as exc:
        return ConnectionResult(False, str(exc))
    except Exception as exc:  # a connector bug must still give a readable answer
        logger.exception("connection test of account %s raised", account.internal_name)
        return ConnectionResult(False, describe_request_error(exc, float(account.timeout)))
