"""Records at rest: sealed in the database, bound to their row, sealed on migration if older."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, func, select, text

from api import create_app
from desens.consent import AccessDenied, ConsentStore, DecisionFailed, query, verify
from desens.consent import db as db_module
from desens.consent import store as store_module
from desens.consent.crypto import ConsentKeys
from desens.consent.db import alembic_config, migrate
from desens.consent.models import AuditEntry, Base, Consent
from desens.errors import WrongKeyError
from desens.keys import KeyRing
from tests.consent.consent_support import World, snapshot_held, unseal_all


def every_stored_text(store: ConsentStore) -> str:
    """Every value of every row of every table, as text (what a dump of the database holds)."""
    values = []
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(text(f"SELECT * FROM {table.name}")):
                values += [v if isinstance(v, str) else json.dumps(v, default=str) for v in row]
    return "\n".join(values)


def raw_storage(store: ConsentStore) -> bytes:
    """The bytes the database keeps for records, dead row versions and free space included."""
    if store.engine.url.get_backend_name() == "sqlite":
        path = Path(str(store.engine.url.database))
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
        pages = conn.execute(
            text("SELECT pg_relation_size('records') / current_setting('block_size')::int")
        ).scalar()
        return b"".join(
            bytes(conn.execute(text("SELECT get_raw_page('records', :n)"), {"n": n}).scalar())
            for n in range(int(pages or 0))
        )


def record_values(world: World) -> list[str]:
    return [v for record in world.records.values() for v in record.values() if v]


def found_in(stored: str | bytes, world: World) -> list[str]:
    """The record values ``stored`` holds, as they are or JSON-escaped (``\\uXXXX``)."""
    forms = {v: (v, json.dumps(v)[1:-1]) for v in record_values(world)}
    if isinstance(stored, bytes):
        return [v for v, fs in forms.items() if any(f.encode() in stored for f in fs)]
    return [v for v, fs in forms.items() if any(f in stored for f in fs)]


def test_the_database_holds_no_value_of_any_record(world: World) -> None:
    _, token = world.give(world.subjects[0])
    assert (
        query(world.store, world.recipient, token).records[0]["手机号"]
        == (world.records[world.subjects[0]]["手机号"])
    )
    stored = every_stored_text(world.store)
    assert len(stored) > 1000
    assert found_in(stored, world) == []
    assert found_in(raw_storage(world.store), world) == []


def test_a_sealed_record_moved_to_another_subject_does_not_open(world: World) -> None:
    first, second = world.subjects[:2]
    consent, token = world.give(second)
    with world.store.engine.begin() as conn:
        ids = conn.execute(text("SELECT id FROM records ORDER BY id")).scalars().all()
        # Copy the first subject's sealed record over the second's.
        copied = conn.execute(text("SELECT sealed FROM records WHERE id = :a"), {"a": ids[0]})
        conn.execute(
            text("UPDATE records SET sealed = :s WHERE id = :b"),
            {"s": copied.scalar(), "b": ids[1]},
        )
    with world.store.transaction() as s:
        seq = s.scalar(select(func.max(AuditEntry.seq)))
    with pytest.raises(DecisionFailed) as info:
        query(world.store, world.recipient, token)
    assert isinstance(info.value.__cause__, WrongKeyError)
    message = f"{info.value} {info.value.__cause__}"
    assert found_in(message, world) == [] and first not in message
    # The failed decision is audited (nothing released, no use taken).
    with world.store.transaction() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.seq > seq)).all()
        used = s.scalar(select(Consent.uses).where(Consent.id == consent.id))
    assert [(e.action, e.decision, e.reason, e.consent_id, e.fields_released) for e in entries] == [
        ("access.query", "denied", "internal_error", consent.id, [])
    ]
    assert used == 0
    # Records open only once every check passed: refusals are refusals as ever.
    _, verify_token = world.give(second, mode="verify", items=[{"field": "手机号"}])
    refusals = {
        "token_other_recipient": lambda: query(world.store, world.other, token),
        "field_unknown": lambda: query(world.store, world.recipient, token, ["没有这一列"]),
        "field_not_consented": lambda: verify(
            world.store, world.recipient, verify_token, "姓名", "张三"
        ),
    }
    for reason, call in refusals.items():
        with pytest.raises(AccessDenied) as refused:
            call()
        assert refused.value.reason == reason


def test_records_name_their_key_and_open_under_any_ring_that_holds_it() -> None:
    old = KeyRing.generate("k1")
    sealed = ConsentKeys(old).seal_record("ds1", "ref1", {"手机号": "13800000001"})
    assert sealed.startswith("k1:") and "13800000001" not in sealed
    keys = ConsentKeys(old)
    assert keys.open_record("ds1", "ref1", sealed) == {"手机号": "13800000001"}
    assert keys.seal_record("ds1", "ref1", {"手机号": "13800000001"}) != sealed  # fresh nonce
    # The ring's default key changed to k2; k1 is still in it.
    rotated = ConsentKeys(KeyRing([old.get("k1"), KeyRing.generate("k2").get("k2")], default="k2"))
    assert rotated.open_record("ds1", "ref1", sealed) == {"手机号": "13800000001"}
    assert rotated.seal_record("ds1", "ref1", {"a": "b"}).startswith("k2:")
    with pytest.raises(WrongKeyError, match="'k1' is not in the key ring"):
        ConsentKeys(KeyRing.generate("k2")).open_record("ds1", "ref1", sealed)
    elsewhere = [
        (ConsentKeys(KeyRing.generate("k1")), "ds1", "ref1"),  # another key of that id
        (keys, "ds2", "ref1"),
        (keys, "ds1", "ref2"),
    ]
    for opener, dataset, ref in elsewhere:
        with pytest.raises(WrongKeyError, match="does not open under key 'k1'"):
            opener.open_record(dataset, ref, sealed)


def test_migrate_seals_records_stored_in_clear(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = world.store
    clear = unseal_all(store)
    assert found_in(every_stored_text(store), world)
    assert found_in(raw_storage(store), world)
    _, token = world.give(world.subjects[2])
    before = query(store, world.recipient, token).records  # still read while in clear
    monkeypatch.setattr(store_module, "SEAL_BATCH", 3)  # several transactions
    assert store.migrate() == clear == 4
    assert found_in(every_stored_text(store), world) == []
    # Nor in dead row versions or free pages: the table was rewritten.
    assert found_in(raw_storage(store), world) == []
    assert store.owed() == (0, False)
    with store.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM records WHERE data IS NOT NULL")).scalar() == 0
        )
    assert query(store, world.recipient, token).records == before
    assert store.migrate() == 0


def test_a_server_that_does_not_migrate_says_how_many_records_are_in_clear(  # type: ignore[no-untyped-def]
    world: World, caplog, monkeypatch
) -> None:
    settings = world.store.settings.model_copy(update={"auto_migrate": False})
    with caplog.at_level(logging.WARNING, logger="desens.api"):
        create_app(settings, store=world.store)
        assert caplog.text == ""
        unseal_all(world.store)
        create_app(settings, store=world.store)
        assert "4 records are stored in clear:" in caplog.text
        assert found_in(caplog.text, world) == []
        caplog.clear()
        # Sealed again, but the table's rewrite could not be done.
        monkeypatch.setattr(store_module, "reclaim", lambda engine, table: "not now")
        assert world.store.migrate() == 4
        create_app(settings, store=world.store)
    assert "0 records are stored in clear, and old clear copies may remain" in caplog.text


def test_a_rewrite_that_cannot_be_done_now_is_owed_until_it_can(  # type: ignore[no-untyped-def]
    world: World, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(db_module, "RECLAIM_WAIT_SECONDS", 1)
    store = world.store
    unseal_all(store)
    with snapshot_held(store), caplog.at_level(logging.WARNING, logger="desens.consent.store"):
        assert store.migrate() == 4
        # Sealed, but another session may still see the clear versions: not rewritten yet.
        assert "the next migration tries again" in caplog.text
        assert found_in(caplog.text, world) == []
        assert store.owed() == (0, True)
    assert found_in(raw_storage(store), world)
    assert store.migrate() == 0  # nothing left to seal; the rewrite it still owed
    assert store.owed() == (0, False)
    assert found_in(raw_storage(store), world) == []


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_an_open_transaction_without_a_snapshot_also_defers_the_rewrite(  # type: ignore[no-untyped-def]
    world: World, monkeypatch
) -> None:
    # A transaction with an id, between two statements: no snapshot, but
    # VACUUM would keep the row versions it may still see.
    monkeypatch.setattr(db_module, "RECLAIM_WAIT_SECONDS", 1)
    store = world.store
    unseal_all(store)
    with store.engine.connect() as conn:
        conn.execute(text("SELECT txid_current()")).all()
        assert store.migrate() == 4
        assert store.owed() == (0, True)
    assert store.migrate() == 0 and store.owed() == (0, False)
    assert found_in(raw_storage(store), world) == []


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_a_role_that_may_not_vacuum_leaves_the_rewrite_owed(world: World) -> None:
    # VACUUM FULL by such a role only warns and does nothing: not a success.
    store = world.store
    role = f"desens_probe_{uuid.uuid4().hex[:8]}"
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
    engine = create_engine(store.engine.url.set(username=role))
    try:
        reason = db_module.reclaim(engine, "records")
        assert reason is not None and "may not VACUUM records" in reason
    finally:
        engine.dispose()
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")


def test_an_upgrade_from_clear_records_owes_the_rewrite_until_it_is_done(world: World) -> None:
    # A database of revision 0002 with records (in clear, as it stored them).
    store = world.store
    unseal_all(store)
    config = alembic_config(store.engine)
    command.downgrade(config, "0002")
    try:
        migrate(store.engine)  # the schema alone
        with store.engine.connect() as conn:
            tasks = conn.execute(text("SELECT name FROM maintenance_tasks")).scalars().all()
        assert tasks == ["reclaim_records"] and store.owed() == (4, True)
    finally:
        migrate(store.engine)
    assert store.migrate() == 4
    assert store.owed() == (0, False)
    assert found_in(raw_storage(store), world) == []
