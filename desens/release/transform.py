"""Transform rows of a table as planned; one chunk of rows at a time.

A :class:`RowTransformer` lives in one process (the main one, or a worker) and
turns a chunk of input rows into output rows plus counts for the report:
records suppressed and why, entities transformed in the records released
(not in those suppressed), and the residual scan of the output. It never
keeps a value it has seen beyond the chunk, except in the per-column result
caches of deterministic operators (cleared when large).

Suppression reasons: ``withheld`` (the subject objected: ``--withhold``),
``operator`` (a ``suppress`` operator with record scope), ``k-anonymity``
(the record's quasi-identifier class is smaller than k).
"""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from desens.analyzer import DesensAnalyzer
from desens.anonymizer import TextAnonymizer
from desens.errors import BadRecordError, InputError
from desens.keys import KeyRing
from desens.operators import OperatorContext, RunState, is_suppressed
from desens.policy import Policy
from desens.records import cell_text
from desens.release.columns import OperatorColumn
from desens.release.plan import ColumnPlan
from desens.release.residual import (
    RESIDUAL_ENTITIES,
    RESIDUAL_THRESHOLD,
    WHERE_LIMIT,
    ResidualScanner,
    safe_by_construction,
)
from recognizers.checksums import to_halfwidth

__all__ = [
    "RESIDUAL_ENTITIES",
    "RESIDUAL_THRESHOLD",
    "ChunkResult",
    "RowTransformer",
    "normalize_subject",
    "subject_digest",
]

Row = list[Any]
#: Free-text cells whose spans are remembered, per column.
_FOUND_LIMIT = 50_000


def normalize_subject(value: str) -> str:
    """A subject id as it is compared: half-width, upper-case, without spaces or dashes."""
    return to_halfwidth(value).strip().upper().replace(" ", "").replace("-", "")


def subject_digest(run_key: bytes, value: str) -> bytes:
    """Keyed digest of a subject id, normalized (:func:`normalize_subject`)."""
    return hmac.new(run_key, normalize_subject(value).encode("utf-8"), sha256).digest()


@dataclass
class ChunkResult:
    """What one chunk produced."""

    #: output rows (from :meth:`RowTransformer.transform`)
    rows: list[Row] = field(default_factory=list)
    #: output columns (from :meth:`RowTransformer.transform_columns`)
    columns: list[Sequence[Any]] = field(default_factory=list)
    #: quasi-identifier class of each output row (or, with ``qi_only``, each
    #: row that would be output)
    qi: list[tuple[Any, ...]] = field(default_factory=list)
    rows_in: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    entities: Counter[str] = field(default_factory=Counter)
    residual: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: per residual finding, the input lines of its first rows (WHERE_LIMIT)
    residual_lines: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    #: keyed digests of the withhold list's entries that matched a record
    withheld_matched: set[bytes] = field(default_factory=set)
    #: ``fpe`` outputs in free-text cells: (output row in the chunk, column,
    #: [(start, end, entity), ...]), in row order
    fpe_spans: list[tuple[int, str, list[tuple[int, int, str]]]] = field(default_factory=list)

    @property
    def rows_out(self) -> int:
        """Rows written for this chunk."""
        return self.rows_in - sum(self.suppressed.values())


