"""Errors of the consent store, mapped to HTTP statuses in one place (``api.errors``).

::

    DesensError
     └─ ConsentError
         ├─ AuthError ─────── NotAuthenticated, Forbidden
         ├─ NotFound
         ├─ ConflictError
         ├─ RuleError          (a consent that breaks a PIPL / minimum-authorization rule)
         ├─ AccessDenied       (every refused access: one message, the reason is audited)
         ├─ DecisionFailed     (an access whose checks passed failed; audited, nothing released)
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
    "DecisionFailed",
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


class DecisionFailed(ConsentError):
    """An access decision failed with an error after its checks passed.

    A stored record that does not open, say (the error is the ``__cause__``).
    The decision was audited as a refusal with the reason ``internal_error``;
    it took no use and released nothing.
    """

    def __init__(self) -> None:
        super().__init__("the access failed with an internal error; nothing was released")


class AuditError(ConsentError):
    """The audit log could not be written or does not verify."""


class AuditWriteError(AuditError):
    """Writing an audit entry failed; nothing was released."""


class ChainBroken(AuditError):
    """The audit chain does not verify; the message names the first bad sequence."""
