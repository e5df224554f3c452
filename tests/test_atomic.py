from __future__ import annotations

import os
import threading

import pytest

from desens.atomic import Writeback, atomic_output


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


def test_writeback_syncs_in_the_background_as_the_file_grows(tmp_path, monkeypatch) -> None:
    synced: list[int] = []
    real = os.fdatasync

    def fdatasync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)  # what had reached the file when the sync began
        real(fd)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    target = tmp_path / "out.bin"
    with atomic_output(target, "wb") as fh:
        writeback = Writeback(fh, every=100)
        for _ in range(3):
            fh.write(b"x" * 60)  # less than the file's buffer: not written without a flush
            writeback.wrote(60)
            writeback.close()  # wait for the sync, so each one is seen
        assert not target.exists()
    assert synced == [120]  # after 120 bytes (60 more are not enough for a second sync)
    assert target.read_bytes() == b"x" * 180
    assert not [t for t in threading.enumerate() if t.name == "desens-writeback"]


def test_writeback_leaves_nothing_when_the_write_fails(tmp_path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError), atomic_output(target, "wb") as fh:
        writeback = Writeback(fh, every=10)
        fh.write(b"y" * 50)
        writeback.wrote(50)
        writeback.close()
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
