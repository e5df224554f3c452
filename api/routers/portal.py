"""Subject-portal routes: give, view and withdraw consents; history; objections.

The portal is the trusted front end that authenticated the citizen; it names
the subject in request bodies (never in URLs, which end up in logs).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from api.auth import get_store, require
from api.errors import errors
from api.schemas import (
    AccessEventOut,
    ConsentCreated,
    ConsentOut,
    ObjectId,
    ObjectionOut,
    ObjectionRequest,
    Receipt,
    SubjectRequest,
)
from desens.consent.consents import (
    ConsentTerms,
    create_consent,
    events_of,
    get_subject_consent,
    receipt_payload,
    withdraw_consent,
)
from desens.consent.history import subject_accesses
from desens.consent.models import Consent, Principal
from desens.consent.objections import object_to_dataset
from desens.consent.store import ConsentStore
from desens.consent.subjects import normalize_subject

router = APIRouter(prefix="/portal", tags=["subject portal"])
Portal = Annotated[Principal, Depends(require("portal"))]
Store = Annotated[ConsentStore, Depends(get_store)]


@router.post(
    "/consents",
    status_code=201,
    response_model=ConsentCreated,
    responses=errors(401, 403, 404, 503),
)
def give_consent(body: ConsentTerms, portal: Portal, store: Store) -> ConsentCreated:
    """Record a subject's consent and issue its token (shown once).

    Batch-mode consents start as ``pending_approval`` until an admin approves.
    """
    with store.transaction() as session:
        consent, token = create_consent(session, store.keys, portal, terms=body)
        recipient = session.get(Principal, consent.recipient_id)
        events = events_of(session, consent.id)
    receipt = None
    if store.settings.receipts:
        payload = receipt_payload(consent, recipient.name if recipient else "")
        receipt = Receipt(
            payload=json.loads(payload),
            signature=store.keys.sign(payload),
            public_key=store.keys.public_key,
        )
    out = ConsentOut.of(consent, events, normalize_subject(body.subject_id))
    return ConsentCreated(consent=out, token=token, receipt=receipt)


@router.post(
    "/consents/{consent_id}/view", response_model=ConsentOut, responses=errors(401, 403, 404)
)
def view_consent(
    consent_id: ObjectId, body: SubjectRequest, _portal: Portal, store: Store
) -> ConsentOut:
    """One of the subject's consents with its event history."""
    with store.reading() as session:
        consent = get_subject_consent(session, store.keys, consent_id, body.subject_id)
        return ConsentOut.of(
            consent, events_of(session, consent.id), store.keys.decrypt_subject(consent.subject_enc)
        )


@router.post(
    "/consents/{consent_id}/withdraw",
    response_model=ConsentOut,
    responses=errors(401, 403, 404, 409, 503),
)
def withdraw(
    consent_id: ObjectId, body: SubjectRequest, portal: Portal, store: Store
) -> ConsentOut:
    """Withdraw a consent: effective at once; earlier lawful use stays valid."""
    with store.transaction() as session:
        consent = withdraw_consent(session, store.keys, portal, consent_id, body.subject_id)
        return ConsentOut.of(
            consent, events_of(session, consent.id), store.keys.decrypt_subject(consent.subject_enc)
        )


@router.post("/subjects/consents", response_model=list[ConsentOut], responses=errors(401, 403))
def subject_consents(body: SubjectRequest, _portal: Portal, store: Store) -> list[ConsentOut]:
    """Every consent the subject gave, newest first."""
    ref = store.keys.subject_ref(normalize_subject(body.subject_id))
    with store.reading() as session:
        rows = session.scalars(
            select(Consent).where(Consent.subject_ref == ref).order_by(Consent.created_at.desc())
        )
        return [
            ConsentOut.of(c, events_of(session, c.id), normalize_subject(body.subject_id))
            for c in rows
        ]


@router.post(
    "/subjects/access-history", response_model=list[AccessEventOut], responses=errors(401, 403)
)
def access_history(body: SubjectRequest, _portal: Portal, store: Store) -> list[AccessEventOut]:
    """Who accessed the subject's data, when, for which purpose (newest first)."""
    with store.reading() as session:
        return [
            AccessEventOut.of(e) for e in subject_accesses(session, store.keys, body.subject_id)
        ]


@router.post(
    "/objections",
    status_code=201,
    response_model=ObjectionOut,
    responses=errors(401, 403, 404, 409, 503),
)
def object_(body: ObjectionRequest, portal: Portal, store: Store) -> ObjectionOut:
    """The subject objects to a dataset (Guangxi Art. 22): their records are withheld at once."""
    with store.transaction() as session:
        o = object_to_dataset(session, store.keys, portal, body.dataset_id, body.subject_id)
        return ObjectionOut(
            id=o.id,
            dataset_id=o.dataset_id,
            subject_ref=o.subject_ref,
            status="open",
            created_at=o.created_at,
            resolved_at=None,
        )
