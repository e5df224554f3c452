"""Recognizer for mainland mobile and landline phone numbers (手机号, 座机)."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from recognizers.batch import NUMBER_ALPHABET, BatchPatternRecognizer
from recognizers.labels import (
    NEXT_FIELD_LABELS,
    PHONE_LABELS,
    before_label,
    labelled_patterns,
)

__all__ = ["CnPhoneRecognizer"]

_D = "[0-9０-９]"
_SEP = "[ \\-－]"
# Not glued to digits, letters or underscores, nor continuing a dotted or
# dashed digit run ("3.14159265358", "2023-13812345678"), nor the local part
# of an e-mail address ("13812345678@qq.com"). Letters are allowed when they
# are a label (recognizers.labels): before the number ("Tel13812345678",
# "Fax0750-1234567") and after it ("13812345678Email").
_NOT_AFTER = ["[0-9０-９A-Za-zＡ-Ｚａ-ｚ_+＋@＠]", "[0-9０-９][.．\\-－]"]
_RIGHT = (
    r"(?:(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ_@＠])(?![.．\-－][0-9０-９])"
    rf"|{before_label(NEXT_FIELD_LABELS)})"
)


# +86, 0086, (86), （86）, (+86), each optionally followed by a space or dash.
_PREFIX = rf"(?:[+＋][8８][6６]|[0０]{{2}}[8８][6６]|[(（][+＋]?[8８][6６][)）]){_SEP}?"

# Mobile: 1[3-9] + 9 digits, in one run or grouped 3-4-4 by one kind of separator.
_MOBILE = rf"[1１][3-9３-９]{_D}(?P<msep>{_SEP}?){_D}{{4}}(?P=msep){_D}{{4}}"

# Area codes: 010 and 02x are three digits, the rest 0 + three digits.
_AREA = r"[0０](?:[1１][0０]|[2２][0-9０-９]|[3-9３-９][0-9０-９]{2})"
_AREA_NO_ZERO = r"(?:[1１][0０]|[2２][0-9０-９]|[3-9３-９][0-9０-９]{2})"
# Local numbers never start with 0. Real ones don't start with 1 either, but
# examples such as "0750-1234567" are common in forms and documentation, so a
# separated number accepts it; the run-together form, weaker evidence, does not.
_LOCAL = rf"[1-9１-９]{_D}{{6,7}}"
_LOCAL_STRICT = rf"[2-9２-９]{_D}{{6,7}}"
_EXTENSION = rf"(?:(?:[\-－]|转|ext\.?|x){_D}{{1,6}})?"


def _patterns(left: str) -> list[Pattern]:
    """The patterns, with ``left`` as their left edge."""
    return [
        Pattern("cn_mobile", rf"{left}(?:{_PREFIX})?{_MOBILE}{_RIGHT}", 0.65),
        Pattern(
            "cn_landline_bracketed",
            rf"{left}(?:{_PREFIX})?[(（]{_AREA}[)）]{_SEP}?{_LOCAL}{_EXTENSION}{_RIGHT}",
            0.5,
        ),
        Pattern(
            "cn_landline_separated",
            rf"{left}(?:{_PREFIX})?{_AREA}{_SEP}{_LOCAL}{_EXTENSION}{_RIGHT}",
            0.5,
        ),
        Pattern(
            "cn_landline_international",
            rf"{left}{_PREFIX}{_AREA_NO_ZERO}{_SEP}{_LOCAL}{_EXTENSION}{_RIGHT}",
            0.5,
        ),
        Pattern("cn_landline_run", rf"{left}{_AREA}{_LOCAL_STRICT}{_RIGHT}", 0.3),
    ]


class CnPhoneRecognizer(BatchPatternRecognizer):
    """Find mainland mobile and landline numbers in the forms people write them.

    Mobile numbers (``13812345678``, ``138 1234 5678``, ``+86-138-1234-5678``,
    full-width digits) score 0.65. Landlines need an area code: with a
    bracket or separator (``(0750)1234567``, ``0750-1234567``,
    ``+86 750 1234567``) they score 0.5; run together (``07501234567``) 0.3,
    which needs a context word to pass. A bare 7-8 digit local number is never
    reported. The span covers the prefix and brackets.

    Example:
        >>> r = CnPhoneRecognizer()
        >>> [(x.start, x.end) for x in r.analyze("电话：+86 138 1234 5678。", ["PHONE_NUMBER"])]
        [(3, 20)]
    """

    ENTITY = "PHONE_NUMBER"
    PATTERNS, UNLABELLED_PATTERNS, LABEL_TRIGGER = labelled_patterns(
        _patterns, _NOT_AFTER, PHONE_LABELS
    )
    SCAN_ALPHABET: ClassVar[str] = NUMBER_ALPHABET
    SCAN_MIN_KEYS: ClassVar[int] = 10  # digits: area code + local number, or a mobile
    STDLIB_RE: ClassVar[bool] = True  # the mobile pattern runs ~40% faster there
    CONTEXT: ClassVar[list[str]] = [
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "电话号码",
        "联系电话",
        "联系方式",
        "座机",
        "固话",
        "固定电话",
        "移动电话",
        "tel",
        "phone",
        "mobile",
    ]
