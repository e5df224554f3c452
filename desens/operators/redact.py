"""The ``redact`` and ``replace`` operators: remove a value, or stand something in for it.

``redact`` removes the value (empty string). ``replace`` puts a fixed text in
its place (``new_value="[已脱敏]"``), or, without ``new_value``, a numbered tag
such as ``<PERSON_1>``: within one run the same value always gets the same
tag, so a reader can still tell that two mentions are the same person. The
numbering lives in the :class:`~desens.operators.base.RunState` passed in, so
it never carries over from one run to the next. Values are compared after
:func:`~desens.operators._text.normalize` (``138 1234 5678`` and
``13812345678`` are one phone number).

Example:
    >>> from desens.operators import RunState
    >>> run = RunState()
    >>> ctx = OperatorContext(entity_type="PERSON", state=run)
    >>> [replace(v, ReplaceParams(), ctx) for v in ("张三", "李四", "张三")]
    ['<PERSON_1>', '<PERSON_2>', '<PERSON_1>']
"""

from __future__ import annotations

import string
from typing import ClassVar

from pydantic import field_validator

from desens.errors import ConfigError
from desens.operators._text import normalize
from desens.operators.base import DesensOperator, OperatorContext, OperatorParams

__all__ = [
    "RedactOperator",
    "RedactParams",
    "ReplaceOperator",
    "ReplaceParams",
    "redact",
    "replace",
]


class RedactParams(OperatorParams):
    """``redact`` takes no parameters."""


def redact(value: str, params: RedactParams) -> str:
    """Remove the value: always returns the empty string."""
    return ""


class ReplaceParams(OperatorParams):
    """Parameters of ``replace``.

    Attributes:
        new_value: Fixed replacement text. When None, a numbered tag is used.
        tag_format: Format of numbered tags, with the fields ``{entity}`` and ``{n}``.
    """

    new_value: str | None = None
    tag_format: str = "<{entity}_{n}>"

    @field_validator("tag_format")
    @classmethod
    def _check_format(cls, fmt: str) -> str:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(fmt) if name is not None}
        except ValueError:
            raise ValueError("tag_format is not a valid format string") from None
        if "n" not in fields or not fields <= {"entity", "n"}:
            raise ValueError("tag_format must contain {n} and may contain {entity}, nothing else")
        return fmt


def replace(value: str, params: ReplaceParams, ctx: OperatorContext) -> str:
    """Replace ``value`` by fixed text or by its numbered tag in this run.

    Args:
        value: The value to replace.
        params: Fixed text or tag format.
        ctx: Needs ``state`` (a :class:`RunState`) for tags; ``entity_type``
            names the tag (``PII`` when unknown).

    Raises:
        ConfigError: If tags are asked for and no run state was passed in.
    """
    if params.new_value is not None:
        return params.new_value
    if ctx.state is None:
        raise ConfigError(
            "operator 'replace' with numbered tags needs a RunState: pass run_state=RunState() "
            "once per run (or give new_value for a fixed text)"
        )
    entity = ctx.entity_type or "PII"
    number = ctx.state.tag_number(entity, normalize(value, ctx.entity_type))
    return params.tag_format.format(entity=entity, n=number)


class RedactOperator(DesensOperator[RedactParams]):
    """Presidio operator ``redact``; see :func:`redact`."""

    NAME: ClassVar[str] = "redact"
    PARAMS: ClassVar[type[OperatorParams]] = RedactParams

    @classmethod
    def apply(cls, value: str, params: RedactParams, ctx: OperatorContext) -> str:
        """Remove one value."""
        return redact(value, params)


class ReplaceOperator(DesensOperator[ReplaceParams]):
    """Presidio operator ``replace``; see :func:`replace`.

    Pass ``run_state`` in the params dict for numbered tags.
    """

    NAME: ClassVar[str] = "replace"
    PARAMS: ClassVar[type[OperatorParams]] = ReplaceParams

    @classmethod
    def apply(cls, value: str, params: ReplaceParams, ctx: OperatorContext) -> str:
        """Replace one value."""
        return replace(value, params, ctx)
