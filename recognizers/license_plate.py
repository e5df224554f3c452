"""Recognizer for mainland motor-vehicle licence plates (车牌号)."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from recognizers.batch import BatchPatternRecognizer

__all__ = ["CnLicensePlateRecognizer"]

#: The 31 mainland province abbreviations that open a plate.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_L = "[A-HJ-NP-Z]"  # plate letters never include I or O
_A = "[A-HJ-NP-Z0-9]"
_SEP = "[·•・.．\\- ]?"
_RIGHT = r"(?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ_])"


class CnLicensePlateRecognizer(BatchPatternRecognizer):
    """Find licence plates: province character + letter + five (or six) characters.

    Ordinary plates (``粤J12345``, ``粤J·12345``, ``粤J 12345``, serial with at
    most two letters) and plates with a 学/警/港/澳/挂 suffix score 0.6.
    New-energy plates carry six characters with D or F first (small cars,
    ``粤JD12345``) or last (large vehicles, ``粤J12345D``) and score 0.65.
    Matching is case-sensitive.

    Example:
        >>> r = CnLicensePlateRecognizer()
        >>> [(x.start, x.end) for x in r.analyze("车牌粤J·12345。", ["CN_LICENSE_PLATE"])]
        [(2, 10)]
    """

    ENTITY = "CN_LICENSE_PLATE"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "cn_plate_new_energy",
            rf"[{PROVINCES}]{_L}{_SEP}(?:[DF]{_A}[0-9]{{4}}|[0-9]{{5}}[DF]){_RIGHT}",
            0.65,
        ),
        Pattern("cn_plate", rf"[{PROVINCES}]{_L}{_SEP}{_A}{{5}}{_RIGHT}", 0.6),
        Pattern("cn_plate_special", rf"[{PROVINCES}]{_L}{_SEP}{_A}{{4}}[学警港澳挂]", 0.6),
    ]
    REQUIRED_CHARS: ClassVar[str] = PROVINCES
    STDLIB_RE: ClassVar[bool] = True
    CONTEXT: ClassVar[list[str]] = [
        "车牌",
        "车牌号",
        "车牌号码",
        "号牌",
        "号牌号码",
        "车辆",
        "机动车",
    ]

    def invalidate_result(self, pattern_text: str) -> bool | None:
        """Reject serials with more than two letters (not issued; usually a word).

        Args:
            pattern_text: The matched text.

        Returns:
            True to drop the match, None to keep it.
        """
        serial = pattern_text[2:].lstrip("·•・.．- ")
        letters = sum(ch.isascii() and ch.isalpha() for ch in serial)
        return True if letters > 2 else None
