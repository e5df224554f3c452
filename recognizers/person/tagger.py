"""The PERSON tagger: texts in, scored name spans out.

Joins a batch of texts into one code-point array, extracts hashed features for
every character at once (:mod:`recognizers.person.features`), cuts the stream
into sentences (at 。！？；, line breaks and text boundaries, and every
:data:`MAX_SEGMENT` characters), sorts the sentences by length and decodes them
in padded blocks with :class:`~recognizers.person.crf.LinearChainCrf`.

Example:
    >>> tagger = PersonTagger.load()  # doctest: +SKIP
    >>> tagger.tag(["联系人：张伟，电话13800138000"])  # doctest: +SKIP
    [[(4, 6, 0.98)]]
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from functools import partial
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recognizers.person.crf import BEGIN, END, SINGLE, LinearChainCrf
from recognizers.person.features import REACH, FeatureExtractor, Lexicons, encode_batch
from recognizers.person.lexicon import load_lexicons

__all__ = ["FORMAT_VERSION", "MAX_SEGMENT", "PersonTagger", "Span"]

#: Longest stretch of characters decoded as one sequence.
MAX_SEGMENT = 128
#: Version of the model file layout and of the feature templates.
FORMAT_VERSION = 1
_ENDERS = np.array([ord(c) for c in "。！？!?；;\n\r"], dtype=np.int64)
_BLOCK_CELLS = 1 << 17  # rows * steps decoded together
_BLOCK_SPREAD = 3  # longest / shortest row of a block (see _blocks)
_BLOCK_MIN_STEPS = 16
#: Characters whose features and emissions are computed together: some 30
#: template rows of a stretch this long stay in cache, a whole batch's do not.
_EMISSION_CHUNK = 1 << 15

Span = tuple[int, int, float]


def _grid(first: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Indices of rows ``first[r] .. first[r] + lengths[r]``, padded by repeating the last."""
    cols = np.arange(int(lengths.max()))
    out: npt.NDArray[np.int64] = first[:, None] + np.minimum(cols[None, :], lengths[:, None] - 1)
    return out


def _cells(sizes: list[int], first: int, last: int) -> int:
    """Padded cells of a block of the sorted rows ``first..last``."""
    return (last - first + 1) * sizes[last]


