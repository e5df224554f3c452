"""Tests for CnResidentIdRecognizer (all numbers synthetic, built with the checksum)."""

from __future__ import annotations

import pytest

from recognizers.bank_card import CnBankCardRecognizer
from recognizers.checksums import gb11643_check_char, luhn_valid
from recognizers.phone import CnPhoneRecognizer
from recognizers.resident_id import CnResidentIdRecognizer
from recognizers.uscc import CnUsccRecognizer

ENTITY = "CN_RESIDENT_ID"


def make_id(first17: str) -> str:
    return first17 + gb11643_check_char(first17)


def find_id_passing_luhn() -> str:
    """An ID that is also Luhn-valid: both recognizers could claim it."""
    for seq in range(1000):
        candidate = make_id(f"62010219850612{seq:03d}")
        if luhn_valid(candidate):
            return candidate
    raise AssertionError("no Luhn-valid ID in range")


VALID = make_id("44070319900307123")  # born 1990-03-07, Jiangmen Pengjiang
VALID_X = "11010519491231002X"  # the worked example of GB 11643
ID_AND_LUHN = find_id_passing_luhn()
FULL = VALID.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})


def spans(text: str) -> list[tuple[str, int, int]]:
    results = CnResidentIdRecognizer().analyze(text, entities=[ENTITY])
    return sorted((r.entity_type, r.start, r.end) for r in results)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(VALID, [(ENTITY, 0, 18)], id="bare"),
        pytest.param(f"身份证号：{VALID}。", [(ENTITY, 5, 23)], id="with-context"),
        pytest.param(f"证件号码{VALID_X}，", [(ENTITY, 4, 22)], id="check-X"),
        pytest.param(f"证件号码{VALID_X.lower()}", [(ENTITY, 4, 22)], id="check-lower-x"),
        pytest.param(f"号码{FULL}", [(ENTITY, 2, 20)], id="full-width"),
        pytest.param(
            f"{VALID[:6]} {VALID[6:14]} {VALID[14:]}", [(ENTITY, 0, 20)], id="grouped-6-8-4"
        ),
        pytest.param(f"张三{VALID}李四{VALID_X}", [(ENTITY, 2, 20), (ENTITY, 22, 40)], id="two"),
        pytest.param("身份证110105491231002", [(ENTITY, 3, 18)], id="legacy-15"),
        pytest.param(f"ID{VALID}", [(ENTITY, 2, 20)], id="glued-label-before"),
        pytest.param(f"sfzh{VALID_X}", [(ENTITY, 4, 22)], id="glued-pinyin-label"),
        pytest.param(f"idCardNo{VALID}", [(ENTITY, 8, 26)], id="glued-camel-case-label"),
        pytest.param(
            f"ID{VALID[:6]}-{VALID[6:14]}-{VALID[14:]}", [(ENTITY, 2, 22)], id="grouped-after-label"
        ),
        pytest.param(f"{VALID}Tel13800000000", [(ENTITY, 0, 18)], id="glued-label-after"),
    ],
)
def test_positives(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("订单号202311220000123456", id="order-number"),
        pytest.param(VALID[:-1] + ("0" if VALID[-1] != "0" else "1"), id="wrong-check-char"),
        pytest.param(make_id("44070319900230123"), id="feb-30"),
        pytest.param(make_id("99070319900307123"), id="bad-province"),
        pytest.param("9" + VALID, id="inside-19-digit-run"),
        pytest.param(VALID + "5", id="followed-by-digit"),
        pytest.param("A" + VALID, id="after-letter"),
        pytest.param("SN" + VALID, id="after-serial-letters"),
        pytest.param(VALID + "AB", id="before-other-letters"),
        pytest.param("ID9" + VALID, id="label-then-longer-run"),
        pytest.param("ID110105491231002", id="legacy-15-after-label"),
        pytest.param("110105491231002Tel", id="legacy-15-before-label"),
        pytest.param("uuid" + VALID, id="label-at-a-words-end"),
        pytest.param(VALID + "Identity", id="label-starting-a-word"),
        pytest.param("2023-11-22 2023年11月22日 20231122", id="dates"),
        pytest.param("¥1,234,567.89 12345678.00元", id="amounts"),
        pytest.param("时间戳1700000000123", id="timestamp"),
        pytest.param("110105491331002", id="legacy-15-month-13"),
        pytest.param("邮编529000", id="postcode"),
    ],
)
def test_hard_negatives(text: str) -> None:
    assert spans(text) == []


def test_checksum_confirms_score() -> None:
    (result,) = CnResidentIdRecognizer().analyze(f"身份证{VALID}", entities=[ENTITY])
    assert result.score == 1.0


def test_legacy_id_needs_context() -> None:
    (result,) = CnResidentIdRecognizer().analyze("110105491231002", entities=[ENTITY])
    assert result.score < 0.5 <= result.score + 0.35


def test_id_yields_no_phone_or_card() -> None:
    # Every ID born 19xx holds an 11-digit "19..." run that looks like a mobile.
    text = f"身份证号码{VALID}，联系人张三"
    assert CnPhoneRecognizer().analyze(text, entities=["PHONE_NUMBER"]) == []
    assert CnBankCardRecognizer().analyze(text, entities=["CN_BANK_CARD"]) == []
    assert CnUsccRecognizer().analyze(text, entities=["CN_USCC"]) == []
    assert spans(text) == [(ENTITY, 5, 23)]


def test_id_that_passes_luhn_outscores_card() -> None:
    text = f"证件{ID_AND_LUHN}"
    ids = CnResidentIdRecognizer().analyze(text, entities=[ENTITY])
    cards = CnBankCardRecognizer().analyze(text, entities=["CN_BANK_CARD"])
    assert [(r.start, r.end, r.score) for r in ids] == [(2, 20, 1.0)]
    assert all(c.score < 1.0 for c in cards)


def test_defaults() -> None:
    recognizer = CnResidentIdRecognizer()
    assert recognizer.supported_language == "zh"
    assert recognizer.supported_entities == [ENTITY]
    assert {"身份证", "身份证号", "证件号码", "公民身份号码"} <= set(recognizer.context)
