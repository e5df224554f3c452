"""fpe outputs in free text: positions written by release, reversed by reidentify."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from desens.errors import BadRecordError, ConfigError
from desens.keys import KeyRing
from desens.policy import parse_policy
from desens.release import ReleaseOptions, ResidualDataError, pipeline, release
from desens.release.fpe_spans import span_path
from desens.release.reidentify import reidentify_file
from desens.tables import file_sha256, open_reader
from recognizers.checksums import gb11643_check_char

POLICY = """\
name: spans
data_class: custom
entities:
  CN_RESIDENT_ID: {operator: fpe}
  PHONE_NUMBER: {operator: fpe, params: {keep_prefix: 3}}
  PERSON: {operator: encrypt}
default: {operator: keep}
k_anonymity: {k: 25}
columns:
  - {name: 身份证号, entity: CN_RESIDENT_ID, operator: fpe, subject_key: true}
  - name: 出生日期
    operator: generalize
    params: {kind: date, level: year}
    quasi_identifier: true
  - {name: 备注, scan: true}
undeclared: drop
"""


def _id(rng: random.Random, year: int) -> str:
    first = f"440703{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return first + gb11643_check_char(first)


def _phone(rng: random.Random) -> str:
    return f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"


def _table(rows: int) -> list[list[str]]:
    rng = random.Random(11)
    out = []
    for _ in range(rows):
        year = rng.randint(1975, 1984) if rng.random() > 0.02 else 1950  # 1950: a small class
        other, phone = _id(rng, rng.randint(1950, 1999)), _phone(rng)
        remark = rng.choice(
            [
                f"申请人张伟身份证{other}，电话{phone}已核验",
                "材料齐全",
                f"电话{phone}\n代办人身份证:{other}",  # a record over two lines
                f"ID{other}Tel{phone}",  # glued to labels
                f"{phone}、{phone}",  # the same value twice
            ]
        )
        out.append([_id(rng, year), f"{year}-03-01", remark])
    return out


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["身份证号", "出生日期", "备注"])
        writer.writerows(rows)


def _read(path: Path) -> list[list[str]]:
    with open_reader(path) as reader:
        return [[str(v) for v in row] for _, row in reader.rows()]


@pytest.fixture
def table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[list[str]]]:
    monkeypatch.setattr(pipeline, "CHUNK_BYTES", 2048)  # many chunks
    rows = _table(900)
    src = tmp_path / "in.csv"
    _write(src, rows)
    return src, rows


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("workers", [1, 2])
def test_fpe_in_free_text_round_trips_after_withholding_and_suppression(
    table: tuple[Path, list[list[str]]], tmp_path: Path, fmt: str, workers: int
) -> None:
    src, rows = table
    withheld = {r[0] for r in rows[:60] if "电话" in r[2]}
    (tmp_path / "withhold.txt").write_text("\n".join(withheld) + "\n", encoding="utf-8")
    left = [r for r in rows if r[0] not in withheld]
    years = Counter(r[1][:4] for r in left)
    expected = [[r[0], r[2]] for r in left if years[r[1][:4]] >= 25]
    assert min(years.values()) < 25 and withheld  # both kinds of suppression happen
    keys = KeyRing.generate()
    out = tmp_path / f"out.{fmt}"
    policy = parse_policy(POLICY)
    report = release(
        ReleaseOptions(
            src, out, policy, keys=keys, withhold=tmp_path / "withhold.txt", workers=workers
        )
    )
    released = _read(out)
    assert len(released) == len(expected) == report.output["rows"]
    assert sum(r[2] != e[1] for r, e in zip(released, expected, strict=True)) > 300
    assert report.fpe_spans is not None
    assert report.fpe_spans["file"] == span_path(out).name
    assert report.fpe_spans["sha256"] == file_sha256(span_path(out))
    report_file = tmp_path / "report.json"
    report_file.write_text(report.to_json(), encoding="utf-8")
    back = tmp_path / f"back.{fmt}"
    result = reidentify_file(out, back, policy, keys, report=report_file)
    assert [[r[0], r[2]] for r in _read(back)] == expected
    assert result.notes == []
    assert result.tokens == sum("张伟" in e[1] for e in expected)


def test_the_span_file_holds_no_value_and_exists_only_for_fpe_in_text(
    table: tuple[Path, list[list[str]]], tmp_path: Path
) -> None:
    src, rows = table
    keys = KeyRing.generate()
    out = tmp_path / "out.csv"
    release(ReleaseOptions(src, out, parse_policy(POLICY), keys=keys))
    text = span_path(out).read_text(encoding="utf-8")
    released = out.read_text(encoding="utf-8")
    digit_runs = {run for row in rows for run in row[2].replace("、", " ").split() if run}
    for line in text.splitlines():
        record = json.loads(line)
        assert set(record) == {"row", "column", "spans"}
        assert record["column"] == "备注"
    assert not any(value in text for value in digit_runs if value.isdigit())
    assert all(r[0] not in text and r[0][:6] + "19" not in text for r in rows)
    assert len(released) > len(text) / 10  # not an empty release
    # A policy with no fpe in free text writes none (and the report says so).
    plain = POLICY.replace("{operator: fpe, params: {keep_prefix: 3}}", "{operator: mask}")
    plain = plain.replace("CN_RESIDENT_ID: {operator: fpe}", "CN_RESIDENT_ID: {operator: mask}")
    other = tmp_path / "other.csv"
    report = release(ReleaseOptions(src, other, parse_policy(plain), keys=keys))
    assert report.fpe_spans is None
    assert not span_path(other).exists()


def test_a_failed_release_leaves_no_span_file(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    rng = random.Random(3)
    src.write_text(
        f"备注,手机\n身份证{_id(rng, 1980)},{_phone(rng)}\n", encoding="utf-8"
    )  # the phone column is kept: the residual scan stops the release
    policy = parse_policy(
        "name: p\ndata_class: custom\nentities:\n  CN_RESIDENT_ID: {operator: fpe}\n"
        "columns:\n  - {name: 备注, scan: true}\n  - {name: 手机, operator: keep}\n"
    )
    with pytest.raises(ResidualDataError):
        release(ReleaseOptions(src, tmp_path / "out.csv", policy, keys=KeyRing.generate()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def _released(tmp_path: Path) -> tuple[Path, Path, KeyRing]:
    src = tmp_path / "in.csv"
    _write(src, _table(120))
    keys = KeyRing.generate()
    out = tmp_path / "out.csv"
    policy = parse_policy(POLICY.replace("k_anonymity: {k: 25}\n", ""))
    report = release(ReleaseOptions(src, out, policy, keys=keys))
    report.output_sha256 = file_sha256(out)
    report_file = tmp_path / "out.csv.report.json"
    report_file.write_text(report.to_json(), encoding="utf-8")
    return out, report_file, keys


def test_a_changed_or_missing_span_file_is_refused(tmp_path: Path) -> None:
    out, report, keys = _released(tmp_path)
    policy = parse_policy(POLICY.replace("k_anonymity: {k: 25}\n", ""))
    spans = span_path(out)
    body = spans.read_text(encoding="utf-8")
    spans.write_text(body.replace('"row": 1,', '"row": 2,', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="not the span file the release report names"):
        reidentify_file(out, tmp_path / "back.csv", policy, keys, report=report)
    spans.unlink()
    with pytest.raises(ConfigError, match=r"cannot read .*fpe-spans\.jsonl.*--no-report"):
        reidentify_file(out, tmp_path / "back.csv", policy, keys, report=report)
    assert not (tmp_path / "back.csv").exists()


def test_a_span_that_is_not_an_fpe_output_is_located(tmp_path: Path) -> None:
    out, report, keys = _released(tmp_path)
    policy = parse_policy(POLICY.replace("k_anonymity: {k: 25}\n", ""))
    spans = span_path(out)
    lines = spans.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if "CN_RESIDENT_ID" in line)
    first = json.loads(lines[at])
    span = next(s for s in first["spans"] if s[2] == "CN_RESIDENT_ID")
    span[0], span[1] = span[0] - 1, span[1] - 1  # one early: a character before the ID
    lines[at] = json.dumps(first, ensure_ascii=False)
    spans.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = json.loads(report.read_text(encoding="utf-8"))
    data["fpe_spans"]["sha256"] = file_sha256(spans)  # a report tampered along with it
    report.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(BadRecordError) as info:
        reidentify_file(out, tmp_path / "back.csv", policy, keys, report=report)
    records = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    before = records[1 : first["row"] + 1]  # the records before it, after the header
    line = 2 + len(before) + sum(r[2].count("\n") for r in before)
    assert (info.value.line, info.value.column) == (line, 3)
    assert "does not reverse" in str(info.value)
    assert not (tmp_path / "back.csv").exists()


TWO_COLUMNS = """\
name: two
data_class: custom
entities:
  CN_RESIDENT_ID: {operator: fpe}
  PHONE_NUMBER: {operator: fpe}
  CN_LICENSE_PLATE: {operator: date_shift}  # none in the text: spans go per subject
