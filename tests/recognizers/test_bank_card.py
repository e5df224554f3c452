"""Tests for CnBankCardRecognizer (all numbers synthetic, built with Luhn)."""

from __future__ import annotations

import pytest

from recognizers.bank_card import CnBankCardRecognizer
from recognizers.checksums import gb11643_check_char, is_valid_resident_id, luhn_check_digit

ENTITY = "CN_BANK_CARD"


def luhn(payload: str) -> str:
    return payload + luhn_check_digit(payload)


def bad_luhn(payload: str) -> str:
    return payload + str((int(luhn_check_digit(payload)) + 1) % 10)


UNIONPAY_19 = luhn("622202123456789012")
UNIONPAY_16 = luhn("621483123456789")
NETWORK_16 = luhn("436742123456789")
OTHER_19 = luhn("955880123456789012")
NOT_ID_18 = luhn("20231122000012345")  # Luhn-valid 18 digits, province 20: not an ID
VALID_ID = "44070319900307123" + gb11643_check_char("44070319900307123")


def group(number: str, sep: str) -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def results(text: str) -> list[tuple[str, int, int, float]]:
    found = CnBankCardRecognizer().analyze(text, entities=[ENTITY])
    return sorted((r.entity_type, r.start, r.end, r.score) for r in found)


def spans(text: str) -> list[tuple[str, int, int]]:
    return [r[:3] for r in results(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(UNIONPAY_19, [(ENTITY, 0, 19)], id="unionpay-19"),
        pytest.param(f"卡号：{UNIONPAY_16}。", [(ENTITY, 3, 19)], id="unionpay-16"),
        pytest.param(group(UNIONPAY_19, " "), [(ENTITY, 0, 23)], id="spaces-4-4-4-4-3"),
        pytest.param(f"账号{group(UNIONPAY_16, '-')}", [(ENTITY, 2, 21)], id="dashes"),
        pytest.param(
            "".join(chr(ord(c) + 0xFEE0) for c in UNIONPAY_16), [(ENTITY, 0, 16)], id="full-width"
        ),
        pytest.param(f"银行卡{NETWORK_16}", [(ENTITY, 3, 19)], id="visa-prefix"),
        pytest.param(f"银行卡{OTHER_19}", [(ENTITY, 3, 22)], id="other-prefix"),
        pytest.param(NOT_ID_18, [(ENTITY, 0, 18)], id="luhn-valid-18-not-id"),
        pytest.param(
            f"{UNIONPAY_16}，{UNIONPAY_19}", [(ENTITY, 0, 16), (ENTITY, 17, 36)], id="two-cards"
        ),
        pytest.param(f"Card{UNIONPAY_16}", [(ENTITY, 4, 20)], id="glued-label-before"),
        pytest.param(f"ACCOUNT{OTHER_19}", [(ENTITY, 7, 26)], id="glued-label-any-prefix"),
        pytest.param(f"{UNIONPAY_16}Name", [(ENTITY, 0, 16)], id="glued-label-after"),
    ],
)
def test_positives(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(bad_luhn("622202123456789012"), id="fails-luhn"),
        pytest.param(group(bad_luhn("622202123456789012"), " "), id="grouped-fails-luhn"),
        pytest.param(luhn("62220212345678"), id="15-digits"),
        pytest.param(luhn("6222021234567890123"), id="20-digits"),
        pytest.param("1" + UNIONPAY_19, id="inside-longer-run"),
        pytest.param(UNIONPAY_16 + "X", id="before-letter"),
        pytest.param("SN" + UNIONPAY_16, id="after-serial-letters"),
        pytest.param("Card" + bad_luhn("622202123456789012"), id="label-fails-luhn"),
        pytest.param(f"Card{VALID_ID}", id="label-then-resident-id"),
        pytest.param(group(UNIONPAY_16, " ") + " 1234", id="grouped-too-long"),
        pytest.param(f"身份证{VALID_ID}", id="resident-id"),
        pytest.param("订单202311220000123456", id="order-number-fails-luhn"),
        pytest.param("1700000000123", id="timestamp"),
        pytest.param("13812345678", id="mobile"),
        pytest.param("2023-11-22 20231122", id="dates"),
        pytest.param("¥1,234,567.89 12345678.00元", id="amounts"),
        pytest.param(f"{UNIONPAY_16}.5", id="decimal"),
    ],
)
def test_hard_negatives(text: str) -> None:
    assert spans(text) == []


def test_resident_id_passing_luhn_is_left_to_id_recognizer() -> None:
    for seq in range(1000):
        first17 = f"62010219850612{seq:03d}"
        candidate = first17 + gb11643_check_char(first17)
        if luhn_check_digit(candidate[:-1]) == candidate[-1]:
            break
    assert is_valid_resident_id(candidate)
    assert spans(candidate) == []


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        pytest.param(UNIONPAY_16, 0.7, id="unionpay"),
        pytest.param(NETWORK_16, 0.5, id="card-network-digit"),
        pytest.param(OTHER_19, 0.3, id="other"),
        pytest.param(NOT_ID_18, 0.3, id="year-prefixed"),
    ],
)
def test_scores_by_prefix(number: str, expected: float) -> None:
    ((_, _, _, score),) = results(number)
    assert score == expected


def test_only_other_prefixes_need_context() -> None:
    ((*_, unionpay),) = results(UNIONPAY_16)
    ((*_, network),) = results(NETWORK_16)
    ((*_, other),) = results(OTHER_19)
    assert unionpay > network >= 0.5 > other
    # A context word (+0.35) lifts the rest over the threshold.
    assert other + 0.35 >= 0.5
    # Luhn rejects but does not confirm: never the 1.0 of a checksum-confirmed ID.
    assert unionpay < 1.0


def test_defaults() -> None:
    recognizer = CnBankCardRecognizer()
    assert recognizer.supported_language == "zh"
    assert {"银行卡", "卡号", "账号", "银行账户"} <= set(recognizer.context)
