"""Read and write tables row by row: CSV, TSV, JSONL and Parquet.

The format follows the file extension (``.csv``, ``.tsv``, ``.jsonl``,
``.parquet``) unless given. CSV and TSV input may be UTF-8 (with or without a
byte-order mark), GBK or GB18030, as Chinese spreadsheets are often exported:
:func:`detect_encoding` reads the first megabyte and picks UTF-8 if it decodes,
GB18030 (a superset of GBK) otherwise. Output text is UTF-8.

Readers yield ``(row_number, values)`` with values aligned to the header;
row numbers are the file's line numbers for CSV/TSV/JSONL (the header is line
1) and 1-based row indices for Parquet. A row that cannot be read raises
:class:`~desens.errors.BadRecordError` naming file, row and column, and what to
do, without quoting the row.

Writers go through :func:`desens.atomic.atomic_output`: the output appears only
when the whole table was written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from desens.atomic import Writeback, atomic_output
from desens.chunks import check_decoded, csv_error
from desens.errors import BadRecordError, ConfigError, InputError
from desens.records import csv_text, parse_json_object

__all__ = [
    "FORMATS",
    "TableReader",
    "TableWriter",
    "detect_encoding",
    "file_sha256",
    "format_of",
    "open_reader",
    "open_writer",
]

#: Bytes of an output written between two background syncs
#: (:class:`~desens.atomic.Writeback`).
SYNC_EVERY = 32 << 20

Format = Literal["csv", "tsv", "jsonl", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "tsv", "jsonl", "parquet")
_SUFFIX: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_ENCODINGS = {"utf-8", "utf-8-sig", "gbk", "gb18030", "gb2312"}
Row = list[Any]
_UNDECODED = re.compile("[\udc80-\udcff]")
# Valid multi-byte UTF-8 characters per bad byte above which a file is UTF-8.
_UTF8_MAJORITY = 8


def format_of(path: str | Path, override: str | None = None) -> Format:
    """The table format of ``path``: ``override`` if given, else by extension."""
    if override is not None:
        if override not in FORMATS:
            raise ConfigError(f"unknown format {override!r}; use one of {', '.join(FORMATS)}")
        return override
    fmt = _SUFFIX.get(Path(path).suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"{path}: cannot tell the format from the extension; "
            f"use --format ({', '.join(FORMATS)})"
        )
    return fmt


def detect_encoding(head: bytes) -> str:
    """``utf-8-sig`` when ``head`` is UTF-8 (BOM or not), else ``gb18030``.

    GB18030 decodes every GBK file identically and more besides. A UTF-8
    sequence cut off at the end of ``head`` does not count against UTF-8, and
    neither do a few bad bytes in a text that is otherwise clearly UTF-8
    (many valid multi-byte characters): that file is UTF-8 with a damaged
    row, and reading it as UTF-8 lets the error name that row and column
    instead of failing on the header as GB18030.
    """
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            text = head[: len(head) - 3].decode("utf-8", errors="surrogateescape")
            bad = len(_UNDECODED.findall(text))
            valid = sum(1 for c in text if ord(c) > 0x7F) - bad
            if valid < _UTF8_MAJORITY * bad:
                return "gb18030"
    return "utf-8-sig"


def _check_encoding(encoding: str) -> str:
    name = encoding.lower().replace("_", "-")
    if name == "utf8":
        name = "utf-8"
    if name not in _ENCODINGS:
        raise ConfigError(f"unsupported encoding {encoding!r}; use one of {sorted(_ENCODINGS)}")
    return "utf-8-sig" if name == "utf-8" else name


class TableReader(AbstractContextManager["TableReader"]):
    """Rows of one table file. Use :func:`open_reader`.

    Attributes:
        source: the file name used in messages.
        format: the table format.
        header: the column names.
        encoding: the text encoding read (None for Parquet).
        bytes_read: how much of the file has been consumed (for progress).
        size: the file size in bytes.
    """

    def __init__(self, path: Path, fmt: Format, encoding: str | None) -> None:
        self.source = str(path)
        self.format = fmt
        self.size = path.stat().st_size
        self._stack = ExitStack()
        self.encoding: str | None = None
        self._binary: IO[bytes] = self._stack.enter_context(open(path, "rb"))  # noqa: SIM115
        try:
            self._open(path, fmt, encoding)
        except BaseException:
            self._stack.close()  # a bad header or file must not leave the file open
            raise

    def _open(self, path: Path, fmt: Format, encoding: str | None) -> None:
        if fmt == "parquet":
            self._init_parquet(path)
        else:
            self.encoding = (
                _check_encoding(encoding)
                if encoding
                else detect_encoding(self._binary.read(1 << 20))
            )
            self._binary.seek(0)
            # surrogateescape: a bad byte becomes a lone surrogate in its field,
            # so the error can name the exact row and column (see _check_bytes).
            text = io.TextIOWrapper(
                self._binary, encoding=self.encoding, errors="surrogateescape", newline=""
            )
            self._text = self._stack.enter_context(text)
            if fmt == "jsonl":
                self._init_jsonl()
            else:
                self._init_csv("\t" if fmt == "tsv" else ",")

    @property
    def encoding_label(self) -> str:
        """The encoding as a user names it (``utf-8``, not ``utf-8-sig``)."""
        return (self.encoding or "").removesuffix("-sig")

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far (approximate for text formats: read-ahead)."""
        if self.format == "parquet":
            return int(self.size * self._pq_done / max(self._pq_rows, 1))
        return self._binary.tell() if not self._binary.closed else self.size

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    # -- CSV / TSV -------------------------------------------------------------

    def _init_csv(self, delimiter: str) -> None:
        self._csv = csv.reader(self._text, delimiter=delimiter, strict=True)
        first = self._next_csv()
        if first is None:
            raise InputError(f"{self.source}: the file is empty; a header row is needed")
        self.header = first
        self._check_header()

    def _check_bytes(self, values: Sequence[Any], line: int) -> None:
        check_decoded(values, self.source, line, self.encoding or "")

    def _next_csv(self) -> list[str] | None:
        start = self._csv.line_num + 1
        try:
            values = next(self._csv)
        except StopIteration:
            return None
        except csv.Error as exc:
            raise csv_error(self.source, exc, start, self._csv.line_num) from None
        self._check_bytes(values, self._csv.line_num)
        return values

    def _csv_rows(self) -> Iterator[tuple[int, Row]]:
        width = len(self.header)
        while (values := self._next_csv()) is not None:
            line = self._csv.line_num
            if not values:
                continue  # blank line
            if len(values) != width:
                raise BadRecordError(
                    self.source,
                    line,
                    f"{len(values)} fields, but the header has {width}; "
                    "fix the row or quote fields that contain the delimiter",
                    column=min(len(values), width) + 1,
                )
            yield line, values

    # -- JSONL -------------------------------------------------------------------

    def _init_jsonl(self) -> None:
        self._jsonl_line = 0
        first = self._next_jsonl()
        if first is None:
            raise InputError(f"{self.source}: the file is empty")
        self._first: dict[str, Any] | None = first
        self.header = list(first)
        self._check_header()

    def _next_jsonl(self) -> dict[str, Any] | None:
        while True:
            raw = self._text.readline()
            if not raw:
                return None
            self._jsonl_line += 1
            if not raw.strip():
                continue
            self._check_bytes([raw], self._jsonl_line)
            return parse_json_object(raw, self.source, self._jsonl_line)

    def _jsonl_rows(self) -> Iterator[tuple[int, Row]]:
        obj = self._first
        self._first = None
        while obj is not None:
            extra = set(obj) - set(self.header)
            if extra:
                raise BadRecordError(
                    self.source,
                    self._jsonl_line,
                    f"field {sorted(extra)[0]!r} is not in the first record; "
                    "every record must have the same fields",
                )
            yield self._jsonl_line, [obj.get(name) for name in self.header]
            obj = self._next_jsonl()

    # -- Parquet ---------------------------------------------------------------

    def _init_parquet(self, path: Path) -> None:
        import pyarrow.parquet as pq

        try:
            self._pq = pq.ParquetFile(self._binary)
        except Exception as exc:  # pyarrow raises its own error types
            raise InputError(
                f"{self.source}: not a readable Parquet file ({type(exc).__name__})"
            ) from None
        self.header = list(self._pq.schema_arrow.names)
        # Binary columns are read as UTF-8 text: writers store strings that
        # way, and bytes would pass the scans unread.
        import pyarrow as pa

        schema = self._pq.schema_arrow
        self._binary_columns = [i for i, f in enumerate(schema) if _is_binary(f.type)]
        for i in self._binary_columns:
            schema = schema.set(i, schema.field(i).with_type(pa.string()))
        self.arrow_schema = schema
        #: Binary columns left as bytes (set before reading: columns that are dropped).
        self.undecoded: frozenset[int] = frozenset()
        #: How bytes that are not UTF-8 are read: "strict" (an error) or
        #: "replace" (U+FFFD; for a sample that only classifies columns).
        self.binary_errors = "strict"
        self._pq_rows = self._pq.metadata.num_rows
        self._pq_done = 0
        self._check_header()

    def _parquet_rows(self) -> Iterator[tuple[int, Row]]:
        self._pq_done = 0
        for batch in self._pq.iter_batches(batch_size=8192):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for i in self._binary_columns:
                if i not in self.undecoded:
                    columns[i] = self._as_text(columns[i], i)
            for values in zip(*columns, strict=True):
                self._pq_done += 1
                yield self._pq_done, list(values)

    def _as_text(self, values: list[Any], column: int) -> list[str | None]:
        out: list[str | None] = []
        for n, value in enumerate(values):
            try:
                out.append(
                    None if value is None else bytes(value).decode("utf-8", self.binary_errors)
                )
            except UnicodeDecodeError:
                raise BadRecordError(
                    self.source,
                    self._pq_done + n + 1,
                    f"binary column {self.header[column]!r} holds bytes that are not UTF-8 "
                    "text; convert it to text, or drop it",
                    column=column + 1,
                ) from None
        return out

    # -- common -----------------------------------------------------------------

    def _check_header(self) -> None:
        seen: set[str] = set()
        for i, name in enumerate(self.header, start=1):
            if name in seen:
                raise BadRecordError(
                    self.source, 1, f"column {i} repeats the header name {name!r}", column=i
                )
            seen.add(name)

    def rows(self) -> Iterator[tuple[int, Row]]:
        """Yield ``(row_number, values)`` for every data row."""
        if self.format == "parquet":
            return self._parquet_rows()
        if self.format == "jsonl":
            return self._jsonl_rows()
        return self._csv_rows()


