"""The consent store: engine, sessions, keys and policy cache in one object.

Build one per process (the API's app factory and the CLI do) and pass it
around; nothing is global.

Example:
    >>> from desens.keys import KeyRing
    >>> store = ConsentStore(ConsentSettings(database_url="sqlite:///:memory:"), KeyRing.generate())
    >>> store.migrate()  # the records it had to seal
    0
    >>> from desens.consent.principals import create_principal
    >>> with store.transaction() as session:
    ...     admin, api_key = create_principal(session, store.keys, role="admin", name="ops")
    >>> api_key.startswith("dsk_")
    True
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from desens.consent.crypto import ConsentKeys
from desens.consent.datasets import (
    SEAL_BATCH,
    PolicyCache,
    count_clear_records,
    seal_clear_records,
)
from desens.consent.db import (
    WalCheckpointer,
    is_memory_sqlite,
    make_engine,
    make_sessionmaker,
    migrate,
    reclaim,
)
from desens.consent.grouping import GroupWriter
from desens.consent.models import MaintenanceTask, Principal
from desens.consent.principals import authenticate
from desens.consent.settings import ConsentSettings
from desens.keys import KeyRing

__all__ = ["ConsentStore"]

logger = logging.getLogger(__name__)

#: The maintenance task of records sealed in place (see ``MaintenanceTask``).
RECLAIM_RECORDS = "reclaim_records"


def _owe(session: Session, task: str) -> None:
    """Record a maintenance task; one already recorded (by another server too) stays."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(MaintenanceTask).values(name=task).on_conflict_do_nothing())


