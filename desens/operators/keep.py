"""The ``keep`` operator: leave the value as it is.

Use it in a policy to say explicitly that a recognised entity is released
unchanged (an audit can then tell a decision from an omission).
"""

from __future__ import annotations

from typing import ClassVar

from desens.operators.base import DesensOperator, OperatorContext, OperatorParams

__all__ = ["KeepOperator", "KeepParams", "keep"]


class KeepParams(OperatorParams):
    """``keep`` takes no parameters."""


def keep(value: str, params: KeepParams) -> str:
    """Return ``value`` unchanged."""
    return value


class KeepOperator(DesensOperator[KeepParams]):
    """Presidio operator ``keep``; see :func:`keep`."""

    NAME: ClassVar[str] = "keep"
    PARAMS: ClassVar[type[OperatorParams]] = KeepParams

    @classmethod
    def apply(cls, value: str, params: KeepParams, ctx: OperatorContext) -> str:
        """Return one value unchanged."""
        return keep(value, params)
