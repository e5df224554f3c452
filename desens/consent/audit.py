"""The audit log: append-only, hash-chained, with signed checkpoints.

Every access decision (granted or denied) and every administrative act is one
:class:`~desens.consent.models.AuditEntry`. An entry's hash is SHA-256 of the
canonical JSON of its fields and the previous entry's hash, so editing,
deleting, reordering or inserting an entry breaks the chain from that point.
Entries carry field *names* and a keyed subject reference, never a value.

:func:`append` runs inside the caller's transaction and locks the chain head
row, so the entry commits together with the decision it records (or not at
all), and sequence order is commit order. Every ``checkpoint_every`` entries,
and on demand, the head is signed with Ed25519 (:func:`checkpoint`); a
truncation below the newest checkpoint is then detectable even by someone who
also rewrote the head row. :func:`verify_chain` checks all of it.

Example:
    >>> entry_hash({"seq": 1}) == entry_hash({"seq": 1})
    True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy import update as sa_update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from desens.consent.crypto import ConsentKeys, verify_signature
from desens.consent.errors import AuditWriteError
from desens.consent.models import AuditEntry, AuditHead, Base, Checkpoint, utcnow

__all__ = [
    "GENESIS_HASH",
    "ChainReport",
    "append",
    "append_many",
    "checkpoint",
    "checkpoint_message",
    "entry",
    "entry_hash",
    "verify_chain",
]

#: The ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64

_HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "consent_id",
    "dataset_id",
    "subject_ref",
    "purpose",
    "fields_requested",
    "fields_released",
    "decision",
    "reason",
    "prev_hash",
)


# Built once; the head row is locked by every append.
_heads = Base.metadata.tables["audit_head"]
_HEAD = select(_heads.c.seq, _heads.c.hash).where(_heads.c.id == 1).with_for_update()
_SET_HEAD = (
    sa_update(_heads)
    .where(_heads.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_INSERT = insert(Base.metadata.tables["audit_entries"])


def entry_hash(fields: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of an entry's fields."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _fields_of(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _HASHED_FIELDS}


def entry(
    *,
    actor: str,
    action: str,
    decision: str,
    reason: str,
    consent_id: str | None = None,
    dataset_id: str | None = None,
    subject_ref: str | None = None,
    purpose: str | None = None,
    requested: Iterable[str] = (),
    released: Iterable[str] = (),
) -> dict[str, Any]:
    """The content of one entry, for :func:`append_many` (which chains it)."""
    return {
        "actor": actor,
        "action": action,
        "consent_id": consent_id,
        "dataset_id": dataset_id,
        "subject_ref": subject_ref,
        "purpose": purpose,
        "fields_requested": sorted(set(requested)),
        "fields_released": sorted(set(released)),
        "decision": decision,
        "reason": reason,
    }


def append(
    session: Session | Connection,
    content: dict[str, Any],
    *,
    keys: ConsentKeys | None = None,
    checkpoint_every: int | None = None,
) -> AuditEntry:
    """Append one entry (from :func:`entry`) in the caller's transaction; the caller commits.

    ``session`` is an ORM session or a Core connection in a transaction.
    Call it last in a transaction, after any row lock the transaction takes
    on other tables, so that all writers lock in the same order.

    Raises:
        AuditWriteError: If the entry cannot be written; roll back, release nothing.
    """
    [fields] = append_many(session, [content], keys=keys, checkpoint_every=checkpoint_every)
    return AuditEntry(**fields)


def append_many(
    session: Session | Connection,
    entries: list[dict[str, Any]],
    *,
    keys: ConsentKeys | None = None,
    checkpoint_every: int | None = None,
) -> list[dict[str, Any]]:
    """Append several entries (from :func:`entry`), in order, under one lock of the head.

    The same contract as :func:`append`: the caller's transaction, called
    last, and the caller commits. Returns every entry's fields, hash included.

    Raises:
        AuditWriteError: If the entries cannot be written; roll back, release nothing.
    """
    rows: list[dict[str, Any]] = []
    try:
        conn = session if isinstance(session, Connection) else session.connection()
        head_seq, head_hash = conn.execute(_HEAD).one()
        for content in entries:
            head_seq += 1
            fields: dict[str, Any] = {
                "seq": head_seq,
                "at": utcnow().isoformat(),
                **content,
                "prev_hash": head_hash,
            }
            fields["hash"] = head_hash = entry_hash(fields)
            rows.append(fields)
        if not rows:
            return rows
        _insert(conn, rows)
        conn.execute(_SET_HEAD, {"new_seq": head_seq, "new_hash": head_hash})
        due = [f for f in rows if checkpoint_every and f["seq"] % checkpoint_every == 0]
        if due and keys is not None:
            # A session on the caller's connection joins its transaction.
            joined = Session(bind=session) if isinstance(session, Connection) else session
            try:
                for f in due:
                    _sign(joined, keys, f["seq"], f["hash"])
            finally:
                if joined is not session:
                    joined.close()
    except SQLAlchemyError as exc:
        actions = ", ".join(sorted({repr(e["action"]) for e in entries}))
        raise AuditWriteError(
            f"the audit entry for {actions} could not be written "
            f"({type(exc).__name__}); nothing was released"
        ) from None
    return rows


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # One seam, so tests can make the audit write fail.
    conn.execute(_INSERT, rows)


def checkpoint_message(seq: int, head_hash: str, at: str) -> bytes:
    """The bytes a checkpoint signs."""
    return f"desens-audit-checkpoint/v1\n{seq}\n{head_hash}\n{at}".encode("ascii")


def _sign(session: Session, keys: ConsentKeys, seq: int, head_hash: str) -> Checkpoint:
    at = utcnow().isoformat()
    cp = Checkpoint(
        seq=seq,
        head_hash=head_hash,
        at=at,
        public_key=keys.public_key,
        signature=keys.sign(checkpoint_message(seq, head_hash, at)),
    )
    session.merge(cp)
    session.flush()
    return cp


def checkpoint(session: Session, keys: ConsentKeys) -> Checkpoint | None:
    """Sign the current chain head (None while the chain is empty)."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()
    if head.seq == 0:
        return None
    return _sign(session, keys, head.seq, head.hash)


