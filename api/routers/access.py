"""Recipient routes: verify, query, batch. Every decision is audited.

Every refusal is ``403 {"error": "access_denied", "message": "access denied"}``
whatever the reason (unknown token, another recipient's token, withdrawn,
expired, exhausted, suspended, objection, no such subject); the reason is in
the audit log only.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

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


# The two hot routes are async: the decision is queued for the store's
# decision writer (which commits the decisions waiting together in one
# transaction) and awaited, with no worker thread held meanwhile; the answer
# is JSON bytes built here. The response model only documents them (FastAPI
# validates and re-encodes a returned model, which cost more than the
# decision's own Python); schemathesis checks them against the document.
_MATCH = b'{"match":true}'
_NO_MATCH = b'{"match":false}'


def _json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@router.post("/verify", response_model=VerifyResponse, responses=errors(401, 403, 503, denied=True))
async def verify(body: VerifyRequest, recipient: Recipient, store: Store) -> Response:
    """Verification mode: does the subject's field equal the value? Only yes or no."""
    match = await asyncio.wrap_future(
        access.start_verify(store, recipient, body.token, body.field, body.value)
    )
    return Response(_MATCH if match else _NO_MATCH, media_type="application/json")


@router.post("/query", response_model=QueryResponse, responses=errors(401, 403, 503, denied=True))
async def query(body: QueryRequest, recipient: Recipient, store: Store) -> Response:
    """Query mode: consented fields in clear, every other field desensitized by policy."""
    r = await asyncio.wrap_future(access.start_query(store, recipient, body.token, body.fields))
    content = {
        "consent_id": r.consent_id,
        "released": r.released,
        "desensitized": r.desensitized,
        "records": r.records,
    }
    return Response(_json(content), media_type="application/json")


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
                error=r.error,
            )
            for r in rows
        ]
    )
