"""Who accessed what, when, for which purpose (Yongjia Art. 25, 35).

The subject (through the portal) sees every access decision about them; a
department sees every access decision on its datasets. Entries name fields,
never values.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desens.consent.crypto import ConsentKeys
from desens.consent.models import AuditEntry, Dataset, Principal
from desens.consent.subjects import normalize_subject

__all__ = ["AccessEvent", "department_accesses", "subject_accesses"]

_ACCESS_ACTIONS = ("access.verify", "access.query", "access.batch")


@dataclass
class AccessEvent:
    """One access decision, as the subject or department sees it."""

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
    decision: str


def _events(session: Session, where: list[object], limit: int) -> list[AccessEvent]:
    stmt = (
        select(AuditEntry, Principal.name)
        .join(Principal, Principal.id == AuditEntry.actor, isouter=True)
        .where(AuditEntry.action.in_(_ACCESS_ACTIONS), *where)  # type: ignore[arg-type]
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    return [
        AccessEvent(
            seq=e.seq,
            at=e.at,
            recipient_id=e.actor,
            recipient_name=name,
            action=e.action,
            consent_id=e.consent_id,
            dataset_id=e.dataset_id,
            purpose=e.purpose,
            fields_requested=list(e.fields_requested),
            fields_released=list(e.fields_released),
            decision=e.decision,
        )
        for e, name in session.execute(stmt)
    ]


def subject_accesses(
    session: Session, keys: ConsentKeys, subject_id: str, limit: int = 500
) -> list[AccessEvent]:
    """Access decisions about one subject, newest first."""
    ref = keys.subject_ref(normalize_subject(subject_id))
    return _events(session, [AuditEntry.subject_ref == ref], limit)


def department_accesses(
    session: Session, department: Principal, limit: int = 500
) -> list[AccessEvent]:
    """Access decisions on the department's datasets, newest first."""
    owned = select(Dataset.id).where(Dataset.department_id == department.id)
    return _events(session, [AuditEntry.dataset_id.in_(owned)], limit)
