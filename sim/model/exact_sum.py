"""Exact sums of floats per bin: the same result however the values are batched or ordered.

Why: the tally adds times batch by batch as the queue settles messages, and how messages fall
into batches is an implementation detail (e.g. the 50,000 settled messages before a hand-over).
A float sum rounds at every step, so its last bits depend on those batches. Here each value
`m * 2**e` (`numpy.frexp`) is split into its 53-bit integer mantissa, cut in three pieces of at
most 18 bits, and the pieces are summed as integers per (bin, exponent): integer sums are exact
and do not depend on the order. A total is read as the correctly rounded value of the exact sum
(`math.fsum` over exactly representable terms), so it equals `math.fsum` of every value of the
bin at once. (Values below 2**-1000 in magnitude, never met in minutes, may lose bits when read;
the result is still independent of batches.)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["ExactSums"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

_PIECE = 18  # bits per piece: a batch of fewer than 2**35 values sums exactly in float64
_MASK = (1 << _PIECE) - 1
_SHIFTS = (2 * _PIECE, _PIECE, 0)  # mantissa = hi << 36 + mid << 18 + lo
_EXP_OFFSET = 1100  # frexp exponents of finite doubles are -1073..1024
_EXP_SPAN = 2200  # keys: bin * _EXP_SPAN + exponent + _EXP_OFFSET
_BLOCK = 1 << 16  # values per pass


class ExactSums:
    """Per-bin exact sums of float64 values (bins are integers >= 0)."""

    __slots__ = ("keys", "sums")

    def __init__(self) -> None:
        self.keys: I64 = np.zeros(0, np.int64)  # sorted (bin, exponent) keys
        self.sums: I64 = np.zeros((0, len(_SHIFTS)), np.int64)  # integer sums of the pieces

    def add(self, values: F64, bins: I64 | None = None) -> None:
        """Add finite `values`, each to its bin (default: bin 0)."""
        x = np.asarray(values, np.float64)
        if x.size > _BLOCK:  # a block at a time: the temporaries stay small (memory peak)
            b = None if bins is None else np.asarray(bins, np.int64)
            for i in range(0, x.size, _BLOCK):
                self.add(x[i : i + _BLOCK], None if b is None else b[i : i + _BLOCK])
            return
        if x.size == 0:
            return
        if not np.all(np.isfinite(x)):
            raise ValueError("exact sums take finite values only")
        mantissa, exponent = np.frexp(x)
        whole = (mantissa * 2.0**53).astype(np.int64)  # exact: |mantissa| < 1
        pieces = (whole >> _SHIFTS[0], (whole >> _SHIFTS[1]) & _MASK, whole & _MASK)
        keys = exponent.astype(np.int64) + _EXP_OFFSET
        if bins is not None:
            keys += np.asarray(bins, np.int64) * _EXP_SPAN
        lo = int(keys.min())
        span = int(keys.max()) - lo + 1
        if span <= 4 * keys.size + 4096:  # dense: no sort
            index, size = keys - lo, span
            present = np.flatnonzero(np.bincount(index, minlength=size))
            new_keys = present + lo
        else:
            new_keys, index = np.unique(keys, return_inverse=True)
            size, present = new_keys.size, np.arange(new_keys.size)
        # |piece| < 2**18 and fewer than 2**35 values: these float sums are exact integers
        sums = np.stack(
            [np.bincount(index, p.astype(np.float64), size)[present] for p in pieces], axis=1
        )
        self._merge(new_keys.astype(np.int64), sums.astype(np.int64))

    def _merge(self, keys: I64, sums: I64) -> None:
        unique, inverse = np.unique(np.concatenate([self.keys, keys]), return_inverse=True)
        out = np.zeros((unique.size, len(_SHIFTS)), np.int64)
        np.add.at(out, inverse, np.concatenate([self.sums, sums]))
        self.keys, self.sums = unique.astype(np.int64), out

    def total(self) -> float:
        """The correctly rounded sum of every value added (0.0 when none)."""
        return math.fsum(_terms(self.keys, self.sums).ravel().tolist())

    def pop_below(self, stop: int) -> tuple[I64, F64]:
        """The bins below `stop` that hold values, and their sums; they are let go."""
        cut = int(np.searchsorted(self.keys, stop * _EXP_SPAN))
        keys, sums = self.keys[:cut], self.sums[:cut]
        self.keys, self.sums = self.keys[cut:], self.sums[cut:]
        return _read(keys, sums)


def _terms(keys: I64, sums: I64) -> F64:
    """Per key, floats whose exact sum is that of the key's values (each term exact)."""
    exponent = keys % _EXP_SPAN - _EXP_OFFSET - 53
    terms = []
    for column, shift in enumerate(_SHIFTS):
        s = sums[:, column]
        high, low = s >> 32, s & 0xFFFFFFFF  # each exactly a float64
        terms.append(np.ldexp(high.astype(np.float64), exponent + shift + 32))
        terms.append(np.ldexp(low.astype(np.float64), exponent + shift))
    return np.stack(terms, axis=1)


def _read(keys: I64, sums: I64) -> tuple[I64, F64]:
    """Bins and their correctly rounded sums, from the integer sums of the pieces."""
    if keys.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    bins = keys // _EXP_SPAN
    table = _terms(keys, sums)
    starts = np.flatnonzero(np.diff(bins, prepend=bins[0] - 1))
    ends = [*starts[1:].tolist(), bins.size]
    values = [math.fsum(table[a:b].ravel().tolist()) for a, b in zip(starts, ends, strict=True)]
    return bins[starts].astype(np.int64), np.asarray(values, np.float64)
