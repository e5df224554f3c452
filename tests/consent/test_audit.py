"""The audit chain: every tampering is detected; a failed audit write releases nothing."""

from __future__ import annotations

import tracemalloc

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import OperationalError

from desens.consent import AuditWriteError, ConsentStore, checkpoint, query, verify_chain
from desens.consent import audit as audit_module
from desens.consent.audit import entry_hash
from desens.consent.models import AuditEntry, AuditHead, Consent
from tests.consent.consent_support import World


def report(world: World):  # type: ignore[no-untyped-def]
    with world.store.reading() as s:
        return verify_chain(s, world.store.keys.public_key)


def sql(world: World, statement: str, **params: object) -> None:
    with world.store.transaction() as s:
        s.execute(text(statement), params)


@pytest.fixture
def busy(world: World) -> World:
    """A world with a dozen access decisions and a checkpoint at the head."""
    _, token = world.give(world.subjects[0])
    for _ in range(5):
        query(world.store, world.recipient, token)
    with world.store.transaction() as s:
        checkpoint(s, world.store.keys)
    return world


def test_untouched_chain_verifies(busy: World) -> None:
    r = report(busy)
    assert r.ok, r.problems
    assert r.entries >= 12 and r.checkpoints == 1


def test_entries_hold_names_and_refs_never_values(busy: World) -> None:
    with busy.store.reading() as s:
        dump = repr([e.__dict__ for e in s.scalars(select(AuditEntry))])
    record = busy.records[busy.subjects[0]]
    for value in (*record.values(), busy.subjects[0]):
        assert value not in dump
    assert busy.store.keys.subject_ref(busy.subjects[0]) in dump


def test_edited_entry_is_detected(busy: World) -> None:
    sql(busy, "UPDATE audit_entries SET reason = 'consented ' WHERE seq = 9")
    r = report(busy)
    assert not r.ok and any(p.startswith("entry 9: content") for p in r.problems)


def test_edited_released_fields_are_detected(busy: World) -> None:
    sql(busy, "UPDATE audit_entries SET fields_released = '[]' WHERE seq = 10")
    assert any(p.startswith("entry 10:") for p in report(busy).problems)


def test_deleted_entry_is_detected(busy: World) -> None:
    sql(busy, "DELETE FROM audit_entries WHERE seq = 5")
    problems = report(busy).problems
    assert "entry 5: missing (next entry is 6)" in problems


def test_reordered_entries_are_detected(busy: World) -> None:
    with busy.store.transaction() as s:
        a = s.get(AuditEntry, 7)
        b = s.get(AuditEntry, 8)
        assert a is not None and b is not None
        cols = [
            "at",
            "actor",
            "action",
            "consent_id",
            "dataset_id",
            "subject_ref",
            "purpose",
            "fields_requested",
            "fields_released",
            "decision",
            "reason",
            "prev_hash",
            "hash",
        ]
        va = {c: getattr(a, c) for c in cols}
        vb = {c: getattr(b, c) for c in cols}
        for c in cols:
            setattr(a, c, vb[c])
            setattr(b, c, va[c])
    assert not report(busy).ok


def test_truncation_is_detected_even_with_a_rewritten_head(busy: World) -> None:
    with busy.store.reading() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(3)).all()
    new_head = last[2]
    sql(busy, "DELETE FROM audit_entries WHERE seq > :seq", seq=new_head.seq)
    sql(busy, "UPDATE audit_head SET seq = :seq, hash = :h", seq=new_head.seq, h=new_head.hash)
    problems = report(busy).problems
    assert any("truncated" in p and p.startswith("checkpoint") for p in problems)


def test_truncation_after_the_last_checkpoint_is_caught_by_the_head(busy: World) -> None:
    _, token = busy.give(busy.subjects[1])
    query(busy.store, busy.recipient, token)
    sql(busy, "DELETE FROM audit_entries WHERE seq = (SELECT MAX(seq) FROM audit_entries)")
    assert any("truncated" in p for p in report(busy).problems)


def test_forged_checkpoint_is_detected(busy: World) -> None:
    sql(busy, "UPDATE audit_checkpoints SET head_hash = :h", h="1" * 64)
    assert any("bad signature" in p for p in report(busy).problems)


def test_checkpoints_are_signed_every_n_entries(world: World) -> None:
    # The fixture's settings sign every 50 entries.
    _, token = world.give(world.subjects[0])
    for _ in range(50):
        query(world.store, world.recipient, token)
    r = report(world)
    assert r.ok and r.checkpoints == 1


def test_failed_audit_write_releases_nothing(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    consent, token = world.give(world.subjects[0])

    def broken(session, entry):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(audit_module, "_insert", broken)
    with pytest.raises(AuditWriteError) as info:
        query(world.store, world.recipient, token)
    assert "nothing was released" in str(info.value)
    monkeypatch.undo()
    with world.store.reading() as s:
        assert s.get(Consent, consent.id).uses == 0  # type: ignore[union-attr]
    assert report(world).ok


def _append_raw(store: ConsentStore, n: int) -> None:
    # Valid entries written in one go: appending them one by one takes too long.
    with store.transaction() as s:
        head = s.get(AuditHead, 1)
        assert head is not None
        rows = []
        for seq in range(head.seq + 1, head.seq + n + 1):
            fields: dict[str, object] = {
                "seq": seq,
                "at": "2026-01-01T00:00:00+00:00",
                "actor": "a" * 32,
                "action": "access.query",
                "consent_id": None,
                "dataset_id": None,
                "subject_ref": None,
                "purpose": None,
                "fields_requested": [],
                "fields_released": [],
                "decision": "granted",
                "reason": "consented",
                "prev_hash": head.hash,
            }
            fields["hash"] = head.hash = entry_hash(fields)
            head.seq = seq
            rows.append(fields)
        s.execute(insert(AuditEntry), rows)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_verify_memory_does_not_grow_with_the_log(store: ConsentStore) -> None:
    def peak() -> int:
        tracemalloc.start()
        try:
            with store.reading() as s:
                result = verify_chain(s, store.keys.public_key)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert result.ok, result.problems

    _append_raw(store, 1000)
    with store.transaction() as s:
        checkpoint(s, store.keys)
    small = peak()
    _append_raw(store, 4000)
    grown = peak() - small
    # Keeping every hash cost ~360 bytes an entry (1.4 MB here); streaming, ~0.
    assert grown < 300_000, grown
