"""The analyzer factory, both analysis paths, context and overlaps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult

from desens import DesensAnalyzer, JiebaNlpEngine, UnknownEntityError, build_analyzer
from desens.analyzer import resolve_overlaps
from recognizers import ENTITIES

RECORD = (
    "申请人：欧阳明辉，公民身份号码：440703198503122014，"
    "联系电话：13800138000，邮箱 oymh@example.com。"
)


def _spans(results):
    return [(r.entity_type, r.start, r.end) for r in results]


def test_factory_loads_only_requested_recognizers() -> None:
    analyzer = build_analyzer(entities=["CN_RESIDENT_ID", "PHONE_NUMBER"], threshold=0.5)
    assert analyzer.entities == ["CN_RESIDENT_ID", "PHONE_NUMBER"]
    assert _spans(analyzer.analyze_batch([RECORD])[0]) == [
        ("CN_RESIDENT_ID", 16, 34),
        ("PHONE_NUMBER", 40, 51),
    ]


def test_unknown_entity_is_a_clear_error() -> None:
    with pytest.raises(UnknownEntityError, match="NAME"):
        build_analyzer(entities=["NAME"])
    analyzer = build_analyzer(entities=["PHONE_NUMBER"])
    with pytest.raises(UnknownEntityError, match="CN_RESIDENT_ID"):
        analyzer.analyze_batch(["x"], entities=["CN_RESIDENT_ID"])


def test_default_analyzer_supports_every_public_entity(analyzer) -> None:
    assert set(analyzer.entities) == set(ENTITIES)
    assert len(ENTITIES) == 10


def test_fast_path_and_presidio_path_agree_on_a_record(analyzer) -> None:
    fast = _spans(analyzer.analyze_batch([RECORD])[0])
    slow = _spans(analyzer.analyze(RECORD))
    assert fast == slow
    assert ("PERSON", 4, 8) in fast
    assert ("EMAIL_ADDRESS", 55, 71) in fast


def test_batch_returns_one_list_per_text_in_order(analyzer) -> None:
    texts = ["无敏感信息", RECORD, "", "手机13800138000"]
    out = analyzer.analyze_batch(texts)
    assert len(out) == 4
    assert out[0] == [] and out[2] == []
    assert _spans(out[3]) == [("PHONE_NUMBER", 2, 13)]


def _toy(context: list[str]) -> DesensAnalyzer:
    toy = PatternRecognizer(
        supported_entity="CN_PASSPORT",
        patterns=[Pattern("toy", r"(?<![A-Z0-9])E[0-9]{8}(?![0-9])", 0.3)],
        context=context,
        supported_language="zh",
    )
    return DesensAnalyzer([toy], threshold=0.5)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("护照号码：E12345678", True, id="context-before"),
        pytest.param("编号E12345678", False, id="no-context"),
        pytest.param(
            "护照号码已登记，另有其他一些很长的说明文字E12345678", False, id="context-too-far"
        ),
    ],
)
def test_context_word_lifts_score_in_both_paths(text: str, found: bool) -> None:
    analyzer = _toy(["护照号码", "护照"])
    fast = analyzer.analyze_batch([text])[0]
    slow = analyzer.analyze(text)
    assert bool(fast) is found
    assert bool(slow) is found
    if found:
        assert fast[0].score == pytest.approx(0.65)
        assert slow[0].score == pytest.approx(0.65)


def test_external_context_such_as_a_column_header() -> None:
    analyzer = _toy(["护照"])
    assert analyzer.analyze_batch(["E12345678"])[0] == []
    (hit,) = analyzer.analyze_batch(["E12345678"], context=["持证人护照号"])[0]
    assert hit.score == pytest.approx(0.65)


def test_threshold_override() -> None:
    analyzer = _toy([])
    assert analyzer.analyze_batch(["E12345678"])[0] == []
    assert len(analyzer.analyze_batch(["E12345678"], score_threshold=0.3)[0]) == 1


def _r(entity: str, start: int, end: int, score: float) -> RecognizerResult:
    return RecognizerResult(entity, start, end, score)


def test_overlaps_keep_containing_span_then_best_score() -> None:
    results = [
        _r("PERSON", 10, 12, 0.9),  # inside the address
        _r("CN_ADDRESS", 5, 20, 0.6),
        _r("CN_BANK_CARD", 30, 48, 1.0),
        _r("CN_RESIDENT_ID", 30, 48, 1.0),  # same span: entity priority decides
        _r("PHONE_NUMBER", 50, 61, 0.6),
        _r("CN_PASSPORT", 55, 64, 0.7),  # partial overlap: higher score wins
    ]
    assert _spans(resolve_overlaps(results)) == [
        ("CN_ADDRESS", 5, 20),
        ("CN_RESIDENT_ID", 30, 48),
        ("CN_PASSPORT", 55, 64),
    ]


def test_jieba_engine_keeps_context_words_whole() -> None:
    engine = JiebaNlpEngine(extra_words=["公民身份号码", "联系电话"])
    engine.load()
    artifacts = engine.process_text("公民身份号码：440703198503122014 联系电话", "zh")
    words = [t.text for t in artifacts.tokens]
    assert words[0] == "公民身份号码"
    assert words[-1] == "联系电话"
    assert artifacts.tokens_indices[:2] == [0, 6]
    assert "公民身份号码" in artifacts.keywords
    assert "：" not in artifacts.keywords  # punctuation is not a keyword
    with pytest.raises(ValueError, match="zh"):
        engine.process_text("x", "en")


def _naive_resolve(results):
    """The definition, spelled out: O(n^2), for checking resolve_overlaps."""
    from desens.analyzer import _rank

    outer = [
        r
        for r in results
        if not any(
            o is not r
            and o.start <= r.start
            and r.end <= o.end
            and o.end - o.start > r.end - r.start
            for o in results
        )
    ]
    ranked = sorted(
        outer, key=lambda r: (-r.score, -(r.end - r.start), _rank(r.entity_type), r.start)
    )
    kept = []
    for r in ranked:
        if not any(r.start < k.end and k.start < r.end for k in kept):
            kept.append(r)
    return sorted(kept, key=lambda r: (r.start, r.end))


SPAN = st.tuples(
    st.sampled_from(["PERSON", "CN_ADDRESS", "PHONE_NUMBER", "CN_RESIDENT_ID"]),
    st.integers(0, 30),
    st.integers(0, 12),  # empty spans too (a custom recognizer may give them)
    st.sampled_from([0.4, 0.6, 0.85, 1.0]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SPAN, max_size=12))
def test_resolve_overlaps_equals_its_definition(spans) -> None:
    results = [_r(e, s, s + n, sc) for e, s, n, sc in spans]
    assert _spans(resolve_overlaps(results)) == _spans(_naive_resolve(results))


def test_lone_surrogates_do_not_break_analysis() -> None:
    # JSON can carry "\\ud800"; every recognizer must still see one unit per index.
    text = "\udc80 联系电话13812345678，张伟"
    plain = "x 联系电话13812345678，张伟"
    analyzer = build_analyzer()
    got = [(r.entity_type, r.start, r.end) for r in analyzer.analyze_batch([text])[0]]
    want = [(r.entity_type, r.start, r.end) for r in analyzer.analyze_batch([plain])[0]]
    assert got == want
    assert ("PHONE_NUMBER", 6, 17) in got
