"""Settings of the consent service: one object, from the environment or a file.

Every setting is an environment variable with the ``DESENS_`` prefix, or a
line of a ``.env``-style file given as ``_env_file`` / ``desens serve --env-file``.
The README's "Consent API" section lists them all (a test checks that).

Example:
    >>> s = ConsentSettings(database_url="sqlite:///:memory:")
    >>> s.database_url
    'sqlite:///:memory:'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from desens.keys import KeyRing

__all__ = ["ConsentSettings"]


class ConsentSettings(BaseSettings):
    """Settings of the consent store and API.

    Attributes:
        database_url: SQLAlchemy URL; a SQLite file by default (WAL mode),
            ``postgresql+psycopg://user@host/db`` for PostgreSQL.
        keyring: Key-ring file; every secret of the service is derived from it.
            When unset, ``DESENS_KEYRING`` / ``DESENS_KEY`` are read at start.
        host: Address ``desens serve`` binds to.
        port: Port ``desens serve`` listens on.
        checkpoint_every: Sign a checkpoint of the audit chain every N entries.
        pool_size: Database connection pool size (PostgreSQL).
        auto_migrate: Run the Alembic migrations when the app starts.
        receipts: Return an Ed25519-signed consent receipt when a consent is given.
        auth_cache_seconds: How long an API key's principal is remembered
            (0: look it up on every request). Suspension is always re-read
            in the access transaction, so it still takes effect at once.
        worker_threads: Threads that run requests (the store is synchronous).
        group_commit: Most access decisions committed in one transaction
            (1: each alone). Decisions waiting at the same moment share one
            transaction and one durable commit; each is still audited in the
            transaction that releases its data, and answered only after it
            committed.
        group_wait_ms: How long a group of access decisions waits for more
            to join it, only after a group of several (0: never waits). Under
            concurrent load this merges the cohorts of callers into fewer,
            larger groups; a lone caller never waits.
        access_log: Let uvicorn log one line per request (method, path, status;
            never a body, and no route puts a value in its path).
        verify_max_mismatches: "No match" answers a verify consent gives in
            its lifetime; then it answers nothing more, not even a match.
            Without a limit a recipient could try every value of a field
            until one matches: an ID number of a known birth date and
            division has about 1,000 candidates, a mobile of known first seven
            digits 10,000. A genuine check rarely misses more than
            once or twice (a typo); the subject gives a new consent to go on.
            Raising the limit lets consents that reached the old one answer
            again.
    """

    model_config = SettingsConfigDict(env_prefix="DESENS_", extra="ignore")

    database_url: str = "sqlite:///desens-consent.db"
    keyring: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    checkpoint_every: int = Field(default=1000, ge=1)
    pool_size: int = Field(default=10, ge=1, le=200)
    auto_migrate: bool = True
    receipts: bool = True
    auth_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    worker_threads: int = Field(default=4, ge=1, le=200)
    access_log: bool = True
    group_commit: int = Field(default=32, ge=1, le=1000)
    group_wait_ms: float = Field(default=2.0, ge=0, le=100)
    verify_max_mismatches: int = Field(default=5, ge=1, le=1000)

    def load_keys(self) -> KeyRing:
        """The key ring named by ``keyring``, else the ``DESENS_KEYRING``/``DESENS_KEY`` one."""
        if self.keyring is not None:
            return KeyRing.load(self.keyring)
        return KeyRing.from_env()
