"""Recipient routes: verify, query, batch. Every decision is audited.

Every refusal is ``403 {"error": "access_denied", "message": "access denied"}``
whatever the reason (unknown token, another recipient's token, withdrawn,
expired, exhausted, suspended, objection, no such subject); the reason is in
the audit log only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import get_store, require
from api.errors import errors
from api.schemas import (
    BatchRequest,
    BatchResponse,
    BatchRowOut,
    QueryRequest,
    QueryResponse,
    VerifyRequest,
    VerifyResponse,
)
from desens.consent import access
from desens.consent.models import Principal
from desens.consent.store import ConsentStore

router = APIRouter(prefix="/access", tags=["recipient"])
Recipient = Annotated[Principal, Depends(require("recipient"))]
Store = Annotated[ConsentStore, Depends(get_store)]


@router.post("/verify", response_model=VerifyResponse, responses=errors(401, 403, 503, denied=True))
def verify(body: VerifyRequest, recipient: Recipient, store: Store) -> VerifyResponse:
    """Verification mode: does the subject's field equal the value? Only yes or no."""
    return VerifyResponse(match=access.verify(store, recipient, body.token, body.field, body.value))


@router.post("/query", response_model=QueryResponse, responses=errors(401, 403, 503, denied=True))
def query(body: QueryRequest, recipient: Recipient, store: Store) -> QueryResponse:
    """Query mode: consented fields in clear, every other field desensitized by policy."""
    r = access.query(store, recipient, body.token, body.fields)
    return QueryResponse(
        consent_id=r.consent_id, released=r.released, desensitized=r.desensitized, records=r.records
    )


@router.post("/batch", response_model=BatchResponse, responses=errors(401, 403, 503))
def batch(body: BatchRequest, recipient: Recipient, store: Store) -> BatchResponse:
    """Batch mode: one approved consent per subject, each row decided on its own."""
    rows = access.batch(store, recipient, body.tokens, body.fields)
    return BatchResponse(
        rows=[
            BatchRowOut(
                index=r.index,
                granted=r.granted,
                result=QueryResponse(
                    consent_id=r.result.consent_id,
                    released=r.result.released,
                    desensitized=r.result.desensitized,
                    records=r.result.records,
                )
                if r.result is not None
                else None,
            )
            for r in rows
        ]
    )