@dataclass
class ChainReport:
    """The outcome of :func:`verify_chain`.

    Attributes:
        ok: True when no problem was found.
        entries: Entries checked.
        checkpoints: Checkpoints checked.
        problems: What is wrong, first problem first (sequence numbers only).
    """

    ok: bool = True
    entries: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        """Record a problem."""
        self.ok = False
        self.problems.append(problem)


def verify_chain(session: Session, public_key: str | None = None) -> ChainReport:
    """Check the whole chain, the head row and every checkpoint.

    Args:
        session: A session on the store.
        public_key: The Ed25519 key (hex) checkpoints must be signed with;
            when None, each checkpoint's own key is trusted.

    Returns:
        The report; ``report.ok`` is False on any edit, deletion, reordering,
        insertion or truncation that the chain, head or checkpoints reveal.
    """
    report = ChainReport()
    prev = GENESIS_HASH
    expected = 1
    # Only the hashes checkpoints are compared with are kept: memory stays
    # bounded by the checkpoints, not by the length of the log.
    signed = set(session.scalars(select(Checkpoint.seq)))
    hashes: dict[int, str] = {}
    # yield_per streams (a server-side cursor on PostgreSQL) instead of
    # buffering the whole log.
    rows = session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=500)
    )
    for entry in rows:
        report.entries += 1
        if entry.seq != expected:
            report.fail(f"entry {expected}: missing (next entry is {entry.seq})")
            expected = entry.seq
        if entry.prev_hash != prev:
            report.fail(f"entry {entry.seq}: prev_hash does not match entry {entry.seq - 1}")
        if entry_hash(_fields_of(entry)) != entry.hash:
            report.fail(f"entry {entry.seq}: content does not match its hash (edited)")
        if entry.seq in signed:
            hashes[entry.seq] = entry.hash
        prev = entry.hash
        expected += 1
    last = expected - 1
    head = session.get(AuditHead, 1)
    if head is None:
        report.fail("the chain head row is missing")
    elif head.seq != last or head.hash != prev:
        report.fail(f"head says entry {head.seq}, the log ends at entry {last} (truncated?)")
    for cp in session.execute(select(Checkpoint).order_by(Checkpoint.seq)).scalars():
        report.checkpoints += 1
        if public_key is not None and cp.public_key != public_key:
            report.fail(f"checkpoint {cp.seq}: signed by an unknown key")
        elif not verify_signature(
            cp.public_key, cp.signature, checkpoint_message(cp.seq, cp.head_hash, cp.at)
        ):
            report.fail(f"checkpoint {cp.seq}: bad signature")
        if cp.seq > last:
            report.fail(f"checkpoint {cp.seq}: the log ends at entry {last} (truncated)")
        elif hashes.get(cp.seq) != cp.head_hash:
            report.fail(f"checkpoint {cp.seq}: entry hash differs from the signed head")
    return report
