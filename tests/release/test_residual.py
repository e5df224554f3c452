"""The residual scan's column-wide pre-check, and its counts per cell."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desens.analyzer import build_analyzer
from desens.keys import KeyRing
from desens.operators import build_operator
from desens.policy import parse_policy
from desens.release import ColumnPlan, ReleaseOptions, ResidualDataError, release
from desens.release.residual import (
    RESIDUAL_ENTITIES,
    RESIDUAL_THRESHOLD,
    ResidualScanner,
    candidates,
    safe_by_construction,
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


def test_a_cell_with_two_findings_of_one_entity_counts_once() -> None:
    analyzer = build_analyzer(entities=RESIDUAL_ENTITIES, threshold=RESIDUAL_THRESHOLD)
    scanner = ResidualScanner(analyzer, ["c"], [False], [False], lambda _: False)
    two = "13800138000 13900139000"
    where: dict[tuple[str, str], list[int]] = {}
    assert scanner.scan([[two, "x", two, "13700137000"]], where=where) == {("c", "PHONE_NUMBER"): 3}
    assert where == {("c", "PHONE_NUMBER"): [0, 2, 3]}


@pytest.mark.parametrize(
    ("operator", "params", "safe"),
    [
        pytest.param("hash", {}, True, id="hash"),
        pytest.param("hash", {"prefix": "", "length": 64}, True, id="hash-bare"),
        pytest.param("hash", {"prefix": "13812345678-"}, False, id="hash-prefix-like-a-phone"),
        pytest.param("mask", {}, False, id="mask"),
        pytest.param("encrypt", {}, False, id="encrypt"),
    ],
)
def test_safe_by_construction(operator: str, params: dict, safe: bool) -> None:
    plan = ColumnPlan(
        "c", 0, "operator", "declared", "PHONE_NUMBER", build_operator(operator, params)
    )
    assert safe_by_construction(plan) is safe


def test_hash_columns_are_listed_and_leaks_elsewhere_still_caught(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("证件,手机\n110105194912310025,13800138000\n", encoding="utf-8")
    policy = parse_policy(
        "name: p\ndata_class: custom\ncolumns:\n"
        "  - {name: 证件, entity: CN_RESIDENT_ID, operator: hash}\n"
        "  - {name: 手机, operator: keep}\n"
    )
    options = ReleaseOptions(src, tmp_path / "out.csv", policy, keys=KeyRing.generate())
    with pytest.raises(ResidualDataError) as info:
        release(options)
    residual = info.value.report.residual_scan  # type: ignore[attr-defined]
    assert residual["findings"] == [
        {"column": "手机", "entity": "PHONE_NUMBER", "count": 1, "lines": [2]}
    ]
    assert residual["safe_by_construction"] == ["证件"]
    assert not (tmp_path / "out.csv").exists()


def test_numbers_glued_to_english_labels_are_caught(tmp_path: Path) -> None:
    """A concatenating export: the leak is found although letters touch the numbers."""
    src = tmp_path / "in.csv"
    src.write_text(
        "备注\nTel13800138000\n13912345678Email:a@b.cn\nID11010519491231002X\nSN13800138000\n",
        encoding="utf-8",
    )
    policy = parse_policy(
        "name: p\ndata_class: custom\ncolumns:\n  - {name: 备注, operator: keep}\n"
    )
    with pytest.raises(ResidualDataError) as info:
        release(ReleaseOptions(src, tmp_path / "out.csv", policy))
    residual = info.value.report.residual_scan  # type: ignore[attr-defined]
    assert residual["findings"] == [
        {"column": "备注", "entity": "CN_RESIDENT_ID", "count": 1, "lines": [4]},
        {"column": "备注", "entity": "PHONE_NUMBER", "count": 2, "lines": [2, 3]},
    ]  # the serial number SN13800138000 is not a phone


def test_scanner_keeps_remembering_clean_values_of_a_column_with_many_distinct_ones() -> None:
    # Dates: 3,000 distinct values, each with a run of 8 digits (so each is a
    # candidate), all clean. The first chunk meets them all for the first time;
    # that must not turn the memory of clean values off.
    analyzer = build_analyzer(entities=RESIDUAL_ENTITIES, threshold=RESIDUAL_THRESHOLD)
    scanner = ResidualScanner(analyzer, ["date"], [False], [False], lambda _: False)
    dates = [f"{19500101 + d}" for d in range(3_000)]
    assert scanner._suspects(0, dates, all_str=True) == dates  # all new: all looked at
    assert scanner.scan([dates]) == {}
    assert scanner._suspects(0, dates[::-1], all_str=True) == []  # known clean since
