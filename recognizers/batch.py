"""Run a pattern recognizer over a whole batch of texts in one pass per pattern.

presidio's ``PatternRecognizer.analyze`` works on one text at a time; for the
short records desens sees, the per-call cost (explanations, flag checks,
result objects for every text) is larger than the regex work. A
:class:`BatchPatternRecognizer` joins the batch with line breaks, runs each
pattern once over the joined text and maps the matches back to their texts.
The results are the same as calling ``analyze`` on each text (a test checks
it): same spans, same scores after ``validate_result`` / ``invalidate_result``,
duplicates removed as presidio does. Matches that would cross from one text
into the next are dropped; no desens pattern matches a line break.

A recognizer that declares :attr:`BatchPatternRecognizer.SCAN_ALPHABET` runs
its patterns over an :class:`~recognizers.excerpt.Excerpt` of the joined text
instead: only the pieces that can hold a match (for a resident ID, the runs of
digits, letters and separators with at least 15 digits), with the same
matches. The analyzer builds one :class:`JoinedTexts` per batch and hands it
to every recognizer (:meth:`BatchPatternRecognizer.analyze_joined`), so the
batch is joined, and cut into pieces, once per alphabet.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import regex
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

from recognizers.excerpt import Alphabet, Excerpt, Pieces, alphabet, code_points

__all__ = ["DIGITS", "NUMBER_ALPHABET", "BatchPatternRecognizer", "JoinedTexts"]

SEPARATOR = "\n"
# Flags the stdlib engine shares with ``regex`` (same bits in both modules).
_STDLIB_FLAGS = int(regex.IGNORECASE | regex.MULTILINE | regex.DOTALL)
#: Half- and full-width digits: the :attr:`BatchPatternRecognizer.SCAN_KEYS` of numbers.
DIGITS = "0123456789０１２３４５６７８９"
#: Every character the number recognizers (resident ID, bank card, USCC,
#: passport, phone) match or test: digits, letters, the separators and
#: brackets written inside numbers, and 转 (extension). One shared alphabet
#: means a batch is cut into pieces once for all of them.
NUMBER_ALPHABET = r"0-9０-９A-Za-zＡ-Ｚａ-ｚ_ ()（）+＋\-－.．@＠转"


class JoinedTexts:
    """Texts joined by :data:`SEPARATOR`, with a map from offsets back to texts."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.joined = SEPARATOR.join(texts)
        self.starts: list[int] = []
        pos = 0
        for text in texts:
            self.starts.append(pos)
            pos += len(text) + len(SEPARATOR)
        self._code_points: npt.NDArray[np.uint32] | None = None
        self._pieces: dict[int, Pieces] = {}
        self._excerpts: dict[tuple[int, int], Excerpt] = {}

    def excerpt(self, abc: Alphabet, min_keys: int) -> Excerpt:
        """The pieces of the joined text with ``min_keys`` keys; cut once per alphabet."""
        key = (id(abc), min_keys)
        if key not in self._excerpts:
            if id(abc) not in self._pieces:
                if self._code_points is None:
                    self._code_points = code_points(self.joined)
                self._pieces[id(abc)] = Pieces(self.joined, self._code_points, abc)
            self._excerpts[key] = self._pieces[id(abc)].excerpt(min_keys)
        return self._excerpts[key]

    def locate(self, start: int, end: int) -> tuple[int, int, int] | None:
        """(text index, local start, local end), or None if the span crosses texts."""
        i = bisect_right(self.starts, start) - 1
        base = self.starts[i]
        if end - base > len(self.texts[i]):
            return None
        return i, start - base, end - base


@cache
def _char_class(chars: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape(chars) + "]")


