from __future__ import annotations

import os

from desens.parallel import ordered_map

_STATE: dict[str, int] = {}


def _init(offset: int) -> None:
    _STATE["offset"] = offset


def _work(chunk: list[int]) -> tuple[int, list[int]]:
    return os.getpid(), [x + _STATE["offset"] for x in chunk]


def test_single_process_runs_initializer_here() -> None:
    out = list(
        ordered_map(_work, ([i] for i in range(5)), workers=1, initializer=_init, initargs=(10,))
    )
    assert [r for _, r in out] == [[10], [11], [12], [13], [14]]
    assert {pid for pid, _ in out} == {os.getpid()}


def test_workers_keep_order_and_use_other_processes() -> None:
    chunks = ([i, i + 1] for i in range(0, 200, 2))
    out = list(ordered_map(_work, chunks, workers=2, initializer=_init, initargs=(1,)))
    assert [r for _, r in out] == [[i + 1, i + 2] for i in range(0, 200, 2)]
    assert os.getpid() not in {pid for pid, _ in out}


def test_forked_workers_inherit_state_initialized_once() -> None:
    _STATE.clear()
    out = list(
        ordered_map(_work, ([i] for i in range(20)), workers=2, initializer=_init, initargs=(5,))
    )
    assert [r for _, r in out] == [[i + 5] for i in range(20)]
    assert _STATE == {"offset": 5}  # ran here, in the parent, before forking


def test_input_is_consumed_lazily() -> None:
    consumed: list[int] = []

    def chunks():
        for i in range(100):
            consumed.append(i)
            yield [i]

    results = ordered_map(
        _work, chunks(), workers=2, initializer=_init, initargs=(0,), max_pending=3
    )
    next(results)
    assert len(consumed) <= 4  # never reads far ahead of the consumer
    results.close()
