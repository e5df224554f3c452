"""Tests for CnLicensePlateRecognizer (synthetic plates)."""

from __future__ import annotations

import pytest

from recognizers.license_plate import PROVINCES, CnLicensePlateRecognizer

ENTITY = "CN_LICENSE_PLATE"


def results(text: str) -> list[tuple[str, int, int, float]]:
    found = CnLicensePlateRecognizer().analyze(text, entities=[ENTITY])
    return sorted((r.entity_type, r.start, r.end, r.score) for r in found)


def spans(text: str) -> list[tuple[str, int, int]]:
    return [r[:3] for r in results(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("粤J12345", [(ENTITY, 0, 7)], id="plain"),
        pytest.param("车牌号粤J·12345。", [(ENTITY, 3, 11)], id="middle-dot"),
        pytest.param("粤J 12345", [(ENTITY, 0, 8)], id="space"),
        pytest.param("粤JA1234", [(ENTITY, 0, 7)], id="letter-in-serial"),
        pytest.param("粤JD12345", [(ENTITY, 0, 8)], id="new-energy-small"),
        pytest.param("粤JFA1234", [(ENTITY, 0, 8)], id="new-energy-small-letter"),
        pytest.param("粤J12345D", [(ENTITY, 0, 8)], id="new-energy-large"),
        pytest.param("车辆粤J1234学", [(ENTITY, 2, 9)], id="learner"),
        pytest.param("京A12345和沪B54321", [(ENTITY, 0, 7), (ENTITY, 8, 15)], id="two"),
    ],
)
def test_positives(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize("province", list(PROVINCES))
def test_every_province(province: str) -> None:
    assert spans(f"车牌{province}A12345") == [(ENTITY, 2, 9)]


def test_31_provinces() -> None:
    assert len(set(PROVINCES)) == 31


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("粤I12345", id="letter-I"),
        pytest.param("粤O12345", id="letter-O"),
        pytest.param("粤j12345", id="lowercase"),
        pytest.param("粤J1234", id="too-short"),
        pytest.param("粤J1234567", id="too-long"),
        pytest.param("粤JABC12", id="three-letters"),
        pytest.param("港A12345", id="not-a-mainland-province"),
        pytest.param("粤府〔2021〕12号", id="document-number"),
        pytest.param("新ABCDEF", id="word-after-province-char"),
    ],
)
def test_hard_negatives(text: str) -> None:
    assert spans(text) == []


def test_scores_pass_threshold() -> None:
    assert all(r[3] >= 0.5 for r in results("粤J12345 粤JD12345"))


def test_defaults() -> None:
    recognizer = CnLicensePlateRecognizer()
    assert recognizer.supported_language == "zh"
    assert {"车牌", "车牌号"} <= set(recognizer.context)
