"""Apply one column's operator to a chunk of its values, column at a time.

A release spends most of its time applying a few operators to millions of
values, so each declared column gets an :class:`OperatorColumn`: the operator
bound once to its context (:meth:`~desens.operators.BoundOperator.bind`) and
applied in one loop over the chunk's values, through a cache of results for
columns whose values repeat (addresses, dates, sexes). Whether a column's
values repeat is measured, not assumed: a column whose cache is rarely hit
(IDs, phone numbers) stops caching, which saves the memory and the lookups.
Results are the same either way; operators are deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from desens.errors import BadRecordError, InputError
from desens.operators import OperatorContext

__all__ = ["CACHE_LIMIT", "HitRate", "OperatorColumn"]

#: Entries a per-column cache holds before it is cleared.
CACHE_LIMIT = 200_000


class HitRate:
    """Decide whether remembering a column's values pays off.

    Remembering stays on while at least :attr:`MIN_SHARE` of the values
    looked up were already known; the decision is taken once
    :attr:`WINDOW` values have been seen, and is final.
    """

    WINDOW = 20_000
    MIN_SHARE = 0.1

    __slots__ = ("decided", "hits", "on", "seen")

    def __init__(self) -> None:
        self.on = True
        self.decided = False
        self.seen = 0
        self.hits = 0

    def count(self, seen: int, hits: int) -> None:
        """Record a chunk's lookups and hits."""
        if self.decided:
            return
        self.seen += seen
        self.hits += hits
        if self.seen >= self.WINDOW:
            self.decided = True
            self.on = self.hits >= self.MIN_SHARE * self.seen


class OperatorColumn:
    """One declared column with an operator that needs only the value.

    Args:
        plan: the column's plan (``action == "operator"``), typed loosely to
            keep this module free of the plan's imports.
        ctx: the operator's context (entity type, key ring, run state).
        source: the input's name, for errors.
    """

    def __init__(self, plan: Any, ctx: OperatorContext, source: str) -> None:
        self.plan = plan
        self.ctx = ctx
        self.source = source
        self._fn: Callable[[Sequence[str]], list[str]] | None = None
        self._cache: dict[str, str] = {}
        self.rate = HitRate()

    def _bound(self) -> Callable[[Sequence[str]], list[str]]:
        # Bound on first use: a column with no values needs no key.
        if self._fn is None:
            self._fn = self.plan.operator.bind(self.ctx)
        return self._fn

    def apply(
        self, values: Sequence[Any], line_of: Callable[[int], int], all_str: bool = False
    ) -> tuple[list[Any], int]:
        """The operator's output for each value, and how many values it changed.

        Empty values (None, "") pass through; other non-strings are converted
        with ``str`` first.

        Args:
            values: the column's values in the chunk.
            line_of: the input line of a value's position, for errors.
            all_str: every value is known to be a ``str`` (text input).
        """
        done = len(values) - values.count("") - values.count(None)
        if not done:
            return list(values), 0
        fn = self._bound()
        try:
            if self.rate.on:
                out = self._cached(values, fn, all_str)
            elif all_str and done == len(values):
                out = fn(values)
            else:
                out = self._some(values, fn)
        except InputError:
            self._locate(values, fn, line_of)
            raise  # not reached: _locate raises the located error
        return out, done

    @staticmethod
    def _some(values: Sequence[Any], fn: Callable[[Sequence[str]], list[str]]) -> list[Any]:
        """Values some of which are empty (they pass through) or not text."""
        out = list(values)
        todo = [i for i, v in enumerate(values) if v is not None and v != ""]
        done = fn([v if isinstance(v := values[i], str) else str(v) for i in todo])
        for i, new in zip(todo, done, strict=True):
            out[i] = new
        return out

    def _cached(
        self, values: Sequence[Any], fn: Callable[[Sequence[str]], list[str]], all_str: bool
    ) -> list[Any]:
        cache = self._cache
        if len(cache) > CACHE_LIMIT:
            cache.clear()
        if not all_str:
            return self._cached_any(values, fn)
        cache.setdefault("", "")  # empty values pass through
        new = list(set(values).difference(cache))
        cache.update(zip(new, fn(new), strict=True))
        self.rate.count(len(values), len(values) - len(new))
        out = list(map(cache.__getitem__, values))
        if not self.rate.on:
            cache.clear()
        return out

    def _cached_any(
        self, values: Sequence[Any], fn: Callable[[Sequence[str]], list[str]]
    ) -> list[Any]:
        """The cached path for values that need not be text (JSONL, Parquet)."""
        cache = self._cache
        out: list[Any] = []
        misses = 0
        for value in values:
            if value is None or value == "":
                out.append(value)
                continue
            text = value if isinstance(value, str) else str(value)
            new = cache.get(text)
            if new is None:
                new = cache[text] = fn([text])[0]
                misses += 1
            out.append(new)
        self.rate.count(len(values), len(values) - misses)
        if not self.rate.on:
            cache.clear()
        return out

    def _locate(
        self, values: Sequence[Any], fn: Callable[[Sequence[str]], list[str]], line_of: Any
    ) -> None:
        """Re-run value by value to raise the failure with its row and column."""
        for n, value in enumerate(values):
            try:
                _one(fn, value)
            except InputError as exc:  # e.g. fpe on a value with too few digits
                raise BadRecordError(
                    self.source,
                    line_of(n),
                    f"column {self.plan.name!r}: {exc}",
                    column=self.plan.index + 1,
                ) from None


def _one(fn: Callable[[Sequence[str]], list[str]], value: Any) -> Any:
    if value is None or value == "":
        return value
    return fn([value if isinstance(value, str) else str(value)])[0]
