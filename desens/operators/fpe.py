"""The ``fpe`` and ``fpe_decrypt`` operators: encryption that keeps the format.

Format-preserving encryption (FF1, NIST SP 800-38G, radix 10, AES-256 with
the ``fpe`` sub-key of a master key; see :mod:`desens.operators.ff1`) turns a
valid identifier into another valid-looking identifier, deterministically
(equal values, equal outputs: tables still join) and reversibly with the key.
The written form is kept: separators, the ``+86`` prefix and full-width
digits stay where they were.

The FF1 tweak is the entity type name in UTF-8 (``b"CN_RESIDENT_ID"``,
``b"PHONE_NUMBER"``, ``b"CN_BANK_CARD"``), so the same digits encrypt
differently as different entities. The output carries no key id: decryption
needs the same ``key_id`` (reports record it).

Per entity:

CN_RESIDENT_ID (18 characters, valid check character)
    The 6-digit division code is kept (``keep_division=False`` encrypts it
    too, into another plausible code, tweak ``CN_RESIDENT_ID/division``).
    Birth date and sequence number are encrypted together as one number,
    ``days since 1900-01-01 * 1000 + sequence``, with cycle-walking so the
    result is again a real date between 1900-01-01 and 2099-12-31; the check
    character is recomputed. So that outputs pass
    :func:`~recognizers.checksums.is_valid_resident_id` (which rejects birth
    dates after today), dates up to ``birth_date_split`` (default
    2025-12-31) map to dates up to it, later dates to later dates. This
    reveals only on which side of the split a birth date lies. Changing the
    split changes the outputs, like changing the key. A lower-case ``x`` is
    written back upper-case.
PHONE_NUMBER
    After any ``+86``/``0086`` prefix, the first ``keep_prefix`` digits (3 for
    mobiles, the area code for landlines) are kept and the rest encrypted.
CN_BANK_CARD (Luhn-valid)
    The first ``keep_prefix`` digits (6, the BIN) are kept, the digits up to
    the check digit encrypted and the Luhn check digit recomputed.
anything else
    All digits after the first ``keep_prefix`` (0) are encrypted together.

FF1 needs at least six digits to encrypt; shorter inputs raise
:class:`~desens.errors.InputError`, as do invalid IDs and cards (their
checksum could not be restored exactly on decryption).

Example:
    >>> ring = KeyRing.generate()
    >>> out = fpe_encrypt("13812345678", FpeParams(), ring, "PHONE_NUMBER")
    >>> out[:3], len(out), fpe_decrypt(out, FpeParams(), ring, "PHONE_NUMBER")
    ('138', 11, '13812345678')
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import ClassVar

from presidio_anonymizer.operators import OperatorType
from pydantic import Field, field_validator

from desens.errors import InputError
from desens.keys import KeyRing
from desens.operators._text import (
    char_positions,
    phone_area_code_length,
    phone_digit_positions,
    put_chars,
)
from desens.operators.base import DesensOperator, OperatorContext, OperatorParams
from desens.operators.ff1 import FF1
from recognizers.checksums import (
    gb11643_check_char,
    is_plausible_division_code,
    luhn_check_digit,
    luhn_valid,
    to_halfwidth,
)

__all__ = [
    "BIRTH_DATE_MAX",
    "BIRTH_DATE_MIN",
    "FpeDecryptOperator",
    "FpeOperator",
    "FpeParams",
    "fpe_decrypt",
    "fpe_encrypt",
]

#: First and last birth date an encrypted resident ID can carry.
BIRTH_DATE_MIN = _dt.date(1900, 1, 1)
BIRTH_DATE_MAX = _dt.date(2099, 12, 31)
_DAYS = (BIRTH_DATE_MAX - BIRTH_DATE_MIN).days + 1
_ID_DOMAIN = _DAYS * 1000  # 73,049,000 < 10**8: an 8-digit FF1 domain
_ID_WIDTH = 8
_DIGITS = "0123456789"


class FpeParams(OperatorParams):
    """Parameters of ``fpe`` and ``fpe_decrypt`` (use the same for both).

    Attributes:
        key_id: Master key; the ring's default when None.
        keep_prefix: Leading digits kept in clear; None = the entity default
            (phone: 3, or the area code; bank card: 6; others: 0).
        keep_division: Keep a resident ID's division code (else encrypt it).
        birth_date_split: Resident IDs born up to this date stay up to it.
    """

    key_id: str | None = None
    keep_prefix: int | None = Field(None, ge=0)
    keep_division: bool = True
    birth_date_split: _dt.date = _dt.date(2025, 12, 31)

    @field_validator("birth_date_split")
    @classmethod
    def _split_in_range(cls, value: _dt.date) -> _dt.date:
        if not BIRTH_DATE_MIN <= value < BIRTH_DATE_MAX:
            raise ValueError("birth_date_split must be from 1900-01-01 to 2099-12-30")
        return value


def fpe_encrypt(
    value: str, params: FpeParams, keys: KeyRing, entity_type: str | None = None
) -> str:
    """Encrypt the digits of ``value`` keeping its format (see the module docstring).

    Raises:
        InputError: If the value does not have the shape its entity needs.
        WrongKeyError: If the ring has no key with ``params.key_id``.
    """
    return _run(value, params, keys, entity_type, decrypt=False)


def fpe_decrypt(
    value: str, params: FpeParams, keys: KeyRing, entity_type: str | None = None
) -> str:
    """Reverse :func:`fpe_encrypt` with the same parameters, key and entity type.

    Raises:
        InputError: If the value does not have the shape its entity needs.
        WrongKeyError: If the ring has no key with ``params.key_id``.
    """
    return _run(value, params, keys, entity_type, decrypt=True)


def _run(
    value: str, params: FpeParams, keys: KeyRing, entity_type: str | None, *, decrypt: bool
) -> str:
    cipher = FF1(keys.derive("fpe", params.key_id).material)
    if entity_type == "CN_RESIDENT_ID":
        return _resident_id(value, params, cipher, decrypt)
    if entity_type == "CN_BANK_CARD":
        return _bank_card(value, params, cipher, decrypt)
    if entity_type == "PHONE_NUMBER":
        positions = phone_digit_positions(value)
        half = to_halfwidth(value)
        national = "".join(half[i] for i in positions)
        if params.keep_prefix is not None:
            keep = params.keep_prefix
        elif national.startswith("1"):
            keep = 3
        else:
            keep = phone_area_code_length(national)
        return _digits(value, positions, keep, cipher, b"PHONE_NUMBER", decrypt)
    tweak = (entity_type or "").encode("utf-8")
    positions = char_positions(value, _DIGITS)
    return _digits(value, positions, params.keep_prefix or 0, cipher, tweak, decrypt)


def _crypt(cipher: FF1, numerals: str, tweak: bytes, decrypt: bool) -> str:
    if len(numerals) < 6:
        raise InputError("fpe: fewer than 6 digits to encrypt; FF1 cannot protect so few")
    return cipher.decrypt(numerals, tweak) if decrypt else cipher.encrypt(numerals, tweak)


def _digits(
    value: str, positions: list[int], keep: int, cipher: FF1, tweak: bytes, decrypt: bool
) -> str:
    half = to_halfwidth(value)
    digits = "".join(half[i] for i in positions)
    changed = _crypt(cipher, digits[keep:], tweak, decrypt)
    return put_chars(value, positions[keep:], changed)


def _bank_card(value: str, params: FpeParams, cipher: FF1, decrypt: bool) -> str:
    positions = char_positions(value, _DIGITS)
    half = to_halfwidth(value)
    digits = "".join(half[i] for i in positions)
    if len(digits) < 12 or not luhn_valid(digits):
        raise InputError("fpe: CN_BANK_CARD value is not a Luhn-valid card number")
    keep = 6 if params.keep_prefix is None else params.keep_prefix
    middle = _crypt(cipher, digits[keep:-1], b"CN_BANK_CARD", decrypt)
    body = digits[:keep] + middle
    return put_chars(value, positions, body + luhn_check_digit(body))


def _walk(step: Callable[[int], int], start: int, accept: Callable[[int], bool]) -> int:
    """Cycle-walk: apply ``step`` until the result is acceptable.

    ``step`` is a permutation and ``start`` is acceptable, so the walk ends at
    the latest when it comes round to ``start`` again.
    """
    current = step(start)
    while not accept(current):
        current = step(current)
    return current


def _resident_id(value: str, params: FpeParams, cipher: FF1, decrypt: bool) -> str:
    positions = char_positions(value, _DIGITS + "Xx")
    chars = "".join(to_halfwidth(value)[i] for i in positions).upper()
    if len(chars) != 18 or not chars[:17].isdigit():
        raise InputError("fpe: CN_RESIDENT_ID value is not an 18-character resident ID")
    if gb11643_check_char(chars[:17]) != chars[17]:
        raise InputError("fpe: CN_RESIDENT_ID value has a wrong check character")
    try:
        born = _dt.date(int(chars[6:10]), int(chars[10:12]), int(chars[12:14]))
    except ValueError:
        raise InputError("fpe: CN_RESIDENT_ID value has no real birth date") from None
    if not BIRTH_DATE_MIN <= born <= BIRTH_DATE_MAX:
        raise InputError("fpe: CN_RESIDENT_ID birth date is outside 1900-2099")

    def ff1_step(tweak: bytes, width: int) -> Callable[[int], int]:
        def step(x: int) -> int:
            return int(_crypt(cipher, f"{x:0{width}d}", tweak, decrypt))

        return step

    division = chars[:6]
    if not params.keep_division:
        if not is_plausible_division_code(division):
            raise InputError("fpe: CN_RESIDENT_ID division code is not a plausible code")
        code = _walk(
            ff1_step(b"CN_RESIDENT_ID/division", 6),
            int(division),
            lambda c: is_plausible_division_code(f"{c:06d}"),
        )
        division = f"{code:06d}"

    split = ((params.birth_date_split - BIRTH_DATE_MIN).days + 1) * 1000
    index = (born - BIRTH_DATE_MIN).days * 1000 + int(chars[14:17])
    early = index < split
    walked = _walk(
        ff1_step(b"CN_RESIDENT_ID", _ID_WIDTH),
        index,
        lambda y: y < _ID_DOMAIN and (y < split) == early,
    )
    new_date = BIRTH_DATE_MIN + _dt.timedelta(days=walked // 1000)
    first17 = f"{division}{new_date:%Y%m%d}{walked % 1000:03d}"
    return put_chars(value, positions, first17 + gb11643_check_char(first17))


class FpeOperator(DesensOperator[FpeParams]):
    """Presidio operator ``fpe``; pass ``key_ring`` in the params dict."""

    NAME: ClassVar[str] = "fpe"
    PARAMS: ClassVar[type[OperatorParams]] = FpeParams

    @classmethod
    def apply(cls, value: str, params: FpeParams, ctx: OperatorContext) -> str:
        """Encrypt one value keeping its format."""
        return fpe_encrypt(value, params, ctx.require_keys(cls.NAME), ctx.entity_type)


class FpeDecryptOperator(DesensOperator[FpeParams]):
    """Presidio deanonymizer ``fpe_decrypt``: reverses ``fpe`` with the same params."""

    NAME: ClassVar[str] = "fpe_decrypt"
    PARAMS: ClassVar[type[OperatorParams]] = FpeParams
    TYPE: ClassVar[OperatorType] = OperatorType.Deanonymize

    @classmethod
    def apply(cls, value: str, params: FpeParams, ctx: OperatorContext) -> str:
        """Decrypt one value made by ``fpe``."""
        return fpe_decrypt(value, params, ctx.require_keys(cls.NAME), ctx.entity_type)
