"""Recognizer for mainland resident ID numbers (居民身份证号码, GB 11643-1999)."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from recognizers.batch import NUMBER_ALPHABET, BatchPatternRecognizer
from recognizers.checksums import is_valid_resident_id, to_halfwidth
from recognizers.labels import (
    ID_LABELS,
    NEXT_FIELD_LABELS,
    before_label,
    boundary,
    labelled_patterns,
)

__all__ = ["CnResidentIdRecognizer"]

_D = "[0-9０-９]"
_CHECK = "[0-9０-９XxＸｘ]"
# A match must not be glued to other digits or Latin letters (order numbers,
# serials, longer digit runs), in either width, unless the letters are a
# label (recognizers.labels) of an 18-character one: before it
# ("ID440703199003071234") or after it ("...1234Tel").
_NOT_AFTER = ["[0-9０-９A-Za-zＡ-Ｚａ-ｚ]"]
_LEFT = boundary(_NOT_AFTER)
_RIGHT = r"(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"
# An 18-character ID, checked by its check character, may also run into a
# next field's label; a legacy 15-digit one, which has none, may not.
_RIGHT_18 = rf"(?:{_RIGHT}|{before_label(NEXT_FIELD_LABELS)})"


def _patterns(edge: str) -> list[Pattern]:
    """The patterns, with ``edge`` as the left edge of an 18-character ID."""
    return [
        Pattern("cn_id_18", rf"{edge}[1-9１-９]{_D}{{16}}{_CHECK}{_RIGHT_18}", 0.4),
        Pattern(
            "cn_id_18_grouped",
            rf"{edge}[1-9１-９]{_D}{{5}}([ \-]){_D}{{8}}\1{_D}{{3}}{_CHECK}{_RIGHT_18}",
            0.4,
        ),
        Pattern("cn_id_15", rf"{_LEFT}[1-9１-９]{_D}{{14}}{_RIGHT}", 0.4),
    ]


class CnResidentIdRecognizer(BatchPatternRecognizer):
    """Find resident ID numbers and confirm them by their check character.

    An 18-character number is kept only if :func:`is_valid_resident_id`
    accepts it (division code, birth date, check character), and then scores
    1.0. It may be written in one run, in full-width digits, or as 6-8-4 groups
    separated by one space or dash. A 15-digit legacy number has no check
    character, so a plausible one keeps its base score of 0.4 and needs a
    context word (身份证, ...) to pass the default threshold.

    Example:
        >>> found = CnResidentIdRecognizer().analyze("身份证11010519491231002X", ["CN_RESIDENT_ID"])
        >>> [(x.start, x.end, x.score) for x in found]
        [(3, 21, 1.0)]
    """

    ENTITY = "CN_RESIDENT_ID"
    PATTERNS, UNLABELLED_PATTERNS, LABEL_TRIGGER = labelled_patterns(
        _patterns, _NOT_AFTER, ID_LABELS
    )
    SCAN_ALPHABET: ClassVar[str] = NUMBER_ALPHABET
    SCAN_MIN_KEYS: ClassVar[int] = 15  # digits: the 15-digit legacy number
    STDLIB_RE: ClassVar[bool] = True
    CONTEXT: ClassVar[list[str]] = [
        "身份证",
        "身份证号",
        "身份证号码",
        "证件号",
        "证件号码",
        "公民身份号码",
        "居民身份证",
        "身份号码",
    ]

    def validate_result(self, pattern_text: str) -> bool | None:
        """Confirm an 18-character ID by its checksum; keep a plausible 15-digit one.

        Args:
            pattern_text: The matched text.

        Returns:
            True for a valid 18-character ID (score 1.0), None for a plausible
            15-digit legacy ID (score stays at the base), False otherwise.
        """
        valid = is_valid_resident_id(pattern_text)
        if not valid:
            return False
        compact = to_halfwidth(pattern_text).replace(" ", "").replace("-", "")
        return True if len(compact) == 18 else None
