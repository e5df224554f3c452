"""Records at rest: sealed in the database, bound to their row, sealed on migration if older."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from desens.consent import ConsentStore, query
from desens.consent import store as store_module
from desens.consent.crypto import ConsentKeys
from desens.consent.models import Base
from desens.errors import WrongKeyError
from desens.keys import KeyRing
from tests.consent.consent_support import World


def every_stored_text(store: ConsentStore) -> str:
    """Every row of every table, as text (what a copy of the database holds)."""
    rows = []
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {table.name}"))]
    return "\n".join(rows)


def record_values(world: World) -> list[str]:
    return [v for record in world.records.values() for v in record.values() if v]


def test_the_database_holds_no_value_of_any_record(world: World) -> None:
    _, token = world.give(world.subjects[0])
    assert (
        query(world.store, world.recipient, token).records[0]["手机号"]
        == (world.records[world.subjects[0]]["手机号"])
    )
    stored = every_stored_text(world.store)
    assert len(stored) > 1000
    leaked = [v for v in record_values(world) if v in stored]
    assert leaked == []
    # Unicode escapes in JSON would hide a value from the check above.
    assert all(json.dumps(v) not in stored for v in record_values(world))


def test_a_sealed_record_moved_to_another_subject_does_not_open(world: World) -> None:
    first, second = world.subjects[:2]
    _, token = world.give(second)
    with world.store.engine.begin() as conn:
        ids = conn.execute(text("SELECT id FROM records ORDER BY id")).scalars().all()
        # Copy the first subject's sealed record over the second's.
        copied = conn.execute(text("SELECT sealed FROM records WHERE id = :a"), {"a": ids[0]})
        conn.execute(
            text("UPDATE records SET sealed = :s WHERE id = :b"),
            {"s": copied.scalar(), "b": ids[1]},
        )
    with pytest.raises(WrongKeyError) as info:
        query(world.store, world.recipient, token)
    assert all(v not in str(info.value) for v in record_values(world))
    assert first not in str(info.value)


def test_records_do_not_open_under_another_key(world: World) -> None:
    ring = KeyRing.generate()
    keys, other = ConsentKeys(ring), ConsentKeys(KeyRing.generate())
    sealed = keys.seal_record("ds1", "ref1", {"手机号": "13800000001"})
    assert keys.open_record("ds1", "ref1", sealed) == {"手机号": "13800000001"}
    assert keys.seal_record("ds1", "ref1", {"手机号": "13800000001"}) != sealed  # fresh nonce
    for opener, dataset, ref in (
        (other, "ds1", "ref1"),
        (keys, "ds2", "ref1"),
        (keys, "ds1", "ref2"),
    ):
        with pytest.raises(WrongKeyError, match="does not open"):
            opener.open_record(dataset, ref, sealed)


def test_migrate_seals_records_stored_in_clear(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # As a database written before revision 0003 holds them: data in clear, nothing sealed.
    store = world.store
    with store.engine.begin() as conn:
        rows = conn.execute(text("SELECT id, dataset_id, subject_ref, sealed FROM records")).all()
        for row in rows:
            record = store.keys.open_record(row.dataset_id, row.subject_ref, row.sealed)
            conn.execute(
                text("UPDATE records SET data = :data, sealed = NULL WHERE id = :id"),
                {"data": json.dumps(record, ensure_ascii=False), "id": row.id},
            )
    assert any(v in every_stored_text(store) for v in record_values(world))
    _, token = world.give(world.subjects[2])
    before = query(store, world.recipient, token).records  # still read while in clear
    monkeypatch.setattr(store_module, "SEAL_BATCH", 3)  # several transactions
    assert store.migrate() == len(rows) == 4
    assert [v for v in record_values(world) if v in every_stored_text(store)] == []
    with store.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM records WHERE data IS NOT NULL")).scalar() == 0
        )
    assert query(store, world.recipient, token).records == before
    assert store.migrate() == 0