class RowTransformer:
    """Apply column plans to chunks of rows, a column at a time.

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
        self._operators = {
            p.index: OperatorColumn(p, self._context(p), source)
            for p in self.plans
            if p.operator is not None and p.action == "operator" and p.operator.name != "date_shift"
        }
        self._found: dict[int, dict[str, list[Any]]] = {}
        self._scanner = (
            ResidualScanner(
                residual,
                [p.name for p in self.out_plans],
                [
                    (p.operator is not None and p.operator.name == "fpe") or safe_by_construction(p)
                    for p in self.out_plans
                ],
                [p.action == "scan" for p in self.out_plans],
                self._is_fpe_output,
            )
            if residual is not None
            else None
        )

    @property
    def subject_index(self) -> int | None:
        """Input position of the subject-key column, if the policy names one."""
        return self._subject

    def transform(self, rows: Sequence[tuple[int, Row]], qi_only: bool = False) -> ChunkResult:
        """Transform a chunk of ``(row_number, values)``; the output in ``rows``.

        Args:
            rows: the input rows.
            qi_only: compute only the quasi-identifier classes of the rows that
                survive withholding and record suppression (the first pass of
                k-anonymity); no output rows.
        """
        lines = [line for line, _ in rows]
        columns: list[Sequence[Any]] = (
            list(zip(*(values for _, values in rows), strict=True))
            if rows
            else [() for _ in self.plans]
        )
        result = self.transform_columns(columns, len(rows), lines.__getitem__, qi_only)
        result.rows = (
            [list(row) for row in zip(*result.columns, strict=True)]
            if result.columns
            else [[] for _ in range(0 if qi_only else result.rows_out)]
        )
        result.columns = []
        return result

    def transform_columns(
        self,
        columns: Sequence[Sequence[Any]],
        n: int,
        line_of: Callable[[int], int],
        qi_only: bool = False,
        all_str: bool = False,
    ) -> ChunkResult:
        """Transform a chunk given as columns; the output in ``columns``.

        Args:
            columns: the input columns, one per plan, each ``n`` values long.
            n: the number of rows.
            line_of: the input line of a row, by its position in the chunk.
            qi_only: as in :meth:`transform`.
            all_str: every value is a ``str`` (text input): a faster path.
        """
        result = ChunkResult(rows_in=n)
        if self.withheld and self._subject is not None:
            columns, n, line_of = self._withhold(columns, n, line_of, result)
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
        # What each column counted in result.entities, by row, to take back
        # the counts of records suppressed below.
        tallies: list[Callable[[Sequence[int]], Counter[str]]] = []
        out = [self._column(p, columns, n, line_of, result, all_str, tallies) for p in plans]
        dropped: set[int] = set()
        for p, column in zip(plans, out, strict=True):
            if _suppresses_records(p):
                dropped.update(
                    i for i, v in enumerate(column) if is_suppressed(v) and v.scope == "record"
                )
        classes = (
            list(zip(*(out[i] for i in qi_positions), strict=True)) if qi_positions else [()] * n
        )
        kept: Sequence[int] = range(n)  # output row -> row of the chunk
        if dropped or self.small_classes:
            small = self.small_classes
            kept = [i for i in range(n) if i not in dropped and classes[i] not in small]
            result.suppressed["operator"] += len(dropped)
            result.suppressed["k-anonymity"] += n - len(dropped) - len(kept)
            if len(kept) < n:
                out = [[column[i] for i in kept] for column in out]
                classes = [classes[i] for i in kept]
                removed = sorted(set(range(n)).difference(kept))
                for tally in tallies:
                    result.entities -= tally(removed)
                if result.fpe_spans:
                    position = {row: i for i, row in enumerate(kept)}
                    result.fpe_spans = [
                        (position[row], name, spans)
                        for row, name, spans in result.fpe_spans
                        if row in position
                    ]
        result.fpe_spans.sort(key=_first)  # columns were scanned one after another
        if qi_only or self._qi:
            result.qi = classes
        if not qi_only:
            result.columns = out
            if self._scanner is not None:
                where: dict[tuple[str, str], list[int]] = {}
                result.residual.update(self._scanner.scan(out, all_str, where))
                result.residual_lines = {k: [line_of(kept[i]) for i in v] for k, v in where.items()}
        return result

    def _withhold(
        self,
        columns: Sequence[Sequence[Any]],
        n: int,
        line_of: Callable[[int], int],
        result: ChunkResult,
    ) -> tuple[Sequence[Sequence[Any]], int, Callable[[int], int]]:
        assert self._subject is not None
        key, withheld = self.run_key, self.withheld
        kept = []
        for i, value in enumerate(columns[self._subject]):
            digest = None if value in (None, "") else subject_digest(key, str(value))
            if digest is None or digest not in withheld:
                kept.append(i)
            else:
                result.withheld_matched.add(digest)
        if len(kept) == n:
            return columns, n, line_of
        result.suppressed["withheld"] += n - len(kept)
        picked = [[column[i] for i in kept] for column in columns]
        return picked, len(kept), lambda i: line_of(kept[i])

    def _context(self, plan: ColumnPlan, subject: Any = None) -> OperatorContext:
        return OperatorContext(
            entity_type=plan.entity,
            keys=self.keys,
            state=self.state,
            subject=None if subject is None else str(subject),
        )

    def _column(
        self,
        plan: ColumnPlan,
        columns: Sequence[Sequence[Any]],
        n: int,
        line_of: Callable[[int], int],
        result: ChunkResult,
        all_str: bool,
        tallies: list[Callable[[Sequence[int]], Counter[str]]],
    ) -> Sequence[Any]:
        """One output column; its entity counts go to ``result`` and its tally to ``tallies``."""
        values = columns[plan.index]
        if plan.action == "keep":
            return values
        if plan.action == "scan":
            return self._scan(plan, values, columns, result, tallies)
        operator = self._operators.get(plan.index)
        if operator is not None:
            out, done = operator.apply(values, line_of, all_str)
        else:
            out, done = self._per_subject(plan, values, columns, line_of)
        if plan.entity:
            result.entities[plan.entity] += done
            entity = plan.entity
            tallies.append(
                lambda rows: Counter({entity: sum(values[i] not in (None, "") for i in rows)})
            )
        return out

    def _per_subject(
        self,
        plan: ColumnPlan,
        values: Sequence[Any],
        columns: Sequence[Sequence[Any]],
        line_of: Callable[[int], int],
    ) -> tuple[list[Any], int]:
        """An operator that needs each record's subject (``date_shift``)."""
        assert plan.operator is not None
        op = plan.operator
        subjects = columns[self._subject] if self._subject is not None else [None] * len(values)
        out: list[Any] = []
        done = 0
        for n, (value, subject) in enumerate(zip(values, subjects, strict=True)):
            if value is None or value == "":
                out.append(value)
                continue
            done += 1
            if subject is None or not str(subject).strip():
                where = f"column {plan.name!r}: "
                raise BadRecordError(
                    self.source,
                    line_of(n),
                    f"{where}the record has no subject id (its subject-key column is empty), "
                    f"which {op.name} needs for a per-subject offset; fill it in, or leave "
                    "the record out",
                    column=plan.index + 1,
                )
            try:
                out.append(
                    op(
                        value if isinstance(value, str) else str(value),
                        self._context(plan, subject),
                    )
                )
            except InputError as exc:
                raise BadRecordError(
                    self.source, line_of(n), f"column {plan.name!r}: {exc}", column=plan.index + 1
                ) from None
        return out, done

    def _is_fpe_output(self, text: str) -> bool:
        return self._text is not None and text in self._text.fpe_outputs

    def _scan(
        self,
        plan: ColumnPlan,
        values: Sequence[Any],
        columns: Sequence[Sequence[Any]],
        result: ChunkResult,
        tallies: list[Callable[[Sequence[int]], Counter[str]]],
    ) -> list[Any]:
        """Free text: each distinct text of the chunk is analyzed once."""
        assert self._text is not None
        # Numbers and other scalars are scanned as text too (a phone stored as
        # a JSON number); only cells where something was found change.
        cells = [v if isinstance(v, str) else cell_text(v) for v in values]
        idx = [i for i, text in enumerate(cells) if text]
        texts: list[str] = [cells[i] or "" for i in idx]
        # Spans found in a text depend on the text and the column's name only:
        # each distinct text is analyzed once, and remembered across chunks.
        known = self._found.setdefault(plan.index, {})
        if len(known) > _FOUND_LIMIT:
            known.clear()
        new = [t for t in dict.fromkeys(texts) if t not in known]
        known.update(zip(new, self._text.find(new, [plan.name]), strict=True))
        found = known
        subjects = columns[self._subject] if self._subject is not None else None
        out = list(values)  # cells with nothing found stay as they are, of their type
        apply = self._text.apply
        # The entities found in each row with findings, to take back those of
        # rows suppressed later (other cells, None or JSON lists, found none).
        of_row: dict[int, Counter[str]] = {}
        tallies.append(lambda rows: sum((of_row.get(i, Counter()) for i in rows), Counter()))
        if subjects is None or self._text.subject_free():
            # Equal texts come out equal: transform each distinct one once.
            rows_of: dict[str, list[int]] = {}
            for i, text in zip(idx, texts, strict=True):
                if found[text]:
                    rows_of.setdefault(text, []).append(i)
            for text, rows in rows_of.items():
                item = apply(text, found[text])
                for i in rows:
                    out[i] = item.text
                    of_row[i] = item.entities
                    if item.fpe_spans:
                        result.fpe_spans.append((i, plan.name, item.fpe_spans))
                for entity, count in item.entities.items():
                    result.entities[entity] += count * len(rows)
            return out
        for i, text in zip(idx, texts, strict=True):
            spans = found[text]
            if not spans:
                continue  # nothing found: the text stays as it is
            subject = None if subjects[i] is None else str(subjects[i])
            item = apply(text, spans, subject)
            out[i] = item.text
            of_row[i] = item.entities
            if item.fpe_spans:
                result.fpe_spans.append((i, plan.name, item.fpe_spans))
            result.entities.update(item.entities)
        return out


def _first(item: tuple[int, str, list[tuple[int, int, str]]]) -> int:
    return item[0]


def _suppresses_records(plan: ColumnPlan) -> bool:
    op = plan.operator
    return op is not None and op.name == "suppress" and getattr(op.params, "scope", "") == "record"


def merge(into: ChunkResult, other: ChunkResult) -> None:
    """Add the counts of ``other`` to ``into`` (rows are not merged)."""
    into.rows_in += other.rows_in
    into.suppressed.update(other.suppressed)
    into.entities.update(other.entities)
    into.residual.update(other.residual)
    into.withheld_matched |= other.withheld_matched
    for finding, lines in other.residual_lines.items():  # chunks arrive in order
        first = into.residual_lines.setdefault(finding, [])
        first.extend(lines[: WHERE_LIMIT - len(first)])


def iter_rows(results: Iterable[ChunkResult]) -> Iterable[Row]:
    """Every output row of the results, in order."""
    for result in results:
        yield from result.rows
