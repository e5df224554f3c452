"""Write an output file completely or not at all.

Every file desens writes goes through :func:`atomic_output`: the data is written
to a temporary file in the target's folder and renamed over the target only
when the writer finished without error, so a failed run leaves neither a
partial file nor a damaged older one behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["Writeback", "atomic_output"]


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str],
    mode: str = "w",
    *,
    file_mode: int | None = None,
    exclusive: bool = False,
    **open_kwargs: object,
) -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` when the block succeeds.

    Args:
        path: the final file.
        mode: ``"w"`` (text, UTF-8 unless ``encoding`` says otherwise) or ``"wb"``.
        file_mode: permissions of the final file; default ``0o644`` less the
            umask. The temporary file is ``0o600`` until then, so a secret
            written with ``file_mode=0o600`` is never readable by others.
        exclusive: fail with ``FileExistsError`` instead of replacing an
            existing ``path`` (checked atomically, at the rename).
        **open_kwargs: passed to :func:`open` (``encoding``, ``newline``).

    Example:
        >>> with atomic_output("out.jsonl") as fh:  # doctest: +SKIP
        ...     fh.write("{}")
    """
    if mode not in ("w", "wb"):
        raise ValueError("atomic_output writes only: mode must be 'w' or 'wb'")
    target = Path(path)
    if "b" not in mode:
        open_kwargs.setdefault("encoding", "utf-8")
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or "."
    )
    try:
        with os.fdopen(fd, mode, **open_kwargs) as fh:  # type: ignore[call-overload]
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, file_mode if file_mode is not None else 0o644 & ~_umask())
        if exclusive:
            os.link(tmp_name, target)  # atomic: fails if target exists
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class Writeback:
    """Start a growing file's sync while it is being written, in a background thread.

    :func:`atomic_output` syncs the whole file before it renames it. For a
    large output that sync, at the end, waits for all of its pages at once;
    with a ``Writeback`` told what was written, they go to the disk in the
    background every ``every`` bytes, and the last sync waits only for the
    rest. Durability is unchanged: the file still appears only after its
    final ``fsync``.

    A background sync that fails is raised on the writing thread, by the next
    :meth:`wrote` or by :meth:`close`: Linux reports a writeback error once
    per open file, so the final ``fsync`` would not see it again.

    Args:
        fh: the binary file being written (buffered or not).
        every: bytes written between two background syncs (for tables:
            :data:`desens.tables.SYNC_EVERY`).
    """

    def __init__(self, fh: IO[bytes], every: int) -> None:
        self._fh = fh
        self._every = every
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None

    def wrote(self, size: int) -> None:
        """Count ``size`` bytes written; sync in the background when enough are.

        Raises:
            OSError: a background sync failed.
        """
        self._raise()
        self._pending += size
        if self._pending < self._every or (self._thread and self._thread.is_alive()):
            return
        self._pending = 0
        self._fh.flush()
        self._thread = threading.Thread(
            target=self._sync, args=(self._fh.fileno(),), name="desens-writeback", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Wait for a background sync still running.

        Raises:
            OSError: a background sync failed.
        """
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._raise()

    def _sync(self, fd: int) -> None:
        try:
            os.fdatasync(fd)
        except OSError as exc:
            self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error
