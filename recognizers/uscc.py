"""Recognizer for unified social credit codes (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from recognizers.batch import NUMBER_ALPHABET, BatchPatternRecognizer
from recognizers.checksums import (
    gb11714_check_char,
    is_plausible_division_code,
    is_valid_resident_id,
    is_valid_uscc,
    to_halfwidth,
)

__all__ = ["CnUsccRecognizer"]

# GB 32100 alphabet: digits and capitals without I, O, S, V, Z (full-width too).
_C = "[0-9A-HJ-NPQRTUW-Y０-９Ａ-ＨＪ-ＮＰＱＲＴＵＷ-Ｙ]"
_D = "[0-9０-９]"
_LEFT = r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ_])"
_RIGHT = r"(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ_])"


class CnUsccRecognizer(BatchPatternRecognizer):
    """Find unified social credit codes and confirm them by their check character.

    A match is 18 characters of the GB 32100 alphabet with a six-digit division
    code in characters 3-8, and is dropped unless its check character is right.
    A code that is also well formed throughout (registration authority and
    type, division code, the GB 11714 check of the embedded organization
    code) scores 1.0; one that only passes the check character keeps 0.4 and
    needs a context word (信用代码, ...). An all-digit match that is also a
    valid resident ID is left to the ID recognizer.

    Example:
        >>> r = CnUsccRecognizer()
        >>> [(x.start, x.score) for x in r.analyze("信用代码91440703MA5ABCDE5X", ["CN_USCC"])]
        [(4, 1.0)]
    """

    ENTITY = "CN_USCC"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("cn_uscc", rf"{_LEFT}{_C}{{2}}{_D}{{6}}{_C}{{10}}{_RIGHT}", 0.4),
    ]
    SCAN_ALPHABET: ClassVar[str] = NUMBER_ALPHABET
    SCAN_MIN_KEYS: ClassVar[int] = 6  # digits: the division code
    STDLIB_RE: ClassVar[bool] = True
    CONTEXT: ClassVar[list[str]] = [
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "纳税人识别号",
        "税号",
        "组织机构代码",
        "营业执照",
    ]

    def validate_result(self, pattern_text: str) -> bool | None:
        """Confirm the code by its check characters and structure.

        Args:
            pattern_text: The matched text.

        Returns:
            True (score 1.0) if the GB 32100 check character is right and the
            code is well formed throughout; None (base score 0.4, needs
            context) if only the check character is right; False if it is
            wrong, or if the text is a valid resident ID.
        """
        code = to_halfwidth(pattern_text).upper()
        if not is_valid_uscc(code) or is_valid_resident_id(code):
            return False
        return True if _well_formed(code) else None


def _well_formed(code: str) -> bool:
    """Check the parts of a code whose GB 32100 check character is right.

    Registration authority 1-9, A, N or Y; entity type 1-9; a plausible
    division code (or 100000 for central bodies); an organization code
    (characters 9-17) with a right GB 11714 check character. Long numbers
    that happen to pass the check (one in 31), such as date-prefixed case
    numbers "2023…", fail here.
    """
    if code[0] not in "123456789ANY" or code[1] not in "123456789":
        return False
    if code[2:8] != "100000" and not is_plausible_division_code(code[2:8]):
        return False
    org = code[8:17]
    return org[:8].isalnum() and gb11714_check_char(org[:8]) == org[8]
