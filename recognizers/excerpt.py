r"""Cut a joined batch down to the pieces where a pattern can match.

Most of a batch cannot hold, say, a resident ID: Han text, punctuation, dates
and amounts make up most of it. A recognizer declares an *alphabet*, every
character its patterns can match or test in a look-around, and *keys*, the
characters of which each match holds at least a minimum number (15 digits for
a resident ID). :class:`Pieces` cuts the batch into maximal runs of alphabet
characters, once per alphabet; an :class:`Excerpt` keeps the pieces with
enough keys, joined by a line break, and maps offsets back to the batch.

Running a pattern over the excerpt gives exactly the matches it gives over the
batch. A match lies inside one piece (it consists of alphabet characters, and
the cut points and the line break are not in the alphabet), and a look-around
at the edge of a piece sees a character outside the alphabet, or the start or
end of the string, in both texts; a pattern tests only alphabet characters, so
it cannot tell them apart. :func:`pattern_chars` checks that a pattern keeps
to its alphabet; patterns with anchors, ``.``, negated classes or categories
such as ``\d`` never do.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from functools import cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import numpy as np
import numpy.typing as npt

__all__ = [
    "SEPARATOR",
    "Alphabet",
    "Excerpt",
    "Pieces",
    "alphabet",
    "code_points",
    "pattern_chars",
]

SEPARATOR = "\n"
_CODE_POINTS = 0x110000


def code_points(text: str) -> npt.NDArray[np.uint32]:
    """The code points of ``text``, one per string index (a lone surrogate too)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


_MEMBER, _KEY = 1, 2


class _Unbounded(Exception):
    """The pattern can match or test characters outside any finite set."""


def pattern_chars(pattern: str) -> set[int] | None:
    r"""The code points a (stdlib-syntax) pattern can match or test in a look-around.

    Returns None if there is no such finite set: the pattern uses ``.``, a
    negated class, a category (``\d``, ``\w``), an anchor or a conditional.
    The pattern is taken to be compiled without IGNORECASE; an inline
    ``(?i)`` gives None, since it also matches characters outside the set.

    Example:
        >>> sorted(map(chr, pattern_chars(r"(?<![a-c])[0-2]+")))
        ['0', '1', '2', 'a', 'b', 'c']
    """
    chars: set[int] = set()
    # Ranges are collected first: a pattern repeats the same large ranges
    # (all of Han, many times over), and expanding each once is much faster.
    spans: set[tuple[int, int]] = set()

    def walk(items: Iterable[tuple[object, object]]) -> None:
        for op, av in items:
            if op is sre.LITERAL:
                chars.add(av)  # type: ignore[arg-type]
            elif op is sre.IN:
                for op2, av2 in av:  # type: ignore[attr-defined]
                    if op2 is sre.LITERAL:
                        chars.add(av2)
                    elif op2 is sre.RANGE:
                        spans.add((av2[0], av2[1]))
                    else:
                        raise _Unbounded
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
                walk(av[2])  # type: ignore[index]
            elif op is sre.SUBPATTERN:
                if av[1] & sre.SRE_FLAG_IGNORECASE:  # type: ignore[index]
                    raise _Unbounded  # (?i:...) also matches case variants
                walk(av[3])  # type: ignore[index]
            elif op is sre.BRANCH:
                for branch in av[1]:  # type: ignore[index]
                    walk(branch)
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                walk(av[1])  # type: ignore[index]
            elif op is sre.ATOMIC_GROUP:
                walk(av)  # type: ignore[arg-type]
            elif op is sre.GROUPREF:
                continue  # repeats what a group matched: its characters are in
            else:
                raise _Unbounded

    try:
        parsed = sre_parse.parse(pattern)
        if parsed.state.flags & sre.SRE_FLAG_IGNORECASE:
            raise _Unbounded  # (?i) also matches case variants (K matches U+212A)
        walk(parsed)
    except _Unbounded:
        return None
    for lo, hi in spans:
        chars.update(range(lo, hi + 1))
    return chars


class Alphabet:
    """A set of characters to cut texts by, and the key characters among them.

    Build it with :func:`alphabet` (cached, so recognizers that name the same
    alphabet share one, and a batch is cut once for all of them).
    """

    def __init__(self, members: str, keys: str) -> None:
        chars = pattern_chars(f"[{members}]")
        if chars is None or ord(SEPARATOR) in chars:
            raise ValueError(f"not a finite character class without line breaks: [{members}]")
        self.members = frozenset(chars)
        self.keys = keys
        self.table = np.zeros(_CODE_POINTS, dtype=np.uint8)
        self.table[np.fromiter(chars, dtype=np.int64, count=len(chars))] = _MEMBER
        key_points = [ord(k) for k in keys]
        if not set(key_points) <= self.members:
            raise ValueError("every key character must be in the alphabet")
        self.table[key_points] |= _KEY

    def check(self, pattern: str) -> None:
        """Raise ValueError unless ``pattern`` matches and tests only members."""
        chars = pattern_chars(pattern)
        if chars is None or not chars <= self.members:
            extra = "" if chars is None else "".join(sorted(map(chr, chars - self.members)))
            raise ValueError(f"pattern {pattern!r} is not confined to its alphabet {extra!r}")


@cache
def alphabet(members: str, keys: str) -> Alphabet:
    """The (shared) :class:`Alphabet` of a character class body and key characters."""
    return Alphabet(members, keys)


class Pieces:
    """The maximal runs of alphabet characters in ``source``, with their key counts."""

    def __init__(self, source: str, code_points: npt.NDArray[np.uint32], abc: Alphabet) -> None:
        flags = abc.table[code_points]
        member = np.zeros(flags.size + 2, dtype=np.int8)
        member[1:-1] = flags & _MEMBER
        edges = np.diff(member)
        self.source = source
        self.starts = np.flatnonzero(edges == 1)
        self.ends = np.flatnonzero(edges == -1)
        counts = np.zeros(flags.size + 1, dtype=np.int64)
        np.cumsum(flags >> 1, out=counts[1:])
        self.keys = counts[self.ends] - counts[self.starts]

    def excerpt(self, min_keys: int) -> Excerpt:
        """The pieces with at least ``min_keys`` key characters."""
        keep = self.keys >= min_keys
        return Excerpt(self.source, self.starts[keep], self.ends[keep])


class Excerpt:
    """Pieces of ``source`` joined by :data:`SEPARATOR`, with a map back to ``source``."""

    def __init__(
        self, source: str, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
    ) -> None:
        offsets = np.zeros(starts.size, dtype=np.int64)
        np.cumsum(ends[:-1] - starts[:-1] + len(SEPARATOR), out=offsets[1:])
        #: Where each piece begins in :attr:`text` and in ``source``.
        self.offsets: list[int] = offsets.tolist()
        self.origins: list[int] = starts.tolist()
        pieces = zip(self.origins, ends.tolist(), strict=True)
        self.text = SEPARATOR.join([source[s:e] for s, e in pieces])

    def origin(self, pos: int) -> int:
        """The offset in ``source`` of offset ``pos`` of :attr:`text` (not a separator)."""
        i = bisect_right(self.offsets, pos) - 1
        return self.origins[i] + pos - self.offsets[i]
