"""Datasets of the data-source departments, their records, and desensitization.

A dataset declares its fields (each with an optional entity type and a
``sensitive`` flag), the column holding the subject's id, and the policy
applied to every field a recipient is not entitled to in clear: a built-in
policy name (``share``, ``open``, ``open-conditional``) or a policy's YAML.
Records are stored with the keyed reference of their subject, so they are
found without storing the id itself as a key, and only sealed (AES-GCM under
a key of the ring, bound to the dataset and the subject reference): a copy
of the database holds no value of any record.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import Field
from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import Session

from desens.consent import audit
from desens.consent.crypto import ConsentKeys
from desens.consent.errors import ConflictError, NotFound, RuleError
from desens.consent.models import Base, Dataset, Principal, Record, utcnow
from desens.consent.principals import new_id
from desens.consent.subjects import normalize_subject
from desens.consent.validation import Input
from desens.errors import BadRecordError, ConfigError
from desens.keys import KeyRing
from desens.operators import BoundOperator, OperatorContext, build_operator
from desens.operators.suppress import is_suppressed
from desens.policy import Policy, parse_policy, read_policy

__all__ = [
    "DatasetSpec",
    "Desensitizer",
    "FieldSpec",
    "PolicyCache",
    "add_numbered_records",
    "add_records",
    "count_clear_records",
    "create_dataset",
    "get_dataset",
    "seal_clear_records",
]

_MAX_VALUE = 10_000


class FieldSpec(Input):
    """One field of a dataset."""

    name: str = Field(min_length=1, max_length=200, examples=["手机号"])
    entity: str | None = Field(default=None, examples=["PHONE_NUMBER"])
    sensitive: bool = Field(
        default=False, description="PIPL Art. 28 sensitive data: needs separate consent"
    )


class DatasetSpec(Input):
    """What a department registers."""

    name: str = Field(min_length=1, max_length=200, examples=["低保申请"])
    fields: list[FieldSpec] = Field(min_length=1, max_length=500)
    subject_key: str = Field(min_length=1, examples=["身份证号"])
    policy: str = Field(
        default="open",
        min_length=1,
        max_length=100_000,
        description="built-in policy name, or the YAML text of a policy",
        examples=["open"],
    )


def _load_policy(text: str) -> Policy:
    if "\n" in text or ":" in text:
        return parse_policy(text, source="<dataset policy>")
    return read_policy(text)


def create_dataset(session: Session, department: Principal, spec: DatasetSpec) -> Dataset:
    """Register a dataset for ``department``.

    Raises:
        RuleError: If the subject key is not a field, a field repeats, or the policy is invalid.
        ConflictError: If the department already has a dataset with that name.
    """
    names = [f.name for f in spec.fields]
    if len(set(names)) != len(names):
        raise RuleError("dataset fields must have distinct names")
    if spec.subject_key not in names:
        raise RuleError(f"subject_key {spec.subject_key!r} is not one of the dataset's fields")
    try:
        _load_policy(spec.policy)
    except ConfigError as exc:
        raise RuleError(f"the dataset's policy is invalid: {exc}") from None
    taken = session.scalar(
        select(Dataset.id).where(Dataset.department_id == department.id, Dataset.name == spec.name)
    )
    if taken is not None:
        raise ConflictError(f"the department already has a dataset with that name ({taken})")
    dataset = Dataset(
        id=new_id(),
        department_id=department.id,
        name=spec.name,
        fields=[f.model_dump() for f in spec.fields],
        subject_key=spec.subject_key,
        policy=spec.policy,
        created_at=utcnow(),
    )
    session.add(dataset)
    session.flush()
    audit.append(
        session,
        audit.entry(
            actor=department.id,
            action="dataset.create",
            dataset_id=dataset.id,
            decision="granted",
            reason="registered",
        ),
    )
    return dataset


def get_dataset(session: Session, dataset_id: str, department: Principal | None = None) -> Dataset:
    """The dataset with ``dataset_id`` (owned by ``department`` when given).

    Raises:
        NotFound: If there is none (or it belongs to another department).
    """
    dataset = session.get(Dataset, dataset_id)
    if dataset is None or (department is not None and dataset.department_id != department.id):
        raise NotFound(f"no dataset with id {dataset_id}")
    return dataset


def add_records(
    session: Session,
    keys: ConsentKeys,
    department: Principal,
    dataset: Dataset,
    rows: Iterable[Mapping[str, Any]],
    source: str = "<request>",
) -> int:
    """Load records into a dataset; returns how many were added.

    Every row must have exactly the dataset's fields (values are strings or
    null). Errors name the row (counted from 1) and the dataset's field, never
    a value, nor a key the row has that the dataset does not (in a headerless
    CSV file those keys are the first record's values).

    Raises:
        BadRecordError: For a row that does not fit the schema.
    """
    return add_numbered_records(
        session, keys, department, dataset, enumerate(rows, start=1), source
    )


def add_numbered_records(
    session: Session,
    keys: ConsentKeys,
    department: Principal,
    dataset: Dataset,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    source: str = "<request>",
) -> int:
    """:func:`add_records` for ``(line, row)`` pairs: errors name the line given.

    Use it for a file, whose records do not start at line 1 or span several.
    """
    names = [f["name"] for f in dataset.fields]
    wanted = set(names)
    count = 0
    for line, row in rows:
        if set(row) != wanted:
            missing = [n for n in names if n not in row]
            extra = sum(1 for k in row if k not in wanted)
            raise BadRecordError(
                source,
                line,
                f"fields do not match the dataset (missing {missing}, "
                f"{extra} unexpected key{'' if extra == 1 else 's'})",
            )
        for name in names:
            value = row[name]
            if value is not None and (not isinstance(value, str) or len(value) > _MAX_VALUE):
                raise BadRecordError(
                    source, line, f"field {name!r} must be a string of at most {_MAX_VALUE}"
                )
        subject = row[dataset.subject_key]
        if not subject:
            raise BadRecordError(source, line, f"the subject key {dataset.subject_key!r} is empty")
        ref = keys.subject_ref(normalize_subject(subject))
        session.add(
            Record(
                dataset_id=dataset.id,
                subject_ref=ref,
                sealed=keys.seal_record(dataset.id, ref, row),
            )
        )
        count += 1
    session.flush()
    audit.append(
        session,
        audit.entry(
            actor=department.id,
            action="dataset.load",
            dataset_id=dataset.id,
            decision="granted",
            reason=f"{count} records",
        ),
    )
    return count


#: Records :func:`seal_clear_records` seals in one transaction.
SEAL_BATCH = 1000


_records = Base.metadata.tables["records"]
_CLEAR = (
    select(_records.c.id, _records.c.dataset_id, _records.c.subject_ref, _records.c.data)
    .where(_records.c.sealed.is_(None))
    .order_by(_records.c.id)
    .limit(bindparam("limit"))
)
# A record deleted meanwhile (an objection resolved) is simply not updated.
_SEAL = (
    update(_records)
    .where(_records.c.id == bindparam("rid"), _records.c.sealed.is_(None))
    .values(sealed=bindparam("blob"), data=None)
)


def seal_clear_records(session: Session, keys: ConsentKeys, limit: int = SEAL_BATCH) -> int:
    """Seal up to ``limit`` records stored in clear (written before revision 0003).

    Returns:
        How many were found in clear: fewer than ``limit`` when none is left.
    """
    clear = session.execute(_CLEAR, {"limit": limit}).all()
    if clear:
        session.execute(
            _SEAL,
            [
                {"rid": r.id, "blob": keys.seal_record(r.dataset_id, r.subject_ref, r.data or {})}
                for r in clear
            ],
        )
    return len(clear)


def count_clear_records(session: Session) -> int:
    """Records still stored in clear (see :func:`seal_clear_records`)."""
    return int(
        session.scalar(
            select(func.count()).select_from(_records).where(_records.c.sealed.is_(None))
        )
        or 0
    )


class Desensitizer:
    """Applies a dataset's policy to the fields released only desensitized.

    For a field: the policy's column rule (its operator, or its entity's),
    else the entity declared in the dataset's schema, else the policy's
    default. Free-text (``scan``) columns are redacted: the API does not run
    the analyzer in the request path.
    """

    def __init__(self, dataset: Dataset, ring: KeyRing) -> None:
        policy = _load_policy(dataset.policy)
        self._ring = ring
        self._ops: dict[str, tuple[BoundOperator, str | None]] = {}
        for spec in dataset.fields:
            name = spec["name"]
            rule = policy.column(name)
            entity = spec.get("entity")
            if rule is not None and rule.scan:
                self._ops[name] = (build_operator("redact", {}), None)
                continue
            if rule is not None and rule.entity:
                entity = rule.entity
            if rule is not None and rule.operator:
                op = build_operator(rule.operator, rule.params)
            else:
                chosen = policy.operator_for(entity) if entity else policy.default
                op = build_operator(chosen.operator, chosen.params)
            self._ops[name] = (op, entity)

    def __call__(self, name: str, value: str | None, subject: str | None) -> str | None:
        """The desensitized ``value`` of field ``name`` (None when suppressed)."""
        if value is None:
            return None
        op, entity = self._ops[name]
        out = op(value, OperatorContext(entity_type=entity, keys=self._ring, subject=subject))
        return None if is_suppressed(out) else out


class PolicyCache:
    """Datasets and their desensitizers by id; a dataset never changes once registered."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._lock = threading.Lock()
        self._cache: dict[str, Desensitizer] = {}
        self._datasets: dict[str, Dataset] = {}

    def dataset(self, session: Session | Connection, dataset_id: str) -> Dataset:
        """The dataset (a detached copy, read once per process).

        Args:
            session: An ORM session, or a Core connection (read through a
                session that joins its transaction).
            dataset_id: The dataset's id.

        Raises:
            NotFound: If there is no such dataset.
        """
        with self._lock:
            found = self._datasets.get(dataset_id)
        if found is None:
            if isinstance(session, Connection):
                with Session(bind=session) as joined:
                    found = get_dataset(joined, dataset_id)
                    joined.expunge(found)
            else:
                found = get_dataset(session, dataset_id)
                session.expunge(found)
            with self._lock:
                self._datasets[dataset_id] = found
        return found

    def get(self, dataset: Dataset) -> Desensitizer:
        """The desensitizer of ``dataset``."""
        with self._lock:
            found = self._cache.get(dataset.id)
            if found is None:
                found = self._cache[dataset.id] = Desensitizer(dataset, self._ring)
            return found
