"""Coupled cumulative counts: random counting functions realised once, evaluated anywhere.

A saturating cascade meets a pool its earlier generations depleted, so per-generation draws
cannot keep "more sharing never gives fewer follows" true path by path. These processes can:
each is one fixed random function of a cumulative argument (people so far, contacts so far),
drawn lazily from keyed streams, non-decreasing in its argument and in its parameter. A cascade
built from them is a composition of non-decreasing maps, so under common random numbers every
cumulative count it produces is non-decreasing in the share probability and the contacts mean.

All are exact in law. Work is split into chunks of `CHUNK` units: a chunk's total is drawn
from a stream keyed by the chunk's block (one draw per chunk, vectorised), and only the last,
partly covered chunk is resolved unit by unit from the chunk's own stream.

- `Marks`: person i of an ordered list is marked with probability p, independently;
  `count(n)` = marked among the first n. A chunk's count is the Binomial(CHUNK, p) quantile of
  its uniform (non-decreasing in p); the marked people are the count smallest of the chunk's
  per-person keys, so the prefix count is non-decreasing in both n and p.
- `GammaSums`: the sum of the first n independent Gamma(shape) variates: chunk totals, and
  within a chunk the Dirichlet split of its total (gamma variates normalised).
- `PoissonPoints`: a unit-rate Poisson process on [0, inf); `count(t)` = points below t.
- `UniformPoints`: n points uniform on [0, 1); `count(u)` = points below u (cells from one
  multinomial draw, points inside a cell uniform).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from sim.model.rng import Streams

__all__ = [
    "CHUNK",
    "GammaSums",
    "Marks",
    "PoissonPoints",
    "UniformPoints",
    "binomial_at",
    "poisson_at",
]

CHUNK = 1 << 14  # units resolved one by one at most per evaluation
BLOCK = 64  # chunk totals drawn together from one stream
MAX_CELLS = 1 << 16  # cells of `UniformPoints`


def binomial_at(u: float, n: float, p: float) -> int:
    """The Binomial(n, p) count at quantile `u`: non-decreasing in n and p for a fixed u."""
    n_int = int(n)
    if n_int <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n_int
    return int(stats.binom.ppf(max(u, 1e-300), n_int, p))


def poisson_at(u: float, mean: float) -> int:
    """The Poisson(mean) count at quantile `u`: non-decreasing in the mean for a fixed u."""
    if mean <= 0:
        return 0
    return int(stats.poisson.ppf(max(u, 1e-300), mean))


class _Chunked:
    """Prefix sums of chunk totals, extended block by block on demand."""

    def __init__(self, streams: Streams, stream: str, key: tuple[int | str, ...]) -> None:
        self._streams = streams
        self._stream = stream
        self._key = key
        self._prefix: NDArray[np.float64] = np.zeros(1)  # totals of chunks [0, i)
        self._last: tuple[int, NDArray[np.float64]] | None = None

    def _block_totals(self, rng: np.random.Generator) -> NDArray[np.float64]:
        raise NotImplementedError

    def _units(self, rng: np.random.Generator, total: float) -> NDArray[np.float64]:
        """Per-unit values of one chunk whose total is `total` (any order)."""
        raise NotImplementedError

    def _within(self, rng: np.random.Generator, total: float) -> NDArray[np.float64]:
        """What `_chunk` keeps of one chunk: here its prefix sums, unit by unit."""
        return np.cumsum(self._units(rng, total))

    def _full(self, chunks: int) -> float:
        while self._prefix.size <= chunks:
            block = (self._prefix.size - 1) // BLOCK
            rng = self._streams.get(self._stream, *self._key, "block", block)
            sums = np.cumsum(self._block_totals(rng)) + self._prefix[-1]
            self._prefix = np.concatenate([self._prefix, sums])
        return float(self._prefix[chunks])

    def _chunk(self, index: int) -> NDArray[np.float64]:
        if self._last is None or self._last[0] != index:
            total = self._full(index + 1) - self._full(index)
            rng = self._streams.get(self._stream, *self._key, "chunk", index)
            self._last = (index, self._within(rng, total))
        return self._last[1]

    def total(self, n: int) -> float:
        """The sum over the first `n` units."""
        if n <= 0:
            return 0.0
        chunks, rest = divmod(n, CHUNK)
        whole = self._full(chunks)
        return whole if rest == 0 else whole + float(self._chunk(chunks)[rest - 1])


class Marks(_Chunked):
    """Independent marks of probability `p` on people 0, 1, 2, ...: count among the first n."""

    def __init__(self, streams: Streams, stream: str, key: tuple[int | str, ...], p: float) -> None:
        super().__init__(streams, stream, key)
        self.p = min(max(p, 0.0), 1.0)

    def _block_totals(self, rng: np.random.Generator) -> NDArray[np.float64]:
        u = np.maximum(rng.random(BLOCK), 1e-300)
        return np.asarray(stats.binom.ppf(u, CHUNK, self.p), np.float64)

    def _units(self, rng: np.random.Generator, total: float) -> NDArray[np.float64]:
        k = int(total)
        if k <= 0:
            return np.zeros(CHUNK)
        if k >= CHUNK:
            return np.ones(CHUNK)
        keys = rng.random(CHUNK)  # the chunk's own stream: needed only for a partial chunk
        cut = np.partition(keys, k - 1)[k - 1]
        return np.asarray(keys <= cut, np.float64)

    def count(self, n: int) -> int:
        """People marked among the first `n`."""
        return round(self.total(n))


class GammaSums(_Chunked):
    """Sums of the first n independent Gamma(`shape`, 1) variates."""

    def __init__(
        self, streams: Streams, stream: str, key: tuple[int | str, ...], shape: float
    ) -> None:
        super().__init__(streams, stream, key)
        self.shape = shape

    def _block_totals(self, rng: np.random.Generator) -> NDArray[np.float64]:
        return np.asarray(rng.standard_gamma(self.shape * CHUNK, BLOCK), np.float64)

    def _units(self, rng: np.random.Generator, total: float) -> NDArray[np.float64]:
        g = rng.standard_gamma(self.shape, CHUNK)
        s = g.sum()
        return g * (total / s) if s > 0 else np.full(CHUNK, total / CHUNK)


class PoissonPoints(_Chunked):
    """A unit-rate Poisson process on [0, inf): points in [0, t)."""

    def _block_totals(self, rng: np.random.Generator) -> NDArray[np.float64]:
        return rng.poisson(float(CHUNK), BLOCK).astype(np.float64)

    def _within(self, rng: np.random.Generator, total: float) -> NDArray[np.float64]:
        """The chunk's points, as sorted positions within it in [0, 1)."""
        return np.sort(rng.random(int(total)))

    def count(self, t: float) -> int:
        """Points in [0, t)."""
        if t <= 0:
            return 0
        chunk = int(t // CHUNK)
        whole = int(self._full(chunk))
        frac = t / CHUNK - chunk
        positions = self._chunk(chunk) if frac > 0 else np.zeros(0)
        return whole + int(np.searchsorted(positions, frac, side="left"))


class UniformPoints:
    """`n` points uniform on [0, 1): how many lie below u."""

    def __init__(self, streams: Streams, stream: str, key: tuple[int | str, ...], n: int) -> None:
        self._streams = streams
        self._stream = stream
        self._key = key
        self.n = max(n, 0)
        self.cells = int(min(MAX_CELLS, max(1, 2 ** np.ceil(np.log2(max(self.n, 1) / CHUNK)))))
        rng = streams.get(stream, *key, "cells")
        counts = rng.multinomial(self.n, np.full(self.cells, 1.0 / self.cells))
        self._prefix = np.concatenate([[0], np.cumsum(counts)])
        self._last: tuple[int, NDArray[np.float64]] | None = None

    def count(self, u: float) -> int:
        """Points in [0, u)."""
        if u <= 0:
            return 0
        if u >= 1:
            return self.n
        cell = min(int(u * self.cells), self.cells - 1)
        whole = int(self._prefix[cell])
        if self._last is None or self._last[0] != cell:
            inside = int(self._prefix[cell + 1] - self._prefix[cell])
            rng = self._streams.get(self._stream, *self._key, "cell", cell)
            self._last = (cell, np.sort(rng.random(inside)))
        frac = u * self.cells - cell
        return whole + int(np.searchsorted(self._last[1], frac, side="left"))
