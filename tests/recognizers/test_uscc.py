"""Tests for CnUsccRecognizer (all codes synthetic, built with the checksum)."""

from __future__ import annotations

import pytest

from recognizers.checksums import gb11643_check_char, gb11714_check_char, uscc_check_char
from recognizers.uscc import CnUsccRecognizer

ENTITY = "CN_USCC"


def make(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def make_full(head: str, division: str, org8: str) -> str:
    """A well-formed code: its organization code carries its GB 11714 check."""
    return make(head + division + org8 + gb11714_check_char(org8))


COMPANY = make_full("91", "440703", "MA5ABCDE")
SOCIAL_ORG = make_full("51", "440700", "12345678")
CENTRAL = make_full("11", "100000", "00001312")
# Passes the GB 32100 check but nothing else: date-prefixed case numbers do.
CHECK_ONLY = make("20230708810335890")
VALID_ID = "44070319900307123" + gb11643_check_char("44070319900307123")


def results(text: str) -> list[tuple[str, int, int, float]]:
    found = CnUsccRecognizer().analyze(text, entities=[ENTITY])
    return sorted((r.entity_type, r.start, r.end, r.score) for r in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(COMPANY, [(ENTITY, 0, 18, 1.0)], id="bare"),
        pytest.param(f"统一社会信用代码：{COMPANY}。", [(ENTITY, 9, 27, 1.0)], id="context"),
        pytest.param(f"信用代码{SOCIAL_ORG}", [(ENTITY, 4, 22, 1.0)], id="all-digits"),
        pytest.param(CENTRAL, [(ENTITY, 0, 18, 1.0)], id="central-body-100000"),
        pytest.param(
            "".join(chr(ord(c) + 0xFEE0) for c in COMPANY), [(ENTITY, 0, 18, 1.0)], id="full-width"
        ),
    ],
)
def test_positives(text: str, expected: list[tuple[str, int, int, float]]) -> None:
    assert results(text) == expected


def wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(wrong_check(COMPANY), id="wrong-check-char"),
        # Codes are printed in capitals; lowercase runs are hashes and tokens.
        pytest.param(COMPANY.lower(), id="lowercase"),
        pytest.param("9" + COMPANY, id="inside-longer-run"),
        pytest.param(COMPANY + "A", id="followed-by-letter"),
        pytest.param(COMPANY[:17], id="17-chars"),
        pytest.param("91A40703MA5ABCDE1" + "0", id="letter-in-division"),
        pytest.param(f"身份证{VALID_ID}", id="resident-id"),
        pytest.param("订单202311220000123456", id="order-number"),
        pytest.param("江府办函〔2022〕73号", id="document-number"),
    ],
)
def test_hard_negatives(text: str) -> None:
    assert results(text) == []


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(CHECK_ONLY, id="type-digit-0"),
        pytest.param(make("91990703MA5ABCDE5"), id="bad-division"),
        pytest.param(make("B1440703MA5ABCDE5"), id="bad-authority"),
        pytest.param(
            make("91440703MA5ABCDE" + ("0" if gb11714_check_char("MA5ABCDE") != "0" else "1")),
            id="bad-organization-check",
        ),
    ],
)
def test_check_char_alone_needs_context(code: str) -> None:
    ((_, start, end, score),) = results(code)
    assert (start, end) == (0, 18)
    assert score < 0.5 <= score + 0.35


def test_valid_resident_id_passing_uscc_check_is_left_to_id_recognizer() -> None:
    for seq in range(1000):
        first17 = f"12440719850612{seq:03d}"
        candidate = first17 + gb11643_check_char(first17)
        if uscc_check_char(candidate[:17]) == candidate[17]:
            break
    else:
        pytest.fail("no candidate in range")
    assert results(candidate) == []


def test_defaults() -> None:
    recognizer = CnUsccRecognizer()
    assert recognizer.supported_language == "zh"
    assert {"统一社会信用代码", "信用代码"} <= set(recognizer.context)
