"""Consents: a subject's authorization of a named recipient (PIPL Art. 14, 15, 23, 29).

The record follows ISO/IEC TS 27560 and carries every item PIPL Art. 23
requires: the recipient, purpose and business scenario, the data items (with
sensitive items needing separate consent), the sharing mode (verify, query,
batch; Yongjia Art. 16), validity (not-before, expiry) and a use limit, the
legal basis, the notice shown (version and SHA-256) and the collection
channel, and a guardian for subjects under 14 (age from the ID number).

Terms never change: a change is a new consent. Withdrawal takes effect at
once and only forward. A batch consent waits for an admin's approval
(Yongjia Art. 16: bulk extraction only after review).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import AwareDatetime, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from desens.consent import audit
from desens.consent.crypto import ConsentKeys
from desens.consent.errors import ConflictError, NotFound, RuleError
from desens.consent.models import Consent, ConsentEvent, Dataset, Principal, utcnow
from desens.consent.principals import new_id
from desens.consent.subjects import (
    GUARDIAN_AGE,
    age_from_resident_id,
    china_today,
    normalize_subject,
)
from desens.consent.tokens import issue_token
from desens.consent.validation import Input

__all__ = [
    "ConsentItem",
    "ConsentTerms",
    "Guardian",
    "Mode",
    "approve_consent",
    "create_consent",
    "get_subject_consent",
    "receipt_payload",
    "withdraw_consent",
]

Mode = Literal["verify", "query", "batch"]


class ConsentItem(Input):
    """One data item (field) the subject authorizes."""

    field: str = Field(min_length=1, max_length=200, examples=["手机号"])
    sensitive: bool = Field(default=False, description="the item is sensitive personal data")
    separate_consent: bool = Field(
        default=False,
        description="the subject gave separate, explicit consent for this sensitive item",
    )


class Guardian(Input):
    """The guardian who consents for a subject under 14."""

    guardian_id: str = Field(min_length=1, max_length=64, description="guardian's ID number")
    relation: str = Field(min_length=1, max_length=32, examples=["父亲"])


class ConsentTerms(Input):
    """What the subject portal submits to give a consent."""

    subject_id: str = Field(min_length=1, max_length=64, description="the subject's ID number")
    recipient_id: str = Field(min_length=1, max_length=32)
    dataset_id: str = Field(min_length=1, max_length=32)
    purpose: str = Field(min_length=1, max_length=1000, examples=["核验申请人手机号"])
    scenario: str = Field(min_length=1, max_length=1000, examples=["低保资格审核"])
    items: list[ConsentItem] = Field(min_length=1, max_length=200)
    mode: Mode = "query"
    not_before: AwareDatetime | None = None
    expires_at: AwareDatetime
    max_uses: int | None = Field(default=None, ge=1, le=1_000_000)
    legal_basis: str = Field(min_length=1, max_length=64, examples=["PIPL-13-1-consent"])
    notice_version: str = Field(min_length=1, max_length=64, examples=["2026-01"])
    notice_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    channel: str = Field(min_length=1, max_length=64, examples=["gov-portal-web"])
    guardian: Guardian | None = None


def _check_terms(terms: ConsentTerms, dataset: Dataset, now: dt.datetime) -> None:
    fields = {f["name"]: f for f in dataset.fields}
    seen: set[str] = set()
    for item in terms.items:
        spec = fields.get(item.field)
        if spec is None:
            raise RuleError(f"item {item.field!r} is not a field of the dataset")
        if item.field in seen:
            raise RuleError(f"item {item.field!r} appears twice")
        seen.add(item.field)
        sensitive = item.sensitive or bool(spec.get("sensitive"))
        if sensitive and not (item.sensitive and item.separate_consent):
            raise RuleError(
                f"item {item.field!r} is sensitive: it needs sensitive=true and "
                "separate_consent=true (PIPL Art. 29)"
            )
    not_before = terms.not_before or now
    if terms.expires_at <= not_before:
        raise RuleError("expires_at must be later than not_before")
    age = age_from_resident_id(terms.subject_id, china_today(now))
    if age is not None and age < GUARDIAN_AGE and terms.guardian is None:
        raise RuleError(
            f"the subject is under {GUARDIAN_AGE}: a guardian must consent (PIPL Art. 31)"
        )
    if terms.guardian is not None:
        guardian_age = age_from_resident_id(terms.guardian.guardian_id, china_today(now))
        if guardian_age is None or guardian_age < 18:
            raise RuleError("the guardian's ID number must be a valid adult resident ID")


def _event(session: Session, consent_id: str, event: str, actor: str) -> None:
    session.add(ConsentEvent(consent_id=consent_id, event=event, at=utcnow(), actor=actor))


def _audit(
    session: Session,
    actor: str,
    action: str,
    consent: Consent,
    reason: str,
    requested: Iterable[str] = (),
) -> None:
    """Audit a step of a consent's life (given, withdrawn, approved)."""
    audit.append(
        session,
        audit.entry(
            actor=actor,
            action=action,
            consent_id=consent.id,
            dataset_id=consent.dataset_id,
            subject_ref=consent.subject_ref,
            purpose=consent.purpose,
            requested=requested,
            decision="granted",
            reason=reason,
        ),
    )