class ConsentStore:
    """Everything the consent service needs to reach its database and keys.

    Args:
        settings: The service settings.
        ring: The key ring; ``settings.load_keys()`` when None.
        engine: An engine to use instead of one made from ``settings.database_url``.
    """

    def __init__(
        self, settings: ConsentSettings, ring: KeyRing | None = None, engine: Engine | None = None
    ) -> None:
        self.settings = settings
        self.ring = ring if ring is not None else settings.load_keys()
        self.keys = ConsentKeys(self.ring)
        # A file SQLite database of our own engine is checkpointed by a thread
        # of ours, not by whichever commit crosses SQLite's threshold.
        own_wal = (
            engine is None
            and make_url(settings.database_url).get_backend_name() == "sqlite"
            and not is_memory_sqlite(settings.database_url)
        )
        self.engine = engine or make_engine(
            settings.database_url, pool_size=settings.pool_size, autocheckpoint=not own_wal
        )
        self.sessions = make_sessionmaker(self.engine)
        # SQLite readers (API-key lookups, history) need no write lock.
        url = self.engine.url.render_as_string(hide_password=False)
        if self.engine.url.get_backend_name() == "sqlite" and not is_memory_sqlite(url):
            self.read_engine = make_engine(url, immediate=False, autocheckpoint=not own_wal)
        else:
            self.read_engine = self.engine
        self._checkpointer = WalCheckpointer(self.read_engine) if own_wal else None
        self.readers = make_sessionmaker(self.read_engine)
        # SQLite has one writer at a time; queueing writers here instead of in
        # SQLite's busy handler (which sleeps and retries) keeps latency flat.
        self._auth_cache: dict[str, tuple[float, Principal]] = {}
        self._write_lock: threading.Lock | None = (
            threading.Lock() if self.engine.url.get_backend_name() == "sqlite" else None
        )
        #: True when a write transaction holds the database's one write lock
        #: from its first statement (SQLite, BEGIN IMMEDIATE): nothing else
        #: commits while it runs.
        self.serialized_writes = self._write_lock is not None
        self.policies = PolicyCache(self.ring)
        self._writer: GroupWriter[Any] | None = None
        self._writer_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ConsentStore(url={self.engine.url!r}, keys={self.keys!r})"

    def migrate(self) -> int:
        """Bring the schema to the newest revision and seal the records stored in clear.

        Records written before revision 0003 were stored in clear; the
        schema migration cannot seal them (it has no key), so this does,
        :data:`~desens.consent.datasets.SEAL_BATCH` per transaction, and
        then rewrites the table so that no old copy of them stays in the
        database's files (:meth:`reclaim_records`).

        Returns:
            The number of records found in clear and sealed (0 once none is
            left; a record deleted meanwhile counts too).
        """
        migrate(self.engine)
        sealed = 0
        while True:
            with self.transaction() as session:
                done = seal_clear_records(session, self.keys, SEAL_BATCH)
                if done:  # owed from the batch's own commit on, whatever happens next
                    _owe(session, RECLAIM_RECORDS)
            sealed += done
            if done < SEAL_BATCH:
                break
        if sealed:
            logger.info("sealed %d records stored in clear", sealed)
        self.reclaim_records()
        return sealed

    def reclaim_records(self) -> str | None:
        """Rewrite the records table if records were sealed in place and it was not yet done.

        The task is kept in the database until the rewrite succeeds
        (:func:`~desens.consent.db.reclaim`), so a migration that could not
        do it (another session open, a lock not granted) leaves it to the
        next one, and says so in the log.

        Returns:
            None when nothing is owed any more; otherwise why it still is.
        """
        with self.reading() as session:
            if session.get(MaintenanceTask, RECLAIM_RECORDS) is None:
                return None
        why = reclaim(self.engine, "records")
        if why is not None:
            logger.warning(
                "records are sealed, but their clear versions may remain in the database's "
                "files until the records table is rewritten: %s; the next migration tries again",
                why,
            )
            return why
        with self.transaction() as session:
            session.execute(delete(MaintenanceTask).where(MaintenanceTask.name == RECLAIM_RECORDS))
        logger.info("records table rewritten: no clear copy of a record is left in its files")
        return None

    def owed(self) -> tuple[int, bool]:
        """Records still in clear, and whether the records table still has to be rewritten."""
        with self.reading() as session:
            task = session.get(MaintenanceTask, RECLAIM_RECORDS)
            return count_clear_records(session), task is not None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        if self._write_lock is None:
            with self.sessions.begin() as session:
                yield session
            return
        with self._write_lock, self.sessions.begin() as session:
            yield session

    def cached_principal(self, api_key: str | None) -> Principal | None:
        """The principal of ``api_key`` if it is cached and fresh, else None.

        No I/O, so an async caller can try it before going to a thread for
        :meth:`principal_for_key`.
        """
        ttl = self.settings.auth_cache_seconds
        if not ttl or not api_key:
            return None
        hit = self._auth_cache.get(self.keys.api_key_hash(api_key))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection in a write transaction, for the access decisions.

        The same transaction as :meth:`transaction` (committed on success,
        rolled back on error, SQLite writers queued) without an ORM session.
        """
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    def decision_writer(self, run: Callable[[list[Any]], None]) -> GroupWriter[Any]:
        """The thread that commits access decisions in groups (started on first use).

        Args:
            run: What decides a group (the access module's); used when the
                thread is started.
        """
        with self._writer_lock:
            if self._writer is None:
                self._writer = GroupWriter(
                    run,
                    self.settings.group_commit,
                    name="desens-access-decisions",
                    max_wait=self.settings.group_wait_ms / 1000,
                )
            return self._writer

    def principal_for_key(self, api_key: str | None) -> Principal:
        """The principal an API key belongs to, cached ``auth_cache_seconds``.

        Raises:
            NotAuthenticated: If the key is missing, unknown or revoked.
        """
        ttl = self.settings.auth_cache_seconds
        digest = self.keys.api_key_hash(api_key) if api_key else ""
        now = time.monotonic()
        if ttl and digest:
            hit = self._auth_cache.get(digest)
            if hit is not None and hit[0] > now:
                return hit[1]
        with self.reading() as session:
            principal = authenticate(session, self.keys, api_key)
            session.expunge(principal)
        if ttl:
            if len(self._auth_cache) > 10_000:
                self._auth_cache.clear()
            self._auth_cache[digest] = (now + ttl, principal)
        return principal

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session (SQLite: a deferred transaction that takes no write lock)."""
        with self.readers.begin() as session:
            yield session

    def close(self) -> None:
        """Finish the queued decisions, then close every pooled connection."""
        with self._writer_lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        if self._checkpointer is not None:
            self._checkpointer.close()
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
