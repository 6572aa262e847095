"""Retrying transient CRM failures with exponential backoff and full jitter,
honouring the CRM's Retry-After when it gives one (tenacity does the looping)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from .errors import TransientError

logger = logging.getLogger("crmsync.connectors")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 60.0


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


def call_with_retries(func: Callable[[], T], policy: RetryPolicy = RetryPolicy(), sleep=None) -> T:
    """Call `func`, retrying while it raises TransientError; the last error is raised."""
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientError),
        stop=tenacity.stop_after_attempt(policy.attempts),
        wait=_wait(policy),
        before_sleep=_log,
        reraise=True,
        sleep=sleep or tenacity.nap.sleep,
    )
    return retrying(func)
