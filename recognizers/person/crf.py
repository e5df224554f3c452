"""Batched linear-chain CRF decoding in numpy.

The tagger labels every character O, B, I, E or S (outside, begin, inside, end,
single-character name). :class:`LinearChainCrf` holds the weights (a hashed
feature table and a transition matrix) and decodes many character sequences at
once: sequences are padded to equal length, and each time step of Viterbi and
of forward-backward is one numpy operation over the whole batch.

A span's confidence is its marginal probability under the CRF: the total
probability of all labelings that tag exactly that span as one name, computed
with forward-backward (``alpha[start, B] · path · beta[end, E] / Z``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "BEGIN",
    "END",
    "INSIDE",
    "LABELS",
    "OUT",
    "SINGLE",
    "LinearChainCrf",
    "allowed_transitions",
]

#: Label order used by the weight matrices.
LABELS = ("O", "B", "I", "E", "S")
OUT, BEGIN, INSIDE, END, SINGLE = range(5)
_NEG = -1.0e4  # a "forbidden" score that still keeps logsumexp finite
# Margin for float32 rounding in the path scores when ruling characters out.
_SLACK = 1.0e-2
_ROW_FLOATS = 8

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def allowed_transitions() -> npt.NDArray[np.bool_]:
    """``ok[a, b]`` is True where label ``b`` may follow label ``a`` in BIOES."""
    ok = np.zeros((5, 5), dtype=bool)
    for a in (OUT, END, SINGLE):
        ok[a, [OUT, BEGIN, SINGLE]] = True
    for a in (BEGIN, INSIDE):
        ok[a, [INSIDE, END]] = True
    return ok


def _length_order(lengths: IntArray) -> IntArray | None:
    """The order that sorts rows by length, or None if they already are."""
    if lengths.size < 2 or bool((lengths[1:] >= lengths[:-1]).all()):
        return None
    order: IntArray = np.argsort(lengths, kind="stable")
    return order


def _live_from(lengths: IntArray, steps: int) -> list[int]:
    """For each step, the first of the rows (sorted by length) still running at it."""
    found: list[int] = np.searchsorted(lengths, np.arange(steps), side="right").tolist()
    return found


@dataclass
class LinearChainCrf:
    """Weights of a trained tagger and batched decoding.

    Attributes:
        state: ``(2**bits, 5)`` float32; row ``f`` holds the per-label weights
            of hashed feature id ``f``.
        transition: ``(5, 5)`` float32, ``transition[a, b]`` scores label
            ``a`` followed by ``b``; forbidden BIOES transitions are masked.
    """

    state: FloatArray
    transition: FloatArray

    def __post_init__(self) -> None:
        self.transition = np.where(allowed_transitions(), self.transition, _NEG).astype(np.float32)
        self._start = np.array([0, 0, _NEG, _NEG, 0], dtype=np.float32)
        self._end = np.array([0, _NEG, _NEG, 0, 0], dtype=np.float32)
        #: Scores of the first and last label of a sequence (forbidden: I, E first; B, I last).
        self.start = self._start
        self.end = self._end
        #: Scores of the first label after an O, and of the last label before one.
        self.from_out = self.transition[OUT].copy()
        self.to_out = self.transition[:, OUT].copy()
        named = allowed_transitions()
        named[OUT, OUT] = False
        #: The least any allowed transition other than O -> O scores below O -> O.
        self.name_cost = float((self.transition[OUT, OUT] - self.transition[named]).min())
        # Rows padded to 8 floats (32 bytes): a gathered row then never spans
        # two cache lines, which makes the emission sums ~30% faster. ``state``
        # stays a (2**bits, 5) view of the padded table.
        padded = self.state.base
        if not (  # already such a view (from_rows): use its table, no copy
            isinstance(padded, np.ndarray)
            and padded.dtype == np.float32
            and padded.shape == (self.state.shape[0], _ROW_FLOATS)
            and padded.flags.c_contiguous
            and self.state.ctypes.data == padded.ctypes.data
        ):
            padded = np.zeros((self.state.shape[0], _ROW_FLOATS), dtype=np.float32)
            padded[:, : self.state.shape[1]] = self.state
        self._padded_state = padded
        self.state = padded[:, : self.state.shape[1]]

    @classmethod
    def from_rows(
        cls,
        n_rows: int,
        index: IntArray,
        weights: FloatArray,
        transition: FloatArray,
    ) -> LinearChainCrf:
        """Build from the nonzero rows of the state table, as a model file stores them.

        Writes them straight into the padded table (no dense ``(n_rows, 5)``
        copy: that halves the load time of the weights).

        Args:
            n_rows: rows of the state table (``2**bits``).
            index: the row number of each nonzero row.
            weights: those rows, ``(len(index), 5)``.
            transition: ``(5, 5)`` transition weights.
        """
        padded = np.zeros((n_rows, _ROW_FLOATS), dtype=np.float32)
        padded[index, : weights.shape[1]] = weights
        return cls(padded[:, : weights.shape[1]], transition)

    def emissions(self, feature_ids: Iterable[IntArray]) -> FloatArray:
        """Sum the state weights of ``feature_ids`` -> ``(n, 5)``.

        Args:
            feature_ids: one row of ``n`` ids per template: an
                ``(n_templates, n)`` array, or the rows one at a time (see
                :meth:`~recognizers.person.features.FeatureExtractor.feature_rows`).
        """
        rows = iter(feature_ids)
        out = np.take(self._padded_state, next(rows), axis=0)
        gathered = np.empty_like(out)
        for row in rows:
            # mode="clip": ids are always in range, and numpy buffers ``out``
            # for the default mode, which costs a copy.
            np.take(self._padded_state, row, axis=0, out=gathered, mode="clip")
            out += gathered
        return out[:, : self.state.shape[1]]

    def maybe_named(
        self, gain: FloatArray, seg_first: IntArray, seg_len: IntArray
    ) -> npt.NDArray[np.bool_]:
        """Characters that may carry a name label (B, I, E, S) on a best labeling.

        Every other character is O on every best labeling of its segment, so
        decoding can skip it. A maximal run of name labels (one or more names
        back to back, O on both sides or a segment edge) is on a best labeling
        only if it scores at least as well as O in its place. It gains at most
        ``gain`` (the best name label's emission minus O's) at each of its
        ``L`` characters, and loses at least :attr:`name_cost` on each of its
        ``L + 1`` transitions (one fewer per segment edge it reaches). The
        best such bound over the runs through a character, from running
        minima and maxima of prefix sums, is below zero for most characters.

        Args:
            gain: ``(n,)`` best name-label emission minus O emission per character.
            seg_first: first index of each segment; segments tile ``gain``.
            seg_len: their lengths.
        """
        cost = self.name_cost
        if cost <= 0.0 or not gain.size:
            return np.ones(gain.shape, dtype=bool)
        h = gain.astype(np.float64) - cost
        h[seg_first] += cost  # a run at a segment edge has no transition there
        h[seg_first + seg_len - 1] += cost
        seg_of = np.repeat(np.arange(seg_first.size), seg_len)
        total = np.cumsum(h)
        before = np.zeros(seg_first.size)
        before[1:] = total[seg_first[1:] - 1]
        prefix = total - before[seg_of]  # sum of h from the segment start through i
        # Offsets keep running extremes inside a segment: each segment sits
        # lower than the one before by more than twice any prefix sum's size.
        shift = (4.0 * float(np.abs(prefix).max()) + 1.0) * seg_of
        lowest_before = np.minimum.accumulate(prefix - h - shift) + shift
        highest_after = np.maximum.accumulate((prefix - shift)[::-1])[::-1] + shift
        # Best run ending at i plus best run starting at i, h[i] counted once.
        best = (prefix - lowest_before) + (highest_after - (prefix - h)) - h - cost
        return best >= -_SLACK

    def viterbi(
        self,
        em: FloatArray,
        lengths: IntArray,
        start: FloatArray | None = None,
        end: FloatArray | None = None,
    ) -> npt.NDArray[np.int8]:
        """Best label sequence of each padded row.

        Args:
            em: ``(5, T, rows)`` emissions, label-major (numpy is several times
                faster on ``(5, rows)`` slices than on ``(rows, 5)`` ones); rows
                are padded past their length.
            lengths: ``(rows,)`` true lengths (>= 1).
            start: ``(5, rows)`` scores of each row's first label; default
                :attr:`start`. A row cut after an O uses :attr:`from_out`.
            end: ``(5, rows)`` scores of each row's last label; default
                :attr:`end`, or :attr:`to_out` for a row cut before an O.

        Returns:
            ``(rows, T)`` labels; positions past a row's length are O.
        """
        order = _length_order(lengths)
        if order is not None:  # decode sorted rows, then put them back in place
            inverse = np.argsort(order)
            labels = self.viterbi(
                em[:, :, order],
                lengths[order],
                None if start is None else start[:, order],
                None if end is None else end[:, order],
            )
            return labels[inverse]
        _, steps, rows = em.shape
        trans = self.transition[:, :, None]
        live_from = _live_from(lengths, steps)
        # Only the forward scores are kept; the best predecessor is recomputed
        # for the one label on the best path while tracing back, which is
        # cheaper than an argmax over every label at every step. Each step
        # works on the rows still running (a suffix: the rows are sorted by
        # length); a row's slots past its end are never written nor read.
        deltas = np.empty((steps, 5, rows), dtype=np.float32)
        np.add(em[:, 0], self._start[:, None] if start is None else start, out=deltas[0])
        cand = np.empty((5, 5, rows), dtype=np.float32)
        for t in range(1, steps):
            k = live_from[t]
            delta = deltas[t, :, k:]
            np.add(deltas[t - 1, :, None, k:], trans, out=cand[:, :, k:])
            cand[:, :, k:].max(axis=0, out=delta)
            delta += em[:, t, k:]
        last = deltas[lengths - 1, :, np.arange(rows)].T  # (5, rows): each row's final scores
        cur = (last + (self._end[:, None] if end is None else end)).argmax(axis=0)
        labels = np.zeros((steps, rows), dtype=np.int8)
        for t in range(steps - 1, -1, -1):
            k = live_from[t]
            labels[t, k:] = cur[k:]
            if t:
                prev = deltas[t - 1, :, k:] + self.transition[:, cur[k:]]
                cur[k:] = prev.argmax(axis=0)
        return np.ascontiguousarray(labels.T)

    def span_marginals(
        self,
        em: FloatArray,
        lengths: IntArray,
        labels: npt.NDArray[np.int8],
        span_rows: IntArray,
        span_starts: IntArray,
        span_ends: IntArray,
    ) -> FloatArray:
        """Marginal probability of each span (end exclusive) in the given rows.

        ``em`` is ``(5, T, rows)`` as for :meth:`viterbi`; ``labels`` is its
        output, and the spans are its B..E / S segments. Forward-backward runs in
        scaled probability space: each step is a 5x5 matrix product, normalised
        so that the labels of a step sum to one, with the log of the scale kept;
        float32 is enough because nothing is ever far from 1.
        """
        order = _length_order(lengths)
        if order is not None:  # rows sorted by length, the spans' row numbers moved along
            return self.span_marginals(
                em[:, :, order],
                lengths[order],
                labels[order],
                np.argsort(order)[span_rows],
                span_starts,
                span_ends,
            )
        _, steps, rows = em.shape
        live_from = _live_from(lengths, steps)
        phi = np.exp(em - em.max(axis=0, keepdims=True))  # (5, T, rows)
        mat = np.exp(self.transition)
        mat[self.transition <= _NEG] = 0.0
        mat_t = np.ascontiguousarray(mat.T)
        start = (self._start > _NEG).astype(np.float32)[:, None]
        end = (self._end > _NEG).astype(np.float32)[:, None]

        alpha = np.empty((steps, 5, rows), dtype=np.float32)
        scale = np.ones((steps, rows), dtype=np.float32)
        a = phi[:, 0] * start
        c = a.sum(axis=0)
        alpha[0] = a / c
        scale[0] = c
        # As in viterbi, each step updates the rows still running only.
        for t in range(1, steps):
            k = live_from[t]
            a = mat_t @ alpha[t - 1, :, k:]
            a *= phi[:, t, k:]
            c = a.sum(axis=0)
            np.divide(a, c, out=alpha[t, :, k:])
            scale[t, k:] = c
        beta = np.empty((steps, 5, rows), dtype=np.float32)
        beta[:] = end  # the last step of every row
        for t in range(steps - 2, -1, -1):
            k = live_from[t + 1]
            b = mat @ (phi[:, t + 1, k:] * beta[t + 1, :, k:])
            np.divide(b, scale[t + 1, k:], out=beta[t, :, k:])
        cols = np.arange(rows)
        z_hat = (alpha[lengths - 1, :, cols] * end[:, 0]).sum(axis=1)

        lab = labels.astype(np.int64)  # (rows, T)
        prev = np.concatenate([np.zeros((rows, 1), dtype=np.int64), lab[:, :-1]], axis=1)
        t_idx = np.arange(steps)[None, :]
        with np.errstate(divide="ignore"):
            log_step = np.log(mat[prev, lab]) + np.log(phi[lab, t_idx, cols[:, None]])
        log_step -= np.log(scale.T)
        csum = np.cumsum(log_step, axis=1)
        s, e, r = span_starts, span_ends - 1, span_rows
        with np.errstate(divide="ignore"):
            log_p = (
                np.log(alpha[s, lab[r, s], r])
                + (csum[r, e] - csum[r, s])
                + np.log(beta[e, lab[r, e], r])
                - np.log(z_hat[r])
            )
        out: FloatArray = np.exp(np.minimum(log_p, 0.0)).astype(np.float32)
        return out
