"""Consent tokens: opaque ``cgt_`` + 256 random bits, bound to one recipient.

The store keeps only the token's keyed hash (HMAC-SHA256 under the ``token``
sub-key) and the recipient it was issued to. There is nothing to decode in a
token (no JWT): it only names a consent through the store.

Example:
    >>> looks_like_token("cgt_" + "A" * 43), looks_like_token("jwt.x.y")
    (True, False)
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from desens.consent.crypto import TOKEN_PREFIX, ConsentKeys, new_secret
from desens.consent.models import Consent, Token, utcnow

__all__ = ["find_token", "issue_token", "looks_like_token"]

_TOKEN = re.compile(r"cgt_[A-Za-z0-9_-]{43}")


def looks_like_token(text: str) -> bool:
    """True when ``text`` has the shape of a consent token."""
    return bool(_TOKEN.fullmatch(text))


def issue_token(session: Session, keys: ConsentKeys, consent: Consent) -> str:
    """Make the token of ``consent``; returns it (shown once, only its hash is kept)."""
    token = new_secret(TOKEN_PREFIX)
    session.add(
        Token(
            token_hash=keys.token_hash(token),
            consent_id=consent.id,
            recipient_id=consent.recipient_id,
            created_at=utcnow(),
        )
    )
    return token


def find_token(session: Session, keys: ConsentKeys, token: str) -> Token | None:
    """The stored token for ``token``, or None (the hash is computed either way)."""
    digest = keys.token_hash(token)
    if not looks_like_token(token):
        return None
    return session.get(Token, digest)
