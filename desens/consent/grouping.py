"""Group commit: one thread takes queued work in groups, one transaction each.

A durable commit on PostgreSQL waits for the WAL to reach the disk (a few
milliseconds here), and every access decision appends to the audit chain,
whose head row stays locked until that commit: decisions committed one by
one can never be faster than one disk flush each. :class:`GroupWriter` lets
every decision waiting at a given moment share one transaction and one flush.
Nothing is weakened: each decision's audit entry is still written in the
transaction that releases its data, and a result is handed back only once
that transaction has committed.

Example:
    >>> done = []
    >>> class Item:
    ...     def __init__(self, n): self.n = n
    ...     def start(self): return True
    ...     def fail(self, exc): pass
    ...     def settle(self): done.append(self.n)
    >>> writer = GroupWriter(lambda items: None, max_group=8, name="doc")
    >>> writer.submit(Item(1)); writer.close(); done
    [1]
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

__all__ = ["GroupItem", "GroupWriter"]


class GroupItem(Protocol):
    """What :class:`GroupWriter` needs of a piece of work."""

    def start(self) -> bool:
        """Mark it running; False if its caller gave up on it (then it is skipped)."""

    def fail(self, exc: BaseException) -> None:
        """Record that its group failed with ``exc``."""

    def settle(self) -> None:
        """Hand its outcome to its caller (after the group's transaction ended).

        Called even if ``run`` was interrupted; an item with no outcome then fails.
        """


ItemT = TypeVar("ItemT", bound=GroupItem)


class GroupWriter(Generic[ItemT]):
    """One daemon thread that runs queued items in groups of at most ``max_group``.

    A group is whatever is queued when the thread is free again. Under load
    the callers fall into cohorts (those answered by one group come back
    while the next one runs), so a group also waits up to ``max_wait``
    seconds for more items, but only after a group of several: a lone caller
    is never kept waiting.

    Args:
        run: Runs a group in one transaction. It records each item's outcome
            on the item; if it raises, every item of the group fails with
            that exception.
        max_group: Most items per group (1: no grouping).
        name: The thread's name.
        max_wait: Seconds a group waits to fill up after a group of several.
    """

    def __init__(
        self,
        run: Callable[[list[ItemT]], None],
        max_group: int,
        name: str,
        max_wait: float = 0.0,
    ) -> None:
        self._run = run
        self._max = max(1, max_group)
        self._wait = max(0.0, max_wait)
        self._last = 0  # size of the last group
        self._queue: queue.SimpleQueue[ItemT | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: ItemT) -> None:
        """Queue ``item``; its ``settle()`` is called once its group has ended."""
        self._queue.put(item)

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            deadline = time.monotonic() + (self._wait if self._last > 1 else 0.0)
            while len(group) < self._max:
                left = deadline - time.monotonic()
                try:
                    nxt = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                group.append(nxt)
            self._last = len(group)
            group = [item for item in group if item.start()]
            if not group:
                continue
            try:
                self._run(group)
            except Exception as exc:
                for item in group:
                    item.fail(exc)
            finally:
                for item in group:
                    item.settle()
