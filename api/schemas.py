"""Request and response bodies of the API (what the OpenAPI document shows).

Request models for consents and datasets come from ``desens.consent``; the
ones here are the API's own envelopes. No response carries an API key or a
token except the one that creates it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from desens.consent.consents import ConsentItem
from desens.consent.datasets import FieldSpec
from desens.consent.history import AccessEvent
from desens.consent.models import Consent, ConsentEvent, Dataset, Principal
from desens.consent.validation import Input

__all__ = [
    "AccessEventOut",
    "BatchRequest",
    "BatchResponse",
    "BatchRowOut",
    "ChainReportOut",
    "CheckpointOut",
    "ConsentCreated",
    "ConsentOut",
    "DatasetOut",
    "ObjectId",
    "ObjectionOut",
    "ObjectionRequest",
    "PrincipalCreate",
    "PrincipalCreated",
    "PrincipalOut",
    "PublicKeyOut",
    "QueryRequest",
    "QueryResponse",
    "RecordsIn",
    "RecordsLoaded",
    "ResolveRequest",
    "SubjectRequest",
    "VerifyRequest",
    "VerifyResponse",
]

_TOKEN_EXAMPLE = "cgt_" + "x" * 43

#: An object id in a URL path: 32 lowercase hex digits.
ObjectId = Annotated[
    str, Path(pattern="^[0-9a-f]{32}$", examples=["0f3c9a4e5b6d7c8e9f0a1b2c3d4e5f60"])
]


_In = Input


class PrincipalCreate(_In):
    """A principal the admin registers."""

    role: Literal["admin", "department", "portal", "recipient"]
    name: str = Field(min_length=1, max_length=200, examples=["江门市民政局"])
    uscc: str | None = Field(
        default=None, min_length=18, max_length=18, examples=["91350100M000100Y43"]
    )
    contact: str | None = Field(default=None, max_length=200, examples=["数据科"])


class PrincipalOut(BaseModel):
    """A principal (never its key)."""

    id: str
    role: str
    name: str
    uscc: str | None
    contact: str | None
    created_at: dt.datetime
    suspended: bool

    @classmethod
    def of(cls, p: Principal) -> PrincipalOut:
        """From the stored principal."""
        return cls(
            id=p.id,
            role=p.role,
            name=p.name,
            uscc=p.uscc,
            contact=p.contact,
            created_at=p.created_at,
            suspended=p.suspended_at is not None,
        )


class PrincipalCreated(PrincipalOut):
    """A new principal with its API key, shown this once."""

    api_key: str = Field(examples=["dsk_" + "x" * 43])


class DatasetOut(BaseModel):
    """A registered dataset."""

    id: str
    name: str
    fields: list[FieldSpec]
    subject_key: str
    policy: str
    created_at: dt.datetime

    @classmethod
    def of(cls, d: Dataset) -> DatasetOut:
        """From the stored dataset."""
        return cls(
            id=d.id,
            name=d.name,
            fields=[FieldSpec(**f) for f in d.fields],
            subject_key=d.subject_key,
            policy=d.policy,
            created_at=d.created_at,
        )


class RecordsIn(_In):
    """Records to load; every record has exactly the dataset's fields."""

    records: list[dict[str, str | None]] = Field(min_length=1, max_length=10_000)


class RecordsLoaded(BaseModel):
    """How many records were loaded."""

    added: int


class EventOut(BaseModel):
    """One event of a consent's history."""

    event: Literal["given", "approved", "used", "withdrawn", "expired"]
    at: dt.datetime
    actor: str


class ConsentOut(BaseModel):
    """A consent record (ISO/IEC TS 27560 structure)."""

    id: str
    subject_id: str | None = Field(
        default=None, description="shown to the subject portal only (decrypted for display)"
    )
    recipient_id: str
    dataset_id: str
    purpose: str
    scenario: str
    items: list[ConsentItem]
    mode: Literal["verify", "query", "batch"]
    not_before: dt.datetime
    expires_at: dt.datetime
    max_uses: int | None
    uses: int
    mismatches: int = Field(
        description='verify answers of "no match" so far; at the service\'s limit '
        "(DESENS_VERIFY_MAX_MISMATCHES) the consent answers no more verifications"
    )
    legal_basis: str
    notice_version: str
    notice_sha256: str
    channel: str
    guardian_relation: str | None
    status: Literal["active", "pending_approval", "withdrawn", "expired"]
    created_at: dt.datetime
    withdrawn_at: dt.datetime | None
    events: list[EventOut] = []

    @classmethod
    def of(
        cls,
        c: Consent,
        events: list[ConsentEvent] | None = None,
        subject_id: str | None = None,
    ) -> ConsentOut:
        """From the stored consent."""
        return cls(
            id=c.id,
            subject_id=subject_id,
            recipient_id=c.recipient_id,
            dataset_id=c.dataset_id,
            purpose=c.purpose,
            scenario=c.scenario,
            items=[ConsentItem(**i) for i in c.items],
            mode=c.mode,  # type: ignore[arg-type]
            not_before=c.not_before,
            expires_at=c.expires_at,
            max_uses=c.max_uses,
            uses=c.uses,
            mismatches=c.mismatches,
            legal_basis=c.legal_basis,
            notice_version=c.notice_version,
            notice_sha256=c.notice_sha256,
            channel=c.channel,
            guardian_relation=(c.guardian or {}).get("relation"),
            status=c.status,  # type: ignore[arg-type]
            created_at=c.created_at,
            withdrawn_at=c.withdrawn_at,
            events=[EventOut(event=e.event, at=e.at, actor=e.actor) for e in events or []],  # type: ignore[arg-type]
        )


