"""Authentication and role checks: one dependency per role.

Every principal sends its API key in ``X-API-Key``. The key is hashed with
the service's key and looked up; the stored hash is compared in constant
time. A route declares its role with ``Depends(require("admin"))``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from desens.consent.errors import Forbidden
from desens.consent.models import Principal
from desens.consent.store import ConsentStore

__all__ = ["get_store", "require"]

_api_key = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="The principal's API key (dsk_…); shown once when the principal is registered.",
)


async def get_store(request: Request) -> ConsentStore:
    """The store the app was built with."""
    store: ConsentStore = request.app.state.store
    return store


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks its role.

    Async: a cached key is resolved on the event loop; only a lookup in the
    database goes to a worker thread (FastAPI runs every sync dependency in
    one, a thread hop per dependency per request).
    """

    async def dependency(
        store: Annotated[ConsentStore, Depends(get_store)],
        api_key: Annotated[str | None, Security(_api_key)],
    ) -> Principal:
        principal = store.cached_principal(api_key)
        if principal is None:
            principal = await run_in_threadpool(store.principal_for_key, api_key)
        if principal.role != role:
            raise Forbidden(f"this route is for the {role} role")
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency
