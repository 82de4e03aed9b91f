"""Multiscale summaries built while streaming: per-unit mean, min and max over blocks of 2**k steps, for every
level k from ``min_level`` up to the level where one block covers the whole text (the pyramid large-image
viewers keep, here along time).

``PyramidBuilder.add(s, chunk)`` takes the (n, units) values of steps s..s+n-1, where s is a multiple of the
chunk length K (a power of two) and n <= K; chunks may come in any order, but chunks that share a block of a
level coarser than K must come one after another (as they do when a direction streams through the text).
Every level equals ``lstm_viz.core.stats.block_summary`` of the whole array (means summed in float64).
Memory: 3 float32 arrays of ceil(T / 2**k) x units per level, about 24 x units x T / 2**min_level bytes.
"""
from __future__ import annotations

import math

import numpy as np

from .stats import Summary


FINEST = 4  # blocks of 16 steps: finer than that, a view reads (or recomputes) the window itself


def min_level_for(steps: int, columns: int, budget_bytes: float, finest: int = FINEST) -> int:
    """The finest level >= ``finest`` whose pyramid (every level above it, mean/min/max float32) for ``columns``
    unit columns over ``steps`` steps fits in ``budget_bytes``."""
    k = finest
    while 2 * 3 * 4 * columns * math.ceil(steps / 2 ** k) > budget_bytes and 2 ** k < max(steps, 2):
        k += 1
    return k


def _blocks(a: np.ndarray, B: int, how="sum") -> np.ndarray:
    """Sum (``how`` a dtype or "sum"), "min" or "max" over consecutive blocks of B rows; the last may be shorter.
    Reductions over a reshaped axis: many times faster than ufunc.reduceat along the rows."""
    full = len(a) // B * B
    body = a[:full].reshape((-1, B) + a.shape[1:])  # (blocks, B, ...)
    if how == "min":
        out, tail = body.min(axis=1), a[full:].min(axis=0, keepdims=True) if full < len(a) else None
    elif how == "max":
        out, tail = body.max(axis=1), a[full:].max(axis=0, keepdims=True) if full < len(a) else None
    else:
        dtype = None if how == "sum" else how
        out = body.sum(axis=1, dtype=dtype)
        tail = a[full:].sum(axis=0, keepdims=True, dtype=dtype) if full < len(a) else None
    return out if tail is None else np.concatenate([out, tail])


class PyramidBuilder:
    def __init__(self, steps: int, units: int, min_level: int, chunk: int):
        if chunk & (chunk - 1) or chunk < 1:
            raise ValueError(f"the chunk length must be a power of two, not {chunk}")
        self.T, self.k0, self.lk = steps, int(min_level), chunk.bit_length() - 1  # 2**lk == chunk
        self.kmax = max(self.k0, math.ceil(math.log2(steps)) if steps > 1 else 0)
        self.levels: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for k in range(self.k0, self.kmax + 1):
            n = -(-steps // 2 ** k)
            self.levels[k] = (np.zeros((n, units), np.float32), np.zeros((n, units), np.float32),
                              np.zeros((n, units), np.float32))  # mean, min, max: (blocks, units)
        self._open: dict[int, list] = {}  # level -> [block, sum64, min, max, count] of the block being filled

    def _write(self, k: int, b0: int, mean, lo, hi) -> None:
        m, mn, mx = self.levels[k]
        m[b0:b0 + len(mean)] = mean
        mn[b0:b0 + len(lo)] = lo
        mx[b0:b0 + len(hi)] = hi

    def _accumulate(self, k: int, b: int, total, lo, hi, count: float) -> None:
        cur = self._open.get(k)
        if cur is not None and cur[0] != b:
            self._flush(k)
            cur = None
        if cur is None:
            self._open[k] = [b, total.copy(), lo.copy(), hi.copy(), count]
        else:
            cur[1] += total
            np.minimum(cur[2], lo, out=cur[2])
            np.maximum(cur[3], hi, out=cur[3])
            cur[4] += count

    def _flush(self, k: int) -> None:
        b, total, lo, hi, count = self._open.pop(k)
        self._write(k, b, (total / count)[None].astype(np.float32), lo[None], hi[None])

    def add(self, s: int, a: np.ndarray) -> None:
        """The values (n, units) of steps s .. s + n - 1 (s a multiple of the chunk length, n <= chunk)."""
        n = len(a)
        if n == 0:
            return
        k = self.k0
        if k <= self.lk:
            sums, lo, hi, counts = _blocks(a, 2 ** k, np.float64), _blocks(a, 2 ** k, "min"), \
                _blocks(a, 2 ** k, "max"), _blocks(np.ones(n), 2 ** k, np.float64)  # (blocks, units), (blocks,)
            while True:
                self._write(k, s >> k, sums / counts[:, None], lo, hi)
                if k >= min(self.lk, self.kmax):
                    break
                sums, lo, hi, counts = _blocks(sums, 2), _blocks(lo, 2, "min"), _blocks(hi, 2, "max"), \
                    _blocks(counts, 2)
                k += 1
            if k >= self.kmax:
                return
            total, lo, hi, count = sums[0], lo[0], hi[0], counts[0]  # the chunk is one block of level lk
            k += 1
        else:
            total, lo, hi, count = a.sum(axis=0, dtype=np.float64), a.min(axis=0), a.max(axis=0), float(n)
        for level in range(k, self.kmax + 1):
            self._accumulate(level, s >> level, total, lo, hi, count)

    def finish(self) -> dict[int, Summary]:
        """Every level as a read-only Summary."""
        for k in list(self._open):
            self._flush(k)
        out = {}
        for k, arrays in self.levels.items():
            for a in arrays:
                a.setflags(write=False)
            out[k] = Summary(k, *arrays)
        return out
