"""Memory stays flat as the input grows (the 1 GB and 10 GB figures: benchmarks/bench_memory.py)."""

from __future__ import annotations

import pytest

from benchmarks.bench_memory import run_cli, run_release, table_of_size


@pytest.mark.slow
def test_peak_rss_does_not_grow_with_input() -> None:
    small = run_cli(1, "EMAIL_ADDRESS,PHONE_NUMBER", workers=1)
    large = run_cli(40, "EMAIL_ADDRESS,PHONE_NUMBER", workers=1)
    assert large["input_mb"] >= 40
    # 40x the input; a reader that buffered it would grow by well over 40 MB.
    assert large["peak_rss_mb"] - small["peak_rss_mb"] < 15


@pytest.mark.slow
def test_release_peak_rss_does_not_grow_with_input(tmp_path) -> None:
    # 20,000 generated rows (3.6 MB), repeated; two workers, as a large release runs.
    small = run_release(2, "declared", 2, tmp_path, table_rows=20_000)
    large = run_release(80, "declared", 2, tmp_path, table_rows=20_000)
    assert small["input_mb"] >= 2 and large["input_mb"] >= 80
    assert large["peak_rss_mb"] - small["peak_rss_mb"] < 15  # 78 MB more input


def test_table_of_size_repeats_the_rows_to_the_size(tmp_path) -> None:
    table, out = tmp_path / "table.csv", tmp_path / "out.csv"
    size = table_of_size(out, 1.0, table, rows=2_000)
    lines = out.read_bytes().splitlines(keepends=True)
    body = table.read_bytes().splitlines(keepends=True)[1:]
    assert size == out.stat().st_size >= 1_000_000 > size - len(lines[-1])
    assert lines[0].startswith("姓名,".encode())
    assert lines[1:] == [body[i % len(body)] for i in range(len(lines) - 1)]
