"""Split a text table into record-aligned chunks of bytes; parse and format them anywhere.

With ``--workers N`` the main process should do as little per row as
possible: it reads the file's bytes and cuts them at record boundaries
(:func:`raw_chunks`), and the workers decode, parse, transform, format and
encode each chunk; the main process writes the bytes back in order.

Where to cut, without decoding: in every supported encoding (UTF-8, GBK,
GB18030) the bytes of ``"``, ``,``, tab, CR and LF never occur inside a
multi-byte character, so record structure can be read on the raw bytes.

- JSONL records are lines: cut after the last LF.
- A CSV/TSV stretch without any ``"`` byte has no quoted field, so every LF
  ends a record: cut after the last LF.
- Otherwise ``csv.reader`` itself (C code) reads the stretch, decoded as
  Latin-1 (one character per byte), and the cut goes after the last record it
  completed. Quoted fields that span lines, doubled quotes and stray quotes
  inside unquoted fields (``5"3``) are therefore split exactly as the parser
  reads them.

:class:`ChunkCodec`, a small picklable object, parses a chunk into columns
(with the file's line numbers in errors) and formats columns back into bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import IO, Any, SupportsIndex

from desens.errors import BadRecordError
from desens.parallel import out_of_band
from desens.records import check_flat, csv_text, parse_json_object

__all__ = [
    "BOM",
    "TAPER",
    "ChunkCodec",
    "Parsed",
    "RawChunk",
    "check_decoded",
    "raw_chunks",
    "skip_header",
]

_UNDECODED = re.compile("[\udc80-\udcff]")
BOM = b"\xef\xbb\xbf"
Row = list[Any]
_BLOCK = 1 << 16
#: How much smaller the last chunks of a file get (see :func:`raw_chunks`).
TAPER = 8


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
    """Whole records of a text table, as bytes, and the line the first one starts on.

    In a worker, ``data`` is the ``bytearray`` it was read into from the pipe.
    """

    first_line: int
    data: bytes | bytearray

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        # The bytes cross a worker's pipe out of band, not copied into the pickle.
        return (_raw_chunk, (self.first_line, out_of_band(self.data, int(protocol))))


def _raw_chunk(first_line: int, data: bytes | bytearray | memoryview) -> RawChunk:
    if not isinstance(data, memoryview):
        return RawChunk(first_line, data)
    # Out of band, the bytes arrive as a read-only view of what they were read
    # into: take that buffer itself when the view is all of it.
    whole = data.obj
    if isinstance(whole, bytearray) and len(whole) == data.nbytes:
        return RawChunk(first_line, whole)
    return RawChunk(first_line, data.tobytes())


def _delimiter(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


def _record_ends(data: bytes, fmt: str) -> tuple[list[int], int | None]:
    """Byte offsets just past each record that ``csv.reader`` completes in ``data``.

    The last one may be a record cut short by the end of ``data``. Also
    returns, if the parser failed before the end of ``data``, the offset just
    past the line where it did (the worker that parses the chunk reports the
    error, with its line); a quoted field still open at the end is no failure.
    """
    end = 0
    ends: list[int] = []
    lines = io.StringIO(data.decode("latin-1"), newline="")

    def feed() -> Iterator[str]:
        nonlocal end
        for line in lines:
            end += len(line)
            yield line

    try:
        for _ in csv.reader(feed(), delimiter=_delimiter(fmt), strict=True):
            ends.append(end)
    except csv.Error:
        return ends, (end if end < len(data) else None)
    return ends, None


#: The longest CSV/TSV field, in characters (``csv``'s own default is 128 KiB,
#: shorter than some remarks); a quote that never closes is reported when
#: the field it opened reaches it, or at the end of the file.
FIELD_LIMIT = 16 << 20
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))


def csv_error(source: str, exc: csv.Error, start: int, line: int) -> BadRecordError:
    """A ``csv`` error as bad input, located at the record that caused it.

    A quote that never closes makes the reader run on to the end of the file
    (or to :data:`FIELD_LIMIT`): that is reported at the line where the
    record holding the quote starts.
    """
    text = str(exc)
    if "unexpected end of data" in text or "field larger than field limit" in text:
        return BadRecordError(
            source,
            start,
            f"malformed CSV: a quoted field in the record starting here does not close "
            f"({text}); check its quotes (a quote inside a field is written twice)",
        )
    return BadRecordError(source, line, f"malformed CSV: {text}")


def _cut(data: bytes, fmt: str, at_eof: bool) -> int:
    """Where to cut ``data`` (which starts at a record): after its last whole record.

    0 when no record is complete yet (read more).
    """
    if at_eof:
        return len(data)
    if fmt == "jsonl":  # a line break may be a lone CR, as the parser reads lines
        return max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1
    if b'"' not in data:
        cut = data.rfind(b"\n") + 1
        if cut or b"\r" not in data:
            return cut
    ends, failed = _record_ends(data, fmt)
    if failed is not None:
        return failed
    # The record that reaches the end of the data may go on in the next read
    # (a line without its break, or a CR whose LF is still to come).
    if ends and ends[-1] == len(data) and not data.endswith(b"\n"):
        ends.pop()
    return ends[-1] if ends else 0


def skip_header(binary: IO[bytes], fmt: str, encoding: str) -> int:
    """Position ``binary`` after the header record (CSV/TSV) and any BOM.

    Returns the line number of the first data record.
    """
    start = binary.tell()
    head = binary.read(len(BOM))
    skip = len(BOM) if head == BOM and encoding == "utf-8-sig" else 0
    if fmt == "jsonl":
        binary.seek(start + skip)
        return 1
    binary.seek(start + skip)
    data = b""
    while True:
        block = binary.read(_BLOCK)
        data += block
        ends, _ = _record_ends(data, fmt)
        cut = ends[0] if ends else len(data)
        if cut < len(data) or not block:
            break
    binary.seek(start + skip + cut)
    return 1 + data[:cut].count(b"\n")


def raw_chunks(
    binary: IO[bytes], fmt: str, first_line: int, size: int, end: int | None = None
) -> Iterator[RawChunk]:
    """Chunks of whole records, about ``size`` bytes each, from the position of ``binary``.

    Args:
        binary: the file, positioned at a record (see :func:`skip_header`).
        fmt: ``csv``, ``tsv`` or ``jsonl``.
        first_line: the line number of that record.
        size: bytes to read at a time; a chunk holds at least one record.
        end: the file's size, if known. The last ``TAPER * size`` bytes are
            then read in smaller and smaller chunks (each a ``TAPER``-th of
            what is left, down to ``size // TAPER``): with several workers,
            the run ends when the last of them finishes its last chunk, and
            small last chunks keep the others from waiting long for it.
    """
    line = first_line
    data = b""
    while True:
        want = size
        if end is not None:
            want = max(1, size // TAPER, min(size, (end - binary.tell()) // TAPER))
        block = binary.read(want)
        data = data + block if data else block
        if not data:
            return
        cut = _cut(data, fmt, at_eof=not block)
        if not cut:
            continue
        chunk = data[:cut] if cut < len(data) else data
        data = data[cut:]
        yield RawChunk(line, chunk)
        line += chunk.count(b"\n")


@dataclass(frozen=True)
class Parsed:
    """A parsed chunk: its columns and where each row came from."""

    columns: list[Sequence[Any]]
    rows: int
    line_of: Callable[[int], int]
    #: every value is a ``str`` (CSV and TSV)
    all_str: bool


@dataclass(frozen=True)
class ChunkCodec:
    """How to parse and format the records of one text table.

    Attributes:
        format: ``csv``, ``tsv`` or ``jsonl``.
        encoding: the input's text encoding (output is always UTF-8).
        source: the file name for error messages.
        header: the column names.
        dropped: JSONL fields that may hold objects or arrays (every other
            nested value is an error: tables take flat records).
    """

    format: str
    encoding: str
    source: str
    header: tuple[str, ...]
    #: JSONL fields that may hold objects or arrays (the release drops them).
    dropped: frozenset[str] = frozenset()

    def decode(self, chunk: RawChunk) -> tuple[str, bool]:
        """The chunk's text, and whether all of it decoded.

        Bytes the encoding cannot decode become lone surrogates (see
        :func:`check_decoded`).
        """
        # A BOM is only skipped at the start of the file (skip_header).
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        try:
            return chunk.data.decode(encoding), True
        except UnicodeDecodeError:
            return chunk.data.decode(encoding, "surrogateescape"), False

    def parse_columns(self, chunk: RawChunk) -> Parsed:
        """The chunk's rows as columns, checked like the table reader does."""
        text, decoded = self.decode(chunk)
        first = chunk.first_line
        if decoded and self.format != "jsonl" and '"' not in text and "\x00" not in text:
            plain = text
            if "\r" in plain and plain.count("\r") == plain.count("\r\n"):
                plain = plain.replace("\r\n", "\n")  # Windows line ends: the same records
            fast = None if "\r" in plain else self._split(plain, first)
            if fast is not None:
                return fast
        rows = self.parse_text(text, first)
        lines = [line for line, _ in rows]
        columns: list[Sequence[Any]] = (
            list(zip(*(values for _, values in rows), strict=True))
            if rows
            else [() for _ in self.header]
        )
        return Parsed(columns, len(rows), lines.__getitem__, self.format != "jsonl")

    def _split(self, text: str, first: int) -> Parsed | None:
        """Text without quotes or CRs: every LF ends a record, every delimiter a field.

        None when a row is irregular (the full parser then reports it).
        """
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        line_of: Callable[[int], int] = first.__add__
        if "" in lines:  # blank lines: skipped, as csv.reader does
            kept = [n for n, line in enumerate(lines) if line]
            lines = [lines[n] for n in kept]
            line_of = lambda i: first + kept[i]  # noqa: E731
        delimiter = _delimiter(self.format)
        width = len(self.header)
        if not lines:
            return Parsed([() for _ in self.header], 0, line_of, True)
        if set(map(str.count, lines, repeat(delimiter, len(lines)))) != {width - 1}:
            return None
        # Every line has width fields: split all at once, take every width-th.
        fields = delimiter.join(lines).split(delimiter) if width > 1 else lines
        columns: list[Sequence[Any]] = [fields[i::width] for i in range(width)]
        return Parsed(columns, len(lines), line_of, True)

    def parse(self, chunk: RawChunk) -> list[tuple[int, Row]]:
        """The chunk's rows as ``(line, values)``, checked like the table reader does."""
        return self.parse_text(self.decode(chunk)[0], chunk.first_line)

    def parse_text(self, text: str, first_line: int) -> list[tuple[int, Row]]:
        """Rows of decoded chunk text that starts on line ``first_line``."""
        if self.format == "jsonl":
            return self._parse_jsonl(text, first_line)
        rows: list[tuple[int, Row]] = []
        width = len(self.header)
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=_delimiter(self.format), strict=True
        )
        base = first_line - 1
        start = first_line  # where the record being read begins
        try:
            for values in reader:
                line = base + reader.line_num
                start = line + 1
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
            raise csv_error(self.source, exc, start, base + reader.line_num) from None
        return rows

    def _parse_jsonl(self, text: str, first_line: int) -> list[tuple[int, Row]]:
        rows: list[tuple[int, Row]] = []
        names = set(self.header)
        for n, raw in enumerate(text.splitlines(), start=first_line):
            if not raw.strip():
                continue
            self._check_bytes([raw], n)
            obj = parse_json_object(raw, self.source, n)
            check_flat(obj, self.source, n, self.dropped)
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
        return csv_text(rows, _delimiter(self.format))

    def format_columns(self, header: Sequence[str], columns: Sequence[Sequence[Any]]) -> bytes:
        """Columns (at least one) as output bytes, exactly as :meth:`format_rows` writes them."""
        text = self._join(columns) if self.format != "jsonl" else None
        if text is None:
            text = self.format_rows(header, [list(row) for row in zip(*columns, strict=True)])
        return text.encode("utf-8")

    def _join(self, columns: Sequence[Sequence[Any]]) -> str | None:
        """The CSV text of columns that need no quoting, else None.

        ``csv.writer`` quotes a field holding the delimiter, a quote or a line
        break, and a row's only field when it is empty; without those, and
        with text values only, a record is its fields joined by the delimiter.
        The joined text shows it: exactly one delimiter between fields and one
        line break per record, and no quote or CR anywhere.
        """
        delimiter = _delimiter(self.format)
        width = len(columns)
        try:
            records = list(map(delimiter.join, zip(*columns, strict=True)))
        except TypeError:  # numbers or None (from Parquet): the writer's rules
            return None
        if not records:
            return ""
        if width == 1 and "" in records:
            return None
        text = "\n".join(records) + "\n"
        n = len(records)
        if '"' in text or "\r" in text or text.count("\n") != n:
            return None
        if text.count(delimiter) != n * (width - 1):
            return None
        return text
