"""Split a text table into record-aligned chunks; parse and format them anywhere.

With ``--workers N`` the main process should do as little per row as
possible: it decodes the file and hands out chunks of whole records, and the
workers parse, transform and format them. :func:`raw_chunks` finds record
boundaries without building rows: for CSV and TSV it lets ``csv.reader`` (C
code) consume the lines and cuts after each record, so quoted fields that
span lines, doubled quotes and stray quotes inside unquoted fields (``5"3``)
are split exactly as the parser reads them; JSONL records are lines.
:class:`ChunkCodec`, a small picklable object, parses a chunk into rows (with
the file's line numbers in errors) and formats rows back into text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from desens.errors import BadRecordError

__all__ = [
    "ChunkCodec",
    "RawChunk",
    "check_decoded",
    "open_text",
    "raw_chunks",
    "skip_header",
]

_UNDECODED = re.compile("[\udc80-\udcff]")
Row = list[Any]


def check_decoded(values: Sequence[Any], source: str, line: int, encoding: str) -> None:
    """Raise if a field holds bytes the encoding could not decode.

    Text is decoded with ``errors="surrogateescape"``, so a bad byte becomes
    a lone surrogate in its field, and the error can name row and column.
    """
    if _UNDECODED.search("\x00".join(v for v in values if isinstance(v, str))):
        column = next(
            i for i, v in enumerate(values, 1) if isinstance(v, str) and _UNDECODED.search(v)
        )
        raise BadRecordError(
            source,
            line,
            f"bytes that are not valid {encoding.removesuffix('-sig')}; "
            "pass --encoding (utf-8, gbk, gb18030) or re-export the file",
            column=column,
        )


@dataclass(frozen=True, slots=True)
class RawChunk:
    """Whole records of a text table and the line the first one starts on."""

    first_line: int
    data: str


def _delimiter(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


def _records(text: IO[str], fmt: str, source: str, first_line: int) -> Iterator[str]:
    """Yield each record's text (one or more physical lines)."""
    if fmt == "jsonl":
        yield from text
        return
    lines: list[str] = []

    def feed() -> Iterator[str]:
        for line in text:
            lines.append(line)
            yield line

    reader = csv.reader(feed(), delimiter=_delimiter(fmt), strict=True)
    try:
        for _ in reader:
            # csv.reader pulls exactly the lines of one record before returning it.
            yield "".join(lines)
            lines.clear()
    except csv.Error as exc:
        raise BadRecordError(
            source, first_line + reader.line_num - 1, f"malformed CSV: {exc}"
        ) from None


def open_text(binary: IO[bytes], encoding: str) -> IO[str]:
    """Decode ``binary`` for :func:`skip_header` and :func:`raw_chunks`.

    Undecodable bytes become lone surrogates (see :func:`check_decoded`).
    """
    return io.TextIOWrapper(binary, encoding=encoding, errors="surrogateescape", newline="")


def skip_header(text: IO[str], fmt: str, source: str) -> int:
    """Consume the header record (CSV/TSV); return the first data record's line."""
    if fmt == "jsonl":
        return 1
    header = next(_records(text, fmt, source, 1), "")
    return 1 + header.count("\n")


def raw_chunks(
    text: IO[str], fmt: str, source: str, first_line: int, records: int
) -> Iterator[RawChunk]:
    """Chunks of ``records`` whole records from the current position of ``text``.

    Args:
        text: the decoded file (:func:`open_text`), positioned at a record.
        fmt: ``csv``, ``tsv`` or ``jsonl``.
        source: the file name for errors.
        first_line: the line number of that record.
        records: records per chunk.
    """
    line = first_line
    batch: list[str] = []
    start = line
    for record in _records(text, fmt, source, first_line):
        batch.append(record)
        line += record.count("\n")
        if len(batch) >= records:
            yield RawChunk(start, "".join(batch))
            batch, start = [], line
    if batch:
        yield RawChunk(start, "".join(batch))


@dataclass(frozen=True)
class ChunkCodec:
    """How to parse and format the records of one text table.

    Attributes:
        format: ``csv``, ``tsv`` or ``jsonl``.
        encoding: the input's text encoding (output is always UTF-8).
        source: the file name for error messages.
        header: the column names.
    """

    format: str
    encoding: str
    source: str
    header: tuple[str, ...]

    def parse(self, chunk: RawChunk) -> list[tuple[int, Row]]:
        """The chunk's rows as ``(line, values)``, checked like the table reader does."""
        text = chunk.data
        if self.format == "jsonl":
            return self._parse_jsonl(text, chunk.first_line)
        rows: list[tuple[int, Row]] = []
        width = len(self.header)
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=_delimiter(self.format), strict=True
        )
        base = chunk.first_line - 1
        try:
            for values in reader:
                line = base + reader.line_num
                if not values:
                    continue
                if len(values) != width:
                    raise BadRecordError(
                        self.source,
                        line,
                        f"{len(values)} fields, but the header has {width}; "
                        "fix the row or quote fields that contain the delimiter",
                        column=min(len(values), width) + 1,
                    )
                self._check_bytes(values, line)
                rows.append((line, values))
        except csv.Error as exc:
            raise BadRecordError(
                self.source, base + reader.line_num, f"malformed CSV: {exc}"
            ) from None
        return rows

    def _parse_jsonl(self, text: str, first_line: int) -> list[tuple[int, Row]]:
        rows: list[tuple[int, Row]] = []
        names = set(self.header)
        for n, raw in enumerate(text.splitlines(), start=first_line):
            if not raw.strip():
                continue
            self._check_bytes([raw], n)
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise BadRecordError(
                    self.source, n, f"invalid JSON: {exc.msg}", column=exc.colno
                ) from None
            if not isinstance(obj, dict):
                raise BadRecordError(self.source, n, "expected a JSON object")
            extra = set(obj) - names
            if extra:
                raise BadRecordError(
                    self.source,
                    n,
                    f"field {sorted(extra)[0]!r} is not in the first record; "
                    "every record must have the same fields",
                )
            rows.append((n, [obj.get(name) for name in self.header]))
        return rows

    def _check_bytes(self, values: Sequence[Any], line: int) -> None:
        check_decoded(values, self.source, line, self.encoding)

    def format_rows(self, header: Sequence[str], rows: Sequence[Row]) -> str:
        """Rows as output text in this codec's format (UTF-8, one record a line)."""
        if self.format == "jsonl":
            dumps = json.dumps
            return "".join(
                dumps(dict(zip(header, row, strict=True)), ensure_ascii=False) + "\n"
                for row in rows
            )
        out = io.StringIO()
        csv.writer(out, delimiter=_delimiter(self.format), lineterminator="\n").writerows(rows)
        return out.getvalue()
