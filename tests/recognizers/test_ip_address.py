"""Tests for IpAddressRecognizer (documentation and private ranges only)."""

from __future__ import annotations

import ipaddress

import pytest

from recognizers.ip_address import IpAddressRecognizer

ENTITY = "IP_ADDRESS"


def results(text: str) -> list[tuple[str, int, int, float]]:
    found = IpAddressRecognizer().analyze(text, entities=[ENTITY])
    return sorted((r.entity_type, r.start, r.end, r.score) for r in found)


def spans(text: str) -> list[tuple[str, int, int]]:
    return [r[:3] for r in results(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("192.168.1.10", [(ENTITY, 0, 12)], id="ipv4"),
        pytest.param("登录IP：203.0.113.5。", [(ENTITY, 5, 16)], id="ipv4-sentence-period"),
        pytest.param("0.0.0.0", [(ENTITY, 0, 7)], id="ipv4-zeros"),
        pytest.param("255.255.255.255", [(ENTITY, 0, 15)], id="ipv4-max"),
        pytest.param("10.0.0.1/24", [(ENTITY, 0, 8)], id="ipv4-cidr"),
        pytest.param("2001:db8::1", [(ENTITY, 0, 11)], id="ipv6-compressed"),
        pytest.param(
            "地址2001:0db8:85a3:0000:0000:8a2e:0370:7334，", [(ENTITY, 2, 41)], id="ipv6-full"
        ),
        pytest.param("::1", [(ENTITY, 0, 3)], id="ipv6-loopback"),
        pytest.param("fe80::1:2", [(ENTITY, 0, 9)], id="ipv6-link-local"),
        pytest.param("::ffff:192.0.2.1", [(ENTITY, 0, 16)], id="ipv6-mapped-ipv4"),
        pytest.param("192.0.2.1和198.51.100.2", [(ENTITY, 0, 9), (ENTITY, 10, 22)], id="two-ipv4"),
    ],
)
def test_positives(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("256.1.1.1", id="octet-256"),
        pytest.param("192.168.01.1", id="leading-zero"),
        pytest.param("1.2.3", id="three-parts"),
        pytest.param("版本1.2.3.4.5", id="version-five-parts"),
        pytest.param("v1.2.3.4", id="version-prefixed"),
        pytest.param("1.2.3.4.5", id="five-parts"),
        pytest.param("11.2.3.4.5.6", id="six-parts"),
        pytest.param("2023.11.22", id="dotted-date"),
        pytest.param("时间12:30:45", id="time"),
        pytest.param("::", id="bare-double-colon"),
        pytest.param("1:2:3:4:5:6:7:8:9", id="nine-groups"),
        pytest.param("2001:db8::1::2", id="two-double-colons"),
        pytest.param("¥1,234,567.89", id="amount"),
    ],
)
def test_hard_negatives(text: str) -> None:
    assert spans(text) == []


def test_score() -> None:
    ((_, _, _, score),) = results("192.168.1.10")
    assert 0.5 <= score < 1.0


def test_defaults() -> None:
    recognizer = IpAddressRecognizer()
    assert recognizer.supported_language == "zh"
    assert "IP地址" in recognizer.context


@pytest.mark.parametrize("third", ["0", "9", "10", "99", "100", "199", "200", "249", "250", "255"])
@pytest.mark.parametrize("last", ["0", "1", "255", "256", "01", "00", "1000", "２"])
def test_validation_agrees_with_ipaddress(third: str, last: str) -> None:
    # Dotted quads skip ipaddress when the octet pattern alone decides.
    text = f"10.0.{third}.{last}"
    try:
        ipaddress.ip_address(text)
        expected = None
    except ValueError:
        expected = False
    assert IpAddressRecognizer().validate_result(text) is expected
