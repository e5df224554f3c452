"""Memory stays flat as the input grows (the 1 GB figure is in benchmarks/bench_memory.py)."""

from __future__ import annotations

import pytest

from benchmarks.bench_memory import run_cli


@pytest.mark.slow
def test_peak_rss_does_not_grow_with_input() -> None:
    small = run_cli(1, "EMAIL_ADDRESS,PHONE_NUMBER", workers=1)
    large = run_cli(40, "EMAIL_ADDRESS,PHONE_NUMBER", workers=1)
    assert large["input_mb"] >= 40
    # 40x the input; a reader that buffered it would grow by well over 40 MB.
    assert large["peak_rss_mb"] - small["peak_rss_mb"] < 15
