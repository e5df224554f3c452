"""Alembic environment: migrates the engine the caller passes in."""

from __future__ import annotations

from alembic import context

from desens.consent.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    """Run the migrations on ``config.attributes['engine']`` (or the URL option)."""
    engine = config.attributes.get("engine")
    if engine is None:
        from desens.consent.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
