from __future__ import annotations

import multiprocessing
import os
import time

import pytest

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


def _fail_on_seven(chunk: list[int]) -> list[int]:
    if 7 in chunk:
        raise ValueError("seven")
    return chunk


def _slow(chunk: list[int]) -> tuple[int, list[int]]:
    time.sleep(0.01)  # children stay busy, so this process maps chunks too
    return _work(chunk)


def test_work_here_keeps_order_and_shares_the_chunks() -> None:
    chunks = ([i] for i in range(40))
    out = list(
        ordered_map(_slow, chunks, workers=2, initializer=_init, initargs=(3,), work_here=True)
    )
    assert [r for _, r in out] == [[i + 3] for i in range(40)]
    pids = [pid for pid, _ in out]
    assert os.getpid() in pids  # mapped here
    assert len(set(pids)) == 2  # and in the one child


def test_work_here_with_three_workers_keeps_order() -> None:
    chunks = ([i, -i] for i in range(300))
    out = list(
        ordered_map(_work, chunks, workers=3, initializer=_init, initargs=(0,), work_here=True)
    )
    assert [r for _, r in out] == [[i, -i] for i in range(300)]


def test_work_here_moves_chunks_larger_than_a_pipe() -> None:
    big = [[i] * 300_000 for i in range(6)]  # several MB each, pickled
    out = list(
        ordered_map(_work, iter(big), workers=2, initializer=_init, initargs=(1,), work_here=True)
    )
    assert [r for _, r in out] == [[i + 1] * 300_000 for i in range(6)]


def test_work_here_raises_a_childs_exception_in_order() -> None:
    results = ordered_map(_fail_on_seven, ([i] for i in range(20)), workers=2, work_here=True)
    assert [next(results) for _ in range(7)] == [[i] for i in range(7)]
    with pytest.raises(ValueError, match="seven"):
        next(results)


def test_work_here_stops_its_children_when_closed_early() -> None:
    results = ordered_map(_slow, ([i] for i in range(100)), workers=3, initializer=_init,
                          initargs=(0,), work_here=True)  # fmt: skip
    next(results)
    results.close()
    assert multiprocessing.active_children() == []


def test_work_here_raises_an_exception_from_the_child() -> None:
    # The first chunk always goes to a child.
    with pytest.raises(ValueError, match="seven"):
        list(ordered_map(_fail_on_seven, iter([[7]]), workers=2, work_here=True))


def _fail_here(chunk: list[int]) -> tuple[int, list[int]]:
    if _STATE["parent"] != os.getpid():
        time.sleep(0.2)  # the child is slow: the next chunks are mapped here
    elif chunk == [3]:
        raise ValueError("three")
    return _work(chunk)


def test_work_here_raises_its_own_exception_in_order() -> None:
    # Chunks 0 and 1 go to the slow child; 2 and 3 (which fails) are mapped
    # here meanwhile. The results before 3 come out first, as with one worker.
    _STATE.update(offset=0, parent=os.getpid())
    results = ordered_map(_fail_here, ([i] for i in range(10)), workers=2, work_here=True)
    assert [next(results)[1] for _ in range(3)] == [[0], [1], [2]]
    with pytest.raises(ValueError, match="three"):
        next(results)


def _die_in_child(chunk: list[int]) -> list[int]:
    if _STATE["parent"] != os.getpid():
        os._exit(3)
    return chunk


def test_work_here_reports_a_child_that_died() -> None:
    _STATE["parent"] = os.getpid()
    with pytest.raises(RuntimeError, match=r"ended unexpectedly \(exit code 3\)"):
        list(ordered_map(_die_in_child, ([i] for i in range(10)), workers=2, work_here=True))
    assert multiprocessing.active_children() == []
