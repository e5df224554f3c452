"""The batched path of every pattern recognizer equals presidio's per-text path."""

from __future__ import annotations

import pytest

from benchmarks.corpus import generate_records
from recognizers import RECOGNIZERS
from recognizers.batch import BatchPatternRecognizer, JoinedTexts

PATTERN_CLASSES = [
    c for c in RECOGNIZERS.values() if isinstance(c, type) and issubclass(c, BatchPatternRecognizer)
]
TEXTS = [r["text"] for r in generate_records(400, seed=5)] + [
    "",
    "单行\n两行：13800138000\n三行",
    "440703198503122014",  # a match at the very start and end of a text
    "13800138000",
    # numbers glued to labels (recognizers.labels), and words that are none
    "Tel13812345678，wx13912345678Email:a@b.cn；Fax0750-1234567",
    "ID11010519491231002XName张三 Card6222021234567890128",
    "Hotel13812345678 uuid11010519491231002X SN6222021234567890128",
]


def _view(results):
    return sorted((r.entity_type, r.start, r.end, round(r.score, 6)) for r in results)


@pytest.mark.parametrize("cls", PATTERN_CLASSES, ids=lambda c: c.__name__)
def test_batch_equals_per_text(cls) -> None:
    recognizer = cls()
    batch = recognizer.analyze_batch(TEXTS)
    single = [recognizer.analyze(t, recognizer.supported_entities) for t in TEXTS]
    assert [_view(b) for b in batch] == [_view(s) for s in single]
    assert sum(map(len, batch)) > 0  # the corpus exercises every recognizer


def test_every_pattern_recognizer_is_batched() -> None:
    assert len(PATTERN_CLASSES) == len(RECOGNIZERS) - 1  # all but the PERSON model


def test_locate_rejects_spans_that_cross_texts() -> None:
    joined = JoinedTexts(["abc", "de", ""])
    assert joined.joined == "abc\nde\n"
    assert joined.locate(4, 6) == (1, 0, 2)
    assert joined.locate(2, 5) is None
    assert joined.locate(7, 7) == (2, 0, 0)


def test_address_stdlib_finder_matches_regex_engine() -> None:
    import regex

    from recognizers.address import _ADDRESS, CnAddressRecognizer

    recognizer = CnAddressRecognizer()
    text = "\n".join(TEXTS)
    reference = regex.compile(_ADDRESS, flags=regex.DOTALL | regex.MULTILINE)
    assert [m.span() for m in recognizer._finder.finditer(text)] == [
        m.span() for m in reference.finditer(text)
    ]


def test_address_component_walk_matches_regex_captures() -> None:
    from recognizers.address import CnAddressRecognizer

    recognizer = CnAddressRecognizer()
    text = "\n".join(TEXTS)
    checked = 0
    for match in recognizer._finder.finditer(text):
        start, end = recognizer._trim_lead(text, match.start(), match.end())
        chain = recognizer._compiled.fullmatch(text, start, end)
        expected = None if chain is None else recognizer._kinds(chain)
        assert recognizer._chain_kinds(text, start, end) == expected
        checked += 1
    assert checked > 100
