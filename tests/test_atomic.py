from __future__ import annotations

import pytest

from desens.atomic import atomic_output


def test_success_replaces_target(tmp_path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with atomic_output(target) as fh:
        fh.write("新内容")
        assert target.read_text(encoding="utf-8") == "old"  # not visible before the end
    assert target.read_text(encoding="utf-8") == "新内容"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failure_leaves_old_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output(target) as fh:
        fh.write("partial")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failure_creates_nothing_when_target_absent(tmp_path) -> None:
    with pytest.raises(RuntimeError), atomic_output(tmp_path / "new.txt", "wb") as fh:
        fh.write(b"x")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_file_mode_and_exclusive(tmp_path) -> None:
    target = tmp_path / "secret.json"
    with atomic_output(target, file_mode=0o600, exclusive=True) as fh:
        fh.write("{}")
    assert target.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError), atomic_output(target, exclusive=True) as fh:
        fh.write("other")
    assert target.read_text(encoding="utf-8") == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["secret.json"]
