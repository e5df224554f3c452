from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desens.errors import BadRecordError
from desens.records import JsonRecord, csv_text, read_jsonl, read_lines


def _jsonl(data: bytes, field: str = "text") -> list[JsonRecord | BadRecordError]:
    return list(read_jsonl(io.BytesIO(data), "in.jsonl", field))


def test_lines_have_global_offsets_and_numbers() -> None:
    data = "\ufeff第一行\r\n第二行abc\n\n末行".encode()
    lines = list(read_lines(io.BytesIO(data), "in.txt"))
    assert [(x.line, x.offset, x.text) for x in lines] == [
        (1, 0, "第一行"),
        (2, 5, "第二行abc"),
        (3, 12, ""),
        (4, 13, "末行"),
    ]


def test_invalid_utf8_names_line_and_byte_column() -> None:
    data = "好\n".encode() + b"ab\xff\xfecd\n"
    with pytest.raises(BadRecordError) as info:
        list(read_lines(io.BytesIO(data), "in.txt"))
    assert (info.value.source, info.value.line, info.value.column) == ("in.txt", 2, 3)
    assert str(info.value).startswith("in.txt:2:3: invalid UTF-8")


@pytest.mark.parametrize(
    ("line", "reason", "column"),
    [
        pytest.param(b'{"text": "a"', "invalid JSON", 13, id="truncated"),
        pytest.param(b"[1, 2]", "expected a JSON object, got an array", None, id="array"),
        pytest.param(b'{"body": "x"}', "no 'text' field", None, id="missing-field"),
        pytest.param(b'{"text": 42}', "field 'text' is a number", None, id="number"),
        pytest.param(b'{"text": null}', "field 'text' is null", None, id="null"),
        pytest.param(b"", "invalid JSON", 1, id="blank-line"),
        pytest.param(b'{"text": "a\\ud800"}', "lone surrogate", 12, id="lone-high"),
        pytest.param(b'{"text": "a", "n": "\\udc80"}', "lone surrogate", 21, id="lone-low"),
        pytest.param(b'{"text": "\\ud83d\\ud83d\\ude00"}', "lone surrogate", 11, id="high-high"),
    ],
)
def test_bad_jsonl_records_are_located(line: bytes, reason: str, column: int | None) -> None:
    out = _jsonl(b'{"text": "ok"}\n' + line + b"\n")
    assert isinstance(out[0], JsonRecord)
    err = out[1]
    assert isinstance(err, BadRecordError)
    assert (err.line, err.column) == (2, column)
    assert reason in err.reason


@pytest.mark.parametrize(
    "line",
    [
        b'{"text": "\\ud83d\\ude00 ok"}',  # a pair: one character
        b'{"text": "\\\\ud800"}',  # an escaped backslash, then plain text
        b'{"text": "\\u4e2d\\n\\"q\\""}',
    ],
)
def test_valid_escapes_are_not_surrogate_errors(line: bytes) -> None:
    (record,) = _jsonl(line + b"\n")
    assert isinstance(record, JsonRecord)
    assert record.text.encode("utf-8")  # a string UTF-8 can carry


def test_lone_surrogate_is_a_located_cli_error(tmp_path) -> None:
    import subprocess
    import sys

    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"text": "ok"}\n{"text": "x\\udc80 13812345678"}\n')
    out = tmp_path / "out.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "desens", "analyze", "--jsonl", str(src), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert f"{src}:2:12: a \\u escape makes a lone surrogate" in run.stderr
    assert "Traceback" not in run.stderr and "13812345678" not in run.stderr
    assert not out.exists()


def test_error_never_quotes_the_record() -> None:
    secret = "440703198503122014"
    out = _jsonl(f'{{"text": {secret}0x}}\n'.encode())
    assert isinstance(out[0], BadRecordError)
    assert secret not in str(out[0])


def test_text_field_is_configurable_and_object_kept() -> None:
    (record,) = _jsonl('{"id": 7, "body": "内容"}\n'.encode(), field="body")
    assert isinstance(record, JsonRecord)
    assert (record.line, record.text, record.obj) == (1, "内容", {"id": 7, "body": "内容"})


def test_bad_record_error_survives_pickle() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(BadRecordError("in.csv", 3, "ragged", column=2)))
    assert (err.source, err.line, err.reason, err.column) == ("in.csv", 3, "ragged", 2)
    assert str(err) == "in.csv:3:2: ragged"


@settings(max_examples=300)
@given(st.lists(st.lists(st.text('a,\t"\r\n 1张', max_size=6), min_size=2, max_size=3), max_size=5))
def test_csv_text_reads_back_as_written(rows: list[list[str]]) -> None:
    for delimiter in (",", "\t"):
        text = csv_text(rows, delimiter)
        back = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        assert back == rows
