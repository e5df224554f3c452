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
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_output"]


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
