"""Vectorized, hashed character features for the PERSON tagger.

Every character of a batch gets the same fixed number of features (one per
template), each an integer id in ``[0, 2**bits)`` obtained by hashing the
template number with the template's value. Training (``train.py``) and
inference (``recognizer.py``) share this module, so the ids a model was trained
on are exactly the ids it sees at run time.

The templates are:

* characters at offsets -2..+2 and the character pairs at -2..-1 and +1..+2
  (the pairs that include the current character were dropped: that cost
  ~1.5 points of CLUENER-dev F1, gained ~4.5 on Weibo-dev, and made the
  weight lookups faster, since rare pairs are cache misses);
* the character classes (Han, digit, Latin, name dot, punctuation, space) of
  the 5-character window;
* surname flags (single surname, first/second half of a compound surname) and
  given-name character buckets, alone and combined;
* whether a jieba dictionary word of length 2, 3 or 4 starts at, ends at, or
  passes through the character, with the word's POS tag and frequency bucket;
* whether a context word (申请人, 联系人, 参会人员 … before a name; 先生, 女士,
  同志, 说 … after it) ends just before or starts just after the character.

All work is numpy over one array of code points: the texts of a batch are
joined with :data:`PAD` sentinels so that no window or n-gram crosses from one
text into the next. Membership of 2-4 character words (dictionary words,
context words, compound surnames) is tested with rolling n-gram hashes against
an open-addressing hash table (built by :meth:`Lexicons.build` when the package
is made, see :mod:`recognizers.person.lexicon`); single characters (surnames,
given-name characters) use a per-code-point array. Only the n-grams whose
every character occurs at that place in some word are looked up
(:attr:`Lexicons.gram_chars`): digits, punctuation and most Latin text never
reach the table, whose lookups are cache misses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from recognizers.excerpt import code_points

__all__ = [
    "MAX_GRAM",
    "PAD",
    "REACH",
    "FeatureExtractor",
    "HashTable",
    "Lexicons",
    "encode_batch",
    "gram_hashes",
]


#: Longest n-gram looked up (longer context words are cut to this length).
MAX_GRAM = 4

#: The features of a character depend on the characters at most this far on
#: either side (6 before: a context word ending three characters back; 7
#: after: one starting four ahead). Features computed over a stretch with this
#: margin on both sides are, inside the margins, those of the whole array.
REACH = 8

#: Separator placed between the texts of a batch (and around them): REACH NUL
#: characters, so that no feature of one text sees a neighbouring text, and a
#: text gets the same features in any batch as alone (its ends see NULs).
PAD = "\x00" * REACH

U64 = np.uint64
_GOLD = U64(0x9E3779B97F4A7C15)
_FNV = U64(0x100000001B3)

# Character classes.
C_PAD, C_HAN, C_DIGIT, C_LATIN, C_DOT, C_PUNCT, C_SPACE, C_OTHER = range(8)
_NAME_DOTS = "·•‧・･.．"
_SEPARATORS = "：:，, \t\u3000=（(【[「『“\"'‘"

Int64Array = npt.NDArray[np.int64]
U64Array = npt.NDArray[np.uint64]


def encode_batch(texts: Sequence[str]) -> tuple[npt.NDArray[np.int64], Int64Array]:
    """Join ``texts`` with :data:`PAD` and return code points and text offsets.

    Returns:
        ``(cps, starts)``: the code points of ``PAD + t0 + PAD + t1 + … + PAD``
        as int64, and the index in ``cps`` of each text's first character.
    """
    joined = PAD + PAD.join(texts) + PAD
    cps = code_points(joined).astype(np.int64)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.empty(len(texts), dtype=np.int64)
    if len(texts):
        starts[0] = len(PAD)
        np.cumsum(lengths[:-1] + len(PAD), out=starts[1:])
        starts[1:] += len(PAD)
    return cps, starts


def gram_hashes(cps: npt.NDArray[np.int64], max_n: int = MAX_GRAM) -> list[U64Array]:
    """Hash every n-gram of ``cps`` for n = 1..max_n.

    Returns:
        A list whose entry ``n`` (entry 0 is unused and empty) holds, at index
        ``i``, the hash of ``cps[i:i+n]``; positions where the n-gram would run
        past the end hash the missing characters as 0 (never a real word).
    """
    n_pos = cps.shape[0]
    padded = np.zeros(n_pos + max_n, dtype=U64)
    padded[:n_pos] = cps.astype(U64) + U64(1)
    out: list[U64Array] = [np.zeros(0, dtype=U64)]
    h = np.zeros(n_pos, dtype=U64)
    for k in range(max_n):
        h = (h ^ padded[k : k + n_pos]) * _FNV
        out.append(h.copy())
    return out


def _slot(x: U64Array, bits: int) -> npt.NDArray[np.int64]:
    """Fibonacci hashing: the top ``bits`` bits of ``x * golden ratio``."""
    return ((x * _GOLD) >> U64(64 - bits)).astype(np.int64)


def _template_offset(j: int) -> np.uint64:
    """A large odd constant per template, added to a value before hashing."""
    return U64((((j + 1) * 0xD6E8FEB86659FD93) ^ 0x5851F42D4C957F2D) & 0xFFFFFFFFFFFFFFFF)


def hash_words(words: Iterable[str]) -> tuple[list[str], U64Array]:
    """Hash words with the same function as :func:`gram_hashes`.

    Returns:
        The words kept (length 1..:data:`MAX_GRAM`) and their hashes.
    """
    kept = [w for w in words if 0 < len(w) <= MAX_GRAM]
    hashes = np.zeros(len(kept), dtype=U64)
    for n in range(1, MAX_GRAM + 1):
        idx = [i for i, w in enumerate(kept) if len(w) == n]
        if not idx:
            continue
        mat = code_points("".join(kept[i] for i in idx))
        mat = mat.reshape(len(idx), n).astype(U64) + U64(1)
        h = np.zeros(len(idx), dtype=U64)
        for k in range(n):
            h = (h ^ mat[:, k]) * _FNV
        hashes[idx] = h
    return kept, hashes


@dataclass(frozen=True)
class HashTable:
    """An open-addressing (linear probing) map from uint64 keys to int32 values.

    Built once; looked up for a whole batch at a time. Key 0 marks an empty slot.
    """

    keys: U64Array
    values: npt.NDArray[np.int32]
    max_probe: int

    @property
    def bits(self) -> int:
        """log2 of the number of slots."""
        return int(self.keys.shape[0]).bit_length() - 1

    @classmethod
    def build(cls, keys: U64Array, values: npt.NDArray[np.int32]) -> HashTable:
        """Build a table for distinct nonzero ``keys`` (later duplicates are dropped)."""
        keys, first = np.unique(keys, return_index=True)
        values = values[first]
        keep = keys != 0
        keys, values = keys[keep], values[keep]
        bits = max(4, math.ceil(math.log2(max(1, len(keys)) * 3)))
        size = 1 << bits
        t_keys = np.zeros(size, dtype=U64)
        t_vals = np.full(size, -1, dtype=np.int32)
        slots = _slot(keys, bits)
        pending = np.arange(len(keys))
        probe = 0
        while pending.size:
            s = slots[pending]
            free = t_keys[s] == 0
            cand, s_c = pending[free], s[free]
            s_u, first_i = np.unique(s_c, return_index=True)
            winners = cand[first_i]
            t_keys[s_u] = keys[winners]
            t_vals[s_u] = values[winners]
            done = np.zeros(len(keys), dtype=bool)
            done[winners] = True
            pending = pending[~done[pending]]
            slots[pending] = (slots[pending] + 1) & (size - 1)
            probe += 1
        return cls(t_keys, t_vals, probe)

    def lookup(self, queries: U64Array) -> npt.NDArray[np.int32]:
        """Return the value of each query key, or -1 where it is absent."""
        size = self.keys.shape[0]
        out = np.full(queries.shape[0], -1, dtype=np.int32)
        slots = _slot(queries, self.bits)
        active = np.arange(queries.shape[0])
        q = queries
        for _ in range(self.max_probe + 1):
            if not active.size:
                break
            found = np.take(self.keys, slots)
            hit = found == q
            out[active[hit]] = np.take(self.values, slots[hit])
            cont = ~hit & (found != 0)
            active, slots, q = active[cont], (slots[cont] + 1) & (size - 1), q[cont]
        return out


# Value codes stored in the lexicon table (an int32 per word). Bits 0-2: kinds
# of context word / surname; bits 8+: dictionary info per word length.
_K_PREFIX = 1
_K_SUFFIX = 2
_K_SURNAME1 = 4
_K_SURNAME2 = 8
_DICT_SHIFT = 8
_NAME_CHAR_LIMIT = 0x10000
_CODE_POINTS = 0x110000
# Bit of Lexicons.gram_chars for character k of a word of length n.
_GRAM_BIT = {n: sum(range(2, n)) for n in range(2, MAX_GRAM + 1)}


@dataclass(frozen=True)
class Lexicons:
    """Word lists the features test membership in, compiled into one hash table.

    Attributes:
        table: maps the hash of a word of 2-4 characters to a bit set: context
            prefix, context suffix, compound surname, and (from bit 8) the
            jieba dictionary code ``1 + pos_index * 8 + freq_bucket``.
        char_info: per BMP code point: bits 0-2 the given-name bucket (how
            often the character appears in given names of jieba's ``nr``
            entries, 0-7), bit 3 single surname, bit 4 one-character context
            prefix (致, 给 …), bit 5 one-character context suffix (说, 称 …).
        pos_tags: the POS tags with their own index; any other tag maps to the
            last index.
        gram_chars: per code point, bit ``_GRAM_BIT[n] + k`` is set if the
            character is character ``k`` of some word of length ``n`` in
            ``table``; an n-gram with any other character is not looked up.
    """

    table: HashTable
    pos_tags: tuple[str, ...]
    char_info: npt.NDArray[np.int8]
    gram_chars: npt.NDArray[np.uint16]

    @classmethod
    def build(
        cls,
        dictionary: Iterable[tuple[str, int, str]],
        surnames: Iterable[str],
        compound_surnames: Iterable[str],
        prefixes: Iterable[str],
        suffixes: Iterable[str],
        pos_tags: Sequence[str],
    ) -> Lexicons:
        """Compile the word lists.

        Args:
            dictionary: ``(word, frequency, pos)`` triples, e.g. jieba's dict.txt.
                Only words of 2-4 characters are used.
            surnames: single-character surnames.
            compound_surnames: two-character surnames (欧阳, 司马 …).
            prefixes: context words seen before a name.
            suffixes: context words seen after a name.
            pos_tags: POS tags that get their own feature value.
        """
        codes: dict[str, int] = {}
        pos_index = {p: i for i, p in enumerate(pos_tags)}
        other = len(pos_tags)
        surnames = list(surnames)
        surname_set = set(surnames)
        given = np.zeros(_NAME_CHAR_LIMIT, dtype=np.int64)
        for word, freq, pos in dictionary:
            if 2 <= len(word) <= 4:
                bucket = min(7, int(math.log2(max(1, freq)) // 2))
                codes[word] = (1 + pos_index.get(pos, other) * 8 + bucket) << _DICT_SHIFT
                if pos == "nr" and len(word) <= 3 and word[0] in surname_set:
                    for ch in word[1:]:
                        if ord(ch) < _NAME_CHAR_LIMIT:
                            given[ord(ch)] += 1
        # How often a character appears in the given names of jieba's name
        # entries, in buckets 0 (never) .. 7.
        info = np.minimum(7, np.ceil(np.log2(given + 1) / 1.5)).astype(np.int64)
        # Longer context words are matched by their 4 characters nearest the name.
        for words, kind in (
            ([w[-MAX_GRAM:] for w in prefixes], _K_PREFIX),
            ([w[:MAX_GRAM] for w in suffixes], _K_SUFFIX),
            (list(compound_surnames), _K_SURNAME2),
        ):
            for w in words:
                if len(w) > 1:
                    codes[w] = codes.get(w, 0) | kind
                elif ord(w) < _NAME_CHAR_LIMIT:
                    info[ord(w)] |= {_K_PREFIX: 16, _K_SUFFIX: 32}.get(kind, 0)
        for w in surnames:
            if len(w) == 1 and ord(w) < _NAME_CHAR_LIMIT:
                info[ord(w)] |= 8
        words, hashes = hash_words(codes)
        values = np.fromiter((codes[w] for w in words), dtype=np.int32, count=len(words))
        table = HashTable.build(hashes, values)
        gram_chars = np.zeros(_CODE_POINTS, dtype=np.uint16)
        for n in range(2, MAX_GRAM + 1):
            of_length = "".join(w for w in words if len(w) == n)
            points = code_points(of_length)
            for k in range(n):
                gram_chars[points[k::n]] |= np.uint16(1 << (_GRAM_BIT[n] + k))
        return cls(table, tuple(pos_tags), info.astype(np.int8), gram_chars)

    def lookup_grams(self, cps: npt.NDArray[np.int64], grams: list[U64Array]) -> Int64Array:
        """Table values of the n-grams at every position, ``(MAX_GRAM - 1, n)``; 0 if absent.

        Args:
            cps: the code points.
            grams: their n-gram hashes from :func:`gram_hashes`.
        """
        n_pos = cps.shape[0]
        chars = np.zeros(n_pos + MAX_GRAM, dtype=np.uint16)
        chars[:n_pos] = self.gram_chars[cps]
        found = np.zeros((MAX_GRAM - 1, n_pos), dtype=np.int64)
        where, queries = [], []
        for n in range(2, MAX_GRAM + 1):
            bit = _GRAM_BIT[n]
            ok = (chars[:n_pos] >> bit) & 1
            for k in range(1, n):
                ok &= chars[k : k + n_pos] >> (bit + k)
            at = np.flatnonzero(ok)
            where.append(at)
            queries.append(grams[n][at])
        hits = np.maximum(self.table.lookup(np.concatenate(queries)), 0)
        start = 0
        for row, at in enumerate(where):
            found[row, at] = hits[start : start + at.size]
            start += at.size
        return found


def _shift(a: npt.NDArray[np.int64], k: int, fill: int = 0) -> npt.NDArray[np.int64]:
    """Return ``b`` with ``b[i] = a[i + k]`` (``fill`` outside)."""
    if k == 0:
        return a
    out = np.empty_like(a)
    if k > 0:
        out[:-k] = a[k:]
        out[-k:] = fill
    else:
        out[-k:] = a[:k]
        out[:-k] = fill
    return out


_REACH = 4  # the farthest any feature looks


def _shifts(a: npt.NDArray[np.int64], ks: Iterable[int]) -> dict[int, npt.NDArray[np.int64]]:
    """``{k: _shift(a, k)}`` for several ``|k| <= _REACH``: views of one zero-padded copy."""
    n = a.shape[0]
    ext = np.zeros(n + 2 * _REACH, dtype=a.dtype)
    ext[_REACH : _REACH + n] = a
    return {k: ext[_REACH + k : _REACH + k + n] for k in ks}


def char_classes(cps: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Classify code points (see the ``C_*`` constants)."""
    return _class_table()[cps].astype(np.int64)


