"""Principals (admin, department, subject portal, recipient) and their API keys.

An API key is ``dsk_`` and 256 random bits. The store keeps only its keyed
hash (HMAC-SHA256 under the ``api_key`` sub-key): the key is looked up by
that hash and the stored hash is compared in constant time. A key is shown
once, when it is made.

Example:
    >>> ROLES
    ('admin', 'department', 'portal', 'recipient')
"""

from __future__ import annotations

import hmac
import uuid
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from desens.consent import audit
from desens.consent.crypto import ConsentKeys, new_secret
from desens.consent.errors import ConflictError, NotAuthenticated, NotFound, RuleError
from desens.consent.models import ApiKey, Principal, utcnow
from recognizers.checksums import is_valid_uscc

__all__ = [
    "API_KEY_PREFIX",
    "ROLES",
    "Role",
    "authenticate",
    "create_principal",
    "new_id",
    "set_suspended",
]

Role = Literal["admin", "department", "portal", "recipient"]
ROLES: tuple[str, ...] = ("admin", "department", "portal", "recipient")
#: Prefix of every API key.
API_KEY_PREFIX = "dsk_"
_DUMMY_HASH = "0" * 64


def new_id() -> str:
    """A new random object id (32 hex digits)."""
    return uuid.uuid4().hex


def create_principal(
    session: Session,
    keys: ConsentKeys,
    *,
    role: str,
    name: str,
    uscc: str | None = None,
    contact: str | None = None,
    actor: str = "system",
) -> tuple[Principal, str]:
    """Register a principal and make its first API key.

    Departments and recipients are organisations and need a valid unified
    social credit code (GB 32100).

    Returns:
        The principal and its API key (shown once; only its hash is stored).

    Raises:
        RuleError: If the role is unknown or the USCC is missing or invalid.
        ConflictError: If a principal of that role already has the name.
    """
    if role not in ROLES:
        raise RuleError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if role in ("department", "recipient") and (uscc is None or not is_valid_uscc(uscc)):
        raise RuleError(
            f"a {role} needs a valid unified social credit code (18 characters, GB 32100 check)"
        )
    exists = session.scalar(
        select(Principal.id).where(Principal.role == role, Principal.name == name)
    )
    if exists is not None:
        raise ConflictError(f"a {role} with that name is already registered ({exists})")
    principal = Principal(
        id=new_id(), role=role, name=name, uscc=uscc, contact=contact, created_at=utcnow()
    )
    session.add(principal)
    session.flush()
    api_key = new_secret(API_KEY_PREFIX)
    session.add(
        ApiKey(key_hash=keys.api_key_hash(api_key), principal_id=principal.id, created_at=utcnow())
    )
    audit.append(
        session,
        audit.entry(
            actor=actor,
            action=f"principal.create.{role}",
            decision="granted",
            reason="registered",
        ),
    )
    return principal, api_key


def authenticate(session: Session, keys: ConsentKeys, api_key: str | None) -> Principal:
    """The principal an API key belongs to.

    Raises:
        NotAuthenticated: If the key is missing, unknown or revoked.
    """
    if not api_key:
        raise NotAuthenticated("an API key is required (header X-API-Key)")
    wanted = keys.api_key_hash(api_key)
    row = session.get(ApiKey, wanted)
    stored = row.key_hash if row is not None else _DUMMY_HASH
    if not hmac.compare_digest(stored, wanted) or row is None or row.revoked_at is not None:
        raise NotAuthenticated("the API key is not valid")
    principal = session.get(Principal, row.principal_id)
    if principal is None:  # pragma: no cover - foreign key guarantees it
        raise NotAuthenticated("the API key is not valid")
    return principal


def set_suspended(
    session: Session, admin: Principal, recipient_id: str, suspended: bool
) -> Principal:
    """Suspend (or reinstate) a recipient: all its tokens stop at once.

    Raises:
        NotFound: If no recipient has that id.
    """
    recipient = session.get(Principal, recipient_id, with_for_update=True)
    if recipient is None or recipient.role != "recipient":
        raise NotFound(f"no recipient with id {recipient_id}")
    recipient.suspended_at = utcnow() if suspended else None
    audit.append(
        session,
        audit.entry(
            actor=admin.id,
            action="recipient.suspend" if suspended else "recipient.reinstate",
            decision="granted",
            reason="misuse" if suspended else "reinstated",
        ),
    )
    return recipient
