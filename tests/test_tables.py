"""Table readers and writers: formats, encodings, located errors, atomic output."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from desens import tables
from desens.errors import BadRecordError, ConfigError, InputError
from desens.tables import detect_encoding, format_of, open_reader, open_writer

HEADER = ["姓名", "备注"]
ROWS = [["张三", "联系电话，已受理"], ["李四", "无"]]
CSV = "姓名,备注\n张三,联系电话，已受理\n李四,无\n"


Read = tuple[list[str], list[tuple[int, list[str]]], str | None]


def read_all(path: Path, **kwargs: str) -> Read:
    with open_reader(path, **kwargs) as reader:
        return reader.header, list(reader.rows()), reader.encoding_label or None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(CSV.encode("utf-8"), "utf-8-sig", id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + CSV.encode("utf-8"), "utf-8-sig", id="utf-8-bom"),
        pytest.param(CSV.encode("gbk"), "gb18030", id="gbk"),
        pytest.param(CSV.encode("gb18030") + "𠀀".encode("gb18030"), "gb18030", id="gb18030"),
        pytest.param(b"plain ascii", "utf-8-sig", id="ascii"),
        pytest.param("中文".encode()[:-1], "utf-8-sig", id="utf-8-cut-at-the-end"),
        pytest.param(
            (CSV * 3).encode("utf-8") + b"\xff" + CSV.encode("utf-8"),
            "utf-8-sig",
            id="utf-8-with-one-bad-byte",
        ),
    ],
)
def test_detect_encoding(data: bytes, expected: str) -> None:
    assert detect_encoding(data) == expected


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b"")],
)
def test_csv_in_each_encoding_reads_the_same(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(bom + CSV.encode(encoding))
    header, rows, detected = read_all(path)
    assert header == HEADER  # no BOM in the first name
    assert [values for _, values in rows] == ROWS
    assert [line for line, _ in rows] == [2, 3]
    assert detected == ("utf-8" if encoding == "utf-8" else "gb18030")
    assert read_all(path, encoding=encoding)[1] == rows


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a,b\n1,2\n3\n", r"t\.csv:3:2: 1 fields, but the header has 2", id="short"),
        pytest.param("a,b\n1,2,3\n", r"t\.csv:2:3: 3 fields, but the header has 2", id="long"),
        pytest.param('a,b\n1,"2\n', r"t\.csv:\d+: malformed CSV", id="unclosed-quote"),
        pytest.param(
            'a,b\n1,"2\n' + "3,4\n" * 50, r"t\.csv:2: malformed CSV: a quoted field", id="runaway"
        ),
        pytest.param("a,a\n1,2\n", r"t\.csv:1:2: column 2 repeats the header name", id="dup"),
    ],
)
def test_csv_errors_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadRecordError, match=message):
        read_all(path)


def test_a_field_longer_than_csvs_default_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1," + "长" * 200_000 + "\n", encoding="utf-8")
    assert len(read_all(path)[1][0][1][1]) == 200_000


def test_undecodable_bytes_name_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(("a,b,c\n" + "甲,乙,丙\n" * 10).encode("utf-8") + b"1,2,\xff\n")
    with pytest.raises(BadRecordError) as info:
        read_all(path)
    assert (info.value.line, info.value.column) == (12, 3)
    assert "not valid utf-8" in str(info.value) and "--encoding" in str(info.value)
    with pytest.raises(BadRecordError, match=r"t\.csv:2:1: bytes that are not valid gbk"):
        read_all(path, encoding="gbk")


def test_empty_file_and_unknown_format(tmp_path: Path) -> None:
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_all(empty)
    with pytest.raises(ConfigError, match="--format"):
        format_of(tmp_path / "x.xlsx")
    with pytest.raises(ConfigError, match="unknown format"):
        format_of("x.csv", "xlsx")
    assert format_of("x.data", "tsv") == "tsv"
    with pytest.raises(ConfigError, match="unsupported encoding"):
        read_all(empty, encoding="latin-1")
    with pytest.raises(ConfigError, match="no such file"):
        read_all(tmp_path / "missing.csv")


def test_jsonl_rows_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"a": 1, "b": "x"}\n\n{"b": "y"}\n{"a": 2, "c": 3}\n', encoding="utf-8")
    with open_reader(path) as reader:
        assert reader.header == ["a", "b"]
        rows = reader.rows()
        assert next(rows) == (1, [1, "x"])
        assert next(rows) == (3, [None, "y"])  # a missing field is None
        with pytest.raises(BadRecordError, match=r"t\.jsonl:4: field 'c' is not in the first"):
            next(rows)
    path.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    with pytest.raises(BadRecordError, match=r"t\.jsonl:2:\d+: invalid JSON"):
        read_all(path)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_round_trip_each_format(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"t.{fmt}"
    with open_writer(path, HEADER) as writer:
        writer.write_rows(ROWS)
    assert writer.rows_written == 2
    header, rows, _ = read_all(path)
    assert header == HEADER
    assert [values for _, values in rows] == ROWS
    assert list(tmp_path.iterdir()) == [path]


def test_parquet_keeps_given_types(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"n": [1, 2], "s": ["a", None]}), src)
    with open_reader(src) as reader:
        assert [v for _, v in reader.rows()] == [[1, "a"], [2, None]]
        types = [f.type for f in reader.arrow_schema]
    out = tmp_path / "out.parquet"
    with open_writer(out, ["n", "s"], arrow_types=types) as writer:
        writer.write_rows([[1, "a"], [2, None]])
    assert pq.read_table(out).schema.field("n").type == pa.int64()


def test_not_parquet_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_all(path)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_writer_leaves_nothing_on_failure(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"t.{fmt}"
    with pytest.raises(RuntimeError), open_writer(path, HEADER) as writer:
        writer.write_rows(ROWS)
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_jsonl_writer_keeps_unicode_and_order(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with open_writer(path, HEADER) as writer:
        writer.write_rows(ROWS)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == json.dumps(dict(zip(HEADER, ROWS[0], strict=True)), ensure_ascii=False)


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The file sizes of the background syncs, one every 1,000 bytes written."""
    sizes: list[int] = []
    real = os.fdatasync

    def fdatasync(fd: int) -> None:
        sizes.append(os.fstat(fd).st_size)
        real(fd)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(tables, "SYNC_EVERY", 1000)
    return sizes


