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
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, ClassVar

import regex
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

__all__ = ["BatchPatternRecognizer", "JoinedTexts"]

SEPARATOR = "\n"


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
            cache[key] = regex.compile(pattern.regex, flags=flags or 0)
        return cache[key]

    def analyze_batch(self, texts: Sequence[str]) -> list[list[RecognizerResult]]:
        """Results per text, as ``analyze(text, entities)`` would give them."""
        out: list[list[RecognizerResult]] = [[] for _ in texts]
        if self.REQUIRED_CHARS:
            needed = _char_class(self.REQUIRED_CHARS).search
            idx = [i for i, t in enumerate(texts) if needed(t)]
        else:
            idx = list(range(len(texts)))
        if not idx:
            return out
        joined = JoinedTexts([texts[i] for i in idx])
        for i, result in self._batch_results(joined):
            out[idx[i]].append(result)
        return [EntityRecognizer.remove_duplicates(r) if len(r) > 1 else r for r in out]

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
        for pattern in patterns:
            compiled = self._pattern_regex(pattern, flags)
            for match in compiled.finditer(joined.joined):
                start, end = match.span()
                if start == end:
                    continue
                located = joined.locate(start, end)
                if located is None:
                    continue
                i, local_start, local_end = located
                matched = match.group()
                score = pattern.score
                valid = self.validate_result(matched)
                if valid is not None:
                    score = EntityRecognizer.MAX_SCORE if valid else EntityRecognizer.MIN_SCORE
                if self.invalidate_result(matched):
                    score = EntityRecognizer.MIN_SCORE
                if score <= EntityRecognizer.MIN_SCORE:
                    continue
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
