"""The tables of the consent store (SQLAlchemy 2 declarative models).

The schema is created and changed only by the Alembic migrations in
``desens/consent/migrations``; :data:`Base.metadata` is what they describe.
No column holds a subject id, a token or an API key in clear: subjects are
``subject_ref`` (HMAC) and ``subject_enc`` (AES-GCM), tokens and keys are
keyed hashes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ApiKey",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Checkpoint",
    "Consent",
    "ConsentEvent",
    "Dataset",
    "Objection",
    "Principal",
    "Record",
    "Token",
    "UTCDateTime",
    "utcnow",
]


def utcnow() -> dt.datetime:
    """Server time, UTC, microsecond precision (the only clock consents use)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Store naive UTC; refuse naive input (it has no defined time)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Read back as aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of the consent store."""


class Principal(Base):
    """An admin, department, subject portal or recipient."""

    __tablename__ = "principals"
    __table_args__ = (UniqueConstraint("role", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18))
    contact: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApiKey(Base):
    """An API key, stored only as its keyed hash."""

    __tablename__ = "api_keys"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal_id: Mapped[str] = mapped_column(ForeignKey("principals.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Dataset(Base):
    """A department's dataset: fields, subject-key column and policy."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("principals.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    subject_key: Mapped[str] = mapped_column(String(200))
    policy: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Record(Base):
    """One record of a dataset, found by its subject's keyed reference.

    The record is stored only sealed (``sealed``: AES-GCM, see
    ``ConsentKeys.seal_record``). ``data`` holds a record in clear only in a
    database written before revision 0003, until ``ConsentStore.migrate``
    seals it.
    """

    __tablename__ = "records"
    __table_args__ = (Index("ix_records_dataset_subject", "dataset_id", "subject_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    subject_ref: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    sealed: Mapped[str | None] = mapped_column(Text)


class MaintenanceTask(Base):
    """A step the store still owes its data, done by ``ConsentStore.migrate``.

    ``reclaim_records``: records were sealed in place, so their clear
    versions may linger in the database's files until the table is
    rewritten (``desens.consent.db.reclaim``); kept until that succeeds.
    """

    __tablename__ = "maintenance_tasks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)


class Consent(Base):
    """A data subject's consent (ISO/IEC TS 27560 record, PIPL Art. 23 items).

    Terms never change after creation; only ``status``, ``uses``,
    ``mismatches`` and the approval/withdrawal times do.
    """

    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_ref: Mapped[str] = mapped_column(String(64), index=True)
    subject_enc: Mapped[str] = mapped_column(Text)
    portal_id: Mapped[str] = mapped_column(ForeignKey("principals.id"))
    recipient_id: Mapped[str] = mapped_column(ForeignKey("principals.id"), index=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    scenario: Mapped[str] = mapped_column(Text)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(8))
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    #: "No match" answers given under this consent (verify mode); see
    #: ``ConsentSettings.verify_max_mismatches``.
    mismatches: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    legal_basis: Mapped[str] = mapped_column(String(64))
    notice_version: Mapped[str] = mapped_column(String(64))
    notice_sha256: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    guardian: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(32))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ConsentEvent(Base):
    """The history of a consent: given, approved, used, withdrawn, expired."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(32))


class Token(Base):
    """A consent token, stored only as its keyed hash, bound to one recipient."""

    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id"), index=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("principals.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One decision or administrative act, hash-chained to the one before."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    consent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    dataset_id: Mapped[str | None] = mapped_column(String(32), index=True)
    subject_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    purpose: Mapped[str | None] = mapped_column(Text)
    fields_requested: Mapped[list[str]] = mapped_column(JSON)
    fields_released: Mapped[list[str]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row holding the chain head; locked by every append."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(Base):
    """An Ed25519-signed statement of the chain head at one sequence."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class Objection(Base):
    """A subject's objection to a dataset (Guangxi Art. 22): records withheld."""

    __tablename__ = "objections"
    __table_args__ = (UniqueConstraint("dataset_id", "subject_ref"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    subject_ref: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
