"""Fixtures and builders shared by tests/consent and tests/api.

Every test that takes ``store`` runs on SQLite and on PostgreSQL. The
PostgreSQL run uses a scratch database on ``DESENS_TEST_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres`` as the
maintenance database); when the server is unreachable those tests skip, unless
``DESENS_REQUIRE_POSTGRES=1``, which makes them fail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from desens.consent import (
    ConsentSettings,
    ConsentStore,
    ConsentTerms,
    DatasetSpec,
    FieldSpec,
    add_records,
    create_consent,
    create_dataset,
    create_principal,
)
from desens.consent.db import make_engine, migrate
from desens.consent.models import Base, Consent, Principal
from desens.keys import KeyRing
from recognizers.checksums import gb11643_check_char, uscc_check_char

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", "postgresql"]


def resident_id(n: int, birth: str = "19800101") -> str:
    """A synthetic resident ID that passes GB 11643 (belongs to no one)."""
    body = f"440703{birth}{n % 1000:03d}"
    return body + gb11643_check_char(body)


def uscc(n: int) -> str:
    """A synthetic unified social credit code with a valid check character."""
    body = f"9144070{n:010d}"[:17]
    return body + uscc_check_char(body)


def phone(n: int) -> str:
    return f"138{n:08d}"


FIELDS = [
    FieldSpec(name="身份证号", entity="CN_RESIDENT_ID"),
    FieldSpec(name="姓名", entity="PERSON"),
    FieldSpec(name="手机号", entity="PHONE_NUMBER"),
    FieldSpec(name="住址", entity="CN_ADDRESS"),
    FieldSpec(name="病史", sensitive=True),
    FieldSpec(name="收入"),
]
FIELD_NAMES = [f.name for f in FIELDS]
NOTICE = hashlib.sha256(b"notice v1").hexdigest()


def record_for(n: int) -> dict[str, str]:
    return {
        "身份证号": resident_id(n),
        "姓名": "张" + "伟芳娜秀英敏静丽强磊军洋勇艳杰涛明超"[n % 18] + "华",
        "手机号": phone(n),
        "住址": f"广东省江门市蓬江区建设路{n + 1}号",
        "病史": f"高血压病史{n + 7}年",
        "收入": f"{3000 + n * 17}元",
    }


# -- backends -----------------------------------------------------------------


def _pg_required() -> bool:
    return os.environ.get("DESENS_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """A migrated scratch PostgreSQL database for the session."""
    admin_url = os.environ.get("DESENS_TEST_POSTGRES_URL", PG_DEFAULT)
    name = f"desens_consent_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        reason = f"PostgreSQL at {admin_url.split('@')[-1]} is unreachable ({type(exc).__name__})"
        if _pg_required():
            pytest.fail(f"{reason}; DESENS_REQUIRE_POSTGRES=1 makes this a failure")
        pytest.skip(f"{reason}; set DESENS_TEST_POSTGRES_URL, or DESENS_REQUIRE_POSTGRES=1 to fail")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=5)
    migrate(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pg_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def reset_pg(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "consent.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated database on the parametrized backend."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        target = tmp_path / "consent.db"
        shutil.copyfile(sqlite_template, target)
        return f"sqlite:///{target}"
    engine = request.getfixturevalue("pg_engine")
    reset_pg(engine)
    return pg_url(engine)


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[ConsentStore]:
    """A store on a fresh database; runs once on SQLite and once on PostgreSQL."""
    settings_kw: dict[str, Any] = {"checkpoint_every": 50}
    if request.param == "sqlite":
        target = tmp_path / "consent.db"
        shutil.copyfile(sqlite_template, target)
        s = ConsentStore(
            ConsentSettings(database_url=f"sqlite:///{target}", **settings_kw), KeyRing.generate()
        )
    else:
        engine = request.getfixturevalue("pg_engine")
        reset_pg(engine)
        s = ConsentStore(
            ConsentSettings(database_url=pg_url(engine), **settings_kw),
            KeyRing.generate(),
            engine=engine,
        )
    yield s
    if request.param == "sqlite":
        s.close()


# -- a populated store --------------------------------------------------------


@dataclass
class World:
    store: ConsentStore
    admin: Principal
    department: Principal
    portal: Principal
    recipient: Principal
    other: Principal
    dataset_id: str
    keys: dict[str, str] = field(default_factory=dict)
    subjects: list[str] = field(default_factory=list)
    records: dict[str, dict[str, str]] = field(default_factory=dict)

    def terms(self, subject: str, **overrides: Any) -> ConsentTerms:
        now = dt.datetime.now(dt.UTC)
        base: dict[str, Any] = {
            "subject_id": subject,
            "recipient_id": self.recipient.id,
            "dataset_id": self.dataset_id,
            "purpose": "核验申请人联系方式",
            "scenario": "低保资格审核",
            "items": [{"field": "姓名"}, {"field": "手机号"}],
            "mode": "query",
            "expires_at": now + dt.timedelta(days=30),
            "legal_basis": "PIPL-13-1-consent",
            "notice_version": "2026-01",
            "notice_sha256": NOTICE,
            "channel": "gov-portal-web",
        }
        base.update(overrides)
        return ConsentTerms(**base)

    def give(self, subject: str, **overrides: Any) -> tuple[Consent, str]:
        with self.store.transaction() as s:
            return create_consent(s, self.store.keys, self.portal, self.terms(subject, **overrides))


def build_world(store: ConsentStore, n_subjects: int = 4, policy: str = "open") -> World:
    keys: dict[str, str] = {}
    with store.transaction() as s:
        admin, keys["admin"] = create_principal(s, store.keys, role="admin", name="ops")
        dept, keys["department"] = create_principal(
            s, store.keys, role="department", name="江门市民政局", uscc=uscc(1), contact="数据科"
        )
        portal, keys["portal"] = create_principal(s, store.keys, role="portal", name="粤省事")
        rec, keys["recipient"] = create_principal(
            s, store.keys, role="recipient", name="江门农商银行", uscc=uscc(2)
        )
        other, keys["other"] = create_principal(
            s, store.keys, role="recipient", name="某保险公司", uscc=uscc(3)
        )
        dataset = create_dataset(
            s,
            dept,
            DatasetSpec(name="低保申请", fields=FIELDS, subject_key="身份证号", policy=policy),
        )
        records = {resident_id(n): record_for(n) for n in range(n_subjects)}
        add_records(s, store.keys, dept, dataset, records.values())
    return World(
        store=store,
        admin=admin,
        department=dept,
        portal=portal,
        recipient=rec,
        other=other,
        dataset_id=dataset.id,
        keys=keys,
        subjects=list(records),
        records=records,
    )


@pytest.fixture
def world(store: ConsentStore) -> World:
    return build_world(store)


# -- records at rest ----------------------------------------------------------


def unseal_all(store: ConsentStore) -> int:
    """Store every record as a database written before revision 0003 did: in clear."""
    with store.engine.begin() as conn:
        rows = conn.execute(text("SELECT id, dataset_id, subject_ref, sealed FROM records")).all()
        for row in rows:
            record = store.keys.open_record(row.dataset_id, row.subject_ref, row.sealed)
            conn.execute(
                text("UPDATE records SET data = :data, sealed = NULL WHERE id = :id"),
                {"data": json.dumps(record, ensure_ascii=False), "id": row.id},
            )
    return len(rows)


@contextmanager
def snapshot_held(store: ConsentStore) -> Iterator[None]:
    """Another session in a read transaction (SQLite) or holding a snapshot (PostgreSQL)."""
    if store.engine.url.get_backend_name() == "sqlite":
        other = sqlite3.connect(str(store.engine.url.database))
        try:
            other.execute("BEGIN")
            other.execute("SELECT count(*) FROM records").fetchone()
            yield
        finally:
            other.close()
        return
    with store.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text("SELECT seq FROM audit_head")).all()
        yield
