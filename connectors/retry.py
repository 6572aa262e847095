"""Retrying transient CRM failures with exponential backoff and full jitter,
honouring the CRM's Retry-After when it gives one (tenacity does the looping)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from .errors import ApiLimitReached, ConnectorError, TransientError

logger = logging.getLogger("crmsync.connectors")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 60.0
    # A Retry-After longer than this (a spent daily entitlement) is not waited out.
    longest_retry_after: float = 3600.0


def _wait(policy: RetryPolicy):
    jitter = tenacity.wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait)

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), policy.max_wait)
        return jitter(state)

    return wait


def _log(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    logger.warning("transient CRM failure (attempt %s): %s", state.attempt_number, exc)


def _asks_too_long(policy: RetryPolicy, exc: BaseException | None) -> bool:
    retry_after = getattr(exc, "retry_after", None)
    return retry_after is not None and float(retry_after) > policy.longest_retry_after


def _wait_refused(exc: TransientError, policy: RetryPolicy) -> ConnectorError:
    """A CRM asking to wait longer than a run may (a spent daily entitlement, a long
    maintenance): the run stops now with the CRM's message rather than sleeping
    through its retries and hammering the CRM; the next run resumes."""
    error = ApiLimitReached if exc.status == 429 else ConnectorError
    return error(f"{exc.message} (the CRM asks to wait {float(exc.retry_after):g} s before the next request, longer "
                 f"than a run waits: {policy.longest_retry_after:g} s)", code=exc.code, status=exc.status)


def call_with_retries(func: Callable[[], T], policy: RetryPolicy = RetryPolicy(), sleep=None) -> T:
    """Call `func`, retrying while it raises TransientError; the last error is raised.
    A Retry-After longer than the policy's `longest_retry_after` is not waited out: it ends
    the call at once as a permanent error carrying the CRM's message."""
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientError),
        stop=tenacity.stop_after_attempt(policy.attempts)
        | (lambda state: _asks_too_long(policy, state.outcome.exception() if state.outcome else None)),
        wait=_wait(policy),
        before_sleep=_log,
        reraise=True,
        sleep=sleep or tenacity.nap.sleep,
    )
    try:
        return retrying(func)
    except TransientError as exc:
        if _asks_too_long(policy, exc):
            raise _wait_refused(exc, policy) from exc
        raise
