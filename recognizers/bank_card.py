"""Recognizer for bank card numbers (银行卡号), confirmed by the Luhn check."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from recognizers.batch import NUMBER_ALPHABET, BatchPatternRecognizer
from recognizers.checksums import is_valid_resident_id, luhn_valid, to_halfwidth
from recognizers.labels import (
    CARD_LABELS,
    NEXT_FIELD_LABELS,
    before_label,
    labelled_patterns,
)

__all__ = ["CnBankCardRecognizer"]

_D = "[0-9０-９]"
# Not glued to digits, letters or underscores, nor continuing a dotted or
# dashed digit run; letters are allowed when they are a label
# (recognizers.labels): before the number ("Card6222021234567890128") and
# after it ("...0128Name").
_NOT_AFTER = ["[0-9０-９A-Za-zＡ-Ｚａ-ｚ_]", "[0-9０-９][.．\\-－]"]
_RIGHT = (
    r"(?:(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ_])(?![.．\-－][0-9０-９])(?!(?P=sep)[0-9０-９])"
    rf"|{before_label(NEXT_FIELD_LABELS)})"
)
# 16-19 digits: four groups of four, then 0-3 more digits, the groups separated
# by nothing or by one kind of separator throughout ("6222 0212 3456 7890 123").
_BODY = (
    rf"{_D}{{4}}(?P<sep>[ \-－]?){_D}{{4}}(?P=sep){_D}{{4}}(?P=sep){_D}{{4}}"
    rf"(?:(?P=sep){_D}{{1,3}})?"
)


def _patterns(left: str) -> list[Pattern]:
    """The patterns, with ``left`` as their left edge."""
    return [
        Pattern("cn_bank_card_unionpay", rf"{left}(?=[6６][2２]){_BODY}{_RIGHT}", 0.7),
        # Card networks' leading digits: 3 JCB/Amex, 4 Visa, 5 Mastercard, 6 Discover.
        Pattern("bank_card_network", rf"{left}(?![6６][2２])(?=[3-6３-６]){_BODY}{_RIGHT}", 0.5),
        Pattern("bank_card_other", rf"{left}(?=[1-27-9１-２７-９]){_BODY}{_RIGHT}", 0.3),
    ]


class CnBankCardRecognizer(BatchPatternRecognizer):
    """Find 16-19 digit bank card numbers that pass the Luhn check.

    Luhn passes one random number in ten, so it rejects but does not confirm:
    a Luhn-valid UnionPay number (prefix 62) scores 0.7, one opening with
    another card network's digit (3, 4, 5, 6) 0.5, and any other 0.3, which
    needs a context word (卡号, 银行卡, ...) to pass the default threshold.
    Order and case numbers usually open with a year ("2023…") and land there.
    A number that is a valid resident ID is left to the ID recognizer. Groups
    of four separated by spaces or dashes are accepted.

    Example:
        >>> found = CnBankCardRecognizer().analyze("卡号6222 0212 3456 7890 128", ["CN_BANK_CARD"])
        >>> [(x.start, x.end, x.score) for x in found]
        [(2, 25, 0.7)]
    """

    ENTITY = "CN_BANK_CARD"
    PATTERNS, UNLABELLED_PATTERNS, LABEL_TRIGGER = labelled_patterns(
        _patterns, _NOT_AFTER, CARD_LABELS
    )
    SCAN_ALPHABET: ClassVar[str] = NUMBER_ALPHABET
    SCAN_MIN_KEYS: ClassVar[int] = 16  # digits: 16-19 digits
    STDLIB_RE: ClassVar[bool] = True
    CONTEXT: ClassVar[list[str]] = [
        "银行卡",
        "银行卡号",
        "卡号",
        "账号",
        "帐号",
        "银行账号",
        "银行账户",
        "借记卡",
        "信用卡",
        "开户行",
        "收款账号",
        "账户",
        "收款账户",
        "付款账户",
        "card",
    ]

    def invalidate_result(self, pattern_text: str) -> bool | None:
        """Reject numbers failing Luhn, and valid resident IDs.

        Args:
            pattern_text: The matched text.

        Returns:
            True to drop the match, None to keep its pattern score.
        """
        if not luhn_valid(pattern_text):
            return True
        compact = to_halfwidth(pattern_text)
        if len(compact) == 18 and is_valid_resident_id(compact):
            return True
        return None