def _blocks(lengths: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """Group row indices by length into blocks decoded together.

    Rows are sorted by length. A block grows while it stays under
    ``_BLOCK_CELLS`` padded cells and its longest row is at most
    ``_BLOCK_SPREAD`` times its shortest (or ``_BLOCK_MIN_STEPS`` long): every
    step costs a few numpy calls, but padding a thousand two-character rows to
    the length of one long row costs more.
    """
    order = np.argsort(lengths, kind="stable")
    sizes = lengths[order].tolist()
    out = []
    i = 0
    while i < len(sizes):
        # Both limits hold for a prefix of the rows after i (sizes are sorted,
        # so the padded cells only grow): bisect for the end of each.
        longest = max(_BLOCK_MIN_STEPS, _BLOCK_SPREAD * sizes[i])
        j = bisect_right(sizes, longest, i + 1)
        j = i + 1 + bisect_right(range(i + 1, j), _BLOCK_CELLS, key=partial(_cells, sizes, i))
        out.append(order[i:j])
        i = j
    return out


class PersonTagger:
    """A trained tagger: feature extractor plus CRF weights.

    Build it with :meth:`load` (the shipped model) or :meth:`from_weights`
    (while training).
    """

    def __init__(self, extractor: FeatureExtractor, crf: LinearChainCrf) -> None:
        self.extractor = extractor
        self.crf = crf

    @classmethod
    def from_weights(
        cls,
        lexicons: Lexicons,
        bits: int,
        state: npt.NDArray[np.float32],
        transition: npt.NDArray[np.float32],
    ) -> PersonTagger:
        """Assemble a tagger from in-memory weights."""
        return cls(FeatureExtractor(lexicons, bits), LinearChainCrf(state, transition))

    @classmethod
    def load(cls, path: str | Path | None = None, lexicons: Lexicons | None = None) -> PersonTagger:
        """Load a model file (default: the ``model.npz`` shipped in this package).

        Args:
            path: the model file.
            lexicons: the lexicons the model was trained with; by default
                those shipped in this package (``lexicons.npz``).

        Raises:
            FileNotFoundError: the model or lexicons file does not exist.
            KeyError: a file lacks an array.
            ValueError: a file was written by an incompatible version.
        """
        res = resources.files("recognizers.person").joinpath("model.npz")
        with (
            open(path, "rb") if path is not None else res.open("rb") as fh,
            np.load(fh) as data,
        ):
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise ValueError(f"model format {version}, expected {FORMAT_VERSION}")
            bits = int(data["bits"])
            crf = LinearChainCrf.from_rows(
                1 << bits,
                data["state_index"].astype(np.int64),
                data["state_weight"].astype(np.float32),
                data["transition"].astype(np.float32),
            )
        return cls(FeatureExtractor(lexicons or load_lexicons(), bits), crf)

    def _emissions(self, cps: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """CRF emissions of every character, ``(5, n)``: label-major for decoding.

        Computed a stretch of :data:`_EMISSION_CHUNK` characters at a time,
        each with :data:`~recognizers.person.features.REACH` characters of
        context on both sides, so the same as for the whole array at once.
        """
        n = cps.shape[0]
        out = np.empty((5, n), dtype=np.float32)
        for lo in range(0, n, _EMISSION_CHUNK):
            hi = min(n, lo + _EMISSION_CHUNK)
            a, b = max(0, lo - REACH), min(n, hi + REACH)
            em = self.crf.emissions(self.extractor.feature_rows(cps[a:b]))
            out[:, lo:hi] = em[lo - a : hi - a].T
        return out

    def tag(self, texts: Sequence[str]) -> list[list[Span]]:
        """Find name spans ``(start, end, confidence)`` in each text (end exclusive)."""
        out: list[list[Span]] = [[] for _ in texts]
        if not texts:
            return out
        cps, text_starts = encode_batch(texts)
        em_lab = self._emissions(cps)

        # Cut the stream into segments of real characters.
        # Line breaks never belong to a name: they end a segment like PAD does.
        pos = np.flatnonzero((cps != 0) & (cps != 10) & (cps != 13))
        if not pos.size:
            return out
        prev = np.empty(pos.size, dtype=np.int64)
        prev[0] = 0
        prev[1:] = cps[pos[:-1]]
        new_seg = (prev == 0) | np.isin(prev, _ENDERS)
        new_seg[1:] |= pos[1:] != pos[:-1] + 1
        new_seg[0] = True
        seg_first = np.flatnonzero(new_seg)
        seg_of = np.cumsum(new_seg) - 1
        offset = np.arange(pos.size) - seg_first[seg_of]
        new_seg |= offset % MAX_SEGMENT == 0
        seg_first = np.flatnonzero(new_seg)
        seg_len = np.diff(np.append(seg_first, pos.size))

        # Only characters that may carry a name label on the best path need
        # decoding (LinearChainCrf.maybe_named): cut the segments down to the
        # stretches of such characters and run Viterbi on those alone, with the
        # O -> label and label -> O transitions at cuts inside a segment.
        best_name = np.maximum(np.maximum(em_lab[1], em_lab[2]), np.maximum(em_lab[3], em_lab[4]))
        gain = (best_name - em_lab[0])[pos]
        maybe = np.flatnonzero(self.crf.maybe_named(gain, seg_first, seg_len))
        if not maybe.size:
            return out
        first = np.ones(maybe.size, dtype=bool)
        first[1:] = (maybe[1:] != maybe[:-1] + 1) | new_seg[maybe[1:]]
        first[0] = True
        st_first = maybe[first]
        st_len = np.diff(np.append(np.flatnonzero(first), maybe.size))
        st_last = st_first + st_len - 1
        at_start = new_seg[st_first]
        at_end = np.ones(st_first.size, dtype=bool)
        inner = st_last + 1 < pos.size
        at_end[inner] = new_seg[st_last[inner] + 1]
        labels_at = np.zeros(pos.size, dtype=np.int8)  # best-path label per character
        for block in _blocks(st_len):
            lengths = st_len[block]
            grid = _grid(st_first[block], lengths)
            start_scores = np.where(
                at_start[block], self.crf.start[:, None], self.crf.from_out[:, None]
            )
            end_scores = np.where(at_end[block], self.crf.end[:, None], self.crf.to_out[:, None])
            labels = self.crf.viterbi(em_lab[:, pos[grid].T], lengths, start_scores, end_scores)
            live = np.arange(grid.shape[1])[None, :] < lengths[:, None]
            labels_at[grid[live]] = labels[live]
        begins = np.flatnonzero((labels_at == BEGIN) | (labels_at == SINGLE))
        ends = np.flatnonzero((labels_at == END) | (labels_at == SINGLE))
        if not begins.size:
            return out

        # Span confidences need forward-backward over whole segments: decode
        # the segments that hold a name, with the labels found above.
        seg_of_span = np.searchsorted(seg_first, begins, side="right") - 1
        named, span_row = np.unique(seg_of_span, return_inverse=True)
        row_in_block = np.empty(named.size, dtype=np.int64)
        block_of = np.empty(named.size, dtype=np.int64)
        blocks = _blocks(seg_len[named])
        for b, block in enumerate(blocks):
            row_in_block[block] = np.arange(block.size)
            block_of[block] = b
        span_block = block_of[span_row]
        flat_starts: list[npt.NDArray[np.int64]] = []
        flat_ends: list[npt.NDArray[np.int64]] = []
        scores: list[npt.NDArray[np.float32]] = []
        for b, block in enumerate(blocks):
            segs = named[block]
            lengths = seg_len[segs]
            grid = _grid(seg_first[segs], lengths)
            mine = np.flatnonzero(span_block == b)
            s_b, s_e = begins[mine], ends[mine]
            base = seg_first[seg_of_span[mine]]
            sub = self.crf.span_marginals(
                em_lab[:, pos[grid].T],
                lengths,
                labels_at[grid],
                row_in_block[span_row[mine]],
                s_b - base,
                s_e - base + 1,
            )
            flat_starts.append(pos[s_b])
            flat_ends.append(pos[s_e] + 1)
            scores.append(sub)

        if flat_starts:
            fs = np.concatenate(flat_starts)
            fe = np.concatenate(flat_ends)
            sc = np.concatenate(scores)
            text_of = np.searchsorted(text_starts, fs, side="right") - 1
            srt = np.lexsort((fs, text_of))
            text_of = text_of[srt]
            base = text_starts[text_of]
            for t, s, e, c in zip(
                text_of.tolist(),
                (fs[srt] - base).tolist(),
                (fe[srt] - base).tolist(),
                sc[srt].astype(np.float64).tolist(),
                strict=True,
            ):
                out[t].append((s, e, c))
        return out
