"""Access decisions: verify, query and batch, each audited in its own transaction.

A recipient presents a consent token. The decision checks, in order: the
token is known and was issued to this recipient, the recipient is not
suspended, the consent's mode is the one asked for, the consent is active
(approved, not withdrawn, not expired: ``not_before <= now < expires_at`` on
server time) and has uses left, and the subject has not objected to the
dataset. Server time is read once the transaction has begun. The use is
taken by one conditional ``UPDATE`` (atomic decrement, and the row lock that
orders the access against a concurrent withdrawal) whose ``WHERE`` repeats
every condition, objection and suspension included, then the audit entry is
appended in the same transaction. On PostgreSQL, objections and suspensions
are read once more after that append, which holds the chain head lock they
also take: an access is wholly before or wholly after each of them (SQLite's
write transactions hold its one write lock from the start, so there nothing
commits in between). If the audit write
fails, the transaction rolls back and nothing is released. Audit entries
keep only requested names that are fields of the dataset, and a count of
the others (a recipient's text could be a value).

Every refusal raises :class:`~desens.consent.errors.AccessDenied` with the
same message; its reason is only written to the audit log, so a recipient
cannot tell an unknown token from a withdrawn consent or a subject that does
not exist.

Released fields are always within the consented fields and the requested
ones; every other field is desensitized by the dataset's policy.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from sqlalchemy import Connection, Row, and_, bindparam, exists, insert, or_, select, update

from desens.consent import audit
from desens.consent.errors import AccessDenied
from desens.consent.models import (
    Base,
    Consent,
    ConsentEvent,
    Dataset,
    Principal,
    utcnow,
)
from desens.consent.subjects import normalize_subject
from desens.consent.tokens import looks_like_token

if TYPE_CHECKING:
    from desens.consent.store import ConsentStore

__all__ = ["BatchRow", "QueryResult", "batch", "query", "verify"]

T = TypeVar("T")
# A row of _CHECK (or any row naming the consent's id, dataset_id, subject_ref, purpose).
_ConsentRow: TypeAlias = "Row[*tuple[Any, ...]]"


@dataclass
class QueryResult:
    """What a granted query returns.

    Attributes:
        consent_id: The consent the access was made under.
        released: Field names released in clear.
        desensitized: Field names released only desensitized.
        records: The subject's records.
    """

    consent_id: str
    released: list[str]
    desensitized: list[str]
    records: list[dict[str, str | None]] = field(default_factory=list)


@dataclass
class BatchRow:
    """One row of a batch: granted with records, or denied (reason not given)."""

    index: int
    granted: bool
    result: QueryResult | None = None


class _Denied(Exception):
    # Copies the consent's ids now, while the row is at hand.
    def __init__(
        self, reason: str, consent: _ConsentRow | None = None, expire: bool = False
    ) -> None:
        self.reason = reason
        self.expire = expire
        self.consent_id = consent.id if consent is not None else None
        self.dataset_id = consent.dataset_id if consent is not None else None
        self.subject_ref = consent.subject_ref if consent is not None else None
        self.purpose = consent.purpose if consent is not None else None


@dataclass
class _Grant:
    consent: _ConsentRow  # the columns of _CHECK
    dataset: Dataset
    consented: list[str]


# Statements are built once: building them costs more than running them.
# They are Core statements run on one Connection: a decision is a few
# milliseconds of work at most, and the ORM's per-statement and per-session
# bookkeeping was most of it.
_consents = Base.metadata.tables["consents"]
_objections = Base.metadata.tables["objections"]
_principals = Base.metadata.tables["principals"]
_tokens = Base.metadata.tables["tokens"]
# The check is one statement: the token's consent, the caller's suspension
# (re-read: the caller's copy may predate it) and any open objection.
_CHECK = (
    select(
        _tokens.c.recipient_id.label("token_recipient"),
        _consents.c.id,
        _consents.c.dataset_id,
        _consents.c.subject_ref,
        _consents.c.purpose,
        _consents.c["items"],
        _consents.c.mode,
        _consents.c.status,
        _consents.c.not_before,
        _consents.c.expires_at,
        select(_principals.c.suspended_at)
        .where(_principals.c.id == bindparam("caller"))
        .scalar_subquery()
        .label("suspended_at"),
        exists()
        .where(
            _objections.c.dataset_id == _consents.c.dataset_id,
            _objections.c.subject_ref == _consents.c.subject_ref,
            _objections.c.status == "open",
        )
        .label("objected"),
    )
    .select_from(_tokens.join(_consents, _consents.c.id == _tokens.c.consent_id))
    .where(_tokens.c.token_hash == bindparam("token_hash"))
)
_STATE = select(_consents.c.status, _consents.c.uses, _consents.c.max_uses).where(
    _consents.c.id == bindparam("consent_id")
)
# The use is taken only if every condition still holds when the UPDATE runs
# (on PostgreSQL each statement sees what committed before it began, so an
# objection or suspension committed since _CHECK stops it here).
_CONSUME = (
    update(_consents)
    .where(
        _consents.c.id == bindparam("consent_id"),
        _consents.c.status == "active",
        _consents.c.not_before <= bindparam("now"),
        _consents.c.expires_at > bindparam("now"),
        or_(
            _consents.c.max_uses.is_(None),
            and_(_consents.c.uses < _consents.c.max_uses),
        ),
        ~exists().where(
            _objections.c.dataset_id == _consents.c.dataset_id,
            _objections.c.subject_ref == _consents.c.subject_ref,
            _objections.c.status == "open",
        ),
        ~exists().where(
            _principals.c.id == bindparam("caller"),
            _principals.c.suspended_at.is_not(None),
        ),
    )
    .values(uses=_consents.c.uses + 1)
)
# Is the caller suspended, has the subject objected? Asked again once the
# audit chain head is locked (see _decide).
_BARRED = select(
    select(_principals.c.suspended_at)
    .where(_principals.c.id == bindparam("caller"))
    .scalar_subquery(),
    exists().where(
        _objections.c.dataset_id == bindparam("dataset_id"),
        _objections.c.subject_ref == bindparam("subject_ref"),
        _objections.c.status == "open",
    ),
)
_USED = insert(Base.metadata.tables["consent_events"])
_records_t = Base.metadata.tables["records"]
_RECORDS = (
    select(_records_t.c.data)
    .where(
        _records_t.c.dataset_id == bindparam("dataset_id"),
        _records_t.c.subject_ref == bindparam("subject_ref"),
    )
    .order_by(_records_t.c.id)
)


def _check(
    conn: Connection,
    store: ConsentStore,
    recipient: Principal,
    token: str,
    mode: str,
    now: dt.datetime,
) -> _Grant:
    row = None
    if looks_like_token(token):
        row = conn.execute(
            _CHECK, {"token_hash": store.keys.token_hash(token), "caller": recipient.id}
        ).one_or_none()
    else:
        store.keys.token_hash(token)  # the same work as for a well-formed token
    if row is None:
        raise _Denied("token_unknown")
    consent = row
    if not hmac.compare_digest(row.token_recipient, recipient.id):
        raise _Denied("token_other_recipient", consent)
    if row.suspended_at is not None:
        raise _Denied("recipient_suspended", consent)
    if consent.mode != mode:
        raise _Denied("mode_not_consented", consent)
    if consent.status == "withdrawn":
        raise _Denied("withdrawn", consent)
    if consent.status == "pending_approval":
        raise _Denied("batch_not_approved", consent)
    if consent.status == "expired" or now >= consent.expires_at:
        raise _Denied("expired", consent, expire=consent.status == "active")
    if now < consent.not_before:
        raise _Denied("not_yet_valid", consent)
    if row.objected:
        raise _Denied("subject_objected", consent)
    dataset = store.policies.dataset(conn, consent.dataset_id)
    return _Grant(consent, dataset, [item["field"] for item in consent.items])


def _barred(conn: Connection, consent: _ConsentRow, actor: str) -> str | None:
    suspended_at, objected = conn.execute(
        _BARRED,
        {"caller": actor, "dataset_id": consent.dataset_id, "subject_ref": consent.subject_ref},
    ).one()
    if suspended_at is not None:
        return "recipient_suspended"
    if objected:
        return "subject_objected"
    return None


def _consume(conn: Connection, consent: _ConsentRow, now: dt.datetime, actor: str) -> None:
    # One conditional UPDATE: the atomic use count, and the row lock that
    # orders this access against a concurrent withdrawal.
    done = conn.execute(_CONSUME, {"consent_id": consent.id, "now": now, "caller": actor})
    if done.rowcount != 1:
        status, uses, max_uses = conn.execute(_STATE, {"consent_id": consent.id}).one()
        if status == "withdrawn":
            raise _Denied("withdrawn", consent)
        if max_uses is not None and uses >= max_uses:
            raise _Denied("exhausted", consent)
        barred = _barred(conn, consent, actor)
        if barred is not None:
            raise _Denied(barred, consent)
        raise _Denied("expired", consent)
    conn.execute(_USED, {"consent_id": consent.id, "event": "used", "at": now, "actor": actor})


def _decide(
    store: ConsentStore,
    recipient: Principal,
    token: str,
    mode: str,
    action: str,
    requested: Sequence[str] | None,
    body: Callable[[Connection, _Grant], tuple[T, list[str]]],
) -> T:
    now = utcnow()
    try:
        with store.connection() as conn:
            # Server time once the transaction has begun: on SQLite a writer
            # may have waited for the lock, past the consent's expiry.
            now = utcnow()
            grant = _check(conn, store, recipient, token, mode, now)
            _consume(conn, grant.consent, now, recipient.id)
            result, released = body(conn, grant)
            names, unknown = _field_names(grant.dataset, requested)
            audit.append(
                conn,
                actor=recipient.id,
                action=action,
                consent_id=grant.consent.id,
                dataset_id=grant.dataset.id,
                subject_ref=grant.consent.subject_ref,
                purpose=grant.consent.purpose,
                requested=grant.consented if requested is None else names,
                released=released,
                decision="granted",
                reason=_with_unknown("consented", unknown),
                keys=store.keys,
                checkpoint_every=store.settings.checkpoint_every,
            )
            # append() holds the chain head lock, which every objection and
            # suspension takes before it commits: what committed before is
            # seen here, what commits later is ordered after this access.
            # SQLite needs no second look: BEGIN IMMEDIATE took the one write
            # lock before _check, so nothing has committed since.
            if not store.serialized_writes:
                barred = _barred(conn, grant.consent, recipient.id)
                if barred is not None:
                    raise _Denied(barred, grant.consent)
        return result
    except _Denied as denied:
        _record_denial(store, recipient, action, requested, denied, now)
        raise AccessDenied(denied.reason) from None


def _field_names(dataset: Dataset | None, requested: Sequence[str] | None) -> tuple[list[str], int]:
    # Requested names are the recipient's text: only the dataset's own field
    # names go into the permanent log, the others only as a count.
    wanted = set(requested or ())
    fields = [f["name"] for f in dataset.fields] if dataset is not None else []
    names = [n for n in fields if n in wanted]
    return names, len(wanted) - len(names)


def _with_unknown(reason: str, unknown: int) -> str:
    return f"{reason}; {unknown} unknown field names" if unknown else reason


def _record_denial(
    store: ConsentStore,
    recipient: Principal,
    action: str,
    requested: Sequence[str] | None,
    denied: _Denied,
    now: dt.datetime,
) -> None:
    with store.transaction() as session:
        dataset = None
        if denied.dataset_id is not None:
            dataset = store.policies.dataset(session, denied.dataset_id)
        names, unknown = _field_names(dataset, requested)
        if denied.consent_id is not None and denied.expire:
            done = session.execute(
                update(Consent)
                .where(Consent.id == denied.consent_id, Consent.status == "active")
                .values(status="expired")
                .execution_options(synchronize_session=False)
            )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                session.add(
                    ConsentEvent(
                        consent_id=denied.consent_id, event="expired", at=now, actor="system"
                    )
                )
        audit.append(
            session,
            actor=recipient.id,
            action=action,
            consent_id=denied.consent_id,
            dataset_id=denied.dataset_id,
            subject_ref=denied.subject_ref,
            purpose=denied.purpose,
            requested=names,
            released=(),
            decision="denied",
            reason=_with_unknown(denied.reason, unknown),
            keys=store.keys,
            checkpoint_every=store.settings.checkpoint_every,
        )


def _records(conn: Connection, grant: _Grant) -> list[dict[str, Any]]:
    rows = [
        dict(data)
        for (data,) in conn.execute(
            _RECORDS,
            {"dataset_id": grant.dataset.id, "subject_ref": grant.consent.subject_ref},
        )
    ]
    if not rows:
        raise _Denied("no_records", grant.consent)
    return rows


def _digest(value: str) -> bytes:
    return sha256(normalize_subject(value).encode("utf-8")).digest()


def verify(
    store: ConsentStore, recipient: Principal, token: str, field_name: str, value: str
) -> bool:
    """Does the subject's ``field_name`` equal ``value``? Only yes or no is returned.

    Raises:
        AccessDenied: If the token does not entitle the recipient to verify that field.
    """

    def body(conn: Connection, grant: _Grant) -> tuple[bool, list[str]]:
        if field_name not in grant.consented:
            raise _Denied("field_not_consented", grant.consent)
        wanted = _digest(value)
        match = False
        for record in _records(conn, grant):
            stored = record.get(field_name)
            if stored is not None and hmac.compare_digest(_digest(stored), wanted):
                match = True
        return match, []

    return _decide(store, recipient, token, "verify", "access.verify", [field_name], body)


def _query_body(
    store: ConsentStore, requested: Sequence[str] | None
) -> Callable[[Connection, _Grant], tuple[QueryResult, list[str]]]:
    def body(conn: Connection, grant: _Grant) -> tuple[QueryResult, list[str]]:
        names = [f["name"] for f in grant.dataset.fields]
        unknown = [n for n in requested or () if n not in names]
        if unknown:
            raise _Denied("field_unknown", grant.consent)
        wanted = set(grant.consented) if requested is None else set(requested)
        released = [n for n in names if n in wanted and n in grant.consented]
        clear = set(released)
        desensitize = store.policies.get(grant.dataset)
        out: list[dict[str, Any]] = []
        for record in _records(conn, grant):
            subject = record.get(grant.dataset.subject_key)
            out.append(
                {
                    n: record.get(n) if n in clear else desensitize(n, record.get(n), subject)
                    for n in names
                }
            )
        result = QueryResult(
            consent_id=grant.consent.id,
            released=released,
            desensitized=[n for n in names if n not in clear],
            records=out,
        )
        return result, released

    return body


def query(
    store: ConsentStore, recipient: Principal, token: str, fields: Sequence[str] | None = None
) -> QueryResult:
    """The subject's records: consented and requested fields in clear, others desensitized.

    Args:
        store: The consent store.
        recipient: The authenticated recipient.
        token: The consent token it presents.
        fields: Fields wanted in clear; all consented fields when None.

    Raises:
        AccessDenied: If the token does not entitle the recipient to query.
    """
    requested = list(fields) if fields is not None else None
    return _decide(
        store, recipient, token, "query", "access.query", requested, _query_body(store, fields)
    )


def batch(
    store: ConsentStore,
    recipient: Principal,
    tokens: Sequence[str],
    fields: Sequence[str] | None = None,
) -> list[BatchRow]:
    """Many subjects at once: each row is decided (and audited) under its own consent.

    Only batch-mode consents that an admin approved pass. A denied row
    carries no records and no reason.
    """
    rows: list[BatchRow] = []
    requested = list(fields) if fields is not None else None
    for index, token in enumerate(tokens):
        try:
            result = _decide(
                store,
                recipient,
                token,
                "batch",
                "access.batch",
                requested,
                _query_body(store, fields),
            )
        except AccessDenied:
            rows.append(BatchRow(index=index, granted=False))
        else:
            rows.append(BatchRow(index=index, granted=True, result=result))
    return rows
