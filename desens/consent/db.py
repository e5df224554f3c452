"""Engines and sessions: SQLite (WAL) by default, PostgreSQL by URL.

SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` transactions, so writers
queue on the database lock instead of failing to upgrade a read lock; the
audit chain then appends in commit order. On PostgreSQL the chain head row
is locked (``SELECT ... FOR UPDATE``) by every append, which gives the same
order. :func:`migrate` brings a database to the newest Alembic revision.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

__all__ = ["alembic_config", "is_memory_sqlite", "make_engine", "make_sessionmaker", "migrate"]


def is_memory_sqlite(url: str) -> bool:
    """True for an in-memory SQLite URL (one connection, shared)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def make_engine(url: str, *, pool_size: int = 10, immediate: bool = True) -> Engine:
    """An engine for ``url`` with the settings the consent store relies on.

    Args:
        url: ``sqlite:///path.db``, ``sqlite:///:memory:`` or a PostgreSQL URL
            (``postgresql://`` is read as ``postgresql+psycopg://``).
        pool_size: Connections kept open (PostgreSQL).
        immediate: SQLite only: begin every transaction with ``BEGIN IMMEDIATE``
            (for writers); False gives deferred transactions, for readers.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(parsed, **kwargs)
        _sqlite_setup(engine, immediate)
        return engine
    return create_engine(parsed, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_setup(engine: Engine, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (newest by default)."""
    command.upgrade(alembic_config(engine), revision)
