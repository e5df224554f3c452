"""Loading the word lists shipped with the PERSON recognizer, and jieba's dictionary."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from recognizers.person.features import Lexicons

__all__ = ["POS_TAGS", "build_lexicons", "jieba_dictionary", "read_word_list"]

#: jieba POS tags that get their own feature value; every other tag shares one.
POS_TAGS = ("nr", "nrfg", "nrt", "ns", "nt", "nz", "n", "v", "vn", "a", "d", "i", "l", "m", "t")


def read_word_list(name: str) -> list[str]:
    """Read a whitespace-separated word list shipped in this package (``#`` comments)."""
    text = resources.files("recognizers.person").joinpath(name).read_text(encoding="utf-8")
    words: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        for w in line.split("#", 1)[0].split():
            if w not in seen:
                seen.add(w)
                words.append(w)
    return words


def jieba_dictionary() -> Iterator[tuple[str, int, str]]:
    """Yield ``(word, frequency, pos)`` from the installed jieba's dict.txt.

    Read directly from jieba's package data, so no tokenizer is initialised.
    """
    path = Path(str(resources.files("jieba").joinpath("dict.txt")))
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3:
                yield parts[0], int(parts[1]), parts[2]


def build_lexicons() -> Lexicons:
    """Compile jieba's dictionary and the shipped lists into :class:`Lexicons`."""
    return Lexicons.build(
        dictionary=jieba_dictionary(),
        surnames=read_word_list("surnames_single.txt"),
        compound_surnames=read_word_list("surnames_compound.txt"),
        prefixes=read_word_list("context_prefix.txt"),
        suffixes=read_word_list("context_suffix.txt"),
        pos_tags=POS_TAGS,
    )
