"""Objections (Guangxi Art. 22): a subject objects to a dataset.

From the moment the objection is recorded the subject's records in that
dataset are withheld from every access, and the objection is flagged for the
data-source department, which resolves it by restoring access (after
verification) or deleting the records.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from desens.consent import audit
from desens.consent.crypto import ConsentKeys
from desens.consent.errors import ConflictError, NotFound
from desens.consent.models import Dataset, Objection, Principal, Record, utcnow
from desens.consent.principals import new_id
from desens.consent.subjects import normalize_subject

__all__ = ["list_objections", "object_to_dataset", "resolve_objection"]


def object_to_dataset(
    session: Session, keys: ConsentKeys, portal: Principal, dataset_id: str, subject_id: str
) -> Objection:
    """Record the subject's objection; their records are withheld at once.

    Raises:
        NotFound: If the dataset does not exist.
        ConflictError: If the subject already has an open objection to it.
    """
    if session.get(Dataset, dataset_id) is None:
        raise NotFound(f"no dataset with id {dataset_id}")
    ref = keys.subject_ref(normalize_subject(subject_id))
    existing = session.scalar(
        select(Objection).where(Objection.dataset_id == dataset_id, Objection.subject_ref == ref)
    )
    if existing is not None and existing.status == "open":
        raise ConflictError(f"the subject already objected to dataset {dataset_id}")
    if existing is None:
        existing = Objection(id=new_id(), dataset_id=dataset_id, subject_ref=ref)
        session.add(existing)
    existing.status = "open"
    existing.created_at = utcnow()
    existing.resolved_at = None
    session.flush()
    audit.append(
        session,
        audit.entry(
            actor=portal.id,
            action="objection.open",
            dataset_id=dataset_id,
            subject_ref=ref,
            decision="granted",
            reason="withheld",
        ),
    )
    return existing


def list_objections(session: Session, department: Principal) -> list[tuple[Objection, int]]:
    """Open and resolved objections to the department's datasets, with record counts."""
    rows = session.execute(
        select(Objection)
        .join(Dataset, Dataset.id == Objection.dataset_id)
        .where(Dataset.department_id == department.id)
        .order_by(Objection.created_at)
    ).scalars()
    out = []
    for objection in rows:
        count = session.scalar(
            select(func.count())
            .select_from(Record)
            .where(
                Record.dataset_id == objection.dataset_id,
                Record.subject_ref == objection.subject_ref,
            )
        )
        out.append((objection, int(count or 0)))
    return out


def resolve_objection(
    session: Session,
    department: Principal,
    objection_id: str,
    outcome: Literal["restore", "delete"],
) -> Objection:
    """Close an objection: restore access, or delete the subject's records.

    Raises:
        NotFound: If the objection is not on one of the department's datasets.
        ConflictError: If it is already resolved.
    """
    objection = session.get(Objection, objection_id, with_for_update=True)
    dataset = session.get(Dataset, objection.dataset_id) if objection is not None else None
    if objection is None or dataset is None or dataset.department_id != department.id:
        raise NotFound(f"no objection with id {objection_id}")
    if objection.status != "open":
        raise ConflictError(f"objection {objection_id} is already resolved")
    if outcome == "delete":
        session.execute(
            delete(Record).where(
                Record.dataset_id == objection.dataset_id,
                Record.subject_ref == objection.subject_ref,
            )
        )
    objection.status = "restored" if outcome == "restore" else "deleted"
    objection.resolved_at = utcnow()
    audit.append(
        session,
        audit.entry(
            actor=department.id,
            action=f"objection.{outcome}",
            dataset_id=objection.dataset_id,
            subject_ref=objection.subject_ref,
            decision="granted",
            reason=objection.status,
        ),
    )
    return objection
