"""Read text and JSONL input record by record, with located errors.

Input is read as bytes, a line at a time, so memory stays flat on inputs of
any size. Each line is decoded as strict UTF-8 (a UTF-8 byte-order mark at the
start of the input is dropped); a line that is not valid UTF-8, not valid JSON,
not a JSON object, or lacks a string text field raises
:class:`~desens.errors.BadRecordError` naming the source, line and column.
Errors never quote the line's content.
"""

from __future__ import annotations

import csv
import decimal
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from desens.errors import BadRecordError

__all__ = [
    "JsonRecord",
    "TextLine",
    "check_flat",
    "chunked",
    "parse_json_object",
    "read_jsonl",
    "read_lines",
]

T = TypeVar("T")

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of plain text.

    Attributes:
        line: 1-based line number.
        offset: index of the line's first character in the whole decoded input.
        text: the line without its line ending.
    """

    line: int
    offset: int
    text: str


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One JSONL record: the parsed object and the text to analyze."""

    line: int
    obj: dict[str, Any]
    text: str


def _decode(raw: bytes, source: str, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRecordError(
            source,
            line,
            "invalid UTF-8 (byte column shown); re-encode the input as UTF-8",
            column=exc.start + 1,
        ) from None


def _numbered(stream: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        yield number, raw


def read_lines(
    stream: Iterable[bytes],
    source: str,
    skip: Callable[[BadRecordError], None] | None = None,
) -> Iterator[TextLine]:
    """Yield the lines of a UTF-8 text stream with their global offsets.

    A line that is not UTF-8 raises :class:`BadRecordError`, or with ``skip``
    is handed to it and left out; the offsets of later lines then count its
    undecodable bytes as one character each (U+FFFD).
    """
    offset = 0
    for number, raw in _numbered(stream):
        try:
            decoded = _decode(raw, source, number)
        except BadRecordError as exc:
            if skip is None:
                raise
            skip(exc)
            offset += len(raw.decode("utf-8", "replace"))
            continue
        text = decoded.rstrip("\r\n")
        yield TextLine(number, offset, text)
        offset += len(decoded)


def read_jsonl(
    stream: Iterable[bytes], source: str, text_field: str = "text"
) -> Iterator[JsonRecord | BadRecordError]:
    """Yield each JSONL record, or the error that makes it unusable.

    Errors are yielded rather than raised so that the caller decides whether
    to stop or skip. Blank lines are errors too: a JSONL line must hold an
    object.
    """
    for number, raw in _numbered(stream):
        try:
            decoded = _decode(raw, source, number)
            yield _parse(decoded.rstrip("\r\n"), source, number, text_field)
        except BadRecordError as exc:
            yield exc


# A JSON string escape: a \uXXXX code unit or a backslash and one character.
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)")


def _lone_surrogate(line: str) -> int | None:
    r"""The 1-based column of a \u escape that makes a lone surrogate, if any.

    ``json.loads`` accepts "\ud800" and gives a string no UTF-8 writer (and
    no recognizer) can take, so such a record is bad input. Escapes are read
    left to right, so an escaped backslash is never taken for one.
    """
    pending: re.Match[str] | None = None  # a high surrogate waiting for its low half
    for m in _ESCAPE.finditer(line):
        unit = int(m.group(1), 16) if m.group(1) else -1
        if pending is not None:
            if m.start() == pending.end() and 0xDC00 <= unit <= 0xDFFF:
                pending = None
                continue
            return pending.start() + 1
        if 0xD800 <= unit <= 0xDBFF:
            pending = m
        elif 0xDC00 <= unit <= 0xDFFF:
            return m.start() + 1
    return None if pending is None else pending.start() + 1


def parse_json_object(line: str, source: str, number: int) -> dict[str, Any]:
    """Parse one JSONL line that must hold a JSON object of valid Unicode strings.

    Raises:
        BadRecordError: naming ``source``, ``number`` and the column, never
            quoting the line.
    """
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadRecordError(source, number, f"invalid JSON: {exc.msg}", column=exc.colno) from None
    if not isinstance(obj, dict):
        raise BadRecordError(source, number, f"expected a JSON object, got {_kind(obj)}")
    if "\\" in line:
        column = _lone_surrogate(line)
        if column is not None:
            raise BadRecordError(
                source,
                number,
                "a \\u escape makes a lone surrogate, which is not a character; "
                "escape the pair, or the character itself",
                column=column,
            )
    return obj


def _parse(line: str, source: str, number: int, text_field: str) -> JsonRecord:
    obj = parse_json_object(line, source, number)
    if text_field not in obj:
        raise BadRecordError(
            source, number, f"no {text_field!r} field (use --text-field to name another)"
        )
    text = obj[text_field]
    if not isinstance(text, str):
        raise BadRecordError(
            source, number, f"field {text_field!r} is {_kind(text)}, expected a string"
        )
    return JsonRecord(number, obj, text)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items (the last one shorter), in order."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def check_flat(
    obj: dict[str, Any], source: str, number: int, dropped: frozenset[str] = frozenset()
) -> None:
    """Refuse a record whose field holds a JSON object or array.

    A table's cells are scalars: a nested value would pass through a release
    unscanned (or be encrypted as its Python text), so it is an error
    naming the field, never its content, unless the field is ``dropped``.

    Raises:
        BadRecordError: naming ``source``, ``number`` and the field.
    """
    for name, value in obj.items():
        if isinstance(value, dict | list) and name not in dropped:
            raise BadRecordError(
                source,
                number,
                f"field {name!r} holds {_kind(value)}; tables take flat records: flatten it, "
                "or drop the field",
            )


def csv_text(rows: Iterable[Sequence[Any]], delimiter: str) -> str:
    """Rows as CSV/TSV text, one record a line (LF), quoted as ``csv`` does.

    A field holding a CR is quoted too: ``csv.writer`` with an LF line
    terminator leaves it bare, and a reader then takes it for a line break
    (a cell starting with CR lost it, and the record shifted).
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    quoting = csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)
    batch: list[Sequence[Any]] = []
    for row in rows:
        if any(isinstance(v, str) and "\r" in v for v in row):
            writer.writerows(batch)
            batch = []
            quoting.writerow(row)
        else:
            batch.append(row)
    writer.writerows(batch)
    return out.getvalue()


def cell_text(value: Any) -> str | None:
    """The text a table cell is scanned as, or None for a cell that holds none.

    A phone stored as a JSON number or a Parquet integer is as much a leak as
    one stored as text. A float is scanned as its whole part (pandas writes
    an integer column with gaps as floats, ``13812345678.0``; a fraction's
    digits hold no identifier but look like one); bytes as UTF-8 (never as
    their ``b'...'`` repr); booleans, nested values (refused unless dropped:
    :func:`check_flat`), NaN and None as nothing.
    """
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, list, dict)):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (float, decimal.Decimal)):
        return str(int(value)) if math.isfinite(value) else None
    return str(value)
