"""Department routes: datasets, records, who accessed them, objections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from api.auth import get_store, require
from api.errors import errors
from api.schemas import (
    AccessEventOut,
    DatasetOut,
    ObjectId,
    ObjectionOut,
    RecordsIn,
    RecordsLoaded,
    ResolveRequest,
)
from desens.consent.datasets import DatasetSpec, add_records, create_dataset, get_dataset
from desens.consent.history import department_accesses
from desens.consent.models import Dataset, Objection, Principal
from desens.consent.objections import list_objections, resolve_objection
from desens.consent.store import ConsentStore

router = APIRouter(prefix="/department", tags=["department"])
Department = Annotated[Principal, Depends(require("department"))]
Store = Annotated[ConsentStore, Depends(get_store)]


def _objection(o: Objection, records: int | None = None) -> ObjectionOut:
    return ObjectionOut(
        id=o.id,
        dataset_id=o.dataset_id,
        subject_ref=o.subject_ref,
        status=o.status,  # type: ignore[arg-type]
        created_at=o.created_at,
        resolved_at=o.resolved_at,
        records=records,
    )


@router.post(
    "/datasets", status_code=201, response_model=DatasetOut, responses=errors(401, 403, 409)
)
def register_dataset(body: DatasetSpec, department: Department, store: Store) -> DatasetOut:
    """Register a dataset: its fields, subject-key column and the policy for other fields."""
    with store.transaction() as session:
        return DatasetOut.of(create_dataset(session, department, body))


@router.get("/datasets", response_model=list[DatasetOut], responses=errors(401, 403))
def list_datasets(department: Department, store: Store) -> list[DatasetOut]:
    """The department's datasets."""
    with store.reading() as session:
        rows = session.scalars(
            select(Dataset).where(Dataset.department_id == department.id).order_by(Dataset.name)
        )
        return [DatasetOut.of(d) for d in rows]


@router.post(
    "/datasets/{dataset_id}/records",
    status_code=201,
    response_model=RecordsLoaded,
    responses=errors(401, 403, 404, 503),
)
def load_records(
    dataset_id: ObjectId, body: RecordsIn, department: Department, store: Store
) -> RecordsLoaded:
    """Load records into one of the department's datasets (all or none)."""
    with store.transaction() as session:
        dataset = get_dataset(session, dataset_id, department)
        added = add_records(session, store.keys, department, dataset, body.records)
    return RecordsLoaded(added=added)


@router.get("/access-log", response_model=list[AccessEventOut], responses=errors(401, 403))
def access_log(
    department: Department,
    store: Store,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[AccessEventOut]:
    """Who accessed the department's data, when, for which purpose (newest first)."""
    with store.reading() as session:
        return [AccessEventOut.of(e) for e in department_accesses(session, department, limit)]


@router.get("/objections", response_model=list[ObjectionOut], responses=errors(401, 403))
def objections(department: Department, store: Store) -> list[ObjectionOut]:
    """Objections to the department's datasets (Guangxi Art. 22), flagged for review."""
    with store.reading() as session:
        return [_objection(o, n) for o, n in list_objections(session, department)]


@router.post(
    "/objections/{objection_id}/resolve",
    response_model=ObjectionOut,
    responses=errors(401, 403, 404, 409),
)
def resolve(
    objection_id: ObjectId, body: ResolveRequest, department: Department, store: Store
) -> ObjectionOut:
    """Resolve an objection: restore access after verification, or delete the records."""
    with store.transaction() as session:
        return _objection(resolve_objection(session, department, objection_id, body.outcome))
