"""Tests for EmailAddressRecognizer (synthetic addresses)."""

from __future__ import annotations

import pytest

from recognizers.email import EmailAddressRecognizer

ENTITY = "EMAIL_ADDRESS"


def results(text: str) -> list[tuple[str, int, int, float]]:
    found = EmailAddressRecognizer().analyze(text, entities=[ENTITY])
    return sorted((r.entity_type, r.start, r.end, r.score) for r in found)


def spans(text: str) -> list[tuple[str, int, int]]:
    return [r[:3] for r in results(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("zhangsan@example.com", [(ENTITY, 0, 20)], id="bare"),
        pytest.param("邮箱：zhang.san@example.com。", [(ENTITY, 3, 24)], id="sentence-period"),
        pytest.param("13800000000@qq.com", [(ENTITY, 0, 18)], id="digits-local"),
        pytest.param("a+tag@mail.example.com.cn", [(ENTITY, 0, 25)], id="subdomains"),
        pytest.param("（li_si@example.org）", [(ENTITY, 1, 18)], id="parens"),
        pytest.param("wang＠example.com", [(ENTITY, 0, 16)], id="full-width-at"),
        pytest.param(
            "op=login email=li_si@example.org ip=", [(ENTITY, 15, 32)], id="log-key-value"
        ),
        pytest.param(
            "a@example.com,b@example.net", [(ENTITY, 0, 13), (ENTITY, 14, 27)], id="comma-list"
        ),
    ],
)
def test_positives(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("logo@2x.png", id="image-name"),
        pytest.param("user@localhost", id="no-tld"),
        pytest.param("user@example.c", id="one-letter-tld"),
        pytest.param("user@-example.com", id="label-starts-with-dash"),
        pytest.param("@example.com", id="no-local-part"),
        pytest.param("a" * 65 + "@example.com", id="local-part-too-long"),
        pytest.param("user@example.123", id="numeric-tld"),
        pytest.param("江府办函〔2022〕73号", id="document-number"),
    ],
)
def test_hard_negatives(text: str) -> None:
    assert spans(text) == []


def test_score_passes_threshold_without_context() -> None:
    ((_, _, _, score),) = results("zhangsan@example.com")
    assert 0.5 <= score < 1.0


def test_defaults() -> None:
    recognizer = EmailAddressRecognizer()
    assert recognizer.supported_language == "zh"
    assert {"邮箱", "电子邮件"} <= set(recognizer.context)
