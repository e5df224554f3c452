"""Record-aligned chunks parse to exactly the rows of the whole file."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desens.chunks import ChunkCodec, open_text, raw_chunks, skip_header
from desens.errors import BadRecordError


def _chunked_rows(
    data: bytes, fmt: str, header: tuple[str, ...], size: int, encoding: str = "utf-8"
):
    text = open_text(io.BytesIO(data), encoding)
    first = skip_header(text, fmt, "t")
    codec = ChunkCodec(fmt, encoding, "t", header)
    chunks = list(raw_chunks(text, fmt, "t", first, size))
    return chunks, [row for chunk in chunks for row in codec.parse(chunk)]


def test_stray_quote_and_multiline_field_split_like_the_parser() -> None:
    data = 'name,note\n张三,5"3 tall\n李四,"line1\nline2"\n王五,ok\n'.encode()
    chunks, rows = _chunked_rows(data, "csv", ("name", "note"), 1)
    assert len(chunks) == 3
    assert rows == [(2, ["张三", '5"3 tall']), (4, ["李四", "line1\nline2"]), (5, ["王五", "ok"])]


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


def test_malformed_quoting_is_located() -> None:
    data = b'a,b\n1,2\n3,"unterminated\n'
    with pytest.raises(BadRecordError) as info:
        _chunked_rows(data, "csv", ("a", "b"), 10)
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
QUOTED = st.text('ab",\t\n张 ', max_size=6)
FIELD = st.one_of(UNQUOTED.map(lambda t: _field(t, False)), QUOTED.map(lambda t: _field(t, True)))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(FIELD, min_size=2, max_size=2), min_size=1, max_size=8),
    size=st.integers(1, 3),
    fmt=st.sampled_from(["csv", "tsv"]),
)
def test_chunked_parse_equals_whole_file_parse(rows: list[list[str]], size: int, fmt: str) -> None:
    delimiter = "\t" if fmt == "tsv" else ","
    body = "x" + delimiter + "y\n" + "".join(delimiter.join(r) + "\n" for r in rows)
    expected = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))[1:]
    _, got = _chunked_rows(body.encode(), fmt, ("x", "y"), size)
    assert [values for _, values in got] == [r for r in expected if r]
