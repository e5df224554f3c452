"""Numbers glued to English field labels (recognizers.labels)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from recognizers.bank_card import CnBankCardRecognizer
from recognizers.labels import (
    CARD_LABELS,
    ID_LABELS,
    NEXT_FIELD_LABELS,
    PHONE_LABELS,
    before_label,
)
from recognizers.phone import CnPhoneRecognizer
from recognizers.resident_id import CnResidentIdRecognizer

HEX = "0123456789abcdefABCDEF"


def test_every_label_has_a_letter_that_is_no_hex_digit() -> None:
    for label in (*PHONE_LABELS, *ID_LABELS, *CARD_LABELS, *NEXT_FIELD_LABELS):
        assert set(label.lower()) - set(HEX.lower()), label


def test_labels_match_in_any_case_of_ascii_letters_only_as_words() -> None:
    rx = re.compile(before_label(["tel"]))
    texts = ("tel", "TEL:", "tEl", "TelName", "ＴＥＬ", "te1", "telecom", "tel@x")
    assert [bool(rx.match(s)) for s in texts] == [
        True, True, True, True, False, False, False, False,
    ]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.text(HEX, min_size=11, max_size=80))
def test_hex_strings_are_never_numbers_glued_to_labels(hex_text: str) -> None:
    """Digests and hashed pseudonyms: a digit run glued to hex letters stays unfound."""
    text = "摘要" + hex_text + "。"
    phones = CnPhoneRecognizer().analyze(text, ["PHONE_NUMBER"])
    ids = CnResidentIdRecognizer().analyze(text, ["CN_RESIDENT_ID"])
    cards = CnBankCardRecognizer().analyze(text, ["CN_BANK_CARD"])
    for r in [*phones, *ids, *cards]:  # only a run with no hex letter glued to it
        before, after = text[r.start - 1], text[r.end : r.end + 1]
        assert before not in HEX and (after == "" or after not in HEX), text


def test_batches_without_labels_take_the_plain_patterns() -> None:
    """The plain patterns are the label-aware ones with the plain left edge."""
    for cls in (CnPhoneRecognizer, CnResidentIdRecognizer, CnBankCardRecognizer):
        plain, labelled = cls.UNLABELLED_PATTERNS, cls.PATTERNS
        assert [(p.name, p.score) for p in plain] == [(p.name, p.score) for p in labelled]
        assert cls.LABEL_TRIGGER is not None
        assert cls.LABEL_TRIGGER.search("Tel13812345678 ID1 card6 Acct(")
        assert not cls.LABEL_TRIGGER.search("Hotel1 uuid1 9QQ1 Tel 1 ID:1")
