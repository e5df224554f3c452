"""Transform rows of a table as planned; one chunk of rows at a time.

A :class:`RowTransformer` lives in one process (the main one, or a worker) and
turns a chunk of input rows into output rows plus counts for the report:
records suppressed and why, entities transformed, and the residual scan of the
output. It never keeps a value it has seen beyond the chunk, except in the
per-column result caches of deterministic operators (cleared when large).

Suppression reasons: ``withheld`` (the subject objected: ``--withhold``),
``operator`` (a ``suppress`` operator with record scope), ``k-anonymity``
(the record's quasi-identifier class is smaller than k).
"""

from __future__ import annotations

import hmac
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from desens.analyzer import DesensAnalyzer
from desens.anonymizer import TextAnonymizer
from desens.errors import BadRecordError, InputError
from desens.keys import KeyRing
from desens.operators import OperatorContext, RunState, is_suppressed
from desens.policy import Policy
from desens.release.plan import ColumnPlan
from recognizers.checksums import to_halfwidth

__all__ = [
    "RESIDUAL_ENTITIES",
    "RESIDUAL_THRESHOLD",
    "ChunkResult",
    "RowTransformer",
    "subject_digest",
]

#: What must not survive a release, whatever the policy.
RESIDUAL_ENTITIES = ("CN_RESIDENT_ID", "PHONE_NUMBER", "CN_BANK_CARD", "CN_USCC", "CN_PASSPORT")
#: Lower than the default threshold: a bare passport number (0.4) counts.
RESIDUAL_THRESHOLD = 0.4
_CACHE_LIMIT = 200_000
#: A value can hold a residual entity only if it has 7 digits in a row, allowing
#: the separators phones and cards are written with (IDs, cards, phones, the
#: USCC's division code and a passport's digits all do). A fast stdlib check
#: that spares the recognizers most masked and generalized values.
_CANDIDATE = re.compile(r"[0-9０-９](?:[ \-－()（）]?[0-9０-９]){6}")
Row = list[Any]


def subject_digest(run_key: bytes, value: str) -> bytes:
    """Keyed digest of a subject id, normalized (full-width, case, spaces)."""
    normalized = to_halfwidth(value).strip().upper().replace(" ", "")
    return hmac.new(run_key, normalized.encode("utf-8"), sha256).digest()


@dataclass
class ChunkResult:
    """What one chunk produced."""

    rows: list[Row] = field(default_factory=list)
    #: quasi-identifier class of each output row (or, with ``qi_only``, each
    #: row that would be output)
    qi: list[tuple[Any, ...]] = field(default_factory=list)
    rows_in: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    entities: Counter[str] = field(default_factory=Counter)
    residual: Counter[tuple[str, str]] = field(default_factory=Counter)


