"""Per-unit statistics and block summaries of (T, units) arrays, computed chunk by chunk.

``RunningStats`` accumulates mean, variance, min and max of every unit over chunks of time in one pass (Chan et
al.'s pairwise update, float64), so a trace too long to hold can still say which units vary most.
``block_summary`` reduces a (T, units) array to per-unit mean, min and max over blocks of 2**level steps: what a
zoomed-out view draws when a screen pixel covers many timesteps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UnitStats:
    """Each (units,) float64; NaN values are ignored (count is per unit)."""

    count: np.ndarray
    mean: np.ndarray
    var: np.ndarray  # population variance (divided by count)
    min: np.ndarray
    max: np.ndarray

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.var)


class RunningStats:
    """Streaming per-unit statistics: ``add(chunk)`` for every (K, units) chunk, then ``result()``."""

    def __init__(self, units: int):
        self.n = np.zeros(units)
        self.mean = np.zeros(units)
        self.m2 = np.zeros(units)
        self.lo = np.full(units, np.inf)
        self.hi = np.full(units, -np.inf)
        self._scratch: np.ndarray | None = None  # reused buffer for the centred chunk

    def add(self, chunk: np.ndarray) -> None:
        a = np.asarray(chunk)  # (K, units)
        if len(a) == 0:
            return
        total = a.sum(axis=0, dtype=np.float64)  # (units,)
        if not np.isfinite(total).all():  # NaN or infinity somewhere: the careful path
            self._add_masked(a)
            return
        n_b = float(len(a))
        mean_b = total / n_b  # (units,)
        if self._scratch is None or self._scratch.size < a.size or self._scratch.dtype != a.dtype:
            self._scratch = np.empty(a.size, a.dtype)
        d = np.subtract(a, mean_b.astype(a.dtype), out=self._scratch[:a.size].reshape(a.shape))  # (K, units), centred
        np.square(d, out=d)
        m2_b = d.sum(axis=0, dtype=np.float64)  # (units,)
        self._merge(np.full_like(total, n_b), mean_b, m2_b, a.min(axis=0), a.max(axis=0))

    def _add_masked(self, a: np.ndarray) -> None:
        a = np.asarray(a, dtype=np.float64)  # (K, units)
        ok = np.isfinite(a)
        n_b = ok.sum(axis=0).astype(np.float64)  # (units,)
        z = np.where(ok, a, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_b = np.where(n_b > 0, z.sum(axis=0) / n_b, 0.0)  # (units,)
        m2_b = (np.where(ok, a - mean_b, 0.0) ** 2).sum(axis=0)  # (units,)
        self._merge(n_b, mean_b, m2_b, np.where(ok, a, np.inf).min(axis=0), np.where(ok, a, -np.inf).max(axis=0))

    def _merge(self, n_b, mean_b, m2_b, lo, hi) -> None:
        """Chan et al.'s update: combine this chunk's count, mean and squared deviations with the totals."""
        n = self.n + n_b
        delta = mean_b - self.mean
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(n > 0, n_b / n, 0.0)
        self.mean = self.mean + delta * w
        self.m2 = self.m2 + m2_b + delta ** 2 * self.n * w
        self.n = n
        self.lo = np.minimum(self.lo, lo)
        self.hi = np.maximum(self.hi, hi)

    def result(self) -> UnitStats:
        empty = self.n == 0
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(empty, np.nan, self.m2 / np.maximum(self.n, 1))
        nan = np.where(empty, np.nan, 0.0)
        return UnitStats(self.n.copy(), self.mean + nan, var, self.lo + nan, self.hi + nan)


def stats_of(a: np.ndarray, chunk: int = 8192) -> UnitStats:
    """UnitStats of a whole (T, units) array, read in chunks of time."""
    rs = RunningStats(a.shape[1])
    for s in range(0, len(a), chunk):
        rs.add(a[s:s + chunk])
    return rs.result()


@dataclass(frozen=True)
class Summary:
    """Per-unit mean, min and max over blocks of ``2**level`` steps; each (ceil(T / 2**level), units) float32.

    Block b covers steps [b * 2**level, (b + 1) * 2**level); the last block may be shorter."""

    level: int
    mean: np.ndarray
    min: np.ndarray
    max: np.ndarray

    @property
    def block(self) -> int:
        return 2 ** self.level


def block_summary(a: np.ndarray, level: int) -> Summary:
    """Summary of a (T, units) array at ``level`` (0: the array itself)."""
    if level < 0:
        raise ValueError(f"summary level must be >= 0, not {level}")
    B = 2 ** level
    starts = np.arange(0, len(a), B)  # (n_blocks,)
    if len(a) == 0:
        empty = np.zeros((0, a.shape[1]), np.float32)
        return Summary(level, empty, empty, empty)
    counts = np.diff(np.append(starts, len(a)))[:, None]  # (n_blocks, 1)
    mean = (np.add.reduceat(a, starts, axis=0, dtype=np.float64) / counts).astype(np.float32)
    return Summary(level, mean, np.minimum.reduceat(a, starts, axis=0).astype(np.float32, copy=False),
                   np.maximum.reduceat(a, starts, axis=0).astype(np.float32, copy=False))

