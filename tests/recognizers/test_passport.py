"""Tests for CnPassportRecognizer (synthetic numbers)."""

from __future__ import annotations

import pytest

from recognizers.passport import CnPassportRecognizer

ENTITY = "CN_PASSPORT"


def results(text: str) -> list[tuple[str, int, int, float]]:
    found = CnPassportRecognizer().analyze(text, entities=[ENTITY])
    return sorted((r.entity_type, r.start, r.end, r.score) for r in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("E12345678", [(ENTITY, 0, 9)], id="E-8-digits"),
        pytest.param("护照号码：G12345678。", [(ENTITY, 5, 14)], id="G-8-digits"),
        pytest.param("passport EA1234567", [(ENTITY, 9, 18)], id="E-letter-7-digits"),
        pytest.param("护照E12345678，G87654321", [(ENTITY, 2, 11), (ENTITY, 12, 21)], id="two"),
    ],
)
def test_positives(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert [r[:3] for r in results(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("e12345678", id="lowercase"),
        pytest.param("D12345678", id="other-letter"),
        pytest.param("E1234567", id="7-digits"),
        pytest.param("E123456789", id="9-digits"),
        pytest.param("EI1234567", id="letter-I"),
        pytest.param("EO1234567", id="letter-O"),
        pytest.param("XE12345678", id="after-letter"),
        pytest.param("E12345678A", id="before-letter"),
        pytest.param("5E12345678", id="after-digit"),
        pytest.param("订单202311220000123456", id="order-number"),
    ],
)
def test_hard_negatives(text: str) -> None:
    assert results(text) == []


def test_base_score_needs_context() -> None:
    ((_, _, _, score),) = results("E12345678")
    assert score < 0.5 <= score + 0.35


def test_defaults() -> None:
    recognizer = CnPassportRecognizer()
    assert recognizer.supported_language == "zh"
    assert {"护照", "护照号", "护照号码", "passport"} <= set(recognizer.context)
