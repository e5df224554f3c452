"""Where ``fpe`` pseudonyms stand in the free text of a release (the span file).

A free-text column's ``fpe`` outputs look like real identifiers: nothing in
the released text tells them from identifiers the release left alone, so
``desens reidentify`` can reverse them only by position. When a release
writes any, it writes their positions next to the output,
``OUTPUT.fpe-spans.jsonl``, one line per cell that holds some, in output
order::

    {"row": 0, "column": "备注", "spans": [[5, 23, "CN_RESIDENT_ID"]]}

``row`` counts the output's records from 0 (a CSV record over two lines is
one), offsets count characters of the released cell, end exclusive. The file
holds positions and entity types, never a value. The release report names it
with its SHA-256 (``fpe_spans``), so a span file that does not belong to the
output it sits next to is refused.

It is material for the key holder, not for publication: it tells which
identifier-shaped strings of the output are pseudonyms, and so that others
may be real. It is written with file mode 0600, like a key ring.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from desens.atomic import atomic_output
from desens.errors import BadRecordError, ConfigError
from desens.tables import file_sha256

__all__ = ["SpanFile", "Spans", "read_spans", "span_path"]

#: (start, end, entity) of each fpe output in one cell.
Spans = list[tuple[int, int, str]]


def span_path(output: Path) -> Path:
    """``OUTPUT.fpe-spans.jsonl`` beside the output."""
    return output.with_name(output.name + ".fpe-spans.jsonl")


class SpanFile:
    """Writes the span file of a release, atomically, only if it gets a span.

    Use as a context manager inside the output's writer: the file appears
    only when the block ends without an error, just before the output does
    (a span file that fails leaves the earlier output as it was).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cells = 0
        self._digest = hashlib.sha256()
        self._stack = contextlib.ExitStack()
        self._out: IO[str] | None = None

    def __enter__(self) -> SpanFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.__exit__(kind, exc, tb)  # renames the file into place, or discards it

    def write(self, first_row: int, cells: Iterable[tuple[int, str, Spans]]) -> None:
        """Record the cells of one chunk, whose first output row is ``first_row``."""
        for row, column, spans in cells:
            if self._out is None:
                self._out = self._stack.enter_context(
                    atomic_output(self.path, newline="", file_mode=0o600)
                )
            line = json.dumps(
                {"row": first_row + row, "column": column, "spans": [list(s) for s in spans]},
                ensure_ascii=False,
            )
            self._out.write(line + "\n")
            self._digest.update(line.encode("utf-8") + b"\n")
            self.cells += 1

    def describe(self) -> dict[str, Any] | None:
        """For the release report: the file's name, SHA-256 and cells (None: no file)."""
        if not self.cells:
            return None
        return {"file": self.path.name, "sha256": self._digest.hexdigest(), "cells": self.cells}


def read_spans(path: Path, sha256: str) -> Iterator[tuple[int, str, Spans]]:
    """The cells of a span file, in order, once its SHA-256 is checked.

    Raises:
        ConfigError: the file is missing or is not the one the report names.
        BadRecordError: a line is not a span record (file and line named).
    """
    try:
        digest = file_sha256(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}, where the release wrote the positions of its fpe outputs in "
            f"free text ({exc.strerror}): keep it beside the output, or pass --no-report to "
            "reverse encrypt tokens only"
        ) from None
    if digest != sha256:
        raise ConfigError(
            f"{path} is not the span file the release report names (another SHA-256): "
            "was it changed, or does it belong to another release?"
        )
    with path.open(encoding="utf-8", newline="") as handle:
        yield from _parse(handle, str(path))


def _parse(handle: IO[str], source: str) -> Iterator[tuple[int, str, Spans]]:
    last = -1
    for n, line in enumerate(handle, start=1):
        try:
            record = json.loads(line)
            row, column = record["row"], record["column"]
            spans = [(int(s), int(e), str(t)) for s, e, t in record["spans"]]
            if not isinstance(row, int) or not isinstance(column, str) or row < last:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise BadRecordError(source, n, "not a span record of desens release") from None
        last = row
        yield row, column, spans
