"""Engines: pooled PostgreSQL connections that died while idle are replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from desens.consent import QueryResult, query
from desens.consent import db as db_module
from tests.consent.consent_support import World


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
@pytest.mark.parametrize("idle_ping", [True, False])
def test_connections_killed_while_idle(world: World, monkeypatch, idle_ping: bool) -> None:  # type: ignore[no-untyped-def]
    _, token = world.give(world.subjects[0])
    query(world.store, world.recipient, token)  # the pool holds connections now
    # The backends of every connection idle in the store's pool (only those:
    # the test session's own engine shares the database).
    engine = world.store.engine
    held = [engine.raw_connection() for _ in range(engine.pool.checkedin())]  # type: ignore[attr-defined]
    pids = [c.driver_connection.info.backend_pid for c in held]  # type: ignore[union-attr]
    for c in held:
        c.close()
    # Pinged when idle longer than this; never, for the control case.
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0 if idle_ping else 1e9)
    killer = create_engine(engine.url, poolclass=NullPool)
    with killer.connect() as conn:
        killed = conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE pid = ANY(%(pids)s)",
            {"pids": pids},
        ).scalar()
    killer.dispose()
    assert pids and killed == len(pids)
    try:
        if idle_ping:
            assert isinstance(query(world.store, world.recipient, token), QueryResult)
        else:  # the test can fail: without the ping the dead connection is used
            with pytest.raises(Exception, match=r"terminat|closed|connection"):
                query(world.store, world.recipient, token)
    finally:
        engine.dispose()  # the engine outlives the test: no dead connection left in it


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_sqlite_commits_are_synced_and_checkpointed_by_the_store(world: World) -> None:
    store = world.store
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        conn.rollback()
    _, token = world.give(world.subjects[0])
    query(world.store, world.recipient, token)
    checkpointer = store._checkpointer
    assert checkpointer is not None
    busy, log, done = checkpointer.checkpoint()
    assert busy == 0 and log == done  # everything in the WAL reached the database file
