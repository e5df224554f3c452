"""The analyzer: desens's recognizers behind one presidio ``AnalyzerEngine``.

:func:`build_analyzer` is the one factory. What it returns is a real presidio
``AnalyzerEngine`` (so it composes with presidio's own recognizers, anonymizer
and tooling) with two ways in:

``analyze(text)``
    presidio's own pipeline: the text is tokenized by :class:`JiebaNlpEngine`
    and presidio's ``LemmaContextAwareEnhancer`` raises the score of a match
    when a context word (身份证号, 联系电话, 护照 …) is among the five tokens
    before it.

``analyze_batch(texts)``
    the fast path used by the CLI: recognizers that can work on a batch (the
    PERSON model) get the whole batch at once, and context is checked in the
    ``context_window`` characters before each match with one precompiled
    regular expression per recognizer, instead of tokenizing every text with
    jieba (which alone costs about 3 µs a character). Same recognizers, same
    boost (+0.35, at least 0.4), same threshold and overlap rule; the window is
    measured in characters rather than tokens.

Both return results without overlaps (see :func:`resolve_overlaps`): a span
inside a longer one is dropped; otherwise the higher score wins, then the longer
span, then the entity that comes first in :data:`recognizers.ENTITIES` (an
18-digit number valid both as a resident ID and by Luhn is a CN_RESIDENT_ID).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

from desens.errors import ConfigError, UnknownEntityError
from desens.nlp_engine import LANGUAGE, JiebaNlpEngine

__all__ = [
    "DEFAULT_THRESHOLD",
    "DesensAnalyzer",
    "build_analyzer",
    "check_entities",
    "resolve_overlaps",
]

DEFAULT_THRESHOLD = 0.5
CONTEXT_FACTOR = 0.35
MIN_SCORE_WITH_CONTEXT = 0.4
CONTEXT_TOKENS = 5
DEFAULT_CONTEXT_WINDOW = 12


@cache
def _priority() -> dict[str, int]:
    # Imported here, not at module level: recognizers use desens.errors, and
    # desens/__init__ imports this module.
    from recognizers import ENTITIES

    return {entity: i for i, entity in enumerate(ENTITIES)}


def _rank(entity: str) -> int:
    priority = _priority()
    return priority.get(entity, len(priority))


def resolve_overlaps(results: Iterable[RecognizerResult]) -> list[RecognizerResult]:
    """Keep the best of every group of overlapping results, sorted by start.

    A result that lies inside a longer one is dropped (the longer span hides
    both: a name-like word inside an address is part of the address). Of the
    remaining overlaps the best wins: the highest score, then the longest
    span, then the entity listed first in :data:`recognizers.ENTITIES`.
    """
    by_start = sorted(results, key=lambda r: (r.start, -r.end))
    end = -1
    for r in by_start:
        if r.start < end or r.start == r.end:
            break  # an overlap, or an empty span (the sweep decides where it belongs)
        end = r.end
    else:
        return by_start  # no two overlap (the usual case): all kept, in this order
    # Sweep by start (longest first): r lies strictly inside an earlier span
    # exactly when one ended later, or ended with r but started earlier.
    outer: list[RecognizerResult] = []
    best_end, best_start = -1, -1
    for r in by_start:
        if best_end > r.end or (best_end == r.end and best_start < r.start):
            continue
        outer.append(r)
        if r.end > best_end:
            best_end, best_start = r.end, r.start
    ranked = sorted(
        outer,
        key=lambda r: (
            -r.score,
            -(r.end - r.start),
            _rank(r.entity_type),
            r.start,
        ),
    )
    kept: list[RecognizerResult] = []
    for result in ranked:
        for k in kept:
            if result.start < k.end and k.start < result.end:
                break
        else:
            kept.append(result)
    kept.sort(key=lambda r: (r.start, r.end))
    return kept


class DesensAnalyzer(AnalyzerEngine):
    """A presidio ``AnalyzerEngine`` for Chinese with a batched fast path.

    Build it with :func:`build_analyzer`; the constructor is for callers who
    assemble their own recognizers.

    Args:
        recognizers: the recognizers to run.
        threshold: results scoring below this are dropped.
        nlp_engine: a loaded or unloaded :class:`JiebaNlpEngine`.
        context_window: characters before a match searched for context words
            by :meth:`analyze_batch`.
    """

    def __init__(
        self,
        recognizers: Sequence[EntityRecognizer],
        threshold: float = DEFAULT_THRESHOLD,
        nlp_engine: JiebaNlpEngine | None = None,
        context_window: int = DEFAULT_CONTEXT_WINDOW,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"threshold must be between 0 and 1, got {threshold}")
        if context_window < 0:
            raise ConfigError(f"context_window must be >= 0, got {context_window}")
        context_words = sorted({w for r in recognizers for w in r.context})
        engine = nlp_engine or JiebaNlpEngine(extra_words=context_words)
        if isinstance(engine, JiebaNlpEngine):
            engine.add_words(context_words)
        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        for recognizer in recognizers:
            registry.add_recognizer(recognizer)
        super().__init__(
            registry=registry,
            nlp_engine=engine,
            supported_languages=[LANGUAGE],
            default_score_threshold=threshold,
            context_aware_enhancer=LemmaContextAwareEnhancer(
                context_similarity_factor=CONTEXT_FACTOR,
                min_score_with_context_similarity=MIN_SCORE_WITH_CONTEXT,
                context_prefix_count=CONTEXT_TOKENS,
                context_suffix_count=0,
            ),
        )
        self.threshold = threshold
        self.context_window = context_window
        self.recognizers: list[EntityRecognizer] = list(recognizers)
        self._context_res: dict[str, re.Pattern[str] | None] = {
            r.id: _alternation(r.context) for r in self.recognizers
        }

    @property
    def entities(self) -> list[str]:
        """The entities this analyzer can find, in priority order."""
        found = {e for r in self.recognizers for e in r.supported_entities}
        return sorted(found, key=lambda e: (_rank(e), e))

    def analyze(  # type: ignore[override]
        self,
        text: str,
        language: str = LANGUAGE,
        entities: list[str] | None = None,
        score_threshold: float | None = None,
        **kwargs: Any,
    ) -> list[RecognizerResult]:
        """Presidio's pipeline (jieba tokens, lemma context), without overlaps.

        Args:
            text: the text to analyze.
            language: only ``"zh"``.
            entities: entities to look for; all when None.
            score_threshold: overrides the analyzer's threshold.
            **kwargs: passed to presidio's ``AnalyzerEngine.analyze``.
        """
        check_entities(entities, self.entities)
        results = super().analyze(
            text,
            language=language,
            entities=entities,
            score_threshold=self.threshold if score_threshold is None else score_threshold,
            **kwargs,
        )
        return resolve_overlaps(results)

    def analyze_batch(
        self,
        texts: Sequence[str],
        entities: Sequence[str] | None = None,
        score_threshold: float | None = None,
        context: Sequence[str] = (),
    ) -> list[list[RecognizerResult]]:
        """Analyze many texts at once; the fast path.

        Args:
            texts: the texts; one result list is returned per text, in order.
            entities: entities to look for; all when None.
            score_threshold: overrides the analyzer's threshold.
            context: extra context words that apply to every text, such as a
                table's column header (a column named 联系电话 boosts phones).

        Returns:
            For each text, its results sorted by start, without overlaps.
        """
        check_entities(entities, self.entities)
        wanted = set(entities) if entities is not None else None
        threshold = self.threshold if score_threshold is None else score_threshold
        per_text: list[list[RecognizerResult]] = [[] for _ in texts]
        joined = None
        for recognizer in self.recognizers:
            targets = [e for e in recognizer.supported_entities if wanted is None or e in wanted]
            if not targets:
                continue
            shared = getattr(recognizer, "analyze_joined", None)
            batch = getattr(recognizer, "analyze_batch", None)
            found: Iterable[tuple[int, list[RecognizerResult]]]
            if callable(shared):
                # One join (and one excerpt per kind) serves every pattern recognizer.
                joined = joined or _joined_texts(texts)
                found = shared(joined).items()
            elif callable(batch):
                found = enumerate(batch(texts))
            else:
                # Pattern recognizers need no NLP artifacts; presidio types it loosely.
                found = enumerate(recognizer.analyze(text, targets, None) for text in texts)  # type: ignore[arg-type]
            ctx_re = self._context_res[recognizer.id]
            external = ctx_re is not None and any(ctx_re.search(c) for c in context)
            for i, results in found:
                for result in results:
                    if wanted is not None and result.entity_type not in wanted:
                        continue
                    if ctx_re is not None and result.score < 1.0:
                        self._boost(texts[i], result, ctx_re, external)
                    per_text[i].append(result)
        return [resolve_overlaps(r for r in rs if r.score >= threshold) for rs in per_text]

    def _boost(
        self,
        text: str,
        result: RecognizerResult,
        ctx_re: re.Pattern[str],
        external: bool,
    ) -> None:
        metadata = result.recognition_metadata or {}
        if metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
            return
        if external or ctx_re.search(
            text, max(0, result.start - self.context_window), result.start
        ):
            result.score = min(1.0, max(result.score + CONTEXT_FACTOR, MIN_SCORE_WITH_CONTEXT))


def _joined_texts(texts: Sequence[str]) -> Any:
    # Imported here for the same reason as in _priority().
    from recognizers.batch import JoinedTexts

    return JoinedTexts(texts)


def check_entities(requested: Iterable[str] | None, known: Sequence[str]) -> None:
    """Raise :class:`UnknownEntityError` naming every requested entity not in ``known``."""
    unknown = sorted(set(requested or ()) - set(known))
    if unknown:
        raise UnknownEntityError(
            f"unknown entit{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
            f"known: {', '.join(known)}"
        )


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any of the words, longest first."""
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(re.escape(w) for w in ordered), re.IGNORECASE)


def build_analyzer(
    entities: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    extra_recognizers: Sequence[EntityRecognizer] = (),
    context_window: int = DEFAULT_CONTEXT_WINDOW,
) -> DesensAnalyzer:
    """Build an analyzer for Chinese text; the one factory.

    Nothing is downloaded: tokenization uses jieba's bundled dictionary and the
    PERSON model ships inside the package.

    Args:
        entities: the entities to find (see :data:`recognizers.ENTITIES`);
            all of them when None. Only the recognizers needed are loaded.
        threshold: minimum score of a reported result (0-1).
        extra_recognizers: further presidio recognizers (language ``"zh"``),
            for example presidio ``PatternRecognizer``s of your own.
        context_window: see :class:`DesensAnalyzer`.

    Example:
        >>> analyzer = build_analyzer(entities=["PERSON", "CN_RESIDENT_ID"], threshold=0.5)
        >>> [r.entity_type for r in analyzer.analyze("申请人：欧阳明辉")]
        ['PERSON']
    """
    from recognizers import ENTITIES, default_recognizers

    check_entities(entities, ENTITIES)
    recognizers = [*default_recognizers(entities), *extra_recognizers]
    return DesensAnalyzer(recognizers, threshold=threshold, context_window=context_window)