# Code point ranges (inclusive) of each class, applied in this order (later
# ranges win): ideographs (CJK and extension A, extensions B-F and
# compatibility supplement), ASCII and full-width digits, Latin letters
# (ASCII, full-width, Latin-1 and Latin Extended-A/B), punctuation (ASCII,
# CJK symbols, full-width forms, general punctuation, box drawing), spaces.
_CLASS_RANGES = (
    (C_HAN, ((0x3400, 0x9FFF), (0x20000, 0x2FA1F))),
    (C_DIGIT, ((0x30, 0x39), (0xFF10, 0xFF19))),
    (C_LATIN, ((0x41, 0x5A), (0x61, 0x7A), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0xC0, 0x24F))),
    (C_PUNCT, ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E), (0x3000, 0x303F))),
    (C_PUNCT, ((0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0x2010, 0x206F), (0xFF3B, 0xFF40))),
    (C_PUNCT, ((0xFF5B, 0xFF65), (0x2500, 0x257F))),
    (C_SPACE, ((0x20, 0x20), (0x09, 0x09), (0x0A, 0x0A), (0x0D, 0x0D), (0x3000, 0x3000))),
)


@cache
def _class_table() -> npt.NDArray[np.uint8]:
    """:func:`char_classes` of every code point, computed once: lookups beat ranges."""
    table = np.full(_CODE_POINTS, C_OTHER, dtype=np.uint8)
    for cls, ranges in _CLASS_RANGES:
        for lo, hi in ranges:
            table[lo : hi + 1] = cls
    table[[ord(c) for c in _NAME_DOTS]] = C_DOT
    table[0] = C_PAD
    return table