class RowTransformer:
    """Apply column plans to rows.

    Args:
        plans: one plan per input column.
        policy: the policy (for free-text columns).
        analyzer: finds entities in scanned columns; None if none are scanned.
        residual: the residual-scan analyzer (:data:`RESIDUAL_ENTITIES`).
        keys: the key ring for keyed operators.
        state: the run state (numbered tags).
        withheld: keyed digests of withheld subjects (see :func:`subject_digest`).
        run_key: the key of those digests.
        small_classes: quasi-identifier classes to suppress (k-anonymity).
        source: the input's name, for errors that locate a value.
    """

    def __init__(
        self,
        plans: Sequence[ColumnPlan],
        policy: Policy,
        analyzer: DesensAnalyzer | None,
        residual: DesensAnalyzer | None,
        keys: KeyRing | None,
        state: RunState | None = None,
        withheld: frozenset[bytes] = frozenset(),
        run_key: bytes = b"",
        small_classes: frozenset[tuple[Any, ...]] = frozenset(),
        source: str = "<input>",
    ) -> None:
        self.plans = list(plans)
        self.out_plans = [p for p in self.plans if p.action != "drop"]
        self.keys = keys
        self.state = state or RunState()
        self.withheld = withheld
        self.run_key = run_key
        self.small_classes = small_classes
        self.residual = residual
        self.source = source
        self._subject = next((p.index for p in self.plans if p.subject_key), None)
        self._qi = [i for i, p in enumerate(self.out_plans) if p.quasi_identifier]
        self._text = (
            TextAnonymizer(policy, analyzer, keys, self.state)
            if analyzer is not None and any(p.action == "scan" for p in self.plans)
            else None
        )
        self._cache: dict[int, dict[str, str]] = {p.index: {} for p in self.plans}
        self._clean: list[set[str]] = [set() for _ in self.out_plans]

    @property
    def subject_index(self) -> int | None:
        """Input position of the subject-key column, if the policy names one."""
        return self._subject

    def transform(self, rows: Sequence[tuple[int, Row]], qi_only: bool = False) -> ChunkResult:
        """Transform a chunk of ``(row_number, values)``.

        Args:
            rows: the input rows.
            qi_only: compute only the quasi-identifier classes of the rows that
                survive withholding and record suppression (the first pass of
                k-anonymity); no output rows.
        """
        result = ChunkResult(rows_in=len(rows))
        kept: list[Row] = []
        lines: list[int] = []
        for line, values in rows:
            if self.withheld and self._is_withheld(values):
                result.suppressed["withheld"] += 1
                continue
            kept.append(values)
            lines.append(line)
        if self._text is not None:
            self._text.fpe_outputs.clear()
        if qi_only:
            # The quasi-identifiers, and the columns that can suppress a whole
            # record: a record suppressed in the second pass must not count
            # towards a class in the first, or a class can end up below k.
            needed = [
                i for i, p in enumerate(self.out_plans) if i in self._qi or _suppresses_records(p)
            ]
            plans = [self.out_plans[i] for i in needed]
            qi_positions = [needed.index(i) for i in self._qi]
        else:
            plans, qi_positions = self.out_plans, self._qi
        columns = {p.index: self._column(p, kept, lines, result) for p in plans}
        for n in range(len(kept)):
            out = [columns[p.index][n] for p in plans]
            if any(is_suppressed(v) and v.scope == "record" for v in out):
                result.suppressed["operator"] += 1
                continue
            qi = tuple(out[i] for i in qi_positions)
            if qi in self.small_classes:
                result.suppressed["k-anonymity"] += 1
                continue
            if qi_only or self._qi:
                result.qi.append(qi)
            if not qi_only:
                result.rows.append(out)
        if not qi_only and self.residual is not None:
            self._residual_scan(result)
        return result

    def _is_withheld(self, values: Row) -> bool:
        if self._subject is None:
            return False
        value = values[self._subject]
        return value not in (None, "") and subject_digest(self.run_key, str(value)) in self.withheld

    def _column(
        self, plan: ColumnPlan, rows: list[Row], lines: list[int], result: ChunkResult
    ) -> list[Any]:
        values = [row[plan.index] for row in rows]
        if plan.action == "keep":
            return values
        if plan.action == "scan":
            return self._scan(plan, values, rows, result)
        assert plan.operator is not None
        op = plan.operator
        per_subject = op.name == "date_shift"
        cache = self._cache[plan.index]
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        ctx = OperatorContext(entity_type=plan.entity, keys=self.keys, state=self.state)
        out: list[Any] = []
        done = 0
        for row, value, line in zip(rows, values, lines, strict=True):
            if value is None or value == "":
                out.append(value)
                continue
            text = value if isinstance(value, str) else str(value)
            done += 1
            try:
                if per_subject:
                    out.append(op(text, self._subject_context(plan, row)))
                    continue
                new = cache.get(text)
                if new is None:
                    new = cache[text] = op(text, ctx)
                out.append(new)
            except InputError as exc:  # e.g. fpe on a value with too few digits
                raise BadRecordError(
                    self.source, line, f"column {plan.name!r}: {exc}", column=plan.index + 1
                ) from None
        if plan.entity:
            result.entities[plan.entity] += done
        return out

    def _subject_context(self, plan: ColumnPlan, row: Row) -> OperatorContext:
        subject = row[self._subject] if self._subject is not None else None
        return OperatorContext(
            entity_type=plan.entity,
            keys=self.keys,
            state=self.state,
            subject=None if subject is None else str(subject),
        )

    def _is_fpe_output(self, text: str) -> bool:
        return self._text is not None and text in self._text.fpe_outputs

    def _scan(
        self, plan: ColumnPlan, values: list[Any], rows: list[Row], result: ChunkResult
    ) -> list[Any]:
        assert self._text is not None
        idx = [i for i, v in enumerate(values) if isinstance(v, str) and v]
        subjects = (
            [None if rows[i][self._subject] is None else str(rows[i][self._subject]) for i in idx]
            if self._subject is not None
            else None
        )
        done = self._text.anonymize_batch([values[i] for i in idx], [plan.name], subjects)
        out = list(values)
        for i, item in zip(idx, done, strict=True):
            out[i] = item.text
            result.entities.update(item.entities)
        return out

    def _residual_scan(self, result: ChunkResult) -> None:
        """Count what the residual analyzer still finds in the output, per column.

        Each distinct value of a column is scanned once per chunk, and values
        found clean are remembered (bounded), so generalized and masked
        columns cost little; a finding counts once per cell that holds it.
        """
        assert self.residual is not None
        # One text per chunk, a value a line: the recognizers never match across
        # a line break, and one long text is far cheaper than many short ones.
        starts: list[int] = []
        owners: list[tuple[int, str, int]] = []
        parts: list[str] = []
        pos = 0
        for i, plan in enumerate(self.out_plans):
            if plan.operator is not None and plan.operator.name == "fpe":
                continue
            clean = self._clean[i]
            if len(clean) > _CACHE_LIMIT:
                clean.clear()
            candidate = _CANDIDATE.search
            counts = Counter(
                v
                for row in result.rows
                if isinstance(v := row[i], str) and v and v not in clean and candidate(v)
            )
            for value, count in counts.items():
                starts.append(pos)
                owners.append((i, value, count))
                parts.append(value)
                pos += len(value) + 1
        if not parts:
            return
        joined = "\n".join(parts)
        (found,) = self.residual.analyze_batch([joined])
        dirty: set[int] = set()
        for r in found:
            n = bisect_right(starts, r.start) - 1
            column, _, count = owners[n]
            plan = self.out_plans[column]
            if plan.action == "scan" and self._is_fpe_output(joined[r.start : r.end]):
                continue  # a format-preserving pseudonym looks like the real thing
            dirty.add(n)
            result.residual[(plan.name, r.entity_type)] += count
        for n, (column, value, _) in enumerate(owners):
            if n not in dirty:
                self._clean[column].add(value)


def _suppresses_records(plan: ColumnPlan) -> bool:
    op = plan.operator
    return op is not None and op.name == "suppress" and getattr(op.params, "scope", "") == "record"


def merge(into: ChunkResult, other: ChunkResult) -> None:
    """Add the counts of ``other`` to ``into`` (rows are not merged)."""
    into.rows_in += other.rows_in
    into.suppressed.update(other.suppressed)
    into.entities.update(other.entities)
    into.residual.update(other.residual)


def iter_rows(results: Iterable[ChunkResult]) -> Iterable[Row]:
    """Every output row of the results, in order."""
    for result in results:
        yield from result.rows
