"""Pure check-character functions and normalisers for Chinese identifiers.

Everything here is a pure function of its input string: no I/O, no state,
no presidio. Recognizers call these from ``validate_result``; other code may
import them to validate a value a user typed in.

Every function accepts full-width input (``４４０７０３…``, ``ｘ``) and
normalises it with :func:`to_halfwidth` first, so a value and its
full-width twin always get the same answer.

Example:
    >>> gb11643_check_char("11010519491231002")
    'X'
    >>> is_valid_resident_id("11010519491231002x")
    True
    >>> luhn_valid("4111 1111 1111 1111")
    True
"""

from __future__ import annotations

import datetime as _dt
import re
from operator import mul

__all__ = [
    "PROVINCE_CODES",
    "USCC_ALPHABET",
    "gb11643_check_char",
    "gb11714_check_char",
    "is_plausible_division_code",
    "is_valid_resident_id",
    "is_valid_uscc",
    "luhn_check_digit",
    "luhn_valid",
    "to_halfwidth",
    "uscc_check_char",
]

#: First two digits of a GB/T 2260 division code: the provinces, autonomous
#: regions, municipalities, Taiwan (71), Hong Kong (81) and Macau (82).
PROVINCE_CODES: frozenset[str] = frozenset(
    [
        *("11", "12", "13", "14", "15"),
        *("21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46"),
        *("50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65"),
        *("71", "81", "82"),
    ]
)

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"
_GB11643_WEIGHT_SUM = sum(_GB11643_WEIGHTS)

#: The 31 characters of GB 32100-2015 (digits and capitals without I, O, S, V, Z),
#: in value order: the index of a character is its value.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
# The checksums below run on bytes: iterating bytes yields integers, and
# bytes.translate / sum(map(mul, ...)) keep the per-character work in C.
_USCC_TO_VALUE = str.maketrans({ch: chr(i) for i, ch in enumerate(USCC_ALPHABET)})
_USCC_CHARS = re.compile(f"[{USCC_ALPHABET}]+")
_LUHN_DOUBLED = bytes((2 * (b - 48) - 9 * (b >= 53)) if 48 <= b <= 57 else 0 for b in range(256))
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# U+FF01..U+FF5E are the full-width twins of ASCII 0x21..0x7E, in the same order.
_HALFWIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}

# Separators people put inside long numbers ("6222 0212 3456", "138-1234-5678").
_NUMBER_SEPARATORS = str.maketrans("", "", " -\u3000")


def to_halfwidth(s: str) -> str:
    """Map full-width ASCII variants to ASCII; leave everything else alone.

    Every character of the Fullwidth ASCII block (U+FF01-U+FF5E: digits,
    letters, ``＋ － （ ） ＠ ．`` and the other punctuation) becomes its ASCII
    twin. The result has the same length as the input, so offsets computed on
    it are valid in the original.

    Args:
        s: Any text.

    Returns:
        The text with full-width ASCII variants replaced.

    Example:
        >>> to_halfwidth("（０７５０）１２３４５６７")
        '(0750)1234567'
    """
    if s.isascii():
        return s
    return s.translate(_HALFWIDTH_TABLE)


def _digits_only(s: str) -> str:
    """Normalise width and drop the separators allowed inside long numbers."""
    if s.isascii() and s.isdigit():
        return s
    return to_halfwidth(s).translate(_NUMBER_SEPARATORS)


def _is_ascii_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def is_plausible_division_code(code6: str) -> bool:
    """Tell whether six digits look like a GB/T 2260 administrative division code.

    The province part must be a real province code (see :data:`PROVINCE_CODES`).
    The prefecture part must be 01-70 or 90 (90 is used for counties governed
    directly by the province), or 00 together with county 00 (a province-level
    code such as 810000, used on residence permits). The county part is free.
    This is a plausibility test, not a lookup in the current division table:
    codes of abolished counties still appear on valid ID cards.

    Args:
        code6: Six digits, half- or full-width.

    Returns:
        True if the code is plausible.
    """
    code = to_halfwidth(code6)
    if len(code) != 6 or not _is_ascii_digits(code):
        return False
    if code[:2] not in PROVINCE_CODES:
        return False
    city, county = int(code[2:4]), code[4:6]
    if city == 0:
        return county == "00"
    return 1 <= city <= 70 or city == 90


def gb11643_check_char(first17: str) -> str:
    """Compute the GB 11643-1999 check character of a resident ID.

    ISO 7064 MOD 11-2 over the first 17 digits.

    Args:
        first17: The 17 digits before the check character.

    Returns:
        One of ``0``-``9`` or ``X``.

    Raises:
        ValueError: If the input is not 17 digits.
    """
    digits = to_halfwidth(first17)
    if len(digits) != 17 or not _is_ascii_digits(digits):
        raise ValueError("expected 17 digits before the check character")
    total = sum(map(mul, digits.encode("ascii"), _GB11643_WEIGHTS)) - 48 * _GB11643_WEIGHT_SUM
    return _GB11643_CHECK[total % 11]