@cache
def _separator_table() -> npt.NDArray[np.uint8]:
    """1 per code point of a separator after a context word: lookups beat ``np.isin``."""
    table = np.zeros(_CODE_POINTS, dtype=np.uint8)
    table[[ord(c) for c in _SEPARATORS]] = 1
    return table


class FeatureExtractor:
    """Turns a batch of code points into a ``(n_chars, n_templates)`` id matrix.

    Example:
        >>> fx = FeatureExtractor(lexicons, bits=20)  # doctest: +SKIP
        >>> cps, starts = encode_batch(["联系人：张伟"])  # doctest: +SKIP
        >>> fx.extract(cps).shape  # doctest: +SKIP
        (10, 31)
    """

    def __init__(self, lexicons: Lexicons, bits: int) -> None:
        self.lexicons = lexicons
        self.bits = bits

    def extract(self, cps: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Return the feature ids of ``cps``, shape ``(n_templates, len(cps))``."""
        values = self._values(cps)
        ids = np.empty((len(values), cps.shape[0]), dtype=np.uint64)
        for j, v in enumerate(values):
            self._hash(j, v, ids[j])
        return ids.view(np.int64)

    def feature_rows(self, cps: npt.NDArray[np.int64]) -> Iterator[npt.NDArray[np.int64]]:
        """Yield the rows of :meth:`extract` one at a time, all in one buffer.

        For inference: a consumer that uses each row before asking for the
        next (the CRF sums its weights) keeps the work in cache, where the
        whole matrix is megabytes per batch. The buffer is overwritten by the
        next row.
        """
        row = np.empty(cps.shape[0], dtype=np.uint64)
        for j, v in enumerate(self._values(cps)):
            self._hash(j, v, row)
            yield row.view(np.int64)

    def _hash(self, template: int, values: npt.NDArray[np.int64], out: U64Array) -> None:
        """Write the feature ids of one template's ``values`` to ``out``."""
        np.add(values.view(U64), _template_offset(template), out=out)
        np.multiply(out, _GOLD, out=out)
        np.right_shift(out, U64(64 - self.bits), out=out)

    def _values(self, cps: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
        """The value of every template at every character, before hashing."""
        n = cps.shape[0]
        grams = gram_hashes(cps)
        cls = char_classes(cps)
        c = _shifts(cps, range(-2, 3))
        cl = _shifts(cls, range(-2, 3))

        # code[m][i] describes cps[i:i+m]: single characters from the per-code-point
        # array, 2-4 character words from one hash-table lookup for all lengths.
        limit = np.int64(_NAME_CHAR_LIMIT - 1)
        info = np.take(self.lexicons.char_info, np.minimum(cps, limit)).astype(np.int64)
        info[cps > limit] = 0
        found = self.lexicons.lookup_grams(cps, grams)
        code = {m: found[m - 2] for m in range(2, MAX_GRAM + 1)}
        code[1] = ((info >> 4) & 1) * _K_PREFIX | ((info >> 5) & 1) * _K_SUFFIX
        code[1] |= ((info >> 3) & 1) * _K_SURNAME1

        prefix_end = np.zeros(n, dtype=np.int64)  # a prefix word ends at i
        suffix_start = np.zeros(n, dtype=np.int64)  # a suffix word starts at i
        for m in range(1, MAX_GRAM + 1):
            suffix_start |= (code[m] & _K_SUFFIX) >> 1
            prefix_end |= _shift(code[m] & _K_PREFIX, -(m - 1))
        sep = _separator_table()[cps].astype(np.int64)
        # Prefix bits at t: word ends at t-1; word ends at t-2 and t-1 is a separator;
        # word ends at t-2; word ends at t-3.
        p = _shifts(prefix_end, (-1, -2, -3))
        prefix_bits = p[-1] | ((p[-2] & _shift(sep, -1)) << 1) | (p[-2] << 2) | (p[-3] << 3)
        q = _shifts(suffix_start, (1, 2, 3, 4))
        suffix_bits = q[1] | (q[2] << 1) | (q[3] << 2) | (q[4] << 3)
        sur1 = (code[1] & _K_SURNAME1) >> 2
        sur2 = (code[2] & _K_SURNAME2) >> 3  # compound surname starts at i
        sur_here = sur1 | (sur2 << 1) | (_shift(sur2, -1) << 2)
        sh = _shifts(sur_here, (-2, -1, 0, 1))
        sur_bits = sh[-2] | (sh[-1] << 3) | (sur_here << 6) | (sh[1] << 9)

        # Given-name character buckets, alone and after a surname.
        gb = info & 7
        g = _shifts(gb, range(-2, 3))

        # Dictionary words (2-4 chars) starting, ending, and passing through t.
        dict_vals = []
        for m in (2, 3, 4):
            d = code[m] >> _DICT_SHIFT  # word cps[i:i+m]
            ds = _shifts(d, range(-(m - 1), 0))
            dict_vals.append(d)  # starts at t
            dict_vals.append(ds[-(m - 1)])  # ends at t
            for inner in range(1, m - 1):
                dict_vals.append(ds[-inner])  # t is an inner character

        pair = np.int64(1 << 21)
        values: list[npt.NDArray[np.int64]] = [
            np.zeros(n, dtype=np.int64),  # bias
            c[-2],
            c[-1],
            c[0],
            c[1],
            c[2],
            # Pairs next to the character only: the pairs that include it add
            # little over the dictionary-word features and cost cache misses.
            c[-2] * pair + c[-1],
            c[1] * pair + c[2],
            (((cl[-2] * 8 + cl[-1]) * 8 + cl[0]) * 8 + cl[1]) * 8 + cl[2],
            cl[0] * 8 + cl[1] + c[-1] * 64,
            cl[0] * 8 + cl[-1] + c[1] * 64,
            sur_bits,
            sur_bits * 64 + cl[0] * 8 + cl[1],
            prefix_bits,
            suffix_bits,
            prefix_bits * 16 + suffix_bits,
            prefix_bits * pair + c[0],
            suffix_bits * pair + c[0],
            (g[-1] * 8 + g[0]) * 8 + g[1],
            (sh[0] * 8 + g[1]) * 8 + g[2],
            (sh[-1] * 8 + g[0]) * 8 + g[1],
            (sh[-2] * 8 + g[-1]) * 8 + g[0],
            ((prefix_bits * 8 + sh[0]) * 8 + g[1]) * 16 + suffix_bits,
            *dict_vals,
        ]
        return values
