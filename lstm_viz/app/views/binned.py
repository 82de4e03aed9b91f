"""Cheap windows of long (T, units) arrays for the heatmaps, and the slow per-array work done off the GUI thread.

A heatmap draws about one column per screen pixel. Zoomed out over 200,000 timesteps that is a mean over
~150 timesteps per column; averaging the raw array each time would read every value. ``TimeBins`` keeps means
over 8, 16, 32, ... timesteps (a pyramid about a quarter of the array's size), built once per array on a
worker thread; a window then reads only ~one row per column. Until the pyramid is ready a window is drawn
from every ``step``-th timestep, and redrawn when it arrives.

``Background`` runs such per-array jobs (the pyramid, unit orderings by variance or mean) one at a time on a
worker thread and caches their results by array; ``ready`` fires on the GUI thread when one is done.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6 import QtCore

BASE = 8  # the finest pyramid level: means over 8 timesteps
SYNC_VALUES = 2_000_000  # arrays up to this many values get their orderings at once, on the GUI thread


class TimeBins:
    """Means of ``values`` (T, units) over BASE, 2 BASE, 4 BASE, ... timesteps."""

    def __init__(self, values: np.ndarray):
        self.values = values
        self.levels: dict[int, np.ndarray] = {}  # factor -> (T // factor, units) means

    def build(self) -> "TimeBins":
        v = self.values
        n = len(v) // BASE
        if n == 0:
            return self
        f, cur = BASE, v[: n * BASE].reshape(n, BASE, v.shape[1]).mean(axis=1, dtype=np.float32)  # (T/8, U)
        levels = {f: cur}
        while len(cur) >= 512:
            m = len(cur) // 2
            cur = (cur[0:2 * m:2] + cur[1:2 * m:2]) * np.float32(0.5)  # (T/2f, U)
            f *= 2
            levels[f] = cur
        self.levels = levels
        return self

    def factor_for(self, step: int) -> int:
        """The coarsest level whose bins fit in ``step`` timesteps (1: the raw values)."""
        f = 1
        for g in self.levels:
            if g <= step:
                f = max(f, g)
        return f


def bin_means(values: np.ndarray, a: int, b: int, step: int, bins: TimeBins | None = None) -> np.ndarray:
    """Means of values[a:b] (T, U) over bins of ``step`` timesteps from ``a`` (the last bin may be shorter):
    (ceil((b - a) / step), U). With ``bins`` a multiple of one of its factors is read from the pyramid;
    ``a`` and ``step`` must then be multiples of bins.factor_for(step)."""
    if step <= 1:
        return values[a:b]
    f = bins.factor_for(step) if bins is not None else 1
    if f > 1 and a % f == 0 and step % f == 0:
        m = step // f
        level = bins.levels[f]
        cut = a + ((min(b, len(level) * f) - a) // step) * step  # the pyramid covers [a, cut) exactly
        parts = []
        if cut > a:
            rows = level[a // f: cut // f]  # (k * m, U)
            parts.append(rows.reshape(-1, m, rows.shape[1]).mean(axis=1) if m > 1 else rows)
        if b > cut:
            parts.append(bin_means(values, cut, b, step))
        return np.concatenate(parts) if len(parts) > 1 else parts[0]
    block = values[a:b]
    starts = np.arange(0, b - a, step)
    counts = np.diff(np.append(starts, b - a)).astype(np.float32)
    return np.add.reduceat(block, starts, axis=0) / counts[:, None]  # (columns, U)


def sampled(values: np.ndarray, a: int, b: int, step: int) -> np.ndarray:
    """Every ``step``-th timestep of values[a:b]: a stand-in while the pyramid is being built."""
    return values[a:b:step]


def order_key(values: np.ndarray, mode: str) -> np.ndarray:
    """values (T, units) -> (units,) the statistic units are sorted by (largest first)."""
    if mode == "variance":
        return np.nan_to_num(values.var(axis=0, dtype=np.float64))
    if mode == "mean":
        return np.nan_to_num(values.mean(axis=0, dtype=np.float64))
    raise ValueError(mode)


class Background(QtCore.QObject):
    """Per-array results (pyramids, ordering keys) computed one at a time off the GUI thread, cached."""

    ready = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm_viz-views")
        self._results: dict[tuple, object] = {}
        self._pending: dict[tuple, object] = {}
        self._keep: list[np.ndarray] = []  # the arrays keyed by id(): kept alive so an id is never reused

    def clear(self) -> None:
        """A new trace: forget every result (running jobs finish, their results are dropped)."""
        for fut in self._pending.values():
            fut.cancel()
        self._results, self._pending, self._keep = {}, {}, []

    def get(self, kind: str, values: np.ndarray, fn, sync: bool = False):
        """The cached fn(values), or None while it is computed in the background (``ready`` follows).
        ``sync``: compute it now, on this thread."""
        key = (kind, id(values))
        if key in self._results:
            return self._results[key]
        if sync:
            self._keep.append(values)
            self._results[key] = fn(values)
            return self._results[key]
        if key not in self._pending:
            self._keep.append(values)
            results = self._results
            fut = self._pool.submit(fn, values)
            self._pending[key] = fut
            fut.add_done_callback(lambda f, key=key, results=results: self._done(key, f, results))
        return None

    def _done(self, key, fut, results) -> None:
        """On the worker thread: store the result (unless cleared since) and tell the GUI thread."""
        if fut.cancelled() or fut.exception() is not None or results is not self._results:
            return
        results[key] = fut.result()
        self._pending.pop(key, None)
        try:
            self.ready.emit()
        except RuntimeError:  # the views are gone
            pass

    def shutdown(self) -> None:
        self.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
