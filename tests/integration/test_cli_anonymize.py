"""`desens anonymize` on text and JSONL, reversed by `desens reidentify`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_support import desens, resident_id

ID = resident_id("19850312", 201)
PHONE = "13800138000"
LINES = [
    f"申请人身份证号{ID}，联系电话{PHONE}。",
    "本行没有个人信息。",
    f"回访电话：{PHONE}",
]


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("text") / "notes.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_open_masks_text_and_keeps_the_rest(text_file: Path, keyring: Path):
    run = desens("anonymize", text_file, "--policy", "open", "--keyring", keyring)
    assert run.returncode == 0, run.stderr
    out = run.stdout.splitlines()
    assert len(out) == 3
    assert re.fullmatch(r"申请人身份证号h_[0-9a-f]{16}，联系电话138\*{4}8000。", out[0])
    assert out[1] == LINES[1]
    assert out[2] == "回访电话：138****8000"
    assert "key id k1" in run.stderr
    assert ID not in run.stdout + run.stderr and PHONE not in run.stdout + run.stderr


def test_share_jsonl_round_trips_through_reidentify(keyring: Path, tmp_path: Path):
    src = tmp_path / "in.jsonl"
    records = [{"id": i, "text": line, "meta": {"n": [i]}} for i, line in enumerate(LINES)]
    src.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    run = desens("anonymize", src, "--jsonl", "--policy", "share", "-o", out, "--keyring", keyring)
    assert run.returncode == 0, run.stderr
    released = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [list(r) for r in released] == [["id", "text", "meta"]] * 3  # nothing added
    assert [r["meta"] for r in released] == [r["meta"] for r in records]
    assert released[1]["text"] == LINES[1]
    assert re.fullmatch(r"回访电话：enc:k1:[A-Za-z0-9_-]+", released[2]["text"])
    assert ID not in out.read_text(encoding="utf-8")
    back = tmp_path / "back.jsonl"
    run = desens("reidentify", out, "--policy", "share", "-o", back, "--keyring", keyring)
    assert run.returncode == 0, run.stderr
    assert "3 token(s)" in run.stderr and "key id(s): k1" in run.stderr
    assert [json.loads(line) for line in back.read_text(encoding="utf-8").splitlines()] == records


def test_stdin_text_field_and_skip(keyring: Path):
    lines = [
        json.dumps({"body": LINES[2], "n": 1}, ensure_ascii=False),
        "not json",
        json.dumps({"body": LINES[1]}, ensure_ascii=False),
    ]
    run = desens(
        "anonymize", "-", "--jsonl", "--text-field", "body", "--on-error", "skip",
        "--policy", "open", "--keyring", keyring,
        stdin=("\n".join(lines) + "\n").encode("utf-8"),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert out == [{"body": "回访电话：138****8000", "n": 1}, {"body": LINES[1]}]
    assert "<stdin>:2:1: invalid JSON" in run.stderr
    assert "1 bad record(s) skipped" in run.stderr


def test_skip_leaves_out_lines_that_are_not_utf8(keyring: Path):
    stdin = b"ok 13800138000\n\xff bad\nok 13900001234\n"
    run = desens(
        "anonymize", "-", "--on-error", "skip", "--policy", "open", "--keyring", keyring,
        stdin=stdin,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["ok 138****8000", "ok 139****1234"]
    assert "<stdin>:2:1: invalid UTF-8" in run.stderr and "1 bad record(s) skipped" in run.stderr


def test_missing_key_fails_before_writing(text_file: Path, tmp_path: Path):
    out = tmp_path / "out.txt"
    run = desens("anonymize", text_file, "--policy", "share", "-o", out)
    assert run.returncode == 2
    assert "need a key" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_jsonl_fails_with_location_and_no_output(keyring: Path, tmp_path: Path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "ok"}\n{"text": 5}\n', encoding="utf-8")
    out = tmp_path / "out" / "x.jsonl"
    out.parent.mkdir()
    run = desens("anonymize", src, "--jsonl", "--policy", "open", "-o", out, "--keyring", keyring)
    assert run.returncode == 1
    assert f"{src}:2: field 'text' is a number, expected a string" in run.stderr
    assert list(out.parent.iterdir()) == []


def test_share_text_with_adjacent_tokens_round_trips(keyring: Path, tmp_path: Path):
    # A name written straight before a number: two tokens with nothing between.
    lines = [f"申请人张伟{PHONE}，身份证{ID}", "联系人王芳13912345678。"]
    src = tmp_path / "in.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    run = desens("anonymize", src, "--policy", "share", "-o", out, "--keyring", keyring)
    assert run.returncode == 0, run.stderr
    assert re.search(r"enc:k1:[A-Za-z0-9_-]+enc:k1:", out.read_text(encoding="utf-8"))
    back = tmp_path / "back.txt"
    run = desens("reidentify", out, "--policy", "share", "-o", back, "--keyring", keyring)
    assert run.returncode == 0, run.stderr
    assert back.read_text(encoding="utf-8").splitlines() == lines
    assert "note:" not in run.stderr


def test_reidentify_says_fpe_in_free_text_stays(text_file: Path, keyring: Path, tmp_path: Path):
    policy = Path(__file__).resolve().parents[2] / "policies" / "custom-example.yaml"
    out = tmp_path / "out.txt"
    run = desens("anonymize", text_file, "--policy", policy, "-o", out, "--keyring", keyring)
    assert run.returncode == 0, run.stderr
    back = tmp_path / "back.txt"
    run = desens("reidentify", out, "--policy", policy, "-o", back, "--keyring", keyring)
    assert run.returncode == 0, run.stderr
    assert "note: fpe inside free text is reversed only with a release report" in run.stderr
    assert back.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    assert ID not in run.stderr
