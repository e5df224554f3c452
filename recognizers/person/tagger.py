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

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recognizers.person.crf import BEGIN, END, SINGLE, LinearChainCrf
from recognizers.person.features import FeatureExtractor, Lexicons, encode_batch
from recognizers.person.lexicon import build_lexicons

__all__ = ["FORMAT_VERSION", "MAX_SEGMENT", "PersonTagger", "Span"]

#: Longest stretch of characters decoded as one sequence.
MAX_SEGMENT = 128
#: Version of the model file layout and of the feature templates.
FORMAT_VERSION = 1
_ENDERS = np.array([ord(c) for c in "。！？!?；;\n\r"], dtype=np.int64)
_BLOCK_CELLS = 1 << 17  # rows * steps decoded together

Span = tuple[int, int, float]


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

        Raises:
            FileNotFoundError: the model file does not exist.
            ValueError: the file was written by an incompatible version.
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
            state = np.zeros((1 << bits, 5), dtype=np.float32)
            state[data["state_index"].astype(np.int64)] = data["state_weight"].astype(np.float32)
            transition = data["transition"].astype(np.float32)
        return cls.from_weights(lexicons or build_lexicons(), bits, state, transition)

    def tag(self, texts: Sequence[str]) -> list[list[Span]]:
        """Find name spans ``(start, end, confidence)`` in each text (end exclusive)."""
        out: list[list[Span]] = [[] for _ in texts]
        if not texts:
            return out
        cps, text_starts = encode_batch(texts)
        em_flat = self.crf.emissions(self.extractor.extract(cps))
        em_lab = np.ascontiguousarray(em_flat.T)  # (5, n): label-major for decoding

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

        # Segments where O beats every other label by a wide margin at every
        # character decode to all-O (see LinearChainCrf.prune_margin): skip them.
        best_name = np.maximum(np.maximum(em_lab[1], em_lab[2]), np.maximum(em_lab[3], em_lab[4]))
        margin = (em_lab[0] - best_name)[pos]
        busy = np.flatnonzero(np.minimum.reduceat(margin, seg_first) <= self.crf.prune_margin)
        order = busy[np.argsort(seg_len[busy], kind="stable")]
        flat_starts: list[npt.NDArray[np.int64]] = []
        flat_ends: list[npt.NDArray[np.int64]] = []
        scores: list[npt.NDArray[np.float32]] = []
        i = 0
        while i < order.size:
            # Rows are sorted by length: grow the block while it stays small.
            j = i + 1
            while j < order.size and (j - i + 1) * int(seg_len[order[j]]) <= _BLOCK_CELLS:
                j += 1
            block = order[i:j]
            steps = int(seg_len[block[-1]])
            lengths = seg_len[block]
            cols = np.arange(steps)
            grid = seg_first[block][:, None] + np.minimum(cols[None, :], lengths[:, None] - 1)
            flat_idx = pos[grid]
            em = em_lab[:, flat_idx.T]  # (5, steps, rows)
            labels = self.crf.viterbi(em, lengths)
            r_b, c_b = np.nonzero((labels == BEGIN) | (labels == SINGLE))
            r_e, c_e = np.nonzero((labels == END) | (labels == SINGLE))
            if r_b.size:
                c_e = c_e + 1
                spans_rows, inv = np.unique(r_b, return_inverse=True)
                sub = self.crf.span_marginals(
                    em[:, :, spans_rows], lengths[spans_rows], labels[spans_rows], inv, c_b, c_e
                )
                flat_starts.append(flat_idx[r_b, c_b])
                flat_ends.append(flat_idx[r_e, c_e - 1] + 1)
                scores.append(sub)
            i = j

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
