"""Helpers for the API tests: a client on the store fixture's database."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api import create_app
from desens.consent import ConsentStore
from tests.consent.consent_support import World


def client_for(store: ConsentStore) -> TestClient:
    settings = store.settings.model_copy(update={"auto_migrate": False})
    return TestClient(create_app(settings, store=store), raise_server_exceptions=False)


def as_(world: World, role: str) -> dict[str, str]:
    return {"X-API-Key": world.keys[role]}


def consent_body(world: World, subject: str, **overrides: Any) -> dict[str, Any]:
    return world.terms(subject, **overrides).model_dump(mode="json")
