"""`desens release` and `desens reidentify` run as a user runs them.

Subprocess runs are the slow part (~2 s each, the analyzer loads), so the
main releases run once per session in ``released`` and the tests read their
outputs.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_support import HEADER, People, Run, desens, desens_all, make_people

from desens import tables
from desens.cli import main
from desens.keys import KeyRing
from desens.operators import DecryptParams, decrypt
from desens.tables import file_sha256


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def assert_no_values(people: People, *texts: str) -> None:
    """No ID, phone or name of the table appears in any message or report."""
    for text in texts:
        leaked = [v for v in people.sensitive_values() if v in text]
        assert leaked == [], f"sensitive values in output text: {len(leaked)}"


@dataclass
class Released:
    run: Run
    output: Path
    report: dict

    @property
    def rows(self) -> list[dict[str, str]]:
        return read_csv(self.output)


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory, people: People) -> dict[str, Path]:
    """The input files: a UTF-8-with-BOM CSV and a GBK CSV (half the same people)."""
    root = tmp_path_factory.mktemp("in")
    bom = root / "people.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + people.csv_text().encode("utf-8"))
    other = People(people.rows[::2] + make_people(8, 0, seed=99, start=100).rows)
    gbk = root / "people-gbk.csv"
    gbk.write_bytes(other.csv_text().encode("gbk"))
    return {"bom": bom, "gbk": gbk}


@pytest.fixture(scope="session")
def released(
    tmp_path_factory: pytest.TempPathFactory, files: dict[str, Path], keyring: Path
) -> dict[str, Released]:
    out = tmp_path_factory.mktemp("out")
    runs = {
        "open": (files["bom"], "open"),
        "open-conditional": (files["bom"], "open-conditional"),
        "share": (files["bom"], "share"),
        "gbk": (files["gbk"], "open-conditional"),
    }
    results = desens_all(
        *(
            ["release", src, "--policy", policy, "-o", out / f"{label}.csv", "--keyring", keyring]
            for label, (src, policy) in runs.items()
        )
    )
    done = {}
    for label, run in zip(runs, results, strict=True):
        assert run.returncode == 0, run.stderr
        report = json.loads((out / f"{label}.csv.report.json").read_text(encoding="utf-8"))
        done[label] = Released(run, out / f"{label}.csv", report)
    return done


def test_open_masks_generalizes_and_enforces_k(released: dict[str, Released], people: People):
    r = released["open"]
    rows = r.rows
    # suppressed: the phone and birth-date columns are dropped
    assert list(rows[0]) == [h for h in HEADER if h not in ("手机", "出生日期")]
    assert {row["姓名"] for row in rows} == {"***"}
    assert {row["身份证号"] for row in rows} == {"30-39", "40-49"}  # age bands on 2026-01-01
    assert {row["住址"] for row in rows} == {"广东省江门市"}
    for row in rows:
        assert re.fullmatch(r"来电反映噪音问题，回访电话15\d\*{4}\d{4}，已转办。", row["备注"])
    # the three people born in 1960 form classes smaller than k=5 and are suppressed
    assert len(rows) == 48
    assert {row["编号"] for row in rows} == {f"A{i:04d}" for i in range(48)}
    k = r.report["k_anonymity"]
    assert k["k_required"] == 5 and k["satisfied"] is True
    assert k["smallest_class"] >= 5
    assert k["rows_at_risk_before"] == 3
    assert r.report["suppressed"] == {"withheld": 0, "operator": 0, "k-anonymity": 3}
    assert r.report["residual_scan"]["passed"] is True
    assert r.report["residual_scan"]["total"] == 0
    assert r.report["input"]["encoding"] == "utf-8"
    assert r.report["key_id"] == "k1"
    assert "k-anonymity: k=5, smallest class 12" in r.run.stderr
    assert_no_values(people, r.run.stderr, json.dumps(r.report, ensure_ascii=False))


@pytest.mark.parametrize("label", ["open", "gbk"])
def test_report_hashes_are_the_files_hashes(
    label: str, released: dict[str, Released], files: dict[str, Path]
):
    r = released[label]
    source = files["bom" if label == "open" else "gbk"]
    assert r.report["input"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert r.report["output_sha256"] == hashlib.sha256(r.output.read_bytes()).hexdigest()


def test_open_conditional_hashes_join_across_two_files(
    released: dict[str, Released], people: People
):
    a = {row["编号"]: row for row in released["open-conditional"].rows}
    b = {row["编号"]: row for row in released["gbk"].rows}
    shared = sorted(set(a) & set(b))
    assert len(shared) == 26  # every second person of the first file
    for key in shared:
        for column in ("姓名", "身份证号", "手机"):
            assert a[key][column] == b[key][column]
    ids = [row["身份证号"] for row in a.values()]
    assert all(re.fullmatch(r"id_[0-9a-f]{16}", v) for v in ids)
    assert len(set(ids)) == len(people.rows)
    assert all(re.fullmatch(r"tel_[0-9a-f]{16}", row["手机"]) for row in a.values())
    assert {row["出生日期"][:4] for row in a.values()} == {"1960", "1985", "1995"}
    assert all(re.fullmatch(r"\d{4}-\d{2}", row["出生日期"]) for row in a.values())
    assert {row["住址"] for row in a.values()} == {"广东省江门市蓬江区"}
    report = released["gbk"].report
    assert report["input"]["encoding"] == "gb18030"
    assert report["key_id"] == "k1"
    for r in (released["open-conditional"], released["gbk"]):
        assert_no_values(people, r.run.stderr, json.dumps(r.report, ensure_ascii=False))


def test_share_encrypts_and_reidentify_restores(
    released: dict[str, Released], people: People, keyring: Path, tmp_path: Path
):
    r = released["share"]
    rows = r.rows
    ring = KeyRing.load(keyring)
    for row, original in zip(rows, people.rows, strict=True):
        for column in ("姓名", "身份证号", "手机"):
            assert row[column].startswith("enc:k1:")
            assert decrypt(row[column], DecryptParams(), ring) == original[HEADER.index(column)]
        assert row["住址"] == original[HEADER.index("住址")]  # kept
        assert "enc:k1:" in row["备注"]
    back = tmp_path / "back.csv"
    run = desens("reidentify", r.output, "--policy", "share", "-o", back, "--keyring", keyring)
    assert run.returncode == 0, run.stderr
    assert "key id(s): k1" in run.stderr
    assert [list(row.values()) for row in read_csv(back)] == people.rows
    assert_no_values(people, r.run.stderr, run.stderr, json.dumps(r.report, ensure_ascii=False))


def test_reidentify_with_wrong_key_writes_nothing(
    released: dict[str, Released], people: People, tmp_path: Path
):
    other = tmp_path / "other.json"
    assert desens("keys", "new", other).returncode == 0
    back = tmp_path / "back.csv"
    run = desens(
        "reidentify", released["share"].output, "--policy", "share", "-o", back,
        "--keyring", other,
    )  # fmt: skip
    assert run.returncode == 2
    # The release report beside the output names the key's fingerprint.
    assert "is not the key the release used" in run.stderr and "key 'k1'" in run.stderr
    assert not back.exists()
    assert list(tmp_path.glob(".back.csv*")) == []
    assert_no_values(people, run.stderr)


FPE_POLICY = """\
name: fpe-everywhere
data_class: custom
entities:
  CN_RESIDENT_ID: {operator: fpe}
  PHONE_NUMBER: {operator: fpe}
  PERSON: {operator: encrypt}
