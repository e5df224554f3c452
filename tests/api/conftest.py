from __future__ import annotations

from tests.consent.consent_support import database_url, pg_engine, sqlite_template, store, world

__all__ = ["database_url", "pg_engine", "sqlite_template", "store", "world"]
