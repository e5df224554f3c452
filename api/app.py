"""The app factory: ``create_app(settings)`` builds the whole service.

Example:
    >>> from desens.consent import ConsentSettings
    >>> from desens.keys import KeyRing
    >>> app = create_app(ConsentSettings(database_url="sqlite:///:memory:"), KeyRing.generate())
    >>> sorted(r for r in app.openapi()["paths"])[:2]
    ['/access/batch', '/access/query']
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from api.errors import install_handlers
from api.routers import access, admin, department, portal, public
from desens import __version__
from desens.consent.db import schema_revision
from desens.consent.settings import ConsentSettings
from desens.consent.store import ConsentStore
from desens.errors import ConfigError
from desens.keys import KeyRing

__all__ = ["create_app"]

log = logging.getLogger("desens.api")

_DESCRIPTION = """\
Consent tokens and third-party access for desensitized public-sector records.

A data subject, through the subject portal, authorizes a named recipient
(Jiangmen Art. 27; PIPL Art. 14, 15, 23, 29) to verify or query named fields
of a department's dataset, under minimum authorization (Jiangmen Art. 16-17).
Every access decision, granted or denied, is one entry of a hash-chained
audit log with signed checkpoints (Yongjia Art. 25).

Authenticate with `X-API-Key`. Every refused access is the same
`403 access_denied`, whatever the reason.
"""


def create_app(
    settings: ConsentSettings | None = None,
    ring: KeyRing | None = None,
    store: ConsentStore | None = None,
) -> FastAPI:
    """Build the consent API.

    Args:
        settings: Service settings; read from the environment when None.
        ring: Key ring; ``settings.load_keys()`` when None.
        store: An existing store (tests); made from the settings when None.
    """
    settings = settings or ConsentSettings()
    store = store or ConsentStore(settings, ring)
    if settings.auto_migrate:
        store.migrate()
    else:
        _check_schema(store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Routes are sync (the store is): they run in anyio's thread pool.
        # Fewer threads than its default 40 means less GIL contention.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        yield
        store.close()

    app = FastAPI(
        title="desens consent API",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.store = store
    install_handlers(app)
    # access first: routes are matched in order, and its two are the hot ones.
    for module in (access, public, admin, department, portal):
        app.include_router(module.router)
    return app


def _check_schema(store: ConsentStore) -> None:
    """Without auto-migration: refuse another schema, and say what the store still owes."""
    current, head, known = schema_revision(store.engine)
    if current is not None and current not in known:
        raise ConfigError(
            f"the consent database is at schema revision {current}, which this version of "
            "desens does not know (a newer one migrated it): run that version"
        )
    if current != head:
        raise ConfigError(
            f"the consent database is at schema revision {current or 'none'}, this version "
            f"needs {head}: start once with DESENS_AUTO_MIGRATE=true, or run "
            "`desens serve --migrate`"
        )
    clear, reclaim = store.owed()
    if clear or reclaim:
        log.warning(
            "%d records are stored in clear%s: run `desens serve --migrate` "
            "with no other server running",
            clear,
            ", and old clear copies may remain in the database's files" if reclaim else "",
        )
