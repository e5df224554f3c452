"""The residual scan: what the output of a chunk still holds, per column.

Every output column is scanned except ``fpe`` columns (their pseudonyms look
like the real thing by design; the report lists them as not scanned) and
columns that are safe by construction (:func:`safe_by_construction`: keyed
hashes, which hold nothing of the input; the report lists them too). A value
can hold a residual entity (:data:`RESIDUAL_ENTITIES`) only if it has seven
digits in a row, allowing the separators phones and cards are written with:
IDs, cards, phones, the USCC's division code and a passport's digits all do.
Values without such a run are clean by construction and never reach the
analyzer; masked phones (``138****5678``), generalized dates and addresses,
names and most pseudonyms are. Numbers and other scalars (JSONL, Parquet)
are scanned as the text they are written as. The check runs over a whole column at once
(:func:`candidates`), and values found clean are remembered per column where
they repeat.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import islice
from typing import Any

from desens.analyzer import DesensAnalyzer
from desens.records import cell_text
from desens.release.columns import CACHE_LIMIT, CacheCost
from desens.release.plan import ColumnPlan

__all__ = [
    "RESIDUAL_ENTITIES",
    "RESIDUAL_THRESHOLD",
    "WHERE_LIMIT",
    "ResidualScanner",
    "candidates",
    "safe_by_construction",
]

#: What must not survive a release, whatever the policy.
RESIDUAL_ENTITIES = ("CN_RESIDENT_ID", "PHONE_NUMBER", "CN_BANK_CARD", "CN_USCC", "CN_PASSPORT")
#: Lower than the default threshold: a bare passport number (0.4) counts.
RESIDUAL_THRESHOLD = 0.4
#: Rows a finding is located by, at most (in the report: the first ones).
WHERE_LIMIT = 10
#: Seven digits in a row, with at most one separator between two of them.
_CANDIDATE = re.compile(r"[0-9０-９](?:[ \-－()（）]?[0-9０-９]){6}")
# For the column-wide pre-check on UTF-8 bytes: ASCII digits and the ASCII
# separators of _CANDIDATE all become "0", so every ASCII match of _CANDIDATE
# becomes seven "0"s in a row (a superset: the separators may be doubled).
_ZEROS = bytes.maketrans(b"0123456789 -()", b"0" * 14)
_RUN = b"0" * 7
# Full-width digits and separators start with these bytes in UTF-8.
_FULLWIDTH = b"\xef\xbc"


def _as_text(column: Sequence[Any]) -> list[str | None]:
    """A column's cells as the text they are scanned as (:func:`desens.records.cell_text`)."""
    return [v if isinstance(v, str) else cell_text(v) for v in column]


def safe_by_construction(plan: ColumnPlan) -> bool:
    """True when the column's output cannot hold personal data from the input.

    That is a ``hash`` column: each value becomes the policy's prefix and
    hex digits of an HMAC under a secret key, which hold no character of the
    value (hex digits can form digit runs that look like a number by chance,
    but those are not anybody's). The prefix is policy text; it must not
    itself look like a number (see :func:`candidates`).
    """
    op = plan.operator
    if plan.action != "operator" or op is None or op.name != "hash":
        return False
    return not candidates([str(getattr(op.params, "prefix", ""))])


def candidates(values: Sequence[str]) -> list[str]:
    """The values that match the seven-digit rule; the others are clean.

    Exactly ``[v for v in values if _CANDIDATE.search(v)]``, but the common
    case, a column of which no value comes close, costs one pass over the
    column's UTF-8 bytes in C.
    """
    if not values:
        return []
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:  # a value holds a line break
        return [v for v in values if _CANDIDATE.search(v)]
    data = joined.encode("utf-8", "surrogatepass")
    if _FULLWIDTH in data:
        return [v for v in values if _CANDIDATE.search(v)]
    zeros = data.translate(_ZEROS)
    if _RUN not in zeros:
        return []
    return [
        v
        for v, z in zip(values, zeros.split(b"\n"), strict=True)
        if _RUN in z and _CANDIDATE.search(v)
    ]


