"""Engines and sessions: SQLite (WAL) by default, PostgreSQL by URL.

SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` transactions, so writers
queue on the database lock instead of failing to upgrade a read lock; the
audit chain then appends in commit order. On PostgreSQL the chain head row
is locked (``SELECT ... FOR UPDATE``) by every append, which gives the same
order. :func:`migrate` brings a database to the newest Alembic revision.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

__all__ = [
    "WalCheckpointer",
    "alembic_config",
    "is_memory_sqlite",
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "reclaim",
    "schema_revision",
]

logger = logging.getLogger(__name__)

#: How long a SQLite connection waits for the database lock (``busy_timeout``).
_BUSY_TIMEOUT_MS = 30_000


def is_memory_sqlite(url: str) -> bool:
    """True for an in-memory SQLite URL (one connection, shared)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def make_engine(
    url: str, *, pool_size: int = 10, immediate: bool = True, autocheckpoint: bool = True
) -> Engine:
    """An engine for ``url`` with the settings the consent store relies on.

    Args:
        url: ``sqlite:///path.db``, ``sqlite:///:memory:`` or a PostgreSQL URL
            (``postgresql://`` is read as ``postgresql+psycopg://``).
        pool_size: Connections kept open (PostgreSQL).
        immediate: SQLite only: begin every transaction with ``BEGIN IMMEDIATE``
            (for writers); False gives deferred transactions, for readers.
        autocheckpoint: SQLite only: False turns off SQLite's checkpoints at
            commit (the caller runs a :class:`WalCheckpointer`).
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        kwargs: dict[str, Any] = {
            "connect_args": {"check_same_thread": False, "timeout": _BUSY_TIMEOUT_MS / 1000}
        }
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(parsed, **kwargs)
        _sqlite_setup(engine, immediate, autocheckpoint)
        return engine
    engine = create_engine(parsed, pool_size=pool_size, max_overflow=pool_size)
    _ping_when_idle(engine)
    return engine


#: A pooled connection idle longer than this is pinged before it is used.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    # SQLAlchemy's pool_pre_ping pings on every checkout: a round trip per
    # transaction, paid again by every group of access decisions. A server
    # restart or a dropped idle connection is caught the same way here, by a
    # ping after the connection sat idle; one taken back within a second is
    # used as it is (if it broke meanwhile, the statement's error invalidates
    # the pool, as it would have after a successful ping).
    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping runs
        except Exception as error:
            # The pool discards this connection and tries a new one.
            raise exc.DisconnectionError(f"a pooled connection is gone ({error})") from None


def _sqlite_setup(engine: Engine, immediate: bool, autocheckpoint: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it returns. With NORMAL, WAL mode
        # can lose the last commits on power loss: data already released,
        # its audit entry gone.
        cursor.execute("PRAGMA synchronous=FULL")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        # Deleted and overwritten content is zeroed, not left in free space
        # (records of a resolved objection; some SQLite builds do this by default).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: How often a :class:`WalCheckpointer` checkpoints.
WAL_CHECKPOINT_SECONDS = 0.25


class WalCheckpointer:
    """Checkpoints a SQLite WAL from its own thread, off the commit path.

    SQLite's own checkpoint runs in the commit that crosses its threshold:
    that commit (and the decisions waiting behind it) waits for the pages
    to be copied to the database file and for two more fsyncs. A passive
    checkpoint takes no write lock, so here it runs beside the writers.
    Commits are as durable as before: a commit is on disk in the WAL.

    Args:
        engine: An engine on the database whose connections do not begin
            transactions on their own (a reader engine).
        every: Seconds between checkpoints.
    """

    def __init__(self, engine: Engine, every: float = WAL_CHECKPOINT_SECONDS) -> None:
        self._engine = engine
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="desens-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def checkpoint(self) -> tuple[int, int, int]:
        """Checkpoint now: (busy, pages in the WAL, pages checkpointed)."""
        raw = self._engine.raw_connection()
        try:
            cursor = raw.cursor()
            # The connection is in autocommit (see _sqlite_setup): no BEGIN.
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            row: Any = cursor.fetchone()
            cursor.close()
        finally:
            raw.close()
        busy, log, done = row
        return int(busy), int(log), int(done)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.checkpoint()
            except Exception:  # tried again next round; commits do not depend on it
                logger.warning("WAL checkpoint failed", exc_info=True)

    def close(self) -> None:
        """Stop the thread (a last checkpoint is left to closing the connections)."""
        self._stop.set()
        self._thread.join()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at the migrations shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("desens.consent") / "migrations"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


#: How long :func:`reclaim` waits for a lock before it gives up (to try again later).
RECLAIM_WAIT_SECONDS = 10

# Sessions and slots of this database that hold a snapshot or a transaction
# id (a transaction open since before the sealing holds its xid between
# statements, and no snapshot): VACUUM keeps every row version they may
# still see. Any of them defers the rewrite, whether it could see the old
# versions or not.
_SNAPSHOT_HOLDERS = """
SELECT (SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL))
     + (SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database())
     + (SELECT count(*) FROM pg_replication_slots
        WHERE xmin IS NOT NULL OR (database = current_database() AND catalog_xmin IS NOT NULL))
