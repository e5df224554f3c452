"""`desens analyze` run as a user runs it: a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
ID = "440703198503122014"


def desens(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "desens", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def test_plain_text_example_gives_json_findings_without_values() -> None:
    proc = desens("analyze", str(EXAMPLES / "records.txt"))
    assert proc.returncode == 0, proc.stderr.decode()
    findings = json.loads(proc.stdout)
    text = (EXAMPLES / "records.txt").read_text(encoding="utf-8")
    kinds = {f["entity_type"] for f in findings}
    assert {"PERSON", "CN_RESIDENT_ID", "PHONE_NUMBER", "CN_BANK_CARD", "CN_USCC"} <= kinds
    ids = [f for f in findings if f["entity_type"] == "CN_RESIDENT_ID"]
    assert [text[f["start"] : f["end"]] for f in ids] == [ID]
    assert ids[0]["line"] == 1
    assert ID not in proc.stdout.decode()  # no values unless --show-text
    # the order number and the document number of the last lines are not IDs or phones
    last = text.splitlines()[-1]
    start = text.index(last)
    assert not [f for f in findings if f["start"] >= start and f["entity_type"] != "PERSON"]


def test_jsonl_adds_entities_and_keeps_order_and_fields(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": i, "text": f"联系电话：1380013{i:04d}", "x": [i]}) for i in range(600)
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = desens("analyze", "--jsonl", "--workers", "2", "--batch-size", "64", str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    out = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [o["id"] for o in out] == list(range(600))
    assert all(o["x"] == [o["id"]] for o in out)
    assert all(
        o["entities"]
        == [
            {
                "entity_type": "PHONE_NUMBER",
                "start": 5,
                "end": 16,
                "score": o["entities"][0]["score"],
            }
        ]
        for o in out
    )


def test_workers_give_identical_output(tmp_path: Path) -> None:
    src = EXAMPLES / "records.jsonl"
    one = desens("analyze", "--jsonl", str(src))
    two = desens("analyze", "--jsonl", "--workers", "2", "--batch-size", "1", str(src))
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout


def test_stdin_text_field_entities_and_threshold() -> None:
    data = json.dumps({"body": f"身份证{ID}，另13800138000"}, ensure_ascii=False).encode()
    proc = desens(
        "analyze", "--jsonl", "--text-field", "body", "--entities", "PHONE_NUMBER", "-", stdin=data
    )
    assert proc.returncode == 0, proc.stderr.decode()
    (obj,) = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [e["entity_type"] for e in obj["entities"]] == ["PHONE_NUMBER"]
    high = desens(
        "analyze", "--jsonl", "--text-field", "body", "--threshold", "1.0", "-", stdin=data
    )
    (obj,) = [json.loads(x) for x in high.stdout.decode().splitlines()]
    assert [e["entity_type"] for e in obj["entities"]] == ["CN_RESIDENT_ID"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        pytest.param(b'{"text": "ok"}\n{"text": \n', "in.jsonl:2:10: invalid JSON", id="json"),
        pytest.param(
            b'{"text": "ok"}\n{"other": 1}\n', "in.jsonl:2: no 'text' field", id="missing"
        ),
        pytest.param(
            b'{"text": "ok"}\n{"text": 5}\n', "in.jsonl:2: field 'text' is a number", id="type"
        ),
        pytest.param(
            b'{"text": "ok"}\n{"text": "\xff"}\n', "in.jsonl:2:11: invalid UTF-8", id="utf8"
        ),
    ],
)
def test_bad_record_fails_with_location_and_writes_nothing(
    tmp_path: Path, bad: bytes, message: str
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(bad)
    out = tmp_path / "out.jsonl"
    proc = desens("analyze", "--jsonl", "-o", str(out), str(src), cwd=tmp_path)
    assert proc.returncode == 1
    assert message in proc.stderr.decode()
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_on_error_skip_reports_and_continues(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"text": "a"}\nnot json\n{"text": "b"}\n')
    proc = desens("analyze", "--jsonl", "--on-error", "skip", str(src))
    assert proc.returncode == 0
    assert [json.loads(x)["text"] for x in proc.stdout.decode().splitlines()] == ["a", "b"]
    err = proc.stderr.decode()
    assert "in.jsonl:2:1: invalid JSON" in err and "1 bad record(s) skipped" in err


def test_on_error_skip_skips_lines_that_are_not_utf8(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(b"ok 13800138000\n\xff bad\nok 13900001234\n")
    proc = desens("analyze", "--on-error", "skip", "--format", "json", str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    found = json.loads(proc.stdout)
    assert [(f["line"], f["start"], f["end"]) for f in found] == [(1, 3, 14), (3, 24, 35)]
    err = proc.stderr.decode()
    assert "in.txt:2:1: invalid UTF-8" in err and "1 bad record(s) skipped" in err
    assert desens("analyze", str(src)).returncode == 1  # without skip: stops


def test_output_file_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "findings.json"
    proc = desens("analyze", "-o", str(out), "--show-text", str(EXAMPLES / "records.txt"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b""
    findings = json.loads(out.read_text(encoding="utf-8"))
    assert {"entity_type": "CN_RESIDENT_ID", "text": ID}.items() <= next(
        f for f in findings if f["entity_type"] == "CN_RESIDENT_ID"
    ).items()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--entities", "NAME"], "unknown entity NAME", id="entity"),
        pytest.param(["--threshold", "2"], "between 0 and 1", id="threshold"),
        pytest.param(["--workers", "0"], "at least 1", id="workers"),
        pytest.param(
            ["/nonexistent/file.txt"], "cannot read /nonexistent/file.txt", id="missing-file"
        ),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    proc = desens("analyze", *args, stdin=b"")
    assert proc.returncode == 2
    assert message in proc.stderr.decode()


def test_table_format() -> None:
    proc = desens("analyze", "--format", "table", str(EXAMPLES / "records.txt"))
    assert proc.returncode == 0
    rows = proc.stdout.decode().splitlines()
    assert rows[0].split() == ["line:col", "entity", "score", "length"]
    assert any(r.split()[:2] == ["1:17", "CN_RESIDENT_ID"] for r in rows[1:])


def test_cli_import_leaves_the_consent_store_alone() -> None:
    # The consent store (SQLAlchemy, alembic) costs ~0.5 s to import; only
    # `desens serve` and `desens audit` need it, not every command.
    code = (
        "import sys, desens.cli; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('sqlalchemy', 'alembic') or m.startswith('desens.consent')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert proc.stdout.strip() == "[]"
