"""Map a function over chunks in worker processes, in order, with bounded memory.

``multiprocessing.Pool.imap`` reads its whole input ahead when workers are
slower than the reader; :func:`ordered_map` keeps at most ``max_pending``
chunks in flight, so a 1 GB input streams through in constant memory, and
yields results in input order.

With ``work_here=True`` (and where processes fork) the calling process is one
of the ``workers``: it forks ``workers - 1`` children and maps a chunk itself
whenever they are busy. On N cores that is N processes instead of N workers
and a reader competing with them, and a chunk mapped here never crosses a
pipe. The children are fed from this thread through pipes it never blocks on
(no helper threads: while this thread maps a chunk, a ``Pool``'s threads wait
for the GIL and the children wait for them).

Messages on those pipes are pickles of protocol 5 whose large buffers travel
out of band: an object that pickles its bytes as a :class:`pickle.PickleBuffer`
(see :func:`out_of_band`) is written to the pipe from its own memory and read
into a buffer of its exact size, never copied into or out of a pickle (a
release moves every byte of its input this way). What remains is the pipe's
own copying in the kernel.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import select
import signal
import struct
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

__all__ = ["ordered_map", "out_of_band"]

T = TypeVar("T")
R = TypeVar("R")

#: A message starts with the size of its pickle and the number of its
#: out-of-band buffers, then the size of each buffer; the pickle and the
#: buffers follow.
_PREFIX = struct.Struct("<QI")
_SIZE = struct.Struct("<Q")
#: Buffers handed to one writev call at most (POSIX guarantees 16).
_IOV = 16
#: Each child holds this many chunks: one it maps, one waiting in its pipe.
_DEPTH = 2
_PIPE_BYTES = 1 << 20


def ordered_map(
    fn: Callable[[T], R],
    chunks: Iterable[T],
    workers: int = 1,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    max_pending: int | None = None,
    work_here: bool = False,
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
        max_pending: chunks in flight at most (default ``4 * workers``: with
            ``work_here``, this process waits for the oldest chunk only when
            that many are out, instead of mapping the next one itself).
        work_here: count this process as one of ``workers`` and map chunks
            here too; ``fn`` must give the same result in any process.
    """
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        for chunk in chunks:
            yield fn(chunk)
        return
    limit = max_pending or 4 * workers
    forks = "fork" in multiprocessing.get_all_start_methods()
    if forks and initializer is not None:
        # Initialize once here; forked workers inherit the state (an analyzer
        # takes seconds to build and hundreds of MB, shared copy-on-write).
        initializer(*initargs)
    if work_here and forks:
        yield from _map_here_too(fn, chunks, workers - 1, limit)
        return
    if forks:
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


def out_of_band(data: bytes | bytearray, protocol: int) -> Any:
    """``data`` as it should appear in the reduction of an object pickled with ``protocol``.

    With protocol 5 (what :func:`ordered_map` uses between processes) it is a
    :class:`pickle.PickleBuffer`, which the pipes move without copying; the
    unpickled object then gets a read-only ``memoryview``, or ``bytes`` when
    pickled without out-of-band buffers. Older protocols get ``data`` itself.

    Example:
        >>> class Blob:
        ...     def __init__(self, data): self.data = bytes(data)
        ...     def __reduce_ex__(self, protocol):
        ...         return (Blob, (out_of_band(self.data, protocol),))
    """
    return pickle.PickleBuffer(data) if protocol >= 5 else data


def _message(obj: Any) -> list[memoryview]:
    """``obj`` as the pieces of one message (see :data:`_PREFIX`), its buffers not copied."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    head = _PREFIX.pack(len(data), len(views)) + b"".join(_SIZE.pack(v.nbytes) for v in views)
    return [memoryview(head), memoryview(data), *(v for v in views if v.nbytes)]


def _written(pieces: deque[memoryview], n: int) -> None:
    """Drop the first ``n`` bytes of ``pieces``, which were written."""
    while n:
        head = pieces[0]
        if n < head.nbytes:
            pieces[0] = head[n:]
            return
        n -= head.nbytes
        pieces.popleft()


def _parse() -> Generator[int, bytearray, tuple[bytearray, list[bytearray]]]:
    """The reading side of :func:`_message`: yields how many bytes it needs, is sent them.

    Returns the message's pickle and its out-of-band buffers, for
    ``pickle.loads(data, buffers=buffers)``.
    """
    size, count = _PREFIX.unpack((yield _PREFIX.size))
    sizes = [n for (n,) in _SIZE.iter_unpack((yield _SIZE.size * count))]
    data = yield size
    buffers = []
    for n in sizes:
        buffers.append((yield n))
    return data, buffers


class _Inbox:
    """Messages arriving on a non-blocking pipe, each piece read straight into its own buffer."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._next_message()

    def _next_message(self) -> None:
        self._parse = _parse()
        self._expect(next(self._parse))

    def _expect(self, size: int) -> None:
        self._buf = bytearray(size)
        self._got = 0

    def read(self) -> list[Any]:
        """The messages completed by what the pipe holds now, unpickled.

        Raises:
            EOFError: the pipe was closed by the other end.
        """
        done: list[Any] = []
        while True:
            if self._got < len(self._buf):
                try:
                    n = os.readv(self.fd, [memoryview(self._buf)[self._got :]])
                except BlockingIOError:
                    return done
                if not n:
                    raise EOFError
                self._got += n
                continue
            try:
                self._expect(self._parse.send(self._buf))
            except StopIteration as end:
                data, buffers = end.value
                done.append(pickle.loads(data, buffers=buffers))
                self._next_message()