default: {operator: keep}
columns:
  - name: 身份证号
    entity: CN_RESIDENT_ID
  - name: 备注
    scan: true
"""


def test_fpe_release_round_trips_through_reidentify_with_its_report(
    files: dict[str, Path], people: People, keyring: Path, tmp_path: Path
):
    policy = tmp_path / "fpe.yaml"
    policy.write_text(FPE_POLICY, encoding="utf-8")
    out = tmp_path / "out.csv"
    run = desens("release", files["bom"], "--policy", policy, "-o", out, "--keyring", keyring)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "out.csv.report.json").read_text(encoding="utf-8"))
    plans = {c["column"]: (c["action"], c["source"], c["operator"]) for c in report["columns"]}
    assert plans["手机"] == ("operator", "detected", "fpe")  # classified, not declared
    assert report["key_fingerprints"] == {"k1": KeyRing.load(keyring).get("k1").fingerprint()}
    rows = read_csv(out)
    for row, original in zip(rows, people.rows, strict=True):
        for column in ("身份证号", "手机", "备注"):  # the remark's contact number too
            assert row[column] != original[HEADER.index(column)]
    back = tmp_path / "back.csv"
    args = ("reidentify", out, "--policy", policy, "-o", back, "--keyring", keyring)
    run = desens(*args)
    assert run.returncode == 0, run.stderr
    assert "release report" in run.stderr
    # The remark's fpe outputs are reversed by the positions in the span file.
    spans = (tmp_path / "out.csv.fpe-spans.jsonl").read_text(encoding="utf-8").splitlines()
    in_text = sum(len(json.loads(line)["spans"]) for line in spans)
    assert report["fpe_spans"] == {
        "file": "out.csv.fpe-spans.jsonl",
        "sha256": file_sha256(tmp_path / "out.csv.fpe-spans.jsonl"),
        "cells": len(spans),
    }
    n = len(people.rows)
    assert in_text >= n  # a contact number in every remark, and some IDs
    assert f"{n} token(s) and {2 * n + in_text} fpe value(s)" in run.stderr
    assert "note:" not in run.stderr
    expected = [list(r) for r in people.rows]
    assert [list(row.values()) for row in read_csv(back)] == expected
    assert_no_values(people, "\n".join(spans))
    assert_no_values(people, run.stderr)
    # Without the report only tokens are reversed, and stderr says so;
    # another output's report is refused.
    (tmp_path / "out.csv.report.json").rename(tmp_path / "kept.json")
    run = desens(*args)
    assert run.returncode == 0, run.stderr
    assert "fpe columns of a release are reversed only with its report" in run.stderr
    assert [list(r.values()) for r in read_csv(back)] == [
        [*original[:2], *list(row.values())[2:4], *original[4:7], row["备注"]]
        for original, row in zip(people.rows, rows, strict=True)
    ]
    tokens_only = read_csv(back)
    run = desens(*args, "--report", tmp_path / "kept.json")
    assert run.returncode == 0, run.stderr
    assert [list(row.values()) for row in read_csv(back)] == expected
    (tmp_path / "kept.json").rename(tmp_path / "out.csv.report.json")
    run = desens(*args, "--no-report")
    assert run.returncode == 0, run.stderr
    assert read_csv(back) == tokens_only
    run = desens("reidentify", back, "--policy", policy, "-o", tmp_path / "x.csv",
                 "--keyring", keyring, "--report", tmp_path / "out.csv.report.json")  # fmt: skip
    assert run.returncode == 2 and "is not the report of" in run.stderr
    assert "--no-report" in run.stderr
    run = desens(*args, "--report", tmp_path / "missing.json")
    assert run.returncode == 2 and "cannot read the release report" in run.stderr


@pytest.mark.parametrize("policy", ["share", "open-conditional", "open"])
def test_missing_key_is_an_error_before_any_output(
    policy: str, files: dict[str, Path], tmp_path: Path
):
    out = tmp_path / "out.csv"
    run = desens("release", files["bom"], "--policy", policy, "-o", out)
    assert run.returncode == 2
    assert "need a key" in run.stderr and "DESENS_KEYRING" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_formats_in_and_out_give_the_same_rows(
    released: dict[str, Released], people: People, keyring: Path, tmp_path: Path
):
    tsv = tmp_path / "people.tsv"
    tsv.write_text(people.csv_text("\t"), encoding="utf-8")
    jsonl = tmp_path / "people.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps(dict(zip(HEADER, row, strict=True)), ensure_ascii=False) + "\n"
            for row in people.rows
        ),
        encoding="utf-8",
    )
    parquet = tmp_path / "people.parquet"
    pq.write_table(
        pa.table({h: [row[i] for row in people.rows] for i, h in enumerate(HEADER)}), parquet
    )
    expected = released["open-conditional"].rows
    cases = [(tsv, "out.parquet"), (parquet, "out.jsonl"), (jsonl, "out.tsv")]
    runs = desens_all(
        *(
            ["release", src, "--policy", "open-conditional", "-o", tmp_path / name,
             "--keyring", keyring]
            for src, name in cases
        )
    )  # fmt: skip
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    got = {
        "parquet": pq.read_table(tmp_path / "out.parquet").to_pylist(),
        "jsonl": [
            json.loads(line)
            for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
        ],
        "tsv": read_csv(tmp_path / "out.tsv", "\t"),
    }
    for fmt, rows in got.items():
        assert rows == expected, fmt
    # Each output's report names the SHA-256 of the file as written.
    for _, name in cases:
        out = tmp_path / name
        report = json.loads(out.with_name(name + ".report.json").read_text(encoding="utf-8"))
        assert report["output_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest(), name


def test_format_option_overrides_the_extension(keyring: Path, people: People, tmp_path: Path):
    src = tmp_path / "people.data"
    src.write_text(people.csv_text("\t"), encoding="utf-8")
    out = tmp_path / "out.txt"
    run = desens(
        "release", src, "--input-format", "tsv", "--format", "jsonl", "--policy",
        "open-conditional", "-o", out, "--keyring", keyring,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert list(first) == HEADER


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def test_withhold_leaves_out_exactly_the_listed_subjects(
    files: dict[str, Path], people: People, keyring: Path, tmp_path: Path
):
    ids = people.column("身份证号")
    with_x = [i for i, v in enumerate(ids) if v.endswith("X")]
    plain = [i for i, v in enumerate(ids) if not v.endswith("X")]
    assert with_x, "the synthetic table needs an ID ending in X"
    chosen = [with_x[0], plain[0], plain[5]]
    listing = tmp_path / "withhold.txt"
    unknown = "11010519491231002X"  # valid, but nobody in the table
    dashed = f"{ids[plain[7]][:6]}-{ids[plain[7]][6:14]}-{ids[plain[7]][14:]}"
    chosen.append(plain[7])
    listing.write_text(
        "\n".join(
            [
                "# objections received in May",
                ids[chosen[0]].lower(),
                _fullwidth(ids[chosen[1]]),
                f"  {ids[chosen[2]]} ",
                dashed,
                unknown,
                "E12345678",  # a passport: taken as it is, matches nobody here
                "",
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    run = desens(
        "release", files["bom"], "--policy", "open-conditional", "-o", out,
        "--withhold", listing, "--keyring", keyring,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    kept = [row["编号"] for row in read_csv(out)]
    assert kept == [f"A{i:04d}" for i in range(len(ids)) if i not in chosen]
    report = json.loads((tmp_path / "out.csv.report.json").read_text(encoding="utf-8"))
    assert report["suppressed"]["withheld"] == 4
    assert report["withhold"] == {"entries": 6, "matched": 4}
    assert report["output"]["rows"] == len(ids) - 4
    assert "withheld 4" in run.stderr
    assert "warning: 2 withhold entries matched no record" in run.stderr
    assert_no_values(people, run.stderr, json.dumps(report, ensure_ascii=False))
    # A line that is no valid ID number is an error naming the line, not its text.
    listing.write_text(f"{ids[0]}\n{ids[1][:-1]}{'0' if ids[1][-1] != '0' else '1'}\n")
    run = desens(
        "release", files["bom"], "--policy", "open-conditional", "-o", tmp_path / "o2.csv",
        "--withhold", listing, "--keyring", keyring,
    )  # fmt: skip
    assert run.returncode == 2 and f"{listing}:2: not a valid resident ID" in run.stderr
    assert not (tmp_path / "o2.csv").exists()
    assert_no_values(people, run.stderr)


def test_two_workers_give_identical_output(
    released: dict[str, Released], files: dict[str, Path], keyring: Path, tmp_path: Path
):
    labels = ("open", "open-conditional")
    runs = desens_all(
        *(
            ["release", files["bom"], "--policy", label, "-o", tmp_path / f"{label}.csv",
             "--workers", "2", "--keyring", keyring]
            for label in labels
        )
    )  # fmt: skip
    for label, run in zip(labels, runs, strict=True):
        assert run.returncode == 0, run.stderr
        assert (tmp_path / f"{label}.csv").read_bytes() == released[label].output.read_bytes()


# -- failures: no output, a located message --------------------------------------

MISSING_COLUMN = """\
name: passports
data_class: custom
columns:
  - name: 护照号
    entity: CN_PASSPORT