class ResidualScanner:
    """Scan the output columns of chunks with the residual analyzer.

    Args:
        analyzer: the residual analyzer (:data:`RESIDUAL_ENTITIES`).
        names: the output columns' names.
        skipped: per output column, whether it is not scanned (``fpe``).
        scanned: per output column, whether it is a free-text column (where
            format-preserving pseudonyms are excused, see ``is_fpe_output``).
        is_fpe_output: tells whether a text was produced by ``fpe`` in the
            current chunk.
    """

    def __init__(
        self,
        analyzer: DesensAnalyzer,
        names: Sequence[str],
        skipped: Sequence[bool],
        scanned: Sequence[bool],
        is_fpe_output: Callable[[str], bool],
    ) -> None:
        self.analyzer = analyzer
        self.names = list(names)
        self.skipped = list(skipped)
        self.scanned = list(scanned)
        self.is_fpe_output = is_fpe_output
        self._clean: list[set[Any]] = [set() for _ in self.names]
        # Counts of distinct values per chunk: no early decision (see CacheCost).
        self._rate = [CacheCost(early=False) for _ in self.names]

    def scan(
        self,
        columns: Sequence[Sequence[Any]],
        all_str: bool = False,
        where: dict[tuple[str, str], list[int]] | None = None,
    ) -> Counter[tuple[str, str]]:
        """Findings in one chunk's output columns: (column, entity) -> cells.

        A finding counts once per cell that holds it; each distinct value of
        a column is looked at once per chunk. ``all_str``: every value is a
        ``str`` (text input), which saves a pass. ``where`` gets, per finding,
        the positions in the chunk of its first :data:`WHERE_LIMIT` rows.
        """
        if not all_str:  # numbers are scanned as the text they are written as
            columns = [
                c if skip else _as_text(c) for c, skip in zip(columns, self.skipped, strict=True)
            ]
        found_in: list[tuple[int, str]] = []
        for i, values in enumerate(columns):
            if self.skipped[i]:
                continue
            found_in.extend((i, v) for v in self._suspects(i, values, all_str))
        findings: Counter[tuple[str, str]] = Counter()
        if not found_in:
            return findings
        # One text per chunk, a value a line: the recognizers never match across
        # a line break, and one long text is far cheaper than many short ones.
        starts: list[int] = []
        pos = 0
        for _, value in found_in:
            starts.append(pos)
            pos += len(value) + 1
        joined = "\n".join(v for _, v in found_in)
        (results,) = self.analyzer.analyze_batch([joined])
        dirty: dict[int, set[str]] = {}
        counts: dict[int, Counter[Any]] = {}
        holding: dict[tuple[int, str], set[str]] = {}  # (column, entity) -> values
        for r in results:
            column, value = found_in[bisect_right(starts, r.start) - 1]
            if self.scanned[column] and self.is_fpe_output(joined[r.start : r.end]):
                continue  # a format-preserving pseudonym looks like the real thing
            dirty.setdefault(column, set()).add(value)
            held = holding.setdefault((column, r.entity_type), set())
            if value in held:
                continue  # another finding of this entity in the same cells
            held.add(value)
            if column not in counts:
                counts[column] = Counter(columns[column])
            findings[(self.names[column], r.entity_type)] += counts[column][value]
        if where is not None:
            for (column, entity), held in holding.items():
                rows = (i for i, v in enumerate(columns[column]) if v in held)
                where[(self.names[column], entity)] = list(islice(rows, WHERE_LIMIT))
        for column, value in found_in:
            if self._rate[column].on and value not in dirty.get(column, ()):
                self._clean[column].add(value)
        return findings

    def _suspects(self, i: int, column: Sequence[Any], all_str: bool) -> list[str]:
        """The distinct values of a column that the analyzer must look at.

        In order of first appearance, so that a chunk is always scanned alike.
        """
        clean, rate = self._clean[i], self._rate[i]
        if all_str and not rate.on:  # values rarely repeat: check them all, then dedupe
            return list(dict.fromkeys(candidates(column)))
        distinct: Any = dict.fromkeys(column)
        if rate.on:
            if len(clean) > CACHE_LIMIT:
                clean.clear()
            new = [v for v in distinct if v not in clean]
            rate.count_misses(len(distinct), len(new))
            if not rate.on:
                clean.clear()
            distinct = new
        texts = [v for v in distinct if isinstance(v, str) and v]
        suspects = candidates(texts)
        if rate.on:
            known = set(suspects)
            clean.update(v for v in texts if v not in known)
        return suspects
