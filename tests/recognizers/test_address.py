"""Tests for CnAddressRecognizer (fictitious addresses on real road/district names)."""

from __future__ import annotations

import pytest

from recognizers.address import CnAddressRecognizer

ENTITY = "CN_ADDRESS"
THRESHOLD = 0.5
CONTEXT_BOOST = 0.35


def results(text: str) -> list[tuple[str, int, int, float]]:
    found = CnAddressRecognizer().analyze(text, entities=[ENTITY])
    return sorted((r.entity_type, r.start, r.end, r.score) for r in found)


def reported(text: str) -> list[tuple[str, str]]:
    """(entity, covered text) of results that pass the threshold without context."""
    return [(e, text[s:t]) for e, s, t, score in results(text) if score >= THRESHOLD]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "广东省江门市蓬江区建设路88号3栋502室",
            (0, 21),
            id="full-chain",
        ),
        pytest.param("江门市蓬江区白沙大道西1号", (0, 13), id="road-with-direction"),
        pytest.param("北京市朝阳区建国路88号", (0, 12), id="municipality"),
        pytest.param(
            "住址：广东省江门市蓬江区建设路88号3栋502室。", (3, 24), id="colon-prefix-and-period"
        ),
        pytest.param("户籍地江门市蓬江区建设路88号", (3, 15), id="lead-word-without-colon"),
        pytest.param("家庭住址广东省江门市蓬江区建设路88号", (4, 19), id="long-lead-word"),
        pytest.param("公司位于广州市天河区花城大道18号，", (4, 17), id="verb-lead-word"),
        pytest.param("我住在江门市蓬江区建设路88号", (3, 15), id="sentence"),
        pytest.param(
            "收件人：张三，地址：江门市蓬江区建设三路12号，电话13800000000",
            (10, 23),
            id="between-fields",
        ),
        pytest.param("广东省江门市新会区会城镇东门村3组12号", (0, 20), id="village-and-group"),
        pytest.param("上海市浦东新区世纪大道100号A座1201室", (0, 22), id="building-letter"),
        pytest.param("天津市和平区南京道88号", (0, 12), id="dao-road-with-number"),
        pytest.param(
            "新疆维吾尔自治区乌鲁木齐市天山区解放南路1号", (0, 22), id="autonomous-region"
        ),
        pytest.param("浙江省温州市永嘉县瓯北街道双塔路1号", (0, 18), id="subdistrict"),
        pytest.param("XX小区5栋2单元301", (0, 12), id="estate-unit-room"),
        pytest.param(
            "住所：深圳市福田区科苑南路764号滨江华府23栋906；", (3, 27), id="room-after-building"
        ),
        pytest.param("江门市蓬江区建设路８８号", (0, 12), id="full-width-number"),
    ],
)
def test_positives(text: str, expected: tuple[int, int]) -> None:
    found = results(text)
    assert [(e, s, t) for e, s, t, _ in found] == [(ENTITY, *expected)]
    assert found[0][3] >= THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("江门市", id="lone-city"),
        pytest.param("广东省", id="lone-province"),
        pytest.param("江门市人民政府", id="government-body"),
        pytest.param("江府办函〔2022〕73号", id="document-number"),
        pytest.param("粤府〔2021〕12号", id="document-number-2"),
        pytest.param("江门市2023年第12号", id="city-and-document"),
        pytest.param("2023年11月22日 2023-11-22", id="dates"),
        pytest.param("¥1,234,567.89 12345678.00元", id="amounts"),
        pytest.param("邮编529000", id="postcode"),
        pytest.param("他在江门市的人民医院工作", id="city-in-sentence"),
        pytest.param("我市各区县要落实", id="generic-words"),
        pytest.param("市区道路", id="generic-district-word"),
        pytest.param("知道了3号", id="dao-not-a-road"),
        pytest.param("第3号楼", id="lone-building"),
    ],
)
def test_hard_negatives(text: str) -> None:
    assert reported(text) == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("广东省江门市", id="province-city"),
        pytest.param("广东省江门市蓬江区", id="province-city-district"),
        pytest.param("会议在江门市蓬江区召开", id="region-in-sentence"),
    ],
)
def test_regions_need_context(text: str) -> None:
    ((_, _, _, score),) = results(text)
    assert score < THRESHOLD <= score + CONTEXT_BOOST


def test_score_grows_with_components() -> None:
    texts = [
        "建设路88号",
        "蓬江区建设路88号",
        "江门市蓬江区建设路88号",
        "江门市蓬江区建设路88号3栋502室",
    ]
    scores = [results(t)[0][3] for t in texts]
    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores)
    assert scores[0] < THRESHOLD <= scores[1]


def test_no_trailing_punctuation() -> None:
    text = "地址：北京市朝阳区建国路88号，"
    ((_, start, end, _),) = results(text)
    assert text[start:end] == "北京市朝阳区建国路88号"


def test_other_entities_ignored() -> None:
    assert CnAddressRecognizer().analyze("北京市朝阳区建国路88号", entities=["PERSON"]) == []


def test_defaults() -> None:
    recognizer = CnAddressRecognizer()
    assert recognizer.supported_language == "zh"
    assert {"地址", "住址", "户籍地", "住所", "居住地"} <= set(recognizer.context)