class _Slot:
    """A chunk's result, once known; ``failed`` when it is an exception to raise."""

    __slots__ = ("done", "failed", "value")

    def __init__(self) -> None:
        self.done = False
        self.failed = False
        self.value: Any = None

    def set(self, failed: bool, value: Any) -> None:
        self.done, self.failed, self.value = True, failed, value

    def get(self) -> Any:
        if self.failed:
            raise self.value
        return self.value


class _Child:
    """A forked worker and this process's ends of its two pipes (tasks in, results out)."""

    def __init__(self, fn: Callable[[Any], Any], close_in_child: list[int]) -> None:
        task_r, self.task_w = os.pipe()
        self.result_r, result_w = os.pipe()
        _widen(self.task_w)
        _widen(self.result_r)
        mine = [self.task_w, self.result_r]
        self.process = multiprocessing.get_context("fork").Process(
            target=_child_main, args=(fn, task_r, result_w, [*close_in_child, *mine]), daemon=True
        )
        self.process.start()
        os.close(task_r)
        os.close(result_w)
        os.set_blocking(self.task_w, False)
        os.set_blocking(self.result_r, False)
        close_in_child.extend(mine)
        self.outgoing: deque[memoryview] = deque()
        self.inbox = _Inbox(self.result_r)
        self.waiting: deque[_Slot] = deque()  # sent, result not yet read, in order

    def send(self, chunk: Any) -> _Slot:
        self.outgoing.extend(_message(chunk))
        slot = _Slot()
        self.waiting.append(slot)
        self.write()
        return slot

    def write(self) -> None:
        """Write what the pipe takes now."""
        while self.outgoing:
            try:
                n = os.writev(self.task_w, list(islice(self.outgoing, _IOV)))
            except BlockingIOError:
                return
            except BrokenPipeError:
                raise self._died() from None
            _written(self.outgoing, n)

    def read(self) -> None:
        """Read what the pipe holds now; fill the slots of complete results."""
        try:
            results = self.inbox.read()
        except EOFError:
            raise self._died() from None
        for failed, value in results:
            self.waiting.popleft().set(failed, value)

    def _died(self) -> RuntimeError:
        self.process.join(timeout=1)
        return RuntimeError(
            f"a worker process (pid {self.process.pid}) ended unexpectedly "
            f"(exit code {self.process.exitcode}); see its error above, if any"
        )

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.task_w)  # the child reads the end of its input and exits
        os.close(self.result_r)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _widen(fd: int) -> None:
    """Let a pipe hold a whole chunk (Linux; elsewhere it fills and drains more often)."""
    import fcntl  # not on Windows, which has no fork either

    size_flag = getattr(fcntl, "F_SETPIPE_SZ", None)
    if size_flag is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, size_flag, _PIPE_BYTES)


def _child_main(fn: Callable[[Any], Any], task_r: int, result_w: int, others: list[int]) -> None:
    """A child's loop: read a chunk, map it, write the result (or the exception)."""
    # Ctrl-C is for the parent: it stops, closes the pipes, and the children
    # read the end of their input and exit, without a traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd in others:  # the parent's ends: keep no pipe open that should close
        with contextlib.suppress(OSError):
            os.close(fd)
    with contextlib.suppress(BrokenPipeError, EOFError):  # the parent stopped early
        while True:
            data, buffers = _receive(task_r)
            try:
                result: tuple[bool, Any] = (False, fn(pickle.loads(data, buffers=buffers)))
            except Exception as exc:  # sent back and raised in the parent, as Pool does
                result = (True, exc)
            _send(result_w, result)


def _receive(fd: int) -> tuple[bytearray, list[bytearray]]:
    """The next message on a blocking pipe, still pickled (EOFError at its end)."""
    parse = _parse()
    size = next(parse)
    while True:
        try:
            size = parse.send(_read_exact(fd, size))
        except StopIteration as end:
            return end.value


def _read_exact(fd: int, size: int) -> bytearray:
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = os.readv(fd, [view[got:]])
        if not n:
            raise EOFError
        got += n
    return buf


def _send(fd: int, obj: Any) -> None:
    """Write ``obj`` as one message to a blocking pipe."""
    pieces = deque(_message(obj))
    while pieces:
        _written(pieces, os.writev(fd, list(islice(pieces, _IOV))))


def _map_here_too(
    fn: Callable[[T], R], chunks: Iterable[T], children: int, limit: int
) -> Iterator[R]:
    """:func:`ordered_map` with ``work_here``: ``children`` forks and this process."""
    forked: list[_Child] = []
    close_in_child: list[int] = []
    try:
        for _ in range(children):
            forked.append(_Child(fn, close_in_child))
        pending: deque[_Slot] = deque()

        def pump(wait: bool) -> None:
            """Move bytes to and from the children; with ``wait``, until some move."""
            busy = [c for c in forked if c.waiting]
            readable = [c.result_r for c in busy]
            writable = [c.task_w for c in busy if c.outgoing]
            if wait or writable:
                select.select(readable, writable, [], None if wait else 0)
            for child in busy:
                child.write()
                child.read()

        for chunk in chunks:
            pump(wait=False)
            child = min(forked, key=lambda c: len(c.waiting))
            if len(child.waiting) < _DEPTH:
                pending.append(child.send(chunk))
            else:
                slot = _Slot()
                try:
                    slot.set(False, fn(chunk))
                except Exception as exc:  # raised in its turn, after earlier chunks' results
                    slot.set(True, exc)
                pending.append(slot)
            while pending and (pending[0].done or len(pending) >= limit):
                while not pending[0].done:
                    pump(wait=True)
                yield pending.popleft().get()
        while pending:
            while not pending[0].done:
                pump(wait=True)
            yield pending.popleft().get()
    finally:
        for child in forked:
            child.stop()