"""

UNKNOWN_OPERATOR = """\
name: typo
data_class: custom
entities:
  PERSON: {operator: mask}
columns:
  - name: 姓名
    operator: maskk
"""

LEAKY = """\
name: leaky
data_class: custom
columns:
  - name: 手机
    operator: keep
  - name: 身份证号
    entity: CN_RESIDENT_ID
    operator: mask
  - names: [姓名, 备注]
    operator: redact
undeclared: keep
"""


def _bad_inputs(people: People, root: Path) -> dict[str, Path]:
    lines = people.csv_text().splitlines(keepends=True)
    ragged = root / "ragged.csv"
    ragged.write_text("".join([*lines[:6], lines[6].rstrip("\n") + ",多余\n", *lines[7:]]))
    undecodable = root / "undecodable.csv"
    raw = [line.encode("utf-8") for line in lines]
    raw[9] = raw[9].replace("噪".encode(), b"\xff\xfe", 1)
    undecodable.write_bytes(b"".join(raw))
    nested = root / "nested.jsonl"
    records = [dict(zip(HEADER, row, strict=True)) for row in people.rows]
    records[40]["备注"] = {"note": records[40]["备注"]}  # type: ignore[assignment]
    nested.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    table = pa.table({"id": ["a"], "备注": pa.array([["电话13800138000"]])})
    listed = root / "listed.parquet"
    pq.write_table(table, listed)
    return {"ragged": ragged, "undecodable": undecodable, "nested": nested, "listed": listed}


@pytest.mark.parametrize(
    ("case", "extra", "status", "message"),
    [
        pytest.param(
            "ragged", [], 1, r"ragged\.csv:7:9: 9 fields, but the header has 8", id="ragged-row"
        ),
        pytest.param(
            "undecodable", [], 1, r"undecodable\.csv:10:8: bytes that are not valid utf-8",
            id="undecodable-detected",
        ),
        pytest.param(
            "undecodable", ["--encoding", "utf-8"], 1,
            r"undecodable\.csv:10:8: bytes that are not valid utf-8; pass --encoding",
            id="undecodable-declared",
        ),
        pytest.param(
            "nested", [], 1, r"nested\.jsonl:41: field '备注' holds an object; tables take flat",
            id="nested-jsonl-value",
        ),
        pytest.param(
            "nested", ["--workers", "2"], 1, r"nested\.jsonl:41: field '备注' holds an object",
            id="nested-jsonl-value-workers",
        ),
        pytest.param(
            "listed", [], 1, r"listed\.parquet: column '备注' is nested \(list<",
            id="nested-parquet-column",
        ),
        pytest.param(
            "missing", [], 1,
            r"people\.csv:1: declared column '护照号' is not in the header .*; fix the policy",
            id="missing-declared-column",
        ),
        pytest.param(
            "unknown", [], 2, r"typo\.yaml:7: columns\[0\]\.operator: unknown operator 'maskk'",
            id="unknown-operator",
        ),
    ],
)  # fmt: skip
def test_bad_input_leaves_no_output(
    case: str,
    extra: list[str],
    status: int,
    message: str,
    files: dict[str, Path],
    people: People,
    keyring: Path,
    tmp_path: Path,
):
    inputs = _bad_inputs(people, tmp_path)
    (tmp_path / "passports.yaml").write_text(MISSING_COLUMN, encoding="utf-8")
    (tmp_path / "typo.yaml").write_text(UNKNOWN_OPERATOR, encoding="utf-8")
    src, policy = {
        "ragged": (inputs["ragged"], "open"),
        "undecodable": (inputs["undecodable"], "open"),
        "nested": (inputs["nested"], "share"),
        "listed": (inputs["listed"], "share"),
        "missing": (files["bom"], str(tmp_path / "passports.yaml")),
        "unknown": (files["bom"], str(tmp_path / "typo.yaml")),
    }[case]
    out = tmp_path / "out" / "released.csv"
    out.parent.mkdir()
    run = desens("release", src, "--policy", policy, "-o", out, "--keyring", keyring, *extra)
    assert run.returncode == status, run.stderr
    assert re.search(message, run.stderr), run.stderr
    assert run.stderr.startswith("desens: error: ")
    assert list(out.parent.iterdir()) == []  # no output, no report, no temporary file
    assert_no_values(people, run.stderr)


def test_residual_scan_withholds_a_leaky_release(
    files: dict[str, Path], people: People, keyring: Path, tmp_path: Path
):
    policy = tmp_path / "leaky.yaml"
    policy.write_text(LEAKY, encoding="utf-8")
    out = tmp_path / "out.csv"
    run = desens("release", files["bom"], "--policy", policy, "-o", out)
    assert run.returncode == 3
    assert not out.exists() and not (tmp_path / "out.csv.report.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    failed = tmp_path / "out.csv.report.failed.json"
    report = json.loads(failed.read_text(encoding="utf-8"))
    residual = report["residual_scan"]
    assert residual["passed"] is False
    lines = list(range(2, 12))  # the first ten records, one line each after the header
    assert residual["findings"] == [
        {"column": "手机", "entity": "PHONE_NUMBER", "count": len(people.rows), "lines": lines}
    ]
    assert residual["total"] == len(people.rows)
    assert report["output_sha256"] is None
    assert "FAILED (手机: PHONE_NUMBER x51 (input lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...))" in (
        run.stderr
    )
    assert "nothing was written" in run.stderr
    assert f"report of the failed run: {failed}" in run.stderr
    assert_no_values(people, run.stderr, json.dumps(report, ensure_ascii=False))
    # An earlier release of the same output keeps its report; the next good run
    # removes the failed run's.
    good = ("release", files["bom"], "--policy", "open", "-o", out, "--keyring", keyring)
    assert desens(*good).returncode == 0
    kept = (out.read_bytes(), (tmp_path / "out.csv.report.json").read_bytes())
    assert not failed.exists()
    assert desens("release", files["bom"], "--policy", policy, "-o", out).returncode == 3
    assert (out.read_bytes(), (tmp_path / "out.csv.report.json").read_bytes()) == kept
    assert failed.exists()


def test_a_failed_sync_stops_the_release_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In process: the disk's failure is simulated at the system call.
    people = make_people()
    src, out, ring = tmp_path / "people.csv", tmp_path / "out" / "people.csv", tmp_path / "ring"
    src.write_text(people.csv_text(), encoding="utf-8")
    assert main(["keys", "new", str(ring)]) == 0

    def fdatasync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(tables, "SYNC_EVERY", 100)
    capsys.readouterr()
    status = main(["release", str(src), "--policy", "open", "-o", str(out), "--keyring", str(ring)])
    err = capsys.readouterr().err
    assert status == 2
    assert "system error: Input/output error" in err and "nothing was written" in err
    assert list(out.parent.iterdir()) == []  # no output, no report, no temporary file
    assert_no_values(people, err)


def test_numbered_tags_follow_the_input_order_in_every_run(tmp_path: Path) -> None:
    # 3,000 rows of 300 names: a cached column would number each chunk's new
    # names in the order of a set, which changes with the hash seed.
    given = "伟芳娜敏静丽强磊洋艳勇军杰涛明超秀霞平刚华玉兰萍红鹏辉国志文"
    names = [f"{s}{g}" for s in "王李张刘陈杨黄赵吴周" for g in given][:300]
    src = tmp_path / "names.csv"
    src.write_text("姓名\n" + "".join(f"{names[(i * 7) % 300]}\n" for i in range(3000)), "utf-8")
    policy = tmp_path / "tags.yaml"
    policy.write_text(
        "name: tags\ndata_class: custom\n"
        "columns:\n  - {name: 姓名, entity: PERSON, operator: replace}\n",
        encoding="utf-8",
    )
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out-{seed}.csv"
        run = desens("release", src, "--policy", policy, "-o", out, env={"PYTHONHASHSEED": seed})
        assert run.returncode == 0, run.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    first_seen = list(dict.fromkeys(names[(i * 7) % 300] for i in range(3000)))
    tags = {name: f"<PERSON_{n}>" for n, name in enumerate(first_seen, start=1)}
    expected = [tags[names[(i * 7) % 300]] for i in range(3000)]
    assert [row["姓名"] for row in csv.DictReader(io.StringIO(outputs[0].decode()))] == expected


def test_nested_values_in_dropped_columns_are_fine(keyring: Path, tmp_path: Path):
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "name: p\ndata_class: custom\ncolumns:\n"
        "  - {name: 电话, entity: PHONE_NUMBER, operator: mask}\n"
        "  - {name: meta, operator: suppress}\n"
        "undeclared: drop\n",
        encoding="utf-8",
    )
    src = tmp_path / "in.jsonl"
    rows = [
        {"id": str(i), "电话": "13800138000", "meta": {"src": "x"}, "extra": [i]} for i in range(3)
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    table = tmp_path / "in.parquet"
    pq.write_table(pa.table({"电话": ["13800138000"], "meta": pa.array([{"a": "x"}])}), table)
    for source in (src, table):
        out = tmp_path / f"{source.stem}-{source.suffix[1:]}.jsonl"
        run = desens("release", source, "--policy", policy, "-o", out, "--keyring", keyring)
        assert run.returncode == 0, run.stderr
        assert {json.dumps(json.loads(line)) for line in out.read_text("utf-8").splitlines()} == {
            json.dumps({"电话": "138****8000"})
        }
