"""Errors of the consent store, mapped to HTTP statuses in one place (``api.errors``).

::

    DesensError
     └─ ConsentError
         ├─ AuthError ─────── NotAuthenticated, Forbidden
         ├─ NotFound
         ├─ ConflictError
         ├─ RuleError          (a consent that breaks a PIPL / minimum-authorization rule)
         ├─ AccessDenied       (every refused access: one message, the reason is audited)
         └─ AuditError ─────── AuditWriteError, ChainBroken

Messages never contain a subject id, a token, an API key or a record value.
"""

from __future__ import annotations

from desens.errors import DesensError

__all__ = [
    "AccessDenied",
    "AuditError",
    "AuditWriteError",
    "AuthError",
    "ChainBroken",
    "ConflictError",
    "ConsentError",
    "Forbidden",
    "NotAuthenticated",
    "NotFound",
    "RuleError",
]


class ConsentError(DesensError):
    """Base of the consent store's errors."""


class AuthError(ConsentError):
    """Authentication or authorization failed."""


class NotAuthenticated(AuthError):
    """No API key, or one that matches no active principal."""


class Forbidden(AuthError):
    """The principal's role may not use this route or object."""


class NotFound(ConsentError):
    """An object (dataset, consent, principal) that does not exist for this caller."""


class ConflictError(ConsentError):
    """The request conflicts with the stored state (duplicate name, already withdrawn)."""


class RuleError(ConsentError):
    """A consent or dataset that breaks a rule (guardian missing, sensitive item ...)."""


class AccessDenied(ConsentError):
    """A refused access. The reason goes to the audit log, never to the caller.

    Attributes:
        reason: Machine-readable reason, recorded in the audit entry only.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__("access denied")


class AuditError(ConsentError):
    """The audit log could not be written or does not verify."""


class AuditWriteError(AuditError):
    """Writing an audit entry failed; nothing was released."""


class ChainBroken(AuditError):
    """The audit chain does not verify; the message names the first bad sequence."""
