"""Map a function over chunks in worker processes, in order, with bounded memory.

``multiprocessing.Pool.imap`` reads its whole input ahead when workers are
slower than the reader; :func:`ordered_map` keeps at most ``max_pending``
chunks in flight, so a 1 GB input streams through in constant memory, and
yields results in input order.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["ordered_map"]

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(
    fn: Callable[[T], R],
    chunks: Iterable[T],
    workers: int = 1,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    max_pending: int | None = None,
) -> Iterator[R]:
    """Yield ``fn(chunk)`` for each chunk, in order.

    Args:
        fn: a picklable top-level function.
        chunks: the inputs; consumed lazily.
        workers: processes to use; 1 runs in this process (after calling
            ``initializer`` here).
        initializer: prepares the per-process state ``fn`` uses. Where
            processes fork (Linux) it runs once in this process and the
            workers inherit its state; elsewhere it runs in each worker.
        initargs: arguments for ``initializer``.
        max_pending: chunks in flight at most (default ``2 * workers``).
    """
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        for chunk in chunks:
            yield fn(chunk)
        return
    limit = max_pending or 2 * workers
    if "fork" in multiprocessing.get_all_start_methods():
        # Initialize once here; forked workers inherit the state (an analyzer
        # takes seconds to build and hundreds of MB, shared copy-on-write).
        if initializer is not None:
            initializer(*initargs)
        pool = multiprocessing.get_context("fork").Pool(workers)
    else:
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(workers, initializer=initializer, initargs=initargs)
    with pool:
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(fn, (chunk,)))
            if len(pending) >= limit:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