def _valid_birth_date(year: int, month: int, day: int) -> bool:
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= _dt.date.today()


def is_valid_resident_id(s: str) -> bool:
    """Validate an 18-digit (GB 11643-1999) or 15-digit legacy resident ID number.

    An 18-character ID must have a plausible division code, a real calendar
    birth date between 1900-01-01 and today, and the right check character
    (``x`` is accepted for ``X``). A 15-digit legacy ID has no check character
    and a two-digit year, read as 19YY; it must have a plausible division code
    and a real date. Full-width characters are accepted, and so are spaces or
    dashes between digits (``440703 19900101 1234``); the recognizer decides
    which written forms to look for.

    Args:
        s: The candidate number.

    Returns:
        True if the number is a valid resident ID.
    """
    value = _digits_only(s).upper()
    if len(value) == 18:
        body, check = value[:17], value[17]
        if not _is_ascii_digits(body) or check not in _GB11643_CHECK:
            return False
        return (
            is_plausible_division_code(body[:6])
            and _valid_birth_date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
            and gb11643_check_char(body) == check
        )
    if len(value) == 15 and _is_ascii_digits(value):
        return is_plausible_division_code(value[:6]) and _valid_birth_date(
            1900 + int(value[6:8]), int(value[8:10]), int(value[10:12])
        )
    return False


def luhn_check_digit(payload: str) -> str:
    """Compute the Luhn check digit to append to ``payload``.

    Args:
        payload: The digits without their check digit (spaces and dashes allowed).

    Returns:
        The check digit, ``0``-``9``.

    Raises:
        ValueError: If the payload is empty or not all digits.
    """
    digits = _digits_only(payload)
    if not digits or not _is_ascii_digits(digits):
        raise ValueError("expected a non-empty string of digits")
    # The digit left of the check digit is doubled, then every second one.
    raw = digits.encode("ascii")[::-1]
    plain = raw[1::2]
    total = sum(raw[0::2].translate(_LUHN_DOUBLED)) + sum(plain) - 48 * len(plain)
    return str((10 - total % 10) % 10)


def luhn_valid(s: str) -> bool:
    """Tell whether a number (e.g. a bank card) passes the Luhn check.

    Args:
        s: Digits including the check digit; spaces, dashes and full-width
            digits are accepted.

    Returns:
        True if the last digit is the Luhn check digit of the others.
    """
    digits = _digits_only(s)
    if len(digits) < 2 or not _is_ascii_digits(digits):
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def uscc_check_char(first17: str) -> str:
    """Compute the GB 32100-2015 check character of a unified social credit code.

    Args:
        first17: The 17 characters before the check character, from
            :data:`USCC_ALPHABET` (lowercase accepted).

    Returns:
        A character of :data:`USCC_ALPHABET`.

    Raises:
        ValueError: If the input is not 17 characters of the alphabet.
    """
    body = to_halfwidth(first17).upper()
    if len(body) != 17 or not _USCC_CHARS.fullmatch(body):
        raise ValueError("expected 17 characters of the GB 32100 alphabet")
    values = body.translate(_USCC_TO_VALUE).encode("latin-1")
    total = sum(map(mul, values, _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def gb11714_check_char(first8: str) -> str:
    """Compute the GB 11714-1997 check character of an organization code.

    Characters 9-17 of a unified social credit code are such a code: eight
    digits or capitals and their check character.

    Args:
        first8: The eight characters before the check character.

    Returns:
        One of ``0``-``9`` or ``X``.

    Raises:
        ValueError: If the input is not eight digits or capital letters.
    """
    body = to_halfwidth(first8).upper()
    if len(body) != 8 or not (body.isascii() and body.isalnum()):
        raise ValueError("expected eight digits or capital letters")
    total = sum(int(ch, 36) * w for ch, w in zip(body, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def is_valid_uscc(s: str) -> bool:
    """Validate an 18-character unified social credit code (GB 32100-2015).

    Checks the alphabet, that characters 3-8 (the division code) are digits,
    and the check character. Lowercase and full-width input is accepted.

    Args:
        s: The candidate code.

    Returns:
        True if the code is well formed and its check character is right.
    """
    value = to_halfwidth(s).upper()
    if len(value) != 18 or not _USCC_CHARS.fullmatch(value):
        return False
    if not _is_ascii_digits(value[2:8]):
        return False
    return uscc_check_char(value[:17]) == value[17]