def create_consent(
    session: Session, keys: ConsentKeys, portal: Principal, terms: ConsentTerms
) -> tuple[Consent, str]:
    """Record a consent and issue its token.

    Returns:
        The consent and its token (shown once).

    Raises:
        NotFound: If the recipient or dataset does not exist.
        RuleError: If the terms break a rule (see the module docstring).
    """
    now = utcnow()
    recipient = session.get(Principal, terms.recipient_id)
    if recipient is None or recipient.role != "recipient":
        raise NotFound(f"no recipient with id {terms.recipient_id}")
    if recipient.suspended_at is not None:
        raise RuleError("the recipient is suspended and cannot receive consents")
    dataset = session.get(Dataset, terms.dataset_id)
    if dataset is None:
        raise NotFound(f"no dataset with id {terms.dataset_id}")
    _check_terms(terms, dataset, now)
    subject = normalize_subject(terms.subject_id)
    guardian: dict[str, Any] | None = None
    if terms.guardian is not None:
        guardian = {
            "guardian_ref": keys.subject_ref(normalize_subject(terms.guardian.guardian_id)),
            "relation": terms.guardian.relation,
        }
    consent = Consent(
        id=new_id(),
        subject_ref=keys.subject_ref(subject),
        subject_enc=keys.encrypt_subject(subject),
        portal_id=portal.id,
        recipient_id=recipient.id,
        dataset_id=dataset.id,
        purpose=terms.purpose,
        scenario=terms.scenario,
        items=[i.model_dump() for i in terms.items],
        mode=terms.mode,
        not_before=terms.not_before or now,
        expires_at=terms.expires_at,
        max_uses=terms.max_uses,
        uses=0,
        legal_basis=terms.legal_basis,
        notice_version=terms.notice_version,
        notice_sha256=terms.notice_sha256,
        channel=terms.channel,
        guardian=guardian,
        status="pending_approval" if terms.mode == "batch" else "active",
        created_at=now,
    )
    session.add(consent)
    session.flush()
    _event(session, consent.id, "given", portal.id)
    token = issue_token(session, keys, consent)
    _audit(
        session,
        portal.id,
        "consent.give",
        consent,
        consent.status,
        requested=[i.field for i in terms.items],
    )
    return consent, token


def get_subject_consent(
    session: Session, keys: ConsentKeys, consent_id: str, subject_id: str
) -> Consent:
    """The consent ``consent_id`` if it belongs to the subject.

    Raises:
        NotFound: If it does not exist or is another subject's (same message).
    """
    consent = session.get(Consent, consent_id)
    if consent is None or consent.subject_ref != keys.subject_ref(normalize_subject(subject_id)):
        raise NotFound(f"no consent with id {consent_id} for this subject")
    return consent


def withdraw_consent(
    session: Session, keys: ConsentKeys, portal: Principal, consent_id: str, subject_id: str
) -> Consent:
    """Withdraw a consent at once; earlier lawful use stays valid.

    The update takes the consent's row lock, so an access holding it commits
    first and any later access sees the withdrawal.

    Raises:
        NotFound: If the consent is not the subject's.
        ConflictError: If it is already withdrawn or expired.
    """
    consent = get_subject_consent(session, keys, consent_id, subject_id)
    now = utcnow()
    done = session.execute(
        update(Consent)
        .where(Consent.id == consent.id, Consent.status.in_(("active", "pending_approval")))
        .values(status="withdrawn", withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"consent {consent_id} is no longer active")
    session.refresh(consent)
    _event(session, consent.id, "withdrawn", portal.id)
    _audit(session, portal.id, "consent.withdraw", consent, "withdrawn")
    return consent


def approve_consent(session: Session, admin: Principal, consent_id: str) -> Consent:
    """Approve a batch-mode consent (Yongjia Art. 16).

    Raises:
        NotFound: If there is no such consent.
        ConflictError: If it is not waiting for approval.
    """
    consent = session.get(Consent, consent_id, with_for_update=True)
    if consent is None:
        raise NotFound(f"no consent with id {consent_id}")
    if consent.status != "pending_approval":
        raise ConflictError(f"consent {consent_id} is not waiting for approval")
    consent.status = "active"
    consent.approved_by = admin.id
    _event(session, consent.id, "approved", admin.id)
    _audit(session, admin.id, "consent.approve", consent, "batch approved")
    return consent


def receipt_payload(consent: Consent, recipient_name: str) -> bytes:
    """Canonical bytes of a consent receipt (what the Ed25519 signature covers).

    The receipt names no subject id: the subject holds it, the portal shows it.
    """
    doc = {
        "receipt_version": "desens-consent-receipt/v1",
        "consent_id": consent.id,
        "recipient": {"id": consent.recipient_id, "name": recipient_name},
        "dataset_id": consent.dataset_id,
        "purpose": consent.purpose,
        "scenario": consent.scenario,
        "items": consent.items,
        "mode": consent.mode,
        "not_before": consent.not_before.isoformat(),
        "expires_at": consent.expires_at.isoformat(),
        "max_uses": consent.max_uses,
        "legal_basis": consent.legal_basis,
        "notice": {"version": consent.notice_version, "sha256": consent.notice_sha256},
        "channel": consent.channel,
        "guardian": consent.guardian is not None,
        "given_at": consent.created_at.isoformat(),
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def events_of(session: Session, consent_id: str) -> list[ConsentEvent]:
    """The history of a consent, oldest first."""
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.consent_id == consent_id)
            .order_by(ConsentEvent.id)
        )
    )
