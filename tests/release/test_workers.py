"""Any worker count gives the same bytes, with chunks mapped here and in children."""

from __future__ import annotations

import csv
import hashlib
import io
import random
from collections import Counter
from pathlib import Path

import pytest

from desens.errors import BadRecordError
from desens.keys import KeyRing
from desens.policy import parse_policy
from desens.release import ReleaseOptions, ResidualDataError, pipeline, release
from desens.release.report import ReleaseReport
from recognizers.checksums import gb11643_check_char

POLICY = """\
name: p
data_class: custom
entities:
  PERSON: {operator: mask}
  PHONE_NUMBER: {operator: mask}
default: {operator: redact}
k_anonymity: {k: 25}
columns:
  - {name: 身份证号, entity: CN_RESIDENT_ID, operator: hash, subject_key: true}
  - name: 出生日期
    operator: generalize
    params: {kind: date, level: year}
    quasi_identifier: true
  - {name: 备注, scan: true}
undeclared: drop
"""


def _table(rows: int) -> str:
    rng = random.Random(7)
    lines = ["身份证号,出生日期,备注"]
    for i in range(rows):
        year = rng.randint(1950, 1999)
        id17 = f"110105{year}0101{i % 1000:03d}"
        remark = rng.choice(
            [
                "材料齐全，已受理",
                '"电话13800138000, 已回访"',  # quoted, with the delimiter
                '"多行\n备注"',  # a record over two lines
                '身高5"3',  # a stray quote inside an unquoted field
            ]
        )
        lines.append(f"{id17}{gb11643_check_char(id17)},{year}-01-01,{remark}")
    return "\n".join(lines) + "\n"


def _release(src: Path, out: Path, workers: int, keys: KeyRing) -> ReleaseReport:
    return release(
        ReleaseOptions(
            input=src,
            output=out,
            policy=parse_policy(POLICY, "p.yaml"),
            keys=keys,
            workers=workers,
        )
    )


def test_workers_give_the_same_bytes_with_many_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_BYTES", 2048)  # about 40 chunks
    src = tmp_path / "in.csv"
    src.write_text(_table(1200), encoding="utf-8")
    keys = KeyRing.generate()
    outputs = {}
    for workers in (1, 2, 3):
        out = tmp_path / f"out{workers}.csv"
        report = _release(src, out, workers, keys)
        outputs[workers] = out.read_bytes()
        assert report.input["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
        assert report.output_sha256 == hashlib.sha256(outputs[workers]).hexdigest()
        assert report.input["rows"] == 1200
    assert outputs[2] == outputs[1]
    assert outputs[3] == outputs[1]
    assert outputs[1].count(b"\n") > 800  # most rows kept; small birth-year classes suppressed


def test_a_bad_row_is_located_with_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_BYTES", 2048)
    text = _table(600).splitlines()
    text[450] += ",extra"  # line 451: one field too many
    src = tmp_path / "in.csv"
    src.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(BadRecordError) as info:
        _release(src, tmp_path / "out.csv", 2, KeyRing.generate())
    assert info.value.line == 451
    assert not (tmp_path / "out.csv").exists()


def test_residual_findings_name_input_lines_with_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines of the input, not positions in the output, after withholding and k-anonymity."""
    monkeypatch.setattr(pipeline, "CHUNK_BYTES", 2048)
    text = _table(1200)
    src = tmp_path / "in.csv"
    src.write_text(text, encoding="utf-8")
    records, line = [], 2  # (first line, ID, birth year, remark) of each record
    for row in csv.reader(io.StringIO(text.split("\n", 1)[1])):
        records.append((line, row[0], row[1][:4], row[2]))
        line += row[2].count("\n") + 1
    withheld = {r[1] for r in records if "电话" in r[3]}
    withheld = set(sorted(withheld)[:40])
    (tmp_path / "withhold.txt").write_text("\n".join(withheld) + "\n", encoding="utf-8")
    left = [r for r in records if r[1] not in withheld]
    years = Counter(r[2] for r in left)
    expected = [r[0] for r in left if "电话" in r[3] and years[r[2]] >= 25]
    leaky = POLICY.replace("{name: 备注, scan: true}", "{name: 备注, operator: keep}")
    found = []
    for workers in (1, 2):
        options = ReleaseOptions(
            src, tmp_path / "out.csv", parse_policy(leaky, "p.yaml"), keys=KeyRing.generate(),
            withhold=tmp_path / "withhold.txt", workers=workers,
        )  # fmt: skip
        with pytest.raises(ResidualDataError) as info:
            release(options)
        (finding,) = info.value.report.residual_scan["findings"]  # type: ignore[attr-defined]
        found.append(finding)
    assert min(years.values()) < 25 < len(expected)  # both kinds of suppression happened
    assert found[0] == found[1] == {
        "column": "备注", "entity": "PHONE_NUMBER", "count": len(expected), "lines": expected[:10],
    }  # fmt: skip
