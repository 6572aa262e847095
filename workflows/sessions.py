"""One connector per run in each process: the run's forecast and its activities
share one sign-in and the table descriptions read for it, instead of each task
opening a connector of its own. Tasks of a run that land in another worker
process open one there (one more sign-in per process), never two at once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from contextlib import contextmanager

from connectors.base import Connector

IDLE_SECONDS = 15 * 60  # a run's connector left idle longer is closed (its run ended elsewhere)
KEPT = 8  # idle connectors kept per process, the oldest closed first

_lock = threading.Lock()
_idle: OrderedDict[tuple[int, int], tuple[float, Connector]] = OrderedDict()


@contextmanager
def connector_for(run):
    """The run's connector in this process, lent to one caller at a time (a second
    caller meanwhile, such as a parallel part, gets a fresh one, kept afterwards
    only if none is kept)."""
    key = (run.pk, run.workflow.account_id)
    connector = _borrow(key) or run.workflow.account.connector()
    try:
        yield connector
    except BaseException:
        connector.close()  # after a failure, the next task signs in afresh
        raise
    _give_back(key, connector)


def release(run_id: int) -> None:
    """Close this process's connector of a run that has ended."""
    with _lock:
        ended = [key for key in _idle if key[0] == run_id]
        closing = [_idle.pop(key)[1] for key in ended]
    for connector in closing:
        connector.close()


def _borrow(key) -> Connector | None:
    with _lock:
        _close_stale()
        entry = _idle.pop(key, None)
    return entry[1] if entry else None


def _give_back(key, connector: Connector) -> None:
    with _lock:
        if key in _idle:
            closing = [connector]
        else:
            _idle[key] = (time.monotonic(), connector)
            closing = [_idle.popitem(last=False)[1][1] for _ in range(len(_idle) - KEPT)]
    for extra in closing:
        extra.close()


def _close_stale() -> None:
    """Called with the lock held; closing a connector only closes its HTTP session."""
    now = time.monotonic()
    for key in [key for key, (at, _) in _idle.items() if now - at > IDLE_SECONDS]:
        _idle.pop(key)[1].close()