class Receipt(BaseModel):
    """A consent receipt for the subject, signed with Ed25519."""

    payload: dict[str, Any]
    signature: str = Field(description="Ed25519 signature (hex) of the canonical payload")
    public_key: str = Field(description="Ed25519 public key (hex), also at /audit/public-key")


class ConsentCreated(BaseModel):
    """A new consent with its token (shown this once; hand it to the recipient)."""

    consent: ConsentOut
    token: str = Field(examples=[_TOKEN_EXAMPLE])
    receipt: Receipt | None = None


class SubjectRequest(_In):
    """Names the subject the portal authenticated (in the body, never in a URL)."""

    subject_id: str = Field(min_length=1, max_length=64, examples=["110105194912310021"])


class ObjectionRequest(SubjectRequest):
    """A subject's objection to a dataset."""

    dataset_id: str = Field(min_length=1, max_length=32)


class ObjectionOut(BaseModel):
    """An objection as the department sees it (subject by keyed reference only)."""

    id: str
    dataset_id: str
    subject_ref: str
    status: Literal["open", "restored", "deleted"]
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    records: int | None = None


class ResolveRequest(_In):
    """How the department resolves an objection."""

    outcome: Literal["restore", "delete"]


class AccessEventOut(BaseModel):
    """Who accessed what, when, for which purpose."""

    seq: int
    at: str
    recipient_id: str
    recipient_name: str | None
    action: str
    consent_id: str | None
    dataset_id: str | None
    purpose: str | None
    fields_requested: list[str]
    fields_released: list[str]
    decision: Literal["granted", "denied"]

    @classmethod
    def of(cls, e: AccessEvent) -> AccessEventOut:
        """From a history event."""
        return cls(**e.__dict__)


class VerifyRequest(_In):
    """Verify one field of the subject against a value."""

    token: str = Field(min_length=1, max_length=200, examples=[_TOKEN_EXAMPLE])
    field: str = Field(min_length=1, max_length=200, examples=["手机号"])
    value: str = Field(max_length=10_000, examples=["13800138000"])


class VerifyResponse(BaseModel):
    """Whether the value matches; nothing else."""

    match: bool


class QueryRequest(_In):
    """Query the subject's records."""

    token: str = Field(min_length=1, max_length=200, examples=[_TOKEN_EXAMPLE])
    fields: list[str] | None = Field(
        default=None,
        max_length=500,
        description="fields wanted in clear (all consented fields when omitted)",
    )


class QueryResponse(BaseModel):
    """Records with consented fields in clear and the others desensitized."""

    consent_id: str
    released: list[str]
    desensitized: list[str]
    records: list[dict[str, str | None]]


class BatchRequest(_In):
    """Many subjects, one token each."""

    tokens: list[str] = Field(min_length=1, max_length=1000)
    fields: list[str] | None = Field(default=None, max_length=500)


class BatchRowOut(BaseModel):
    """One subject's row: granted with its records, denied without a reason, or failed.

    ``error`` is true when the row failed on the server (its records were
    not released to you): ask again later.
    """

    index: int
    granted: bool
    result: QueryResponse | None = None
    error: bool = Field(default=False, description="the row failed on the server; ask again later")


class BatchResponse(BaseModel):
    """The rows, in request order."""

    rows: list[BatchRowOut]


class CheckpointOut(BaseModel):
    """A signed checkpoint of the audit chain head."""

    seq: int
    head_hash: str
    at: str
    public_key: str
    signature: str


class ChainReportOut(BaseModel):
    """The result of verifying the audit chain."""

    ok: bool
    entries: int
    checkpoints: int
    problems: list[str]


class PublicKeyOut(BaseModel):
    """The key that signs checkpoints and receipts."""

    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key: str
