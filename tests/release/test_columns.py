from __future__ import annotations

import pytest

from desens.release.columns import CacheCost


def _feed(rate: CacheCost, chunks: list[tuple[int, int]], timed: bool) -> list[bool]:
    """Record (values, misses) chunks; whether each left the decision taken."""
    decided = []
    for seen, misses in chunks:
        if timed:
            rate.count(seen, misses, lookup=0.001, compute=0.001)
        else:
            rate.count_misses(seen, misses)
        decided.append(rate.decided)
    return decided


@pytest.mark.parametrize("timed", [True, False], ids=["timed", "misses-only"])
def test_all_different_values_turn_the_cache_off_after_the_first_chunk(timed: bool) -> None:
    rate = CacheCost()
    assert _feed(rate, [(2_760, 2_760)], timed) == [True]
    assert rate.on is False
    _feed(rate, [(2_760, 0)] * 10, timed)  # final: later hits change nothing
    assert rate.on is False


@pytest.mark.parametrize("timed", [True, False], ids=["timed", "misses-only"])
def test_one_repeat_waits_for_the_whole_window(timed: bool) -> None:
    rate = CacheCost()
    # Dates of birth: 2,760 values, a hundred of them seen before in the chunk.
    decided = _feed(rate, [(2_760, 2_660)] + [(2_760, 1_000)] * 7, timed)
    assert decided == [False] * 7 + [True]  # 8 * 2,760 >= WINDOW
    assert rate.on is True  # lookups as cheap as computing; far fewer computed


def test_a_small_first_chunk_decides_nothing_yet() -> None:
    rate = CacheCost()
    assert _feed(rate, [(500, 500), (500, 500)], timed=True) == [False, False]
    assert rate.on is True
    assert _feed(rate, [(1_000, 1_000)], timed=True) == [True]  # 2,000 all different
    assert rate.on is False


def test_without_early_all_different_values_wait_for_the_window() -> None:
    # What the residual scanner counts: distinct values, all new in a first chunk.
    rate = CacheCost(early=False)
    assert _feed(rate, [(2_760, 2_760)] + [(2_760, 100)] * 7, timed=False) == [False] * 7 + [True]
    assert rate.on is True
