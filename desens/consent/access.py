"""Access decisions: verify, query and batch, each audited in the transaction that decides it.

A recipient presents a consent token. The decision checks, in order: the
token is known and was issued to this recipient, the recipient is not
suspended, the consent's mode is the one asked for, the consent is active
(approved, not withdrawn, not expired: ``not_before <= now < expires_at`` on
server time) and has uses left, it has not answered "no match" as often as
the store allows (``verify_max_mismatches``: a verify consent is not an
oracle to try every value of a field on), and the subject has not objected
to the dataset. Server time is read once the transaction has begun. The use is
taken by one conditional ``UPDATE`` (atomic decrement, and the row lock that
orders the access against a concurrent withdrawal) whose ``WHERE`` repeats
every condition, objection and suspension included, then the audit entry is
appended in the same transaction. On PostgreSQL, objections and suspensions
are read once more after that append, which holds the chain head lock they
also take: an access is wholly before or wholly after each of them (SQLite's
write transactions hold its one write lock from the start, so there nothing
commits in between). If the audit write fails, the transaction rolls back
and nothing is released. Audit entries keep only requested names that are
fields of the dataset, and a count of the others (a recipient's text could
be a value).

Decisions are taken by the store's decision writer (:mod:`~desens.consent.grouping`),
several in one transaction when several are waiting: each decision reads
first (one statement for the group looks up every token's consent, the
suspension, objections and the records) and takes its use last, so a refused
decision has written nothing; then the uses' events and every audit entry
are written under one lock of the chain head. A decision is answered only
once its transaction has committed.

Every refusal raises :class:`~desens.consent.errors.AccessDenied` with the
same message; its reason is only written to the audit log, so a recipient
cannot tell an unknown token from a withdrawn consent or a subject that does
not exist. A decision whose checks passed but whose body fails (a stored
record that does not open, an operator that cannot desensitize a stored
value) releases nothing and takes no use; it is audited as a refusal with
the reason ``internal_error`` in the same transaction, and raises
:class:`~desens.consent.errors.DecisionFailed` (its cause, the error; the API
answers 500, a batch marks the row ``error``). A database error is no decision: nothing is
audited, as nothing was decided.

Released fields are always within the consented fields and the requested
ones; every other field is desensitized by the dataset's policy.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from hashlib import sha256
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    exists,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import DBAPIError

from desens.consent import audit
from desens.consent.crypto import ConsentKeys
from desens.consent.errors import AccessDenied, DecisionFailed
from desens.consent.models import Base, Dataset, Principal, utcnow
from desens.consent.subjects import normalize_subject
from desens.consent.tokens import looks_like_token
from desens.errors import type_names

if TYPE_CHECKING:
    from desens.consent.store import ConsentStore

__all__ = ["BatchRow", "QueryResult", "batch", "query", "start_query", "start_verify", "verify"]

T = TypeVar("T")
logger = logging.getLogger(__name__)
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
    """One row of a batch: granted with records, denied (reason not given), or failed.

    ``error`` marks a row that failed with an error: its decision failed
    after its checks (:class:`~desens.consent.errors.DecisionFailed`:
    audited, no use taken, nothing released), or could not be taken or
    audited (see :func:`batch`); asking again later may succeed.
    """

    index: int
    granted: bool
    result: QueryResult | None = None
    error: bool = False


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
    # As _Found holds them: opened by _records(), once the body's own checks passed.
    stored: list[str | dict[str, Any]]
    keys: ConsentKeys


@dataclass
class _Found:
    # What _CHECK found for one token: its consent row and the subject's
    # records, sealed (a str) or, stored before revision 0003, in clear.
    row: _ConsentRow
    records: list[str | dict[str, Any]] = field(default_factory=list)


def _lookup(conn: Connection, hashes: Sequence[str]) -> dict[str, _Found]:
    found: dict[str, _Found] = {}
    if not hashes:
        return found
    for row in conn.execute(_CHECK, {"token_hashes": sorted(set(hashes))}):
        hit = found.get(row.token_hash)
        if hit is None:
            hit = found[row.token_hash] = _Found(row)
        if row.sealed is not None:
            hit.records.append(row.sealed)
        elif row.data is not None:  # stored before revision 0003 and not sealed yet
            hit.records.append(dict(row.data))
    return found


# Statements are built once: building them costs more than running them.
# They are Core statements run on one Connection: a decision is a few
# milliseconds of work at most, and the ORM's per-statement and per-session
# bookkeeping was most of it.
_consents = Base.metadata.tables["consents"]
_objections = Base.metadata.tables["objections"]
_principals = Base.metadata.tables["principals"]
_tokens = Base.metadata.tables["tokens"]
# The check is one statement for a whole group: each token's consent, the
# suspension of the recipient the token was issued to (re-read: the caller's
# copy may predate it; a caller that is not that recipient is refused
# before it matters), any open objection, and the subject's records (one row
# per record, sealed; one row with no data when there is none).
_records_t = Base.metadata.tables["records"]
_CHECK = (
    select(
        _tokens.c.token_hash,
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
        _consents.c.mismatches,
        _consents.c.uses,
        _consents.c.max_uses,
        select(_principals.c.suspended_at)
        .where(_principals.c.id == _tokens.c.recipient_id)
        .scalar_subquery()
        .label("suspended_at"),
        exists()
        .where(
            _objections.c.dataset_id == _consents.c.dataset_id,
            _objections.c.subject_ref == _consents.c.subject_ref,
            _objections.c.status == "open",
        )
        .label("objected"),
        _records_t.c.data,
        _records_t.c.sealed,
    )
    .select_from(
        _tokens.join(_consents, _consents.c.id == _tokens.c.consent_id).outerjoin(
            _records_t,
            and_(
                _records_t.c.dataset_id == _consents.c.dataset_id,
                _records_t.c.subject_ref == _consents.c.subject_ref,
            ),
        )
    )
    .where(_tokens.c.token_hash.in_(bindparam("token_hashes", expanding=True)))
    .order_by(_records_t.c.id)
)
_STATE = select(
    _consents.c.status, _consents.c.uses, _consents.c.max_uses, _consents.c.mismatches
).where(_consents.c.id == bindparam("consent_id"))
# The use is taken only if every condition still holds when the UPDATE runs
# (on PostgreSQL each statement sees what committed before it began, so an
# objection or suspension committed since _CHECK stops it here).
_USABLE = (
    _consents.c.status == "active",
    _consents.c.not_before <= bindparam("now"),
    _consents.c.expires_at > bindparam("now"),
    or_(
        _consents.c.max_uses.is_(None),
        and_(_consents.c.uses < _consents.c.max_uses),
    ),
    _consents.c.mismatches < bindparam("max_mismatches"),
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
# A verify use that answers "no match" counts as a mismatch too (miss=1), in
# the same statement: the limit holds under concurrent decisions.
_CONSUME = (
    update(_consents)
    .where(_consents.c.id == bindparam("consent_id"), *_USABLE)
    .values(uses=_consents.c.uses + 1, mismatches=_consents.c.mismatches + bindparam("miss"))
)
# The first use of each of several consents of one caller, in one statement
# (never a mismatch: those take their use through _CONSUME).
_CONSUME_MANY = (
    update(_consents)
    .where(_consents.c.id.in_(bindparam("consent_ids", expanding=True)), *_USABLE)
    .values(uses=_consents.c.uses + 1)
    .returning(_consents.c.id)
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
_EVENT = insert(Base.metadata.tables["consent_events"])
_EXPIRE = (
    update(_consents)
    .where(_consents.c.id == bindparam("consent_id"), _consents.c.status == "active")
    .values(status="expired")
)
# Is any of a group's callers suspended, or has any of its subjects objected?
_ANY_BARRED = select(
    or_(
        exists().where(
            _principals.c.id.in_(bindparam("callers", expanding=True)),
            _principals.c.suspended_at.is_not(None),
        ),
        exists().where(
            tuple_(_objections.c.dataset_id, _objections.c.subject_ref).in_(
                bindparam("pairs", expanding=True)
            ),
            _objections.c.status == "open",
        ),
    )
)


def _check(
    conn: Connection,
    store: ConsentStore,
    recipient: Principal,
    found: _Found | None,
    mode: str,
    now: dt.datetime,
) -> _Grant:
    if found is None:
        raise _Denied("token_unknown")
    consent = row = found.row
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
    if consent.mismatches >= store.settings.verify_max_mismatches:
        raise _Denied("too_many_mismatches", consent)
    if consent.max_uses is not None and consent.uses >= consent.max_uses:
        # Known before the body runs; the conditional UPDATE has the last word.
        raise _Denied("exhausted", consent)
    dataset = store.policies.dataset(conn, consent.dataset_id)
    consented = [item["field"] for item in consent.items]
    return _Grant(consent, dataset, consented, found.records, store.keys)


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


def _consume(
    conn: Connection, consent: _ConsentRow, now: dt.datetime, actor: str, miss: bool, cap: int
) -> None:
    # One conditional UPDATE: the atomic use count (and mismatch count), and
    # the row lock that orders this access against a concurrent withdrawal.
    # The decision's only write before its audit entry, and its last step
    # that can refuse.
    done = conn.execute(
        _CONSUME,
        {
            "consent_id": consent.id,
            "now": now,
            "caller": actor,
            "miss": int(miss),
            "max_mismatches": cap,
        },
    )
    if done.rowcount != 1:
        raise _not_taken(conn, consent, actor, cap)


def _not_taken(conn: Connection, consent: _ConsentRow, actor: str, cap: int) -> _Denied:
    # Why the conditional UPDATE took no use (it passed _check moments ago).
    status, uses, max_uses, mismatches = conn.execute(_STATE, {"consent_id": consent.id}).one()
    if status == "withdrawn":
        return _Denied("withdrawn", consent)
    if max_uses is not None and uses >= max_uses:
        return _Denied("exhausted", consent)
    if mismatches >= cap:
        return _Denied("too_many_mismatches", consent)
    barred = _barred(conn, consent, actor)
    if barred is not None:
        return _Denied(barred, consent)
    return _Denied("expired", consent)


class _Job:
    """One access decision: what was asked, then its outcome.

    Decided by :func:`_decide_group` on the store's decision writer, which
    hands it back through ``future`` once its transaction has committed (or
    failed).
    """

    def __init__(
        self,
        store: ConsentStore,
        recipient: Principal,
        token: str,
        mode: str,
        action: str,
        requested: list[str] | None,
        body: Callable[[Connection, _Grant], tuple[Any, list[str]]],
    ) -> None:
        self.store = store
        self.recipient = recipient
        self.token = token
        self.mode = mode
        self.action = action
        self.requested = requested
        self.body = body
        self.future: Future[Any] = Future()
        self.now = utcnow()
        self.reset()

    def reset(self) -> None:
        """Forget an outcome (its transaction rolled back)."""
        self.grant: _Grant | None = None
        self.result: Any = None
        self.released: list[str] = []
        self.denied: _Denied | None = None
        self.error: BaseException | None = None

    def start(self) -> bool:
        return self.future.set_running_or_notify_cancel()

    def fail(self, exc: BaseException) -> None:
        self.error = exc

    def settle(self) -> None:
        if self.error is not None:
            self.future.set_exception(self.error)
        elif self.denied is not None:
            self.future.set_exception(AccessDenied(self.denied.reason))
        elif self.grant is not None:
            self.future.set_result(self.result)
        else:
            self.future.set_exception(RuntimeError("the decision was interrupted"))


class _Barred(Exception):
    """A granted decision met a suspension or objection once the head was locked."""

    def __init__(self, reason: str | None) -> None:
        self.reason = reason


def _token_hash(job: _Job) -> str | None:
    digest = job.store.keys.token_hash(job.token)  # computed for any text: same work
    return digest if looks_like_token(job.token) else None


def _prepare(conn: Connection, job: _Job, found: _Found | None, now: dt.datetime) -> _Grant | None:
    # Every check and read first, the use last (_take_uses): a refusal has
    # written nothing, so the other decisions of a group are not disturbed.
    if job.denied is not None:
        return None  # already refused (recorded alone after a rollback)
    job.now = now
    try:
        grant = _check(conn, job.store, job.recipient, found, job.mode, now)
        job.result, job.released = job.body(conn, grant)
    except _Denied as denied:
        _refuse(job, denied)
        return None
    except DBAPIError:
        raise  # the database: the group's transaction, not this decision
    except Exception as exc:
        # This decision failed: a stored record that does not open, say. It
        # is audited as a refusal in the group's transaction, takes no use,
        # releases nothing, and its caller gets DecisionFailed.
        _refuse(job, _Denied("internal_error", found.row if found is not None else None))
        failed = DecisionFailed()
        failed.__cause__ = exc
        job.error = failed
        return None
    return grant


def _refuse(job: _Job, denied: _Denied) -> None:
    job.result, job.released = None, []
    job.denied = denied


def _take_uses(
    conn: Connection, pending: list[tuple[_Job, _Grant]], now: dt.datetime, cap: int
) -> None:
    """Take the use of every prepared decision; a decision whose use is refused is refused.

    The first use of each consent is taken by one UPDATE per caller (one
    round trip for a group); a consent used again in the same group, and a
    verify that answers "no match" (its use also counts a mismatch, up to
    ``cap``), are taken one decision at a time, each UPDATE seeing the one
    before.
    """
    firsts: dict[str, list[tuple[_Job, _Grant]]] = {}
    again: list[tuple[_Job, _Grant]] = []
    seen: set[str] = set()
    for job, grant in pending:
        if grant.consent.id in seen or _mismatch(job):
            again.append((job, grant))
        else:
            firsts.setdefault(job.recipient.id, []).append((job, grant))
        seen.add(grant.consent.id)
    for caller, items in firsts.items():
        if len(items) == 1:
            again.insert(0, items[0])
            continue
        taken = set(
            conn.execute(
                _CONSUME_MANY,
                {
                    "consent_ids": [g.consent.id for _, g in items],
                    "now": now,
                    "caller": caller,
                    "max_mismatches": cap,
                },
            ).scalars()
        )
        for job, grant in items:
            if grant.consent.id in taken:
                job.grant = grant
            else:
                _refuse(job, _not_taken(conn, grant.consent, caller, cap))
    for job, grant in again:
        try:
            _consume(conn, grant.consent, now, job.recipient.id, _mismatch(job), cap)
        except _Denied as denied:
            _refuse(job, denied)
        else:
            job.grant = grant


def _mismatch(job: _Job) -> bool:
    """Is this a verify that answers "no match"?"""
    return job.mode == "verify" and job.result is False


def _audit_entry(conn: Connection, job: _Job) -> dict[str, Any]:
    store = job.store
    if job.grant is not None:
        grant = job.grant
        names, unknown = _field_names(grant.dataset, job.requested)
        return audit.entry(
            actor=job.recipient.id,
            action=job.action,
            consent_id=grant.consent.id,
            dataset_id=grant.dataset.id,
            subject_ref=grant.consent.subject_ref,
            purpose=grant.consent.purpose,
            requested=grant.consented if job.requested is None else names,
            released=job.released,
            decision="granted",
            # A "no match" is recorded as such (not what was asked): the
            # subject sees the guesses, and the mismatch count is in the chain.
            reason=_with_unknown("consented; no match" if _mismatch(job) else "consented", unknown),
        )
    denied = job.denied
    assert denied is not None
    dataset = None
    if denied.dataset_id is not None:
        try:
            dataset = store.policies.dataset(conn, denied.dataset_id)
        except DBAPIError:
            raise
        except Exception:
            if denied.reason != "internal_error":
                raise
            # The dataset's failure may be what failed the decision: it is
            # still audited, without field names.
    names, unknown = _field_names(dataset, job.requested)
    if dataset is None and denied.reason == "internal_error":
        unknown = 0
    if denied.consent_id is not None and denied.expire:
        done = conn.execute(_EXPIRE, {"consent_id": denied.consent_id})
        if done.rowcount == 1:
            conn.execute(
                _EVENT,
                {
                    "consent_id": denied.consent_id,
                    "event": "expired",
                    "at": job.now,
                    "actor": "system",
                },
            )
    return audit.entry(
        actor=job.recipient.id,
        action=job.action,
        consent_id=denied.consent_id,
        dataset_id=denied.dataset_id,
        subject_ref=denied.subject_ref,
        purpose=denied.purpose,
        requested=names,
        released=(),
        decision="denied",
        reason=_with_unknown(denied.reason, unknown),
    )


def _any_barred(conn: Connection, granted: list[_Job]) -> str | None:
    # One question for the whole group; a single decision learns its reason.
    if len(granted) == 1:
        job = granted[0]
        assert job.grant is not None
        return _barred(conn, job.grant.consent, job.recipient.id)
    callers = sorted({job.recipient.id for job in granted})
    pairs = sorted(
        {(j.grant.dataset.id, j.grant.consent.subject_ref) for j in granted if j.grant is not None}
    )
    hit = conn.execute(_ANY_BARRED, {"callers": callers, "pairs": pairs}).scalar()
    return "barred" if hit else None


def _decide_group(jobs: list[_Job]) -> None:
    """Decide ``jobs`` in one transaction: each job's outcome is set on it.

    If a decision of several meets a suspension or objection after the head
    was locked, or anything fails before the commit, the transaction rolls
    back and each decision is taken again alone; an error of a lone decision
    is raised. A failed commit is raised for every decision of the group and
    none is taken again: its outcome is unknown (it may have committed). A
    decision whose body fails (not the database) is audited as a refusal
    in the group's transaction and answered with its error (:func:`_prepare`).
    """
    store = jobs[0].store
    committing = False
    try:
        with store.connection() as conn:
            # Server time once the transaction has begun: on SQLite a writer
            # may have waited for the lock, past a consent's expiry.
            now = utcnow()
            hashes = [_token_hash(job) for job in jobs]
            found = _lookup(conn, [h for h in hashes if h is not None])
            pending: list[tuple[_Job, _Grant]] = []
            for job, digest in zip(jobs, hashes, strict=True):
                grant = _prepare(conn, job, found.get(digest) if digest is not None else None, now)
                if grant is not None:
                    pending.append((job, grant))
            _take_uses(conn, pending, now, store.settings.verify_max_mismatches)
            granted = [job for job in jobs if job.grant is not None]
            if granted:
                conn.execute(
                    _EVENT,
                    [
                        {
                            "consent_id": job.grant.consent.id,
                            "event": "used",
                            "at": job.now,
                            "actor": job.recipient.id,
                        }
                        for job in granted
                        if job.grant is not None
                    ],
                )
            entries = [_audit_entry(conn, job) for job in jobs]
            audit.append_many(
                conn, entries, keys=store.keys, checkpoint_every=store.settings.checkpoint_every
            )
            # append_many() holds the chain head lock, which every objection
            # and suspension takes before it commits: what committed before is
            # seen here, what commits later is ordered after these accesses.
            # SQLite needs no second look: BEGIN IMMEDIATE took the one write
            # lock before _check, so nothing has committed since.
            if granted and not store.serialized_writes:
                barred = _any_barred(conn, granted)
                if barred is not None:
                    raise _Barred(barred)
            committing = True
    except _Barred as exc:
        if len(jobs) > 1:
            _decide_alone(jobs)
            return
        job = jobs[0]
        assert job.grant is not None
        denied = _Denied(exc.reason or "barred", job.grant.consent)
        job.reset()
        job.denied = denied
        _decide_group([job])  # records the refusal alone
    except Exception:
        if len(jobs) == 1 or committing:
            raise
        _decide_alone(jobs)


def _decide_alone(jobs: list[_Job]) -> None:
    for job in jobs:
        job.reset()
        try:
            _decide_group([job])
        except Exception as exc:
            job.error = exc


def _field_names(dataset: Dataset | None, requested: Sequence[str] | None) -> tuple[list[str], int]:
    # Requested names are the recipient's text: only the dataset's own field
    # names go into the permanent log, the others only as a count.
    wanted = set(requested or ())
    fields = [f["name"] for f in dataset.fields] if dataset is not None else []
    names = [n for n in fields if n in wanted]
    return names, len(wanted) - len(names)


def _with_unknown(reason: str, unknown: int) -> str:
    return f"{reason}; {unknown} unknown field names" if unknown else reason


def _records(grant: _Grant) -> list[dict[str, Any]]:
    """The subject's records, opened: called by a body once its own checks passed.

    A record that does not open (another key, altered) then fails this
    decision alone (an error, not a refusal); no refusal depends on it.
    """
    if not grant.stored:
        raise _Denied("no_records", grant.consent)
    consent = grant.consent
    return [
        r
        if isinstance(r, dict)
        else grant.keys.open_record(consent.dataset_id, consent.subject_ref, r)
        for r in grant.stored
    ]


def _digest(value: str) -> bytes:
    return sha256(normalize_subject(value).encode("utf-8")).digest()


def _submit(job: _Job) -> Future[Any]:
    job.store.decision_writer(_decide_group).submit(job)
    return job.future


def start_verify(
    store: ConsentStore, recipient: Principal, token: str, field_name: str, value: str
) -> Future[bool]:
    """:func:`verify`, handed back as a future (for an event loop: ``asyncio.wrap_future``)."""
    return _submit(_verify_job(store, recipient, token, field_name, value))


def _verify_job(
    store: ConsentStore, recipient: Principal, token: str, field_name: str, value: str
) -> _Job:
    def body(conn: Connection, grant: _Grant) -> tuple[bool, list[str]]:
        if field_name not in grant.consented:
            raise _Denied("field_not_consented", grant.consent)
        wanted = _digest(value)
        match = False
        for record in _records(grant):
            stored = record.get(field_name)
            if stored is not None and hmac.compare_digest(_digest(stored), wanted):
                match = True
        return match, []

    return _Job(store, recipient, token, "verify", "access.verify", [field_name], body)


def verify(
    store: ConsentStore, recipient: Principal, token: str, field_name: str, value: str
) -> bool:
    """Does the subject's ``field_name`` equal ``value``? Only yes or no is returned.

    Each "no" counts against the consent; after the store's
    ``verify_max_mismatches`` of them it refuses every verification, a
    match included.

    Raises:
        AccessDenied: If the token does not entitle the recipient to verify that field.
    """
    return start_verify(store, recipient, token, field_name, value).result()


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
        for record in _records(grant):
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


def _query_job(
    store: ConsentStore,
    recipient: Principal,
    token: str,
    fields: Sequence[str] | None,
    mode: str = "query",
) -> _Job:
    requested = list(fields) if fields is not None else None
    return _Job(
        store, recipient, token, mode, f"access.{mode}", requested, _query_body(store, requested)
    )


def start_query(
    store: ConsentStore, recipient: Principal, token: str, fields: Sequence[str] | None = None
) -> Future[QueryResult]:
    """:func:`query`, handed back as a future (for an event loop: ``asyncio.wrap_future``)."""
    return _submit(_query_job(store, recipient, token, fields))


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
    return start_query(store, recipient, token, fields).result()


def batch(
    store: ConsentStore,
    recipient: Principal,
    tokens: Sequence[str],
    fields: Sequence[str] | None = None,
) -> list[BatchRow]:
    """Many subjects at once: each row is decided (and audited) under its own consent.

    Only batch-mode consents that an admin approved pass. A denied row
    carries no records and no reason. A row that failed with an error is
    marked ``error`` and the other rows are still answered, since they were
    decided and audited as released: its decision failed after its checks
    (:class:`~desens.consent.errors.DecisionFailed`, audited), or could not
    be taken or audited at all (the database, :class:`AuditWriteError`:
    that row released nothing; a failed commit: its outcome is unknown).
    Errors are logged by type only.

    Raises:
        Exception: the first row's error, when every row failed (nothing
            was answered, e.g. the database is down).
    """
    futures = [_submit(_query_job(store, recipient, t, fields, mode="batch")) for t in tokens]
    rows: list[BatchRow] = []
    errors: list[BaseException] = []
    for index, future in enumerate(futures):
        try:
            result = future.result()
        except AccessDenied:
            rows.append(BatchRow(index=index, granted=False))
        except Exception as exc:
            errors.append(exc)
            rows.append(BatchRow(index=index, granted=False, error=True))
            logger.error("batch row %d failed: %s", index, type_names(exc))
        else:
            rows.append(BatchRow(index=index, granted=True, result=result))
    if errors and len(errors) == len(rows):
        raise errors[0]
    return rows
