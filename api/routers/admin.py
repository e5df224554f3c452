"""Admin routes: principals, recipient suspension, batch approval, audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import get_store, require
from api.errors import errors
from api.schemas import (
    ChainReportOut,
    CheckpointOut,
    ConsentOut,
    ObjectId,
    PrincipalCreate,
    PrincipalCreated,
    PrincipalOut,
)
from desens.consent import audit
from desens.consent.consents import approve_consent, events_of
from desens.consent.models import Principal
from desens.consent.principals import create_principal, set_suspended
from desens.consent.store import ConsentStore

router = APIRouter(prefix="/admin", tags=["admin"])
Admin = Annotated[Principal, Depends(require("admin"))]
Store = Annotated[ConsentStore, Depends(get_store)]


@router.post(
    "/principals", status_code=201, response_model=PrincipalCreated, responses=errors(401, 403, 409)
)
def register_principal(body: PrincipalCreate, admin: Admin, store: Store) -> PrincipalCreated:
    """Register a department, recipient, subject portal or admin; returns its API key once."""
    with store.transaction() as session:
        principal, api_key = create_principal(
            session,
            store.keys,
            role=body.role,
            name=body.name,
            uscc=body.uscc,
            contact=body.contact,
            actor=admin.id,
        )
    return PrincipalCreated(**PrincipalOut.of(principal).model_dump(), api_key=api_key)


@router.get("/principals", response_model=list[PrincipalOut], responses=errors(401, 403))
def list_principals(_admin: Admin, store: Store) -> list[PrincipalOut]:
    """Every registered principal."""
    from sqlalchemy import select

    with store.reading() as session:
        rows = session.scalars(select(Principal).order_by(Principal.created_at))
        return [PrincipalOut.of(p) for p in rows]


@router.post(
    "/recipients/{recipient_id}/suspend",
    response_model=PrincipalOut,
    responses=errors(401, 403, 404),
)
def suspend_recipient(recipient_id: ObjectId, admin: Admin, store: Store) -> PrincipalOut:
    """Suspend a recipient (Guangxi Art. 27): every one of its tokens stops at once."""
    with store.transaction() as session:
        return PrincipalOut.of(set_suspended(session, admin, recipient_id, True))


@router.post(
    "/recipients/{recipient_id}/reinstate",
    response_model=PrincipalOut,
    responses=errors(401, 403, 404),
)
def reinstate_recipient(recipient_id: ObjectId, admin: Admin, store: Store) -> PrincipalOut:
    """Lift a recipient's suspension."""
    with store.transaction() as session:
        return PrincipalOut.of(set_suspended(session, admin, recipient_id, False))


@router.post(
    "/consents/{consent_id}/approve",
    response_model=ConsentOut,
    responses=errors(401, 403, 404, 409),
)
def approve(consent_id: ObjectId, admin: Admin, store: Store) -> ConsentOut:
    """Approve a batch-mode consent (Yongjia Art. 16: bulk extraction after review)."""
    with store.transaction() as session:
        consent = approve_consent(session, admin, consent_id)
        return ConsentOut.of(consent, events_of(session, consent.id))


@router.post(
    "/audit/checkpoints", response_model=CheckpointOut | None, responses=errors(401, 403, 503)
)
def sign_checkpoint(_admin: Admin, store: Store) -> CheckpointOut | None:
    """Sign the current audit chain head now (null while the chain is empty)."""
    with store.transaction() as session:
        cp = audit.checkpoint(session, store.keys)
        if cp is None:
            return None
        return CheckpointOut(
            seq=cp.seq,
            head_hash=cp.head_hash,
            at=cp.at,
            public_key=cp.public_key,
            signature=cp.signature,
        )


@router.get("/audit/verify", response_model=ChainReportOut, responses=errors(401, 403))
def verify_audit(_admin: Admin, store: Store) -> ChainReportOut:
    """Verify the audit chain, its head and every checkpoint."""
    with store.reading() as session:
        report = audit.verify_chain(session, store.keys.public_key)
    return ChainReportOut(
        ok=report.ok,
        entries=report.entries,
        checkpoints=report.checkpoints,
        problems=report.problems,
    )