def test_text_writer_syncs_in_the_background_and_joins_before_the_end(
    tmp_path: Path, synced: list[int]
) -> None:
    target = tmp_path / "out.csv"
    with open_writer(target, ["a", "b"]) as writer:
        for i in range(100):
            writer.write_rows([[str(i) * 20, "x" * 30]])  # about 70 bytes a row, 7 KB in all
    size = target.stat().st_size
    assert synced and 1000 <= synced[0] < size  # synced on the way, not only at the end
    assert not [t for t in threading.enumerate() if t.name == "desens-writeback"]
    assert target.read_text(encoding="utf-8").count("\n") == 101


def test_parquet_writer_hashes_and_syncs_what_pyarrow_writes(
    tmp_path: Path, synced: list[int]
) -> None:
    target = tmp_path / "out.parquet"
    with open_writer(target, ["a"]) as writer:
        for i in range(3):  # a row group is written every 65,536 rows
            writer.write_rows([[f"{i}-{n}"] for n in range(70_000)])
    data = target.read_bytes()
    assert writer.sha256() == hashlib.sha256(data).hexdigest()
    assert synced and synced[0] < len(data)  # synced on the way, not only at the end
    assert pq.read_table(target).num_rows == 210_000


def test_text_writer_fails_on_a_failed_background_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fdatasync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(tables, "SYNC_EVERY", 100)
    target = tmp_path / "out.jsonl"
    with pytest.raises(OSError, match="Input/output error"), open_writer(target, ["a"]) as w:
        w.write_rows([["x" * 200]])
    assert list(tmp_path.iterdir()) == []
