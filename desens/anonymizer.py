"""Apply a policy to free text: find the entities, transform only their spans.

:class:`TextAnonymizer` is what ``desens anonymize`` and the free-text columns
of ``desens release`` use. It runs the analyzer in batches at the policy's
threshold, drops results whose text is on the policy's allow list, adds every
occurrence of a deny-list word, and replaces each span (right to left, so
offsets stay valid) with the output of the operator the policy names for its
entity. A ``suppress`` operator removes the span.

Example:
    >>> from desens import build_analyzer
    >>> from desens.policy import read_policy
    >>> anonymizer = TextAnonymizer(read_policy("open"), build_analyzer())  # doctest: +SKIP
    >>> anonymizer.anonymize_batch(["联系电话：13800138000"])[0].text  # doctest: +SKIP
    '联系电话：138****8000'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from presidio_analyzer import RecognizerResult

from desens.analyzer import DesensAnalyzer, resolve_overlaps
from desens.keys import KeyRing
from desens.operators import BoundOperator, OperatorContext, RunState, build_operator
from desens.policy import Policy

__all__ = ["AnonymizedText", "TextAnonymizer"]

DENY_LIST_SCORE = 1.0
_CACHE_LIMIT = 100_000


@dataclass
class AnonymizedText:
    """One anonymized text and what was changed in it (entity counts only).

    ``fpe_spans``: where ``fpe`` outputs stand in ``text`` (start, end,
    entity), for :mod:`desens.release.fpe_spans`.
    """

    text: str
    entities: Counter[str] = field(default_factory=Counter)
    fpe_spans: list[tuple[int, int, str]] = field(default_factory=list)


class TextAnonymizer:
    """Find entities in texts and transform them as a policy says.

    Args:
        policy: the policy (its ``entities``, ``default``, threshold, lists).
        analyzer: the analyzer to find entities with.
        keys: the key ring, for operators that need one.
        state: the run's state (numbered ``replace`` tags); a new one if None.
    """

    def __init__(
        self,
        policy: Policy,
        analyzer: DesensAnalyzer,
        keys: KeyRing | None = None,
        state: RunState | None = None,
    ) -> None:
        self.policy = policy
        self.analyzer = analyzer
        self.keys = keys
        self.state = state or RunState()
        self._operators: dict[str, BoundOperator] = {
            entity: build_operator(spec.operator, spec.params)
            for entity, spec in policy.entities.items()
        }
        self._default = build_operator(policy.default.operator, policy.default.params)
        # Per entity: the operator bound to its context, and its results so far
        # (operators are deterministic; date_shift, which needs the subject, is
        # called per span instead).
        self._bound: dict[str, Callable[[Sequence[str]], list[str]]] = {}
        self._done: dict[str, dict[str, str]] = {}
        self._allow = frozenset(policy.allow_list)
        #: Outputs of ``fpe`` since the caller last cleared it: they look like
        #: real identifiers, and the residual scan must tell them apart.
        self.fpe_outputs: set[str] = set()
        self._deny = {
            entity: re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
            for entity, words in policy.deny_list.items()
            if words
        }

    def operator(self, entity: str) -> BoundOperator:
        """The operator applied to spans of ``entity``."""
        return self._operators.get(entity, self._default)

    def find(
        self, texts: Sequence[str], context: Sequence[str] = ()
    ) -> list[list[RecognizerResult]]:
        """The spans the policy acts on, per text (allow and deny lists applied)."""
        found = self.analyzer.analyze_batch(
            texts, score_threshold=self.policy.threshold, context=context
        )
        if not self._allow and not self._deny:
            return found
        out = []
        for text, results in zip(texts, found, strict=True):
            kept = [r for r in results if text[r.start : r.end] not in self._allow]
            for entity, pattern in self._deny.items():
                kept.extend(
                    RecognizerResult(entity, m.start(), m.end(), DENY_LIST_SCORE)
                    for m in pattern.finditer(text)
                )
            out.append(resolve_overlaps(kept))
        return out

    def anonymize_batch(
        self,
        texts: Sequence[str],
        context: Sequence[str] = (),
        subjects: Sequence[str | None] | None = None,
    ) -> list[AnonymizedText]:
        """Anonymize texts; one result per text, in order.

        Args:
            texts: the texts.
            context: context words for every text (a column header).
            subjects: per text, the record's subject id (for ``date_shift``).
        """
        out = []
        for i, (text, results) in enumerate(zip(texts, self.find(texts, context), strict=True)):
            subject = subjects[i] if subjects is not None else None
            out.append(self.apply(text, results, subject))
        return out

    def apply(
        self, text: str, results: Sequence[RecognizerResult], subject: str | None = None
    ) -> AnonymizedText:
        """Replace the given spans of ``text`` by their operators' output."""
        counts: Counter[str] = Counter()
        pieces: list[str] = []
        fpe: list[tuple[int, int, str]] = []
        pos = written = 0  # in text; in the output
        for result in sorted(results, key=_start):
            entity = result.entity_type
            new = str(self._operate(entity, text[result.start : result.end], subject))
            pieces.append(text[pos : result.start])
            written += result.start - pos
            if new and self.operator(entity).name == "fpe":
                fpe.append((written, written + len(new), entity))
            pieces.append(new)  # a Suppressed marker is "": the span goes
            written += len(new)
            pos = result.end
            counts[entity] += 1
        pieces.append(text[pos:])
        return AnonymizedText("".join(pieces), counts, fpe)

    def subject_free(self) -> bool:
        """True when no operator of the policy depends on the record's subject."""
        return all(op.name != "date_shift" for op in (*self._operators.values(), self._default))

    def _operate(self, entity: str, span: str, subject: str | None) -> str:
        operator = self.operator(entity)
        if operator.name == "date_shift":
            ctx = OperatorContext(
                entity_type=entity, keys=self.keys, state=self.state, subject=subject
            )
            return operator(span, ctx)
        done = self._done.setdefault(entity, {})
        new = done.get(span)
        if new is None:
            bound = self._bound.get(entity)
            if bound is None:
                ctx = OperatorContext(entity_type=entity, keys=self.keys, state=self.state)
                bound = self._bound[entity] = operator.bind(ctx)
            if len(done) > _CACHE_LIMIT:
                done.clear()
            (new,) = bound([span])
            done[span] = new
        if operator.name == "fpe":
            self.fpe_outputs.add(str(new))
        return new


def _start(result: RecognizerResult) -> int:
    return int(result.start)
