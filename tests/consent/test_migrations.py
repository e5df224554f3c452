"""Alembic migrations: the schema they build is the models' schema, up and down."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from api import create_app
from desens.consent import ConsentSettings, ConsentStore, add_records, verify
from desens.consent.db import alembic_config, make_engine, migrate
from desens.consent.models import Base, Consent, Dataset
from desens.errors import ConfigError
from desens.keys import KeyRing
from tests.consent.consent_support import build_world, phone


def schema_diff(engine: Engine) -> list[object]:
    """What the models have that the migrated schema has not, or the other way round.

    Column changes come as lists; none is left out (nullability, types, defaults).
    """
    options = {"compare_type": True, "compare_server_default": True}
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts=options), Base.metadata))


def test_migrated_postgresql_matches_the_models(pg_engine: Engine) -> None:
    assert schema_diff(pg_engine) == []


def test_a_server_without_auto_migration_refuses_an_older_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    migrate(engine, "0002")
    engine.dispose()
    settings = ConsentSettings(database_url=url, auto_migrate=False)
    with pytest.raises(ConfigError, match="schema revision 0002, this version needs 0003"):
        create_app(settings, KeyRing.generate())
    app = create_app(settings.model_copy(update={"auto_migrate": True}), KeyRing.generate())
    app.state.store.close()
    app = create_app(settings, KeyRing.generate())  # migrated: starts
    app.state.store.close()


def test_migrations_match_the_models_and_downgrade(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    assert schema_diff(engine) == []
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
    assert list((root / "versions").glob("0002_*.py"))
    assert list((root / "versions").glob("0003_*.py"))


def test_mismatch_count_migrates_with_existing_consents(tmp_path: Path) -> None:
    # 0002 adds consents.mismatches; consents given before it start at 0,
    # and a downgrade keeps them (without the count).
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    migrate(engine)
    ring = KeyRing.generate()
    store = ConsentStore(ConsentSettings(database_url=url, auto_migrate=False), ring)
    world = build_world(store, n_subjects=2)
    consent, token = world.give(world.subjects[1], mode="verify", items=[{"field": "手机号"}])
    assert verify(store, world.recipient, token, "手机号", phone(9)) is False
    store.close()
    with engine.begin() as conn:  # sealed records cannot go below 0003 (see the next test)
        conn.execute(text("DELETE FROM records"))
    command.downgrade(alembic_config(engine), "0001")
    columns = {c["name"] for c in inspect(engine).get_columns("consents")}
    assert "mismatches" not in columns and "uses" in columns
    migrate(engine)
    engine.dispose()
    store = ConsentStore(ConsentSettings(database_url=url, auto_migrate=False), ring)
    with store.reading() as s:
        stored = s.get(Consent, consent.id)
        assert stored is not None and (stored.mismatches, stored.uses) == (0, 1)
    world.store = store
    with store.transaction() as s:
        dataset = s.get(Dataset, world.dataset_id)
        assert dataset is not None
        add_records(s, store.keys, world.department, dataset, world.records.values())
    assert verify(store, world.recipient, token, "手机号", phone(1)) is True
    store.close()


def test_downgrade_below_sealed_records_is_refused_and_keeps_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    migrate(engine)
    store = ConsentStore(ConsentSettings(database_url=url, auto_migrate=False), KeyRing.generate())
    build_world(store, n_subjects=2)
    store.close()
    with pytest.raises(RuntimeError, match="records are stored sealed"):
        command.downgrade(alembic_config(engine), "0002")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM records WHERE sealed IS NOT NULL")).scalar()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
    engine.dispose()
