"""Cells that are not text (JSON numbers, Parquet integers and bytes) are scanned too."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from desens.errors import BadRecordError
from desens.policy import parse_policy
from desens.release import ReleaseOptions, ResidualDataError, release
from desens.tables import open_reader

PHONES = [13800138000 + 7919 * i for i in range(6)]

SCAN = """\
name: p
data_class: custom
entities:
  PHONE_NUMBER: {operator: mask}
columns:
  - {name: 编号, operator: keep}
  - {name: 备注, scan: true}
"""
KEEP = SCAN.replace("{name: 备注, scan: true}", "{name: 备注, operator: keep}")


def _jsonl(path: Path) -> Path:
    lines = [json.dumps({"编号": i, "备注": phone}) for i, phone in enumerate(PHONES)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _parquet(path: Path, column: pa.Array) -> Path:
    pq.write_table(pa.table({"编号": list(range(len(column))), "备注": column}), path)
    return path


def _cells(path: Path) -> list[list[object]]:
    with open_reader(path) as reader:
        return [row for _, row in reader.rows()]


@pytest.mark.parametrize("out_name", ["out.jsonl", "out.parquet", "out.csv"])
def test_numbers_in_a_scanned_column_are_found_and_come_out_as_text(
    tmp_path: Path, out_name: str
) -> None:
    src = _jsonl(tmp_path / "in.jsonl")
    out = tmp_path / out_name
    report = release(ReleaseOptions(src, out, parse_policy(SCAN)))
    assert report.entities == {"PHONE_NUMBER": len(PHONES)}
    cells = _cells(out)
    assert [c[1] for c in cells] == [f"{str(p)[:3]}****{str(p)[-4:]}" for p in PHONES]
    assert report.residual_scan["passed"] is True


def test_numbers_in_a_kept_column_fail_the_residual_scan(tmp_path: Path) -> None:
    for src in (
        _jsonl(tmp_path / "in.jsonl"),
        _parquet(tmp_path / "in.parquet", pa.array(PHONES, pa.int64())),
    ):
        with pytest.raises(ResidualDataError) as info:
            release(ReleaseOptions(src, tmp_path / "out.jsonl", parse_policy(KEEP)))
        (finding,) = info.value.report.residual_scan["findings"]  # type: ignore[attr-defined]
        assert finding == {
            "column": "备注", "entity": "PHONE_NUMBER", "count": 6, "lines": [1, 2, 3, 4, 5, 6],
        }  # fmt: skip
        assert not (tmp_path / "out.jsonl").exists()


def test_an_integer_parquet_column_can_be_scanned(tmp_path: Path) -> None:
    src = _parquet(tmp_path / "in.parquet", pa.array(PHONES, pa.int64()))
    out = tmp_path / "out.parquet"
    release(ReleaseOptions(src, out, parse_policy(SCAN)))
    assert pq.read_schema(out).field("备注").type == pa.string()
    assert _cells(out)[0] == [0, "138****8000"]


def test_binary_parquet_columns_are_read_as_text(tmp_path: Path) -> None:
    texts = [f"电话{p}".encode() for p in PHONES]
    src = _parquet(tmp_path / "in.parquet", pa.array(texts, pa.binary()))
    out = tmp_path / "out.jsonl"
    release(ReleaseOptions(src, out, parse_policy(SCAN)))
    assert _cells(out)[1] == [1, "电话138****5919"]
    with pytest.raises(ResidualDataError):  # kept: the phones are found
        release(ReleaseOptions(src, tmp_path / "kept.parquet", parse_policy(KEEP)))
    bad = _parquet(tmp_path / "bad.parquet", pa.array([b"ok", b"\xff\xfe", b"x"], pa.binary()))
    with pytest.raises(BadRecordError) as info:
        release(ReleaseOptions(bad, tmp_path / "bad.jsonl", parse_policy(SCAN)))
    assert (info.value.line, info.value.column) == (2, 2)
    assert "not UTF-8 text" in str(info.value)
    assert not (tmp_path / "bad.jsonl").exists()