"""
# VACUUM FULL of a table this role may not vacuum only warns, and does nothing.
_MAY_VACUUM = """
SELECT pg_has_role(current_user, c.relowner, 'MEMBER')
    OR pg_has_role(current_user, d.datdba, 'MEMBER')
    OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
FROM pg_class c, pg_database d
WHERE c.oid = to_regclass(:table) AND d.datname = current_database()
"""


def reclaim(engine: Engine, table: str) -> str | None:
    """Rewrite the storage of ``table`` so that rows overwritten in it leave no old copy.

    An updated row's old version stays in the database's files until its
    space is reused: on PostgreSQL as a dead tuple until ``VACUUM FULL``
    rewrites the table, on SQLite in free pages and in the WAL until
    ``VACUUM`` and a truncating checkpoint. Copies outside the database
    files (WAL archives, backups, the filesystem's free blocks) are beyond
    reach. Takes the table's exclusive lock (PostgreSQL) or the database's
    (SQLite), waiting :data:`RECLAIM_WAIT_SECONDS` at most for it, and on
    PostgreSQL as long again for other sessions' snapshots to end.

    Returns:
        None when done; otherwise why not (nothing is lost: try again when
        no other session is open). On PostgreSQL it is not even tried while
        another session of the database holds a snapshot (``VACUUM FULL``
        would keep what that snapshot can see).
    """
    if engine.url.get_backend_name() == "sqlite":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            # The connection is in autocommit (see _sqlite_setup): no BEGIN.
            cursor.execute(f"PRAGMA busy_timeout={RECLAIM_WAIT_SECONDS * 1000}")
            try:
                cursor.execute("VACUUM")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = int(cursor.fetchone()[0])  # type: ignore[index]
            except sqlite3.OperationalError as error:
                return f"VACUUM did not finish ({error})"
            finally:
                cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
                cursor.close()
        finally:
            raw.close()
        return "a reader kept the WAL from being truncated" if busy else None
    # A connection of its own, closed after: the session setting and the
    # autocommit VACUUM needs never reach the pool.
    own = create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with own.connect() as conn:
            if not conn.execute(text(_MAY_VACUUM), {"table": table}).scalar():
                return f"this database role may not VACUUM {table}: migrate as its owner"
            # Waits for short ones to end (an autovacuum worker's, a request's).
            deadline = time.monotonic() + RECLAIM_WAIT_SECONDS
            while (holders := conn.exec_driver_sql(_SNAPSHOT_HOLDERS).scalar()) and (
                time.monotonic() < deadline
            ):
                time.sleep(0.1)
            if holders:
                return (
                    f"{holders} other sessions or replication slots hold a snapshot or an "
                    "open transaction: migrate again with no other server running"
                )
            conn.exec_driver_sql(f"SET lock_timeout = '{RECLAIM_WAIT_SECONDS}s'")
            try:
                conn.exec_driver_sql(f'VACUUM FULL "{table}"')
            except exc.DBAPIError as error:
                return f"VACUUM FULL did not finish ({type(error.orig).__name__})"
    finally:
        own.dispose()
    return None


def schema_revision(engine: Engine) -> tuple[str | None, str, frozenset[str]]:
    """The database's Alembic revision (None: none yet), this version's newest, and all it knows."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    assert head is not None
    known = frozenset(r.revision for r in scripts.walk_revisions())
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision(), head, known


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (newest by default)."""
    command.upgrade(alembic_config(engine), revision)
