"""Tests for CnPhoneRecognizer (all numbers synthetic)."""

from __future__ import annotations

import pytest

from recognizers.checksums import gb11643_check_char, luhn_check_digit
from recognizers.phone import CnPhoneRecognizer

ENTITY = "PHONE_NUMBER"
VALID_ID = "44070319900307123" + gb11643_check_char("44070319900307123")
CARD = "621483" + "123456789012" + luhn_check_digit("621483123456789012")


def spans(text: str) -> list[tuple[str, int, int]]:
    results = CnPhoneRecognizer().analyze(text, entities=[ENTITY])
    return sorted((r.entity_type, r.start, r.end) for r in results)


def score(text: str) -> float:
    (result,) = CnPhoneRecognizer().analyze(text, entities=[ENTITY])
    return result.score


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("13812345678", [(ENTITY, 0, 11)], id="bare-mobile"),
        pytest.param("手机：13812345678。", [(ENTITY, 3, 14)], id="mobile-in-sentence"),
        pytest.param("电话138 1234 5678", [(ENTITY, 2, 15)], id="mobile-spaces"),
        pytest.param("电话138-1234-5678，", [(ENTITY, 2, 15)], id="mobile-dashes"),
        pytest.param("+8613812345678", [(ENTITY, 0, 14)], id="plus86"),
        pytest.param("tel: +86 138 1234 5678", [(ENTITY, 5, 22)], id="plus86-spaced"),
        pytest.param("0086-13812345678", [(ENTITY, 0, 16)], id="0086"),
        pytest.param("(86)13812345678", [(ENTITY, 0, 15)], id="paren86"),
        pytest.param("（86）13812345678", [(ENTITY, 0, 15)], id="fullwidth-paren86"),
        pytest.param("１３８１２３４５６７８", [(ENTITY, 0, 11)], id="full-width-digits"),
        pytest.param("＋８６ １３８１２３４５６７８", [(ENTITY, 0, 15)], id="full-width-prefix"),
        pytest.param("19912345678", [(ENTITY, 0, 11)], id="mobile-199"),
        pytest.param("(0750)1234567", [(ENTITY, 0, 13)], id="landline-parens"),
        pytest.param("座机（0750）1234567", [(ENTITY, 2, 15)], id="landline-fullwidth-parens"),
        pytest.param("0750-1234567", [(ENTITY, 0, 12)], id="landline-4-7"),
        pytest.param("010-12345678", [(ENTITY, 0, 12)], id="landline-3-8"),
        pytest.param("020 87654321", [(ENTITY, 0, 12)], id="landline-space"),
        pytest.param("０７５０－１２３４５６７", [(ENTITY, 0, 12)], id="landline-full-width"),
        pytest.param("+86-10-12345678", [(ENTITY, 0, 15)], id="landline-international"),
        pytest.param("0750-1234567转801", [(ENTITY, 0, 16)], id="landline-extension"),
        pytest.param("07502345678", [(ENTITY, 0, 11)], id="landline-run"),
        pytest.param(
            "联系电话13812345678、0750-1234567",
            [(ENTITY, 4, 15), (ENTITY, 16, 28)],
            id="two-numbers",
        ),
        pytest.param(
            "13812345678 13987654321", [(ENTITY, 0, 11), (ENTITY, 12, 23)], id="space-separated"
        ),
        pytest.param("Tel13812345678", [(ENTITY, 3, 14)], id="glued-label-before"),
        pytest.param("联系MOBILE138 1234 5678。", [(ENTITY, 8, 21)], id="glued-label-upper"),
        pytest.param("wx13812345678", [(ENTITY, 2, 13)], id="glued-wechat"),
        pytest.param("13812345678Email:a@b.cn", [(ENTITY, 0, 11)], id="glued-label-after"),
        pytest.param("0750-1234567Fax", [(ENTITY, 0, 12)], id="landline-glued-label-after"),
        pytest.param("Tel13812345678Name", [(ENTITY, 3, 14)], id="glued-both-sides"),
        pytest.param("phoneNo13812345678", [(ENTITY, 7, 18)], id="glued-camel-case-label"),
        pytest.param("lxdh13812345678", [(ENTITY, 4, 15)], id="glued-pinyin-label"),
        pytest.param("Fax0750-1234567", [(ENTITY, 3, 15)], id="landline-after-label"),
        pytest.param("Tel(0750)1234567", [(ENTITY, 3, 16)], id="bracketed-after-label"),
        pytest.param("Tel+8613812345678", [(ENTITY, 3, 17)], id="prefixed-after-label"),
    ],
)
def test_positives(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1234567", id="bare-7-digits"),
        pytest.param("87654321", id="bare-8-digits"),
        pytest.param("12812345678", id="mobile-prefix-12"),
        pytest.param("1381234567", id="ten-digits"),
        pytest.param("123456789" + "13812345678", id="mobile-inside-20-digit-run"),
        pytest.param("A13812345678", id="after-letter"),
        pytest.param("13812345678B", id="before-letter"),
        pytest.param(f"身份证{VALID_ID}", id="inside-id-number"),
        pytest.param(f"卡号{CARD}", id="inside-bank-card"),
        pytest.param("6222 0212 3456 7890 123", id="grouped-card"),
        pytest.param("订单202311220000123456", id="order-number"),
        pytest.param("1700000000123", id="timestamp"),
        pytest.param("2023-11-22 2023年11月22日 20231122", id="dates"),
        pytest.param("¥1,234,567.89 12345678.00元", id="amounts"),
        pytest.param("江府办函〔2022〕73号", id="document-number"),
        pytest.param("3.14159265358", id="decimal-fraction"),
        pytest.param("13812345678@qq.com", id="email-local-part"),
        pytest.param("邮编529000", id="postcode"),
        pytest.param("版本1.2.3.4.5", id="version"),
        pytest.param("2023-13812345678", id="dashed-run"),
        pytest.param("SN13812345678", id="after-serial-letters"),
        pytest.param("NO13812345678", id="after-document-letters"),
        pytest.param("13812345678abc", id="before-other-letters"),
        pytest.param("Tel913812345678", id="label-then-longer-run"),
        pytest.param("Tel13812345678A", id="label-then-glued-code"),
        pytest.param("ab13812345678cd", id="hex-run"),
        pytest.param("Hotel13812345678", id="label-inside-a-word"),
        pytest.param("iPhone13812345678", id="label-at-a-words-end"),
        pytest.param("9111QQ13812345678", id="label-inside-a-code"),
        pytest.param("13812345678telecom", id="label-starting-a-word"),
        pytest.param("13812345678mail@qq.com", id="email-local-part-with-label"),
    ],
)
def test_hard_negatives(text: str) -> None:
    assert spans(text) == []


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        pytest.param("13812345678", 0.6, 0.7, id="mobile"),
        pytest.param("+86 138 1234 5678", 0.6, 0.7, id="mobile-prefixed"),
        pytest.param("0750-1234567", 0.5, 0.5, id="landline-separated"),
        pytest.param("(0750)1234567", 0.5, 0.5, id="landline-bracketed"),
        pytest.param("07502345678", 0.3, 0.3, id="landline-run"),
    ],
)
def test_scores(text: str, low: float, high: float) -> None:
    assert low <= score(text) <= high


def test_run_together_landline_needs_context() -> None:
    assert score("07502345678") < 0.5 <= score("07502345678") + 0.35


def test_defaults() -> None:
    recognizer = CnPhoneRecognizer()
    assert recognizer.supported_language == "zh"
    assert {"手机", "手机号", "电话", "联系电话", "联系方式", "座机", "固话", "tel"} <= set(
        recognizer.context
    )
