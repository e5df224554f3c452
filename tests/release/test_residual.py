"""The residual scan's column-wide pre-check, and its counts per cell."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desens.analyzer import build_analyzer
from desens.release.residual import (
    RESIDUAL_ENTITIES,
    RESIDUAL_THRESHOLD,
    ResidualScanner,
    candidates,
)

SEVEN = re.compile(r"[0-9０-９](?:[ \-－()（）]?[0-9０-９]){6}")


@settings(max_examples=300)
@given(st.lists(st.text("0129 -()（）－０９*ab张\n", max_size=16), max_size=8))
def test_candidates_equal_the_seven_digit_rule(values: list[str]) -> None:
    assert candidates(values) == [v for v in values if SEVEN.search(v)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("138****5678", False, id="masked-mobile"),
        pytest.param("1381234", True, id="seven-digits"),
        pytest.param("138 1234", True, id="separated"),
        pytest.param("138  1234", False, id="double-separator"),
        pytest.param("１３８１２３４", True, id="full-width"),
        pytest.param("广东省江门市", False, id="address"),
        pytest.param("h_8a1234567f", True, id="token-with-a-run"),
    ],
)
def test_candidates_cases(value: str, expected: bool) -> None:
    assert candidates(["x", value]) == ([value] if expected else [])


def test_scanner_counts_every_cell_in_every_chunk() -> None:
    analyzer = build_analyzer(entities=RESIDUAL_ENTITIES, threshold=RESIDUAL_THRESHOLD)
    scanner = ResidualScanner(
        analyzer, ["phone", "year"], [False, False], [False, False], lambda _: False
    )
    chunk = [["13800138000", "13800138000", "13912345678", ""], ["1985", "1985", "1990", "x"]]
    for _ in range(2):  # a leaked value found once stays dirty: counted again
        assert scanner.scan(chunk) == {("phone", "PHONE_NUMBER"): 3}
