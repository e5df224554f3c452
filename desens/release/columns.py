"""Apply one column's operator to a chunk of its values, column at a time.

A release spends most of its time applying a few operators to millions of
values, so each declared column gets an :class:`OperatorColumn`: the operator
bound once to its context (:meth:`~desens.operators.BoundOperator.bind`) and
applied in one loop over the chunk's values, through a cache of results for
columns where that pays: a lookup in a large dict costs a few hundred
nanoseconds (memory latency), as much as the short cuts of some operators.
So it is measured, not assumed: over the first values of a column, the
time spent on cache lookups and on computing the misses is compared with
what computing every value would have cost, and the cache stays only if it
was cheaper (addresses: yes; IDs, phones: no). Results are the same either
way: operators are deterministic, and the one that numbers its values in
the order it meets them (``replace`` with numbered tags) never uses the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from time import perf_counter
from typing import Any

from desens.errors import BadRecordError, InputError
from desens.operators import OperatorContext

__all__ = ["CACHE_LIMIT", "CacheCost", "OperatorColumn"]

#: Entries a per-column cache holds before it is cleared.
CACHE_LIMIT = 200_000


class CacheCost:
    """Decide whether a column's result cache is cheaper than computing every value.

    The decision is taken once :attr:`WINDOW` values have been seen, and is
    final. With ``early`` it is taken sooner, against the cache, when the
    first :attr:`EARLY` values or more were all different (ID numbers, phone
    numbers): ``n`` values drawn from a column of ``N`` distinct values are
    all different with a probability of about ``exp(-n**2 / 2N)``, so such a
    column has millions of distinct values, more than the cache holds
    (:data:`CACHE_LIMIT`), and few of its values would ever be found in it.
    Every process of a run decides for itself, so the sooner, the less each
    spends on a cache that will go. (A table sorted so that its first
    thousands of rows are all different and later ones repeat them defeats
    this; it then runs without the cache, with the same results.)

    Args:
        early: the counts are of values as they come, repeats included. A
            caller that counts distinct values (in its first chunk, every
            one is a miss) must pass False.
    """

    WINDOW = 20_000
    EARLY = 2_000

    __slots__ = ("compute", "decided", "early", "lookup", "misses", "on", "seen")

    def __init__(self, early: bool = True) -> None:
        self.on = True
        self.decided = False
        self.early = early
        self.seen = self.misses = 0
        self.lookup = self.compute = 0.0

    def count(self, seen: int, misses: int, lookup: float, compute: float) -> None:
        """Record a chunk: values, misses, seconds spent on lookups and on misses."""
        if self.decided:
            return
        self.seen += seen
        self.misses += misses
        self.lookup += lookup
        self.compute += compute
        if self._all_different():
            return
        if self.seen >= self.WINDOW:
            self.decided = True
            every = self.compute / self.misses * self.seen if self.misses else float("inf")
            self.on = self.lookup + self.compute < every

    def count_misses(self, seen: int, misses: int) -> None:
        """Record a chunk without timings: the cache stays while one in ten values hits."""
        if self.decided:
            return
        self.seen += seen
        self.misses += misses
        if self._all_different():
            return
        if self.seen >= self.WINDOW:
            self.decided = True
            self.on = self.misses <= 0.9 * self.seen

    def _all_different(self) -> bool:
        """Decide against the cache if the first values were all different (see above)."""
        if self.early and self.misses == self.seen >= self.EARLY:
            self.turn_off()
        return self.decided

    def turn_off(self) -> None:
        """Decide against the cache now, for good."""
        self.decided, self.on = True, False


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
        self.rate = CacheCost()
        if plan.operator.numbers_values:
            # Numbered in input order; the cache would number the new values
            # of a chunk in the order of a set, which changes from run to run.
            self.rate.turn_off()

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
        t0 = perf_counter()
        new = list(set(values).difference(cache))
        t1 = perf_counter()
        computed = fn(new)
        t2 = perf_counter()
        cache.update(zip(new, computed, strict=True))
        out = list(map(cache.__getitem__, values))
        t3 = perf_counter()
        self.rate.count(len(values), len(new), (t1 - t0) + (t3 - t2), t2 - t1)
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
        # Not timed (values one by one): keep the cache unless it is rarely hit.
        self.rate.count_misses(len(values), misses)
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
