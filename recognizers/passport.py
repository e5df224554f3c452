"""Recognizer for People's Republic of China passport numbers (护照号码)."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from recognizers.batch import NUMBER_ALPHABET, BatchPatternRecognizer

__all__ = ["CnPassportRecognizer"]

_LEFT = r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ_])"
_RIGHT = r"(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ_])"


class CnPassportRecognizer(BatchPatternRecognizer):
    """Find ordinary passport numbers: ``E``/``G`` + 8 digits, or ``E`` + letter + 7 digits.

    Passport numbers carry no check character and look like many serial
    numbers, so the base score is 0.4: only a context word (护照, 护照号码,
    passport) lifts a match over the default threshold of 0.5. Matching is
    case-sensitive; the letter after ``E`` excludes ``I`` and ``O``.

    Example:
        >>> r = CnPassportRecognizer()
        >>> [(x.start, x.end, x.score) for x in r.analyze("护照号码E12345678", ["CN_PASSPORT"])]
        [(4, 13, 0.4)]
    """

    ENTITY = "CN_PASSPORT"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("cn_passport_eg8", rf"{_LEFT}[EG][0-9]{{8}}{_RIGHT}", 0.4),
        Pattern("cn_passport_e_letter7", rf"{_LEFT}E[A-HJ-NP-Z][0-9]{{7}}{_RIGHT}", 0.4),
    ]
    REQUIRED_CHARS: ClassVar[str] = "EG"
    SCAN_ALPHABET: ClassVar[str] = NUMBER_ALPHABET
    SCAN_MIN_KEYS: ClassVar[int] = 7  # digits: E + a letter + 7 digits
    CONTEXT: ClassVar[list[str]] = [
        "护照",
        "护照号",
        "护照号码",
        "passport",
        "出入境",
        "证件号码",
    ]
