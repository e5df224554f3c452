"""Alembic migrations: the schema they build is the models' schema, up and down."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from desens.consent.db import alembic_config, make_engine, migrate
from desens.consent.models import Base


def test_migrations_match_the_models_and_downgrade(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Types of the aware-datetime columns differ only by the TypeDecorator.
    assert [d for d in diff if d[0] != "modify_type" and not isinstance(d, list)] == []
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert "audit_entries" in inspect(engine).get_table_names()
    engine.dispose()


def test_migrations_ship_inside_the_package() -> None:
    import desens.consent

    root = Path(desens.consent.__file__).parent / "migrations"
    assert (root / "env.py").is_file()
    assert list((root / "versions").glob("0001_*.py"))
