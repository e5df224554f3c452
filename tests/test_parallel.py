from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import time

import pytest

from desens.parallel import _Inbox, _message, ordered_map, out_of_band

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


class _Blob:
    """A chunk whose bytes pickle out of band, as RawChunk's do."""

    def __init__(self, tag: int, data: bytes | memoryview) -> None:
        self.tag = tag
        self.data = bytes(data)

    def __reduce_ex__(self, protocol):
        return (_Blob, (self.tag, out_of_band(self.data, protocol)))


def _blob_work(chunk: _Blob) -> tuple[int, int, bytes]:
    return chunk.tag, len(chunk.data), hashlib.sha256(chunk.data).digest()


def test_work_here_moves_out_of_band_buffers_intact() -> None:
    blobs = [_Blob(i, os.urandom(n)) for i, n in enumerate([0, 1, 3_000_000, 70_000, 2_500_000])]
    out = list(ordered_map(_blob_work, iter(blobs), workers=2, work_here=True, max_pending=4))
    assert out == [(b.tag, len(b.data), hashlib.sha256(b.data).digest()) for b in blobs]


def test_out_of_band_only_with_protocol_5() -> None:
    blob = _Blob(7, b"abc")
    buffers: list[pickle.PickleBuffer] = []
    pickled = pickle.dumps(blob, protocol=5, buffer_callback=buffers.append)
    assert b"abc" not in pickled and [bytes(b.raw()) for b in buffers] == [b"abc"]
    assert pickle.loads(pickled, buffers=[bytearray(b"abc")]).data == b"abc"
    assert pickle.loads(pickle.dumps(blob, protocol=4)).data == b"abc"  # in band


@pytest.mark.parametrize("step", [1, 7, 4096], ids=["byte-by-byte", "odd-pieces", "pages"])
def test_inbox_reassembles_messages_from_any_pieces(step: int) -> None:
    messages = [
        (False, [1, 2, 3]),
        _Blob(1, b""),
        _Blob(2, os.urandom(10_000)),
        (True, ValueError("x")),
        [_Blob(3, b"a"), _Blob(4, os.urandom(5_000))],
    ]
    wire = b"".join(bytes(piece) for m in messages for piece in _message(m))
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    inbox = _Inbox(read_fd)
    got: list[object] = []
    try:
        assert inbox.read() == []  # nothing yet: no wait
        for at in range(0, len(wire), step):
            os.write(write_fd, wire[at : at + step])
            got.extend(inbox.read())
        os.close(write_fd)
        with pytest.raises(EOFError):
            inbox.read()
    finally:
        os.close(read_fd)
    assert len(got) == len(messages)
    assert got[0] == (False, [1, 2, 3])
    assert [(b.tag, b.data) for b in (got[1], got[2])] == [(1, b""), (2, messages[2].data)]
    assert got[3][0] is True and str(got[3][1]) == "x"
    assert [(b.tag, b.data) for b in got[4]] == [(3, b"a"), (4, messages[4][1].data)]


def _refuse(tag: int) -> object:
    raise ValueError(f"cannot rebuild chunk {tag}")


class _Unloadable:
    """A chunk that pickles in the parent but cannot be rebuilt in a child."""

    def __init__(self, tag: int) -> None:
        self.tag = tag

    def __reduce__(self):
        if _STATE.get("parent") == os.getpid():
            return (_refuse, (self.tag,))
        return (_Unloadable, (self.tag,))


def test_work_here_raises_a_chunk_that_cannot_be_unpickled_in_the_child() -> None:
    _STATE["parent"] = os.getpid()
    # The first chunk always goes to a child; it is raised here as the child met it.
    with pytest.raises(ValueError, match="cannot rebuild chunk 0"):
        list(ordered_map(lambda c: c.tag, iter([_Unloadable(0)]), workers=2, work_here=True))
    assert multiprocessing.active_children() == []
