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
- `ReachOrder`: the people of a pool reached one by one as contacts grow (Renyi's
  representation), coupled across pool sizes as well as contact counts.
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
    "ReachOrder",
    "binomial_at",
    "poisson_at",
]

CHUNK = 1 << 14  # units resolved one by one at most per evaluation
BLOCK = 64  # chunk totals drawn together from one stream
SPAN = 1 << 16  # ranks of `ReachOrder` drawn together from one stream


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


class ReachOrder:
    """The people of a pool of `n`, reached one after another as contacts fall on `over` people.

    With E_0, E_1, ... independent Exp(1) (Renyi's representation of exponential order
    statistics), the k-th of the n people (k = 1..n) is reached once the contacts pass

        L_k = over x (E_0 / n + E_1 / (n - 1) + ... + E_{k-1} / (n - k + 1))

    so `count(c)` = #{k : L_k < c} is Binomial(n, 1 - exp(-c / over)) at every c and, as c
    grows, exactly the Sellke count process of a well-mixed pool. E_j belongs to the rank j, not
    to a pool size (ranks are drawn in blocks of `SPAN` whole), so each L_k is non-increasing in n
    and non-decreasing in `over`: under common random numbers a pool that grows by at least as
    many people as the crowd its contacts fall on (n' - n >= over' - over, over >= n) never
    reaches fewer people, at any contact count. Work is O(people reached).
    """

    def __init__(
        self, streams: Streams, stream: str, key: tuple[int | str, ...], n: int, over: float
    ) -> None:
        self._streams = streams
        self._stream = stream
        self._key = key
        self.n = max(n, 0)
        self.over = max(float(over), float(self.n))
        self._ends = [0.0]  # L at the first rank of block b
        self._last: tuple[int, NDArray[np.float64]] | None = None

    def _levels(self, block: int) -> NDArray[np.float64]:
        """L_k of the ranks in `block`, in order."""
        if self._last is not None and self._last[0] == block:
            return self._last[1]
        lo = block * SPAN
        hi = min(lo + SPAN, self.n)
        rng = self._streams.get(self._stream, *self._key, "block", block)
        e = rng.standard_exponential(SPAN)[: hi - lo]  # whole blocks: E_j does not depend on n
        weights = self.over / (self.n - np.arange(lo, hi, dtype=np.float64))
        levels = self._ends[block] + np.cumsum(e * weights)
        if len(self._ends) == block + 1:
            self._ends.append(float(levels[-1]))
        self._last = (block, levels)
        return levels

    def count(self, contacts: float) -> int:
        """People reached once `contacts` contacts fell on the pool."""
        if contacts <= 0 or self.n == 0:
            return 0
        blocks = -(-self.n // SPAN)
        while len(self._ends) <= blocks and self._ends[-1] < contacts:
            self._levels(len(self._ends) - 1)
        if self._ends[-1] < contacts and len(self._ends) > blocks:
            return self.n
        block = int(np.searchsorted(self._ends, contacts, side="left")) - 1
        levels = self._levels(block)
        return block * SPAN + int(np.searchsorted(levels, contacts, side="left"))
