"""The base of every input model: frozen, no unknown fields, no NUL characters.

PostgreSQL text cannot hold NUL (code point 0) and SQLite would store it
silently, so inputs with one are refused up front, the same on both backends.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["Input", "has_nul"]


def has_nul(value: Any) -> bool:
    """True if a string anywhere in ``value`` (nested lists, dicts, models) holds NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    if isinstance(value, BaseModel):
        return any(has_nul(getattr(value, name)) for name in type(value).model_fields)
    return False


class Input(BaseModel):
    """An input model: frozen, unknown fields rejected, NUL characters rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _no_nul(self) -> Input:
        for name in type(self).model_fields:
            if has_nul(getattr(self, name)):
                raise ValueError(f"{name} contains a NUL character")
        return self
