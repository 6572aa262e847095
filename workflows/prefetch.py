"""Reading the next page while the current one is written: a CRM read runs in a
thread of its own, at most `depth` pages ahead, so an import takes about as long
as the slower of fetching and loading rather than their sum, and memory holds a
bounded number of pages."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()
POLL_SECONDS = 0.1


def prefetched(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """The items of `items`, produced by a background thread; its exceptions are
    raised here, in order, and it stops soon after the consumer stops."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stopping = threading.Event()

    def offer(entry) -> bool:
        while not stopping.is_set():
            try:
                ready.put(entry, timeout=POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer((item, None)):
                    return
            offer((_END, None))
        except BaseException as exc:  # handed to the consumer, raised there
            offer((None, exc))

    thread = threading.Thread(target=produce, name="crmsync-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stopping.set()
        thread.join(timeout=POLL_SECONDS * 5)
