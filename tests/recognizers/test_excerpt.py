"""Excerpts: the pieces of a batch where a pattern can match, with the same matches."""

from __future__ import annotations

import re

import numpy as np
import pytest

from recognizers.batch import NUMBER_ALPHABET, JoinedTexts
from recognizers.excerpt import alphabet, pattern_chars


def test_pattern_chars_include_look_arounds_and_ranges() -> None:
    chars = pattern_chars(r"(?<![a-c])(?P<s>[ \-])?[0-2]{2}(?P=s)x(?!转)")
    assert chars is not None
    assert "".join(sorted(map(chr, chars))) == " -012abcx转"


@pytest.mark.parametrize(
    "pattern", [r"a.b", r"[^0-9]", r"\d+", r"^1", r"\b1", r"(?i)k[0-9]", r"(?i:k)[0-9]"]
)
def test_pattern_chars_unbounded(pattern: str) -> None:
    assert pattern_chars(pattern) is None


def test_alphabet_rejects_a_pattern_that_strays() -> None:
    abc = alphabet("0-9", "0123456789")
    abc.check(r"(?<![0-9])[1-9][0-9]{3}")
    with pytest.raises(ValueError, match="not confined"):
        abc.check(r"[0-9]+元")


def test_excerpt_keeps_pieces_with_enough_keys_and_maps_back() -> None:
    texts = ["电话：138-0013-8000，金额 12元", "编号A12 与 20240101123456", ""]
    joined = JoinedTexts(texts)
    excerpt = joined.excerpt(alphabet(NUMBER_ALPHABET, "0123456789"), 10)
    assert excerpt.text == "138-0013-8000\n 20240101123456"
    pos = excerpt.text.index("2024")
    assert joined.joined[excerpt.origin(pos) :].startswith("20240101123456")


@pytest.mark.parametrize("min_keys", [1, 3, 11])
def test_excerpt_gives_the_same_matches(min_keys: int) -> None:
    rng = np.random.default_rng(3)
    pieces = list("0123456789０９ -－.()（）+x转A甲，元\n")
    texts = ["".join(rng.choice(pieces, size=int(rng.integers(0, 40)))) for _ in range(300)]
    pattern = (
        r"(?<![0-9０-９A-Za-z])(?<![0-9][.\-])(?:[(（][0-9]{2}[)）])?"
        r"[0-9０-９](?P<sep>[ \-－]?)[0-9]{2}(?P=sep)[0-9]{2}(?:转[0-9]+)?(?![0-9A-Za-z])"
    )
    joined = JoinedTexts(texts)
    abc = alphabet(NUMBER_ALPHABET, "0123456789０１２３４５６７８９")
    abc.check(pattern)
    excerpt = joined.excerpt(abc, min(min_keys, 5))
    compiled = re.compile(pattern)
    expected = [m.span() for m in compiled.finditer(joined.joined)]
    got = [
        (excerpt.origin(m.start()), excerpt.origin(m.start()) + len(m.group()))
        for m in compiled.finditer(excerpt.text)
    ]
    assert got == expected
    assert expected
