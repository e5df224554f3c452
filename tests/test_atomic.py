from __future__ import annotations

import errno
import os
import threading
import time

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


def _failing_sync(fd: int) -> None:
    raise OSError(errno.EIO, "Input/output error")


@pytest.mark.parametrize("seen_by", ["close", "next-write"])
def test_a_failed_background_sync_is_raised_and_nothing_is_written(
    tmp_path, monkeypatch, seen_by: str
) -> None:
    # Linux reports a writeback error once per open file: the final fsync would
    # not see it again, so the Writeback must raise it itself.
    monkeypatch.setattr(os, "fdatasync", _failing_sync)
    target = tmp_path / "out.bin"
    with pytest.raises(OSError, match="Input/output error"), atomic_output(target, "wb") as fh:
        writeback = Writeback(fh, every=10)
        fh.write(b"y" * 50)
        writeback.wrote(50)
        if seen_by == "close":
            writeback.close()
        else:
            while any(t.name == "desens-writeback" for t in threading.enumerate()):
                time.sleep(0.001)  # the sync failed in its thread; the next write says so
            writeback.wrote(1)
    assert list(tmp_path.iterdir()) == []