def open_reader(
    path: str | Path, fmt: str | None = None, encoding: str | None = None
) -> TableReader:
    """Open a table for reading; the format follows the extension unless given."""
    target = Path(path)
    kind = format_of(target, fmt)
    if not target.is_file():
        raise ConfigError(f"cannot read {target}: no such file")
    return TableReader(target, kind, encoding)


class _Sink:
    """What pyarrow writes a Parquet file through: into :meth:`TableWriter._put`.

    pyarrow writes a Parquet file front to back (it never seeks), so the
    bytes can be hashed and synced on the way like a text table's.
    """

    def __init__(self, writer: TableWriter) -> None:
        self._writer = writer
        self._size = 0

    def write(self, data: bytes) -> int:
        self._writer._put(data)
        self._size += len(data)
        return len(data)

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        self._writer._binary.flush()

    @property
    def closed(self) -> bool:
        return bool(self._writer._binary.closed)


class TableWriter(AbstractContextManager["TableWriter"]):
    """Write rows to a table file, atomically. Use :func:`open_writer`.

    Every format is written as bytes that are hashed on the way (see
    :meth:`sha256`) and synced in the background as the file grows
    (:class:`~desens.atomic.Writeback`); Parquet through pyarrow, which
    writes front to back.

    Args:
        path: the output file.
        fmt: its format.
        header: the column names.
        arrow_types: for Parquet, the Arrow type of each column (default string).
    """

    def __init__(
        self,
        path: Path,
        fmt: Format,
        header: Sequence[str],
        arrow_types: Sequence[Any] | None = None,
    ) -> None:
        self.path = path
        self.format = fmt
        self.header = list(header)
        self.rows_written = 0
        self._stack = ExitStack()
        binary = self._stack.enter_context(atomic_output(path, "wb"))
        self.temp_name = binary.name
        self._binary = binary
        self._writeback = Writeback(binary, SYNC_EVERY)
        self._stack.callback(self._writeback.close)
        self._digest = hashlib.sha256()
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            types = arrow_types or [pa.string()] * len(self.header)
            self._schema = pa.schema(list(zip(self.header, types, strict=True)))
            self._pq = pq.ParquetWriter(_Sink(self), self._schema)
            self._buffer: list[Row] = []
        elif fmt != "jsonl":
            self._put(self._csv_text([self.header]).encode("utf-8"))

    def _csv_text(self, rows: Sequence[Row]) -> str:
        return csv_text(rows, "\t" if self.format == "tsv" else ",")

    def _put(self, data: bytes) -> None:
        self._binary.write(data)
        self._digest.update(data)
        self._writeback.wrote(len(data))

    def sha256(self) -> str:
        """SHA-256 of what was written (for Parquet, complete once the writer is closed)."""
        return self._digest.hexdigest()

    def write_rows(self, rows: Sequence[Row]) -> None:
        """Append rows (values aligned with the header)."""
        if self.format == "parquet":
            self._buffer.extend(rows)
            if len(self._buffer) >= 65536:
                self._flush_parquet()
        elif self.format == "jsonl":
            dumps = json.dumps
            names = self.header
            text = "".join(
                dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n" for row in rows
            )
            self._put(text.encode("utf-8"))
        else:
            self._put(self._csv_text(rows).encode("utf-8"))
        self.rows_written += len(rows)

    def write_text(self, text: str, rows: int) -> None:
        """Append ``rows`` rows already formatted for this CSV/TSV/JSONL file."""
        self.write_bytes(text.encode("utf-8"), rows)

    def write_bytes(self, data: bytes, rows: int) -> None:
        """Append ``rows`` rows already formatted for this CSV/TSV/JSONL file, UTF-8 encoded."""
        if self.format == "parquet":
            raise TypeError("Parquet output takes rows, not text")
        self._put(data)
        self.rows_written += rows

    def _flush_parquet(self) -> None:
        import pyarrow as pa

        if self._buffer:
            columns = list(zip(*self._buffer, strict=True))
            table = pa.Table.from_arrays(
                [_arrow_array(col, f.type) for col, f in zip(columns, self._schema, strict=True)],
                schema=self._schema,
            )
            self._pq.write_table(table)
            self._buffer = []

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Finish the file, or (on an exception) discard it."""
        with self._stack:
            if self.format == "parquet":
                if exc_type is None:
                    self._flush_parquet()
                self._pq.close()
            if exc is not None:
                raise exc  # re-raised inside the stack, so atomic_output discards the file


def _is_binary(kind: Any) -> bool:
    """A Parquet column type whose cells are bytes (plain, large, fixed, view, dictionary)."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return _is_binary(kind.value_type)
    view = getattr(pa.types, "is_binary_view", None)
    return bool(
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
        or (view is not None and view(kind))
    )


def _arrow_array(values: Sequence[Any], kind: Any) -> Any:
    """``values`` as an Arrow array of ``kind``; a string column takes numbers as text.

    JSONL input has numbers and booleans where a text column of the output
    (its type unknown, so string) expects text: they are written as JSON
    writes them (``138``, ``true``).
    """
    import pyarrow as pa

    try:
        return pa.array(values, type=kind)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        if not pa.types.is_string(kind):
            raise
        return pa.array(
            [
                v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                for v in values
            ],
            type=kind,
        )


def open_writer(
    path: str | Path,
    header: Sequence[str],
    fmt: str | None = None,
    arrow_types: Sequence[Any] | None = None,
) -> TableWriter:
    """Open a table for atomic writing; the format follows the extension unless given."""
    target = Path(path)
    return TableWriter(target, format_of(target, fmt), header, arrow_types)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as release reports give it (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
