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
    glued_before,
)
from recognizers.phone import CnPhoneRecognizer
from recognizers.resident_id import CnResidentIdRecognizer

HEX = "0123456789abcdefABCDEF"


def test_every_label_has_a_letter_that_is_no_hex_digit() -> None:
    for label in (*PHONE_LABELS, *ID_LABELS, *CARD_LABELS, *NEXT_FIELD_LABELS):
        assert set(label.lower()) - set(HEX.lower()), label


def test_labels_match_in_any_case_of_ascii_letters_only() -> None:
    rx = re.compile(glued_before(["tel"]))
    assert [bool(rx.match(s)) for s in ("tel", "TEL", "tEl", "ＴＥＬ", "te1")] == [
        True, True, True, False, False,
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