default: {operator: keep}
columns:
  - {name: 身份证号, entity: CN_RESIDENT_ID, operator: fpe, subject_key: true}
  - {name: 备注, scan: true}
  - {name: 说明, scan: true}
"""


def test_two_scanned_columns_per_subject_and_tsv_round_trip(tmp_path: Path) -> None:
    rows = _table(200)
    src = tmp_path / "in.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["身份证号", "备注", "说明"])
        writer.writerows([r[0], r[2], "\r另附" + r[2]] for r in rows)  # a CR first, too
    keys = KeyRing.generate()
    policy = parse_policy(TWO_COLUMNS)
    out = tmp_path / "out.tsv"
    report = release(ReleaseOptions(src, out, policy, keys=keys))
    cells = [json.loads(line) for line in span_path(out).read_text(encoding="utf-8").splitlines()]
    assert {c["column"] for c in cells} == {"备注", "说明"}
    report.output_sha256 = file_sha256(out)
    (tmp_path / "r.json").write_text(report.to_json(), encoding="utf-8")
    back = tmp_path / "back.csv"
    reidentify_file(out, back, policy, keys, report=tmp_path / "r.json")
    assert _read(back) == [[r[0], r[2], "\r另附" + r[2]] for r in rows]


def test_spans_past_the_output_or_in_a_missing_column_are_refused(tmp_path: Path) -> None:
    out, report, keys = _released(tmp_path)
    policy = parse_policy(POLICY.replace("k_anonymity: {k: 25}\n", ""))
    spans = span_path(out)
    body = spans.read_text(encoding="utf-8")
    data = json.loads(report.read_text(encoding="utf-8"))
    for extra, message in [
        ('{"row": 120, "column": "备注", "spans": [[0, 11, "PHONE_NUMBER"]]}\n', "does not have"),
        ('{"row": 119, "column": "手机", "spans": [[0, 11, "PHONE_NUMBER"]]}\n', "columns"),
    ]:
        spans.write_text(body + extra, encoding="utf-8")
        data["fpe_spans"]["sha256"] = file_sha256(spans)
        report.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            reidentify_file(out, tmp_path / "back.csv", policy, keys, report=report)
        assert not (tmp_path / "back.csv").exists()


def test_the_span_files_key_must_be_pinned_by_the_report(tmp_path: Path) -> None:
    out, report, keys = _released(tmp_path)
    policy = parse_policy(POLICY.replace("k_anonymity: {k: 25}\n", ""))
    data = json.loads(report.read_text(encoding="utf-8"))
    data["key_fingerprints"] = {}
    data["columns"] = [{**c, "operator": None, "action": "keep"} for c in data["columns"]]
    report.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError, match="names no fingerprint"):
        reidentify_file(out, tmp_path / "back.csv", policy, keys, report=report)


def test_a_failed_or_fpe_free_release_leaves_no_span_file(tmp_path: Path) -> None:
    out, _, keys = _released(tmp_path)
    assert span_path(out).exists()
    src = tmp_path / "in.csv"
    base = POLICY.replace("k_anonymity: {k: 25}\n", "")
    # The remark's fpe spans are written, but the kept IDs fail the residual scan.
    leaky = base.replace("entity: CN_RESIDENT_ID, operator: fpe,", "operator: keep,")
    with pytest.raises(ResidualDataError) as info:
        release(ReleaseOptions(src, out, parse_policy(leaky), keys=keys))
    assert info.value.report.fpe_spans is None  # type: ignore[attr-defined]
    assert span_path(out).exists()  # the earlier release's, beside its output
    plain = base.replace("{operator: fpe, params: {keep_prefix: 3}}", "{operator: mask}")
    plain = plain.replace("operator: fpe", "operator: mask")
    release(ReleaseOptions(src, out, parse_policy(plain), keys=keys))
    assert not span_path(out).exists()  # the output it belonged to is gone


def test_the_span_file_is_for_the_key_holder_only(tmp_path: Path) -> None:
    out, _, _ = _released(tmp_path)
    assert span_path(out).stat().st_mode & 0o777 == 0o600
