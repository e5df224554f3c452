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


def test_floats_are_scanned_by_their_whole_part(tmp_path: Path) -> None:
    """pandas writes an integer column with gaps as floats; fractions hold no IDs."""
    phones = [float(p) for p in PHONES] + [None]
    src = _parquet(tmp_path / "in.parquet", pa.array(phones, pa.float64()))
    with pytest.raises(ResidualDataError):  # 13800138000.0 is a phone
        release(ReleaseOptions(src, tmp_path / "out.jsonl", parse_policy(KEEP)))
    latitudes = [30.123456789012345 + i / 7 for i in range(200)]  # 15 digits after the point
    src = _parquet(tmp_path / "lat.parquet", pa.array(latitudes, pa.float64()))
    report = release(ReleaseOptions(src, tmp_path / "lat.jsonl", parse_policy(KEEP)))
    assert report.residual_scan["passed"] is True


def test_cells_of_other_types_keep_their_type_unless_something_is_found(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"编号": i, "备注": [1, 2, PHONES[0]][i % 3]}) for i in range(30)]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    release(ReleaseOptions(src, out, parse_policy(SCAN.replace("operator: keep}", "scan: true}"))))
    cells = _cells(out)
    assert cells[0] == [0, 1] and cells[1] == [1, 2]  # numbers, as they were
    assert cells[2] == [2, "138****8000"]
    # Undeclared number columns with few values are kept as numbers, not scanned.
    policy = parse_policy("name: p\ndata_class: custom\n")
    release(ReleaseOptions(src, tmp_path / "o2.jsonl", policy))
    assert [c[0] for c in _cells(tmp_path / "o2.jsonl")][:3] == [0, 1, 2]


def test_dictionary_binary_columns_and_dropped_binary_columns(tmp_path: Path) -> None:
    texts = pa.array([f"电话{p}".encode() for p in PHONES], pa.binary()).dictionary_encode()
    src = _parquet(tmp_path / "in.parquet", texts)
    with pytest.raises(ResidualDataError):  # decoded, so the phones are found
        release(ReleaseOptions(src, tmp_path / "kept.jsonl", parse_policy(KEEP)))
    photos = pa.array([bytes([255, i]) for i in range(6)], pa.binary())
    src = _parquet(tmp_path / "photo.parquet", photos)
    drop = SCAN.replace("{name: 备注, scan: true}", "{name: 备注, operator: suppress}")
    release(ReleaseOptions(src, tmp_path / "dropped.jsonl", parse_policy(drop)))
    assert _cells(tmp_path / "dropped.jsonl")[0] == [0]
