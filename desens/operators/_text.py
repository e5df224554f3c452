"""Helpers shared by operators: normalisation and the written form of numbers.

Operators that change digits (mask, fpe) keep the way a value was written:
separators, brackets, the ``+86`` prefix and full-width characters stay where
they were. They work on positions in :func:`to_halfwidth` of the value, which
has the same length as the value itself.
"""

from __future__ import annotations

import re

from recognizers.checksums import to_halfwidth

__all__ = [
    "NUMERIC_ENTITIES",
    "UPPERCASE_ENTITIES",
    "char_positions",
    "normalize",
    "phone_area_code_length",
    "phone_digit_positions",
    "put_chars",
]

#: Entities whose value is a number written with optional separators.
NUMERIC_ENTITIES = frozenset({"PHONE_NUMBER", "CN_RESIDENT_ID", "CN_BANK_CARD"})
#: Codes whose letters are case-insensitive.
UPPERCASE_ENTITIES = frozenset({"CN_RESIDENT_ID", "CN_USCC", "CN_PASSPORT", "CN_LICENSE_PLATE"})

_PHONE_PREFIX = re.compile(r"\s*(?:\+86|0086|\(\+?86\))[ \-]?")
_SEPARATORS = re.compile(r"[\s\-()\u3000·.]")
_TRAILING_X = re.compile(r"(?<=[0-9])x$")


def normalize(value: str, entity_type: str | None = None) -> str:
    """Bring equal values written differently to one form, for hashing and tagging.

    Always: full-width to half-width, surrounding whitespace removed. Numbers
    (phone, resident ID, bank card) also lose separators, phones their
    ``+86``/``0086`` prefix; codes (ID, USCC, passport, plate) are
    upper-cased, e-mail addresses lower-cased. With no entity type, a
    trailing ``x`` after a digit (an ID check character) becomes ``X``.

    Example:
        >>> normalize("４４０７０３１９８５０３１２２０１x", "CN_RESIDENT_ID")
        '44070319850312201X'
        >>> normalize("+86 138-1234-5678", "PHONE_NUMBER")
        '13812345678'
    """
    text = to_halfwidth(value).strip()
    if entity_type == "PHONE_NUMBER":
        match = _PHONE_PREFIX.match(text)
        if match:
            text = text[match.end() :]
    if entity_type in NUMERIC_ENTITIES:
        text = _SEPARATORS.sub("", text)
    if entity_type in UPPERCASE_ENTITIES:
        return text.upper()
    if entity_type == "EMAIL_ADDRESS":
        return text.lower()
    if entity_type is None:
        return _TRAILING_X.sub("X", text)
    return text


def char_positions(value: str, allowed: str) -> list[int]:
    """Positions in ``value`` whose half-width character is in ``allowed``."""
    half = to_halfwidth(value)
    return [i for i, ch in enumerate(half) if ch in allowed]


def phone_digit_positions(value: str) -> list[int]:
    """Positions of the digits of a phone number after any ``+86``-style prefix."""
    half = to_halfwidth(value)
    match = _PHONE_PREFIX.match(half)
    start = match.end() if match else 0
    return [i for i in range(start, len(half)) if "0" <= half[i] <= "9"]


def phone_area_code_length(national: str) -> int:
    """Digits of the area code at the start of a landline's national digits.

    ``010`` and ``02x`` are three digits, other codes four; written after
    ``+86`` without the trunk ``0`` they are one digit shorter.
    """
    trunk = 1 if national.startswith("0") else 0
    rest = national[trunk:]
    return trunk + (2 if rest.startswith(("10", "2")) else 3)


def put_chars(value: str, positions: list[int], chars: str) -> str:
    """Write ``chars`` at ``positions`` of ``value``, keeping full-width where it was.

    A position holding a full-width character gets the full-width twin of
    the new (ASCII) character, so ``１３８…`` stays full-width.
    """
    out = list(value)
    for pos, ch in zip(positions, chars, strict=True):
        if "\uff01" <= out[pos] <= "\uff5e" and "!" <= ch <= "~":
            out[pos] = chr(ord(ch) + 0xFEE0)
        else:
            out[pos] = ch
    return "".join(out)
