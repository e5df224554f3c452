"""The exception tree of desens.

Every error desens raises on purpose derives from :class:`DesensError`::

    DesensError
     ├─ ConfigError ── PolicyError, UnknownEntityError, UnknownOperatorError, ModelError
     ├─ InputError ─── BadRecordError (carries file, line, column)
     └─ KeyError_ ──── MissingKeyError, WrongKeyError

``KeyError_`` has a trailing underscore so that it never shadows the built-in
:class:`KeyError`; it does not derive from it.

Messages say what was wrong and where, and what to do. They never contain the
sensitive value itself: a record that failed to parse is named by its line
number, never quoted.
"""

from __future__ import annotations

__all__ = [
    "BadRecordError",
    "ConfigError",
    "DesensError",
    "InputError",
    "KeyError_",
    "MissingKeyError",
    "ModelError",
    "PolicyError",
    "UnknownEntityError",
    "UnknownOperatorError",
    "WrongKeyError",
    "type_names",
]


class DesensError(Exception):
    """Base class of every error desens raises on purpose."""


class ConfigError(DesensError):
    """The caller asked for something that cannot be configured that way."""


class PolicyError(ConfigError):
    """A policy file is invalid; the message names the file, line and key."""


class UnknownEntityError(ConfigError):
    """An entity name that no recognizer supports."""


class UnknownOperatorError(ConfigError):
    """An operator name that the operator registry does not know."""


class ModelError(ConfigError):
    """A shipped model or lexicon file is missing or unreadable."""


class InputError(DesensError):
    """The input data could not be read."""


class BadRecordError(InputError):
    """One record of the input is malformed.

    Attributes:
        source: the file name (``"<stdin>"`` for standard input).
        line: 1-based line number of the record.
        column: 1-based column where parsing failed, when known.
        reason: what is wrong, without quoting the record's content.
    """

    def __init__(self, source: str, line: int, reason: str, column: int | None = None) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.reason = reason
        where = f"{source}:{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type[BadRecordError], tuple[str, int, str, int | None]]:
        # Raised in worker processes; must survive the trip back through pickle.
        return (type(self), (self.source, self.line, self.reason, self.column))


class KeyError_(DesensError):
    """A key needed to protect or restore data is unavailable or unusable.

    Messages name the key id and where the key ring came from, never the key
    material and never the value being processed.
    """


class MissingKeyError(KeyError_):
    """No key ring was given or found, or a key-ring file has no usable key.

    Set ``DESENS_KEYRING`` to a key-ring file (create one with
    ``KeyRing.new(path)``) or ``DESENS_KEY`` to a base64 key.
    """


class WrongKeyError(KeyError_):
    """A key id the key ring does not hold, or a key that does not fit the data.

    Raised when a policy or a ciphertext names a key id that is not in the ring,
    and when decryption with the named key fails (wrong key, or the data was
    altered).
    """


def type_names(exc: BaseException) -> str:
    """``exc``'s type, and its cause's (``DecisionFailed (from WrongKeyError)``).

    For logs: an exception's text may quote data, its type never does.
    """
    cause = exc.__cause__
    return type(exc).__name__ + (f" (from {type(cause).__name__})" if cause is not None else "")
