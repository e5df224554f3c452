"""The ``suppress`` operator: drop the field (or the whole record).

``suppress`` returns a marker rather than text: :class:`Suppressed`, a
``str`` subclass whose value is the empty string and whose ``scope`` says
what to drop. The table layer checks :func:`is_suppressed` on each output and
drops the field (``scope="field"``: the column is left out of the record) or
the whole record (``scope="record"``). Anywhere a plain string is expected,
such as free text through presidio, the marker is just ``""``: the span is
removed, as with ``redact``.

Example:
    >>> out = suppress("13812345678", SuppressParams(scope="record"))
    >>> is_suppressed(out), out.scope, out == ""
    (True, 'record', True)
"""

from __future__ import annotations

from typing import ClassVar, Literal

from desens.operators.base import DesensOperator, OperatorContext, OperatorParams

__all__ = [
    "SuppressOperator",
    "SuppressParams",
    "Suppressed",
    "is_suppressed",
    "suppress",
]

Scope = Literal["field", "record"]


class Suppressed(str):
    """The marker ``suppress`` returns: an empty string that says "drop me".

    Attributes:
        scope: ``"field"`` to drop the field, ``"record"`` to drop the record.
    """

    scope: Scope

    def __new__(cls, scope: Scope = "field") -> Suppressed:
        """Make a marker for ``scope``."""
        obj = super().__new__(cls, "")
        obj.scope = scope
        return obj

    def __repr__(self) -> str:
        return f"Suppressed(scope={self.scope!r})"


def is_suppressed(value: object) -> bool:
    """Tell whether an operator output is the :class:`Suppressed` marker."""
    return isinstance(value, Suppressed)


class SuppressParams(OperatorParams):
    """Parameters of ``suppress``.

    Attributes:
        scope: Drop the ``field`` (default) or the whole ``record``.
    """

    scope: Scope = "field"


def suppress(value: str, params: SuppressParams) -> Suppressed:
    """Return the drop marker for ``value`` (the value itself is discarded)."""
    return Suppressed(params.scope)


class SuppressOperator(DesensOperator[SuppressParams]):
    """Presidio operator ``suppress``; see :func:`suppress`."""

    NAME: ClassVar[str] = "suppress"
    PARAMS: ClassVar[type[OperatorParams]] = SuppressParams

    @classmethod
    def apply(cls, value: str, params: SuppressParams, ctx: OperatorContext) -> str:
        """Return the drop marker."""
        return suppress(value, params)
