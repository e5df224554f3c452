"""Record-aligned chunks parse to exactly the rows of the whole file."""

from __future__ import annotations

import copy
import csv
import io
import os
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desens.chunks import TAPER, ChunkCodec, RawChunk, raw_chunks, skip_header
from desens.errors import BadRecordError
from desens.parallel import _message, _receive


def _chunked_rows(
    data: bytes,
    fmt: str,
    header: tuple[str, ...],
    size: int,
    encoding: str = "utf-8",
    end: int | None = None,
):
    """Chunks read ``size`` bytes at a time, and their rows parsed both ways."""
    binary = io.BytesIO(data)
    first = skip_header(binary, fmt, encoding)
    codec = ChunkCodec(fmt, encoding, "t", header)
    chunks = list(raw_chunks(binary, fmt, first, size, end))
    rows = [row for chunk in chunks for row in codec.parse(chunk)]
    by_columns = []
    for chunk in chunks:
        parsed = codec.parse_columns(chunk)
        by_columns += [
            (parsed.line_of(i), list(values))
            for i, values in enumerate(zip(*parsed.columns, strict=True))
        ]
    assert by_columns == rows
    assert b"".join(c.data for c in chunks) == data[len(data) - sum(len(c.data) for c in chunks) :]
    return chunks, rows


def test_stray_quote_and_multiline_field_split_like_the_parser() -> None:
    data = 'name,note\n张三,5"3 tall\n李四,"line1\nline2"\n王五,ok\n'.encode()
    chunks, rows = _chunked_rows(data, "csv", ("name", "note"), 1)
    assert len(chunks) == 3
    assert rows == [(2, ["张三", '5"3 tall']), (4, ["李四", "line1\nline2"]), (5, ["王五", "ok"])]
    assert [c.first_line for c in chunks] == [2, 3, 5]


def test_chunks_without_quotes_cut_at_line_breaks() -> None:
    data = b"a,b\n1,2\n\n3,4\n5,6"
    chunks, rows = _chunked_rows(data, "csv", ("a", "b"), 5)
    assert [c.data for c in chunks] == [b"1,2\n\n", b"3,4\n", b"5,6"]
    assert rows == [(2, ["1", "2"]), (4, ["3", "4"]), (5, ["5", "6"])]


def test_last_chunks_of_a_known_size_get_smaller() -> None:
    data = b"a,b\n" + b"".join(b"%07d,x\n" % i for i in range(4000))  # 10-byte records
    size = 4000
    whole, rows = _chunked_rows(data, "csv", ("a", "b"), size)
    tapered, tapered_rows = _chunked_rows(data, "csv", ("a", "b"), size, end=len(data))
    assert tapered_rows == rows
    lengths = [len(c.data) for c in tapered]
    assert lengths[0] == size  # far from the end: full chunks
    assert len(tapered) > len(whole)
    assert max(lengths[-5:]) <= size // TAPER + 10  # the last ones: an eighth, to a record
    assert lengths[-12:] == sorted(lengths[-12:], reverse=True)


def test_bare_carriage_returns_end_records() -> None:
    data = b'a,b\r1,"x"\r3,4\r5,6\r'
    chunks, rows = _chunked_rows(data, "csv", ("a", "b"), 4)
    assert len(chunks) > 1
    assert [values for _, values in rows] == [["1", "x"], ["3", "4"], ["5", "6"]]


def test_jsonl_records_are_lines_even_with_escaped_quotes() -> None:
    data = b'{"text": "a\\"b"}\n{"text": "c"}\n{"text": "d"}\n'
    chunks, rows = _chunked_rows(data, "jsonl", ("text",), 1)
    assert [c.first_line for c in chunks] == [1, 2, 3]
    assert rows == [(1, ['a"b']), (2, ["c"]), (3, ["d"])]


def test_gbk_bytes_and_bom() -> None:
    data = '姓名,备注\n张三,"含,逗号"\n'.encode("gbk")
    _, rows = _chunked_rows(data, "csv", ("姓名", "备注"), 2, encoding="gb18030")
    assert rows == [(2, ["张三", "含,逗号"])]
    _, rows = _chunked_rows("\ufeffa,b\n1,2\n".encode(), "csv", ("a", "b"), 2, "utf-8-sig")
    assert rows == [(2, ["1", "2"])]


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_malformed_quoting_is_located(size: int) -> None:
    data = b'a,b\n1,2\n3,"unterminated\n'
    with pytest.raises(BadRecordError) as info:
        _chunked_rows(data, "csv", ("a", "b"), size)
    assert (info.value.line, "malformed CSV" in info.value.reason) == (3, True)


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_a_quote_that_never_closes_is_located_where_its_record_starts(size: int) -> None:
    data = b'a,b\n1,2\n3,"opened\n' + b"4,5\n" * 300
    with pytest.raises(BadRecordError) as info:
        _chunked_rows(data, "csv", ("a", "b"), size)
    assert info.value.line == 3 and "does not close" in info.value.reason


@pytest.mark.parametrize("size", [1, 9, 1000])
def test_text_after_a_closing_quote_is_located(size: int) -> None:
    data = b'a,b\n1,2\n3,"x"y\n5,6\n'
    with pytest.raises(BadRecordError) as info:
        _chunked_rows(data, "csv", ("a", "b"), size)
    assert (info.value.line, "malformed CSV" in info.value.reason) == (3, True)