class BatchPatternRecognizer(PatternRecognizer):
    """A presidio ``PatternRecognizer`` for Chinese with a batched ``analyze_batch``.

    Subclasses declare ``ENTITY``, ``PATTERNS`` and ``CONTEXT`` on the class;
    patterns are case-sensitive unless a subclass passes other flags (presidio
    matches case-insensitively by default, which would let ``e12345678`` pass
    for a passport).
    """

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[Pattern]]
    CONTEXT: ClassVar[list[str]] = []
    #: Characters of which every match contains at least one (``@`` for an
    #: e-mail address). The batch path skips texts that have none of them
    #: without running the patterns. Empty: no such shortcut.
    REQUIRED_CHARS: ClassVar[str] = ""
    #: A character class body holding every character the patterns match or
    #: test (checked). When set, the patterns run over an
    #: :class:`~recognizers.excerpt.Excerpt` of the batch: the runs of these
    #: characters with at least ``SCAN_MIN_KEYS`` of the ``SCAN_KEYS``
    #: characters, which every match must hold. Empty: over the whole batch.
    SCAN_ALPHABET: ClassVar[str] = ""
    SCAN_KEYS: ClassVar[str] = DIGITS
    SCAN_MIN_KEYS: ClassVar[int] = 1
    #: The ``PATTERNS`` with a plain left boundary instead of one that also
    #: allows a label (:func:`recognizers.labels.left_edge`), in the same
    #: order, names and scores. The batch path uses them for a batch in which
    #: ``LABEL_TRIGGER`` finds no label glued to a number: there they find
    #: the same, faster (the phone patterns ran 1.8 times slower with label
    #: edges). Empty: always ``PATTERNS``.
    UNLABELLED_PATTERNS: ClassVar[list[Pattern]] = []
    LABEL_TRIGGER: ClassVar[re.Pattern[str] | None] = None
    #: Run the batch path's patterns with the stdlib ``re`` engine (same
    #: matches for patterns both engines read alike; a test compares the batch
    #: path with presidio's). Several times faster for patterns that open with
    #: a character class, slower for some others, so chosen per recognizer.
    STDLIB_RE: ClassVar[bool] = False

    def __init__(self, supported_language: str = "zh", **kw: Any) -> None:
        kw.setdefault("global_regex_flags", regex.DOTALL | regex.MULTILINE)
        super().__init__(
            supported_entity=self.ENTITY,
            # copies: presidio caches compiled regexes on Pattern objects
            patterns=[Pattern(p.name, p.regex, p.score) for p in self.PATTERNS],
            context=list(self.CONTEXT),
            supported_language=supported_language,
            **kw,
        )

    def _pattern_regex(self, pattern: Pattern, flags: int | None) -> regex.Pattern[str]:
        cache: dict[tuple[str, int], regex.Pattern[str]] = self.__dict__.setdefault(
            "_batch_regexes", {}
        )
        key = (pattern.regex, flags or 0)
        if key not in cache:
            plain = (flags or 0) & ~_STDLIB_FLAGS == 0
            if self.STDLIB_RE and plain:
                cache[key] = re.compile(pattern.regex, flags=flags or 0)
            else:
                cache[key] = regex.compile(pattern.regex, flags=flags or 0)
        return cache[key]

    def analyze_batch(self, texts: Sequence[str]) -> list[list[RecognizerResult]]:
        """Results per text, as ``analyze(text, entities)`` would give them."""
        found = self.analyze_joined(JoinedTexts(texts))
        return [found.get(i, []) for i in range(len(texts))]

    def analyze_joined(self, joined: JoinedTexts) -> dict[int, list[RecognizerResult]]:
        """:meth:`analyze_batch` for texts already joined (shared between recognizers).

        Returns:
            The results of each text that has any, by its index: most texts
            have none, and a batch's worth of empty lists costs more (in
            allocations and garbage collection) than the matches themselves.
        """
        texts = joined.texts
        out: dict[int, list[RecognizerResult]] = {}
        idx: Sequence[int]
        if self.REQUIRED_CHARS:
            needed = _char_class(self.REQUIRED_CHARS).search
            idx = [i for i, t in enumerate(texts) if needed(t)]
            if not idx:
                return out
            if len(idx) < len(texts):
                joined = JoinedTexts([texts[i] for i in idx])
        else:
            idx = range(len(texts))
        for i, result in self._batch_results(joined):
            found = out.get(idx[i])
            if found is None:
                out[idx[i]] = [result]
            else:
                found.append(result)
        for i, found in out.items():
            if len(found) > 1:
                out[i] = EntityRecognizer.remove_duplicates(found)
        return out

    def scan_patterns(self) -> tuple[str, ...]:
        """The patterns in stdlib ``re`` syntax, for :func:`~recognizers.excerpt.member_table`."""
        patterns: list[Pattern] = self.patterns  # type: ignore[has-type]
        return tuple(p.regex for p in [*patterns, *self.UNLABELLED_PATTERNS])

    def _alphabet(self) -> Alphabet | None:
        if not self.SCAN_ALPHABET or (self.global_regex_flags or 0) & regex.IGNORECASE:
            return None
        abc = self.__dict__.get("_scan_alphabet")
        if abc is None:
            abc = alphabet(self.SCAN_ALPHABET, self.SCAN_KEYS)
            for pattern in self.scan_patterns():
                abc.check(pattern)
            self.__dict__["_scan_alphabet"] = abc
        return abc

    def _scan_text(self, joined: JoinedTexts) -> tuple[str, Callable[[int], int] | None]:
        """The text to run the patterns over, and the map of its offsets to ``joined``."""
        abc = self._alphabet()
        if abc is None:
            return joined.joined, None
        excerpt = joined.excerpt(abc, self.SCAN_MIN_KEYS)
        return excerpt.text, excerpt.origin

    def _batch_results(self, joined: JoinedTexts) -> Iterator[tuple[int, RecognizerResult]]:
        flags = self.global_regex_flags
        entity = self.supported_entities[0]
        # presidio assigns name and patterns in branches mypy cannot type.
        name: str = self.name  # type: ignore[has-type]
        patterns: list[Pattern] = self.patterns  # type: ignore[has-type]
        metadata = {
            RecognizerResult.RECOGNIZER_NAME_KEY: name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        text, origin = self._scan_text(joined)
        trigger = self.LABEL_TRIGGER
        if self.UNLABELLED_PATTERNS and trigger is not None and not trigger.search(text):
            patterns = self.UNLABELLED_PATTERNS
        validate = self.validate_result
        # presidio's own invalidate_result never invalidates: skip the call.
        invalidate = (
            None
            if type(self).invalidate_result is PatternRecognizer.invalidate_result
            else self.invalidate_result
        )
        locate = joined.locate
        for pattern in patterns:
            compiled = self._pattern_regex(pattern, flags)
            for match in compiled.finditer(text):
                start, end = match.span()
                if start == end:
                    continue
                matched = match.group()
                score = pattern.score
                valid = validate(matched)
                if valid is not None:
                    score = EntityRecognizer.MAX_SCORE if valid else EntityRecognizer.MIN_SCORE
                if invalidate is not None and invalidate(matched):
                    score = EntityRecognizer.MIN_SCORE
                if score <= EntityRecognizer.MIN_SCORE:
                    continue
                if origin is not None:
                    moved = origin(start)
                    start, end = moved, moved + end - start
                located = locate(start, end)
                if located is None:
                    continue
                i, local_start, local_end = located
                explanation = AnalysisExplanation(
                    recognizer=name,
                    original_score=pattern.score,
                    pattern_name=pattern.name,
                    pattern=pattern.regex,
                    validation_result=valid,  # type: ignore[arg-type]  # None: not validated
                )
                explanation.score = score
                yield (
                    i,
                    RecognizerResult(
                        entity_type=entity,
                        start=local_start,
                        end=local_end,
                        score=score,
                        analysis_explanation=explanation,
                        recognition_metadata=dict(metadata),
                    ),
                )
