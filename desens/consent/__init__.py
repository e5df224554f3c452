"""The consent store: data-subject consents, tokens, access decisions and audit.

A data subject authorizes a named recipient (Jiangmen Art. 27; PIPL Art. 14,
15, 23, 29) under minimum authorization (Jiangmen Art. 16-17), in the sharing
modes of Yongjia Art. 16 (verify, query, batch); every decision is audited in
a hash chain with signed checkpoints (Yongjia Art. 25). The HTTP service is
in ``api/``; this package is the library it calls.

=================  ==========================================================
module             concept
=================  ==========================================================
settings           :class:`ConsentSettings` (environment / file)
db, models         engines (SQLite WAL, PostgreSQL), tables
migrations/        Alembic revisions (shipped in the wheel), :func:`migrate`
crypto             keyed hashes, subject encryption, Ed25519 signing
principals         admin, department, portal, recipient; API keys; suspension
datasets           datasets, records, the policy for non-consented fields
consents, tokens   consent terms, withdrawal, approval; ``cgt_`` tokens
access             verify / query / batch decisions
audit, history     the hash chain, checkpoints, verification; access history
objections         Guangxi Art. 22 objections
store              :class:`ConsentStore`, the object that holds them together
=================  ==========================================================
"""

from __future__ import annotations

from desens.consent.access import (
    BatchRow,
    QueryResult,
    batch,
    query,
    start_query,
    start_verify,
    verify,
)
from desens.consent.audit import ChainReport, checkpoint, verify_chain
from desens.consent.consents import (
    ConsentItem,
    ConsentTerms,
    Guardian,
    approve_consent,
    create_consent,
    withdraw_consent,
)
from desens.consent.crypto import ConsentKeys
from desens.consent.datasets import DatasetSpec, FieldSpec, add_records, create_dataset
from desens.consent.db import make_engine, migrate
from desens.consent.errors import (
    AccessDenied,
    AuditError,
    AuditWriteError,
    AuthError,
    ChainBroken,
    ConflictError,
    ConsentError,
    DecisionFailed,
    Forbidden,
    NotAuthenticated,
    NotFound,
    RuleError,
)
from desens.consent.objections import object_to_dataset, resolve_objection
from desens.consent.principals import authenticate, create_principal, set_suspended
from desens.consent.settings import ConsentSettings
from desens.consent.store import ConsentStore

__all__ = [
    "AccessDenied",
    "AuditError",
    "AuditWriteError",
    "AuthError",
    "BatchRow",
    "ChainBroken",
    "ChainReport",
    "ConflictError",
    "ConsentError",
    "ConsentItem",
    "ConsentKeys",
    "ConsentSettings",
    "ConsentStore",
    "ConsentTerms",
    "DatasetSpec",
    "DecisionFailed",
    "FieldSpec",
    "Forbidden",
    "Guardian",
    "NotAuthenticated",
    "NotFound",
    "QueryResult",
    "RuleError",
    "add_records",
    "approve_consent",
    "authenticate",
    "batch",
    "checkpoint",
    "create_consent",
    "create_dataset",
    "create_principal",
    "make_engine",
    "migrate",
    "object_to_dataset",
    "query",
    "resolve_objection",
    "set_suspended",
    "start_query",
    "start_verify",
    "verify",
    "verify_chain",
    "withdraw_consent",
]