def _field(text: str, quoted: bool) -> str:
    if quoted:
        return '"' + text.replace('"', '""') + '"'
    return text


# Unquoted fields may hold a stray quote after their first character (5"3);
# quoted fields may hold anything, delimiters and line breaks included.
UNQUOTED = st.builds(
    lambda a, b: a + b, st.text("ab5张", min_size=1, max_size=3), st.text('ab"', max_size=3)
)
QUOTED = st.text('ab",\t\n\r张丨 ', max_size=6)
FIELD = st.one_of(UNQUOTED.map(lambda t: _field(t, False)), QUOTED.map(lambda t: _field(t, True)))


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.lists(FIELD, min_size=2, max_size=2), min_size=1, max_size=8),
    size=st.integers(1, 40),
    fmt=st.sampled_from(["csv", "tsv"]),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
    ending=st.sampled_from(["\n", "\r\n"]),
    tapered=st.booleans(),
)
def test_chunked_parse_equals_whole_file_parse(
    rows: list[list[str]], size: int, fmt: str, encoding: str, ending: str, tapered: bool
) -> None:
    delimiter = "\t" if fmt == "tsv" else ","
    body = "x" + delimiter + "y" + ending + "".join(delimiter.join(r) + ending for r in rows)
    expected = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))[1:]
    data = body.encode(encoding)
    end = len(data) if tapered else None
    _, got = _chunked_rows(data, fmt, ("x", "y"), size, encoding, end)
    assert [values for _, values in got] == [r for r in expected if r]


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([["a,b"]], id="one-column-with-delimiter"),
        pytest.param([[""]], id="one-empty-column"),
        pytest.param([["a", "b\nc"]], id="line-break"),
        pytest.param([["a", 'b"']], id="quote"),
        pytest.param([["a", "b\r"]], id="carriage-return"),
        pytest.param([["a", None], ["b", 1]], id="not-text"),
        pytest.param([["张三", "x"], ["李四", ""]], id="plain"),
    ],
)
def test_formatting_columns_cases(rows: list[list]) -> None:
    codec = ChunkCodec("csv", "utf-8", "o", tuple(f"c{i}" for i in range(len(rows[0]))))
    expected = codec.format_rows(codec.header, rows).encode()
    assert codec.format_columns(codec.header, list(zip(*rows, strict=True))) == expected


@settings(max_examples=300, deadline=None)
@given(
    columns=st.integers(1, 3).flatmap(
        lambda width: st.lists(
            st.lists(st.text('ab,\t"\n\r张 ', max_size=3), min_size=width, max_size=width),
            max_size=5,
        )
    ),
    fmt=st.sampled_from(["csv", "tsv", "jsonl"]),
)
def test_formatting_columns_equals_formatting_rows(columns: list[list[str]], fmt: str) -> None:
    rows = columns  # generated as rows; transpose for the column API
    if not rows:
        return
    header = [f"c{i}" for i in range(len(rows[0]))]
    codec = ChunkCodec(fmt, "utf-8", "o", tuple(header))
    by_columns = codec.format_columns(header, list(zip(*rows, strict=True)))
    assert by_columns == codec.format_rows(header, rows).encode()


def test_windows_line_ends_take_the_fast_path_with_the_same_rows_and_lines(monkeypatch) -> None:
    data = b"a,b\r\n1,2\r\n\r\n3,4\r\n"
    _, rows = _chunked_rows(data, "csv", ("a", "b"), 100)
    assert rows == [(2, ["1", "2"]), (4, ["3", "4"])]
    monkeypatch.setattr(
        ChunkCodec, "parse_text", lambda *a: pytest.fail("took the csv.reader path")
    )
    parsed = ChunkCodec("csv", "utf-8", "t", ("a", "b")).parse_columns(RawChunk(2, data[5:]))
    assert [list(c) for c in parsed.columns] == [["1", "3"], ["2", "4"]]
    assert [parsed.line_of(i) for i in range(parsed.rows)] == [2, 4]


def _through_a_pipe(chunk: RawChunk) -> RawChunk:
    """``chunk`` sent as the workers' pipes send it, read back as a worker reads it."""
    wire = b"".join(bytes(piece) for piece in _message(chunk))
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, wire)
        data, buffers = _receive(read_fd)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    received: RawChunk = pickle.loads(data, buffers=buffers)
    return received


def test_raw_chunk_crosses_a_pipe_and_pickles_again() -> None:
    chunk = RawChunk(7, "姓名,电话\n张伟,13800138000\n".encode())
    received = _through_a_pipe(chunk)
    assert received == RawChunk(7, bytearray(chunk.data))  # the buffer it was read into
    assert isinstance(received.data, bytearray)
    # A worker's chunk goes on as any other: pickled in and out of band, copied, sent again.
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(received, protocol)).data == chunk.data
    assert copy.copy(received).data == copy.deepcopy(received).data == chunk.data
    assert _through_a_pipe(received).data == chunk.data


def test_raw_chunk_from_part_of_a_buffer_takes_only_that_part() -> None:
    pickled = pickle.dumps(RawChunk(1, b"abc\n"), protocol=5, buffer_callback=lambda _: False)
    larger = memoryview(bytearray(b"XXabc\nYY"))[2:6].toreadonly()
    assert pickle.loads(pickled, buffers=[larger]) == RawChunk(1, b"abc\n")
