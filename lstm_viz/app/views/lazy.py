"""Drawing from a trace that does not hold its arrays (a keyframe trace of a long text): windows are recomputed
off the GUI thread (views.fetcher.Fetcher) and drawn when ready; zoomed out, the kept summaries are drawn at once.

``HeatmapSource`` cuts (columns, units) images for a heatmap: at one step per column (zoomed in) from exact
windows, coarser from the kept summary level whose blocks fit in a column (drawn at their true width). Between
the two (a medium zoom on a long text, bins finer than the finest kept level) from fine tiles
(lstm_viz.core.tiles): ``Fetcher.tiles`` recomputes the chunks of the window on a second worker thread, the
visible ones first, and keeps their bins in the trace's bounded tile cache, so a pan recomputes only new chunks.
Fine tiles are asked for only when the visible chunks cost at most ``tiles.WORK_BUDGET`` seconds to recompute
(``TileCache.affordable``) and one window of them fits in a share of the cache; otherwise the kept level is the
picture. While an exact window or a fine tile is being recomputed, the finest kept level stands in. The traces
draw the same tiles at such zooms (views.trace_tiles); ``trace_curves`` here cuts them elsewhere.
"""
from __future__ import annotations

import math

import numpy as np

from . import binned
from .fetcher import Fetcher, is_lazy  # noqa: F401 - the views read lazy traces through these

EXACT_SPAN = 8192  # steps: exact windows up to this long are recomputed for the heatmaps (a few chunks)
TILE_SHARE = 8  # one heatmap's window of fine tiles takes at most this fraction of the tile cache (1 / TILE_SHARE)


class HeatmapSource:
    """One (quantity, layer, direction) of a trace, cut into heatmap images through a Fetcher."""

    def __init__(self, trace, quantity: str, layer: int, reverse: bool, fetcher: Fetcher, owner=None):
        """``owner``: which view's heatmap this is, when views share the fetcher (its requests replace only that
        view's older ones)."""
        self.trace, self.quantity, self.layer, self.reverse, self.fetcher = trace, quantity, layer, reverse, fetcher
        self.owner = owner
        self.T = len(trace)
        self.units = trace.units(layer, quantity)
        self.k0 = int(getattr(trace, "min_summary_level", 0))
        self.tiles = trace.tile_cache() if hasattr(trace, "tile_cache") and self.k0 > 0 else None
        self.asked = None  # (start, stop, step) of the last cut when fine tiles of it are being recomputed

    def _summary_cut(self, level: int, a: int, b: int):
        B = 2 ** level
        s = self.trace.summary(self.quantity, self.layer, self.reverse, level)
        B = s.block  # a level above the top is the top one
        a = a // B * B
        return a, B, s.mean[a // B: -(-b // B)]

    def cut(self, x0: float, x1: float, step: int):
        """(first step, steps per column, block (columns, units) in unit order, complete) for the visible
        [x0, x1) at about ``step`` steps per column; complete False: a better image follows ``ready``."""
        self.asked = None
        T, visible = self.T, max(x1 - x0, 1.0)
        if step >= 2 ** self.k0 and step > 1:
            level = int(math.floor(math.log2(step)))
            B = 2 ** level
            a = max(0, int((x0 - visible) // B) * B)
            b = min(T, int(math.ceil(x1 + visible)))
            a, width, block = self._summary_cut(level, a, b)
            return a, width, block, True
        a = max(0, int((x0 - visible) // step) * step)
        b = min(T, int(math.ceil(x1 + visible)))
        if b - a <= min(EXACT_SPAN, getattr(self.trace, "cache_steps", EXACT_SPAN) // 2):
            win = self.fetcher.window(self.trace, self.quantity, self.layer, self.reverse, a, b, who=self)
            if win is not None:
                return a, step, binned.bin_means(win, 0, b - a, step), True
        if self.k0 == 0:  # a trace with every level (a file): average the finest level
            return a, step, binned.bin_means(self.trace.window(self.quantity, self.layer, self.reverse, a, b),
                                             0, b - a, step), True
        fine = self._tile_cut(x0, x1, a, b, step)
        if fine is not None:
            return fine
        a2, width, block = self._summary_cut(self.k0, a, b)
        return a2, width, block, b - a > min(EXACT_SPAN, getattr(self.trace, "cache_steps", EXACT_SPAN) // 2)

    def tile_level(self, x0: float, x1: float, a: int, b: int, step: int) -> int | None:
        """The level of fine tiles to draw [a, b) at ``step`` steps per column, or None for the kept summary:
        bins of 2**floor(log2(step)) steps (coarser while one window of them would take more than 1 / TILE_SHARE
        of the tile cache), finer than the kept level, at most one chunk, and the visible chunks affordable."""
        tiles = self.tiles
        if tiles is None:
            return None
        level = max(0, int(math.floor(math.log2(max(step, 1)))))
        while level < self.k0 and -(-(b - a) >> level) * self.units * 4 > tiles.budget / TILE_SHARE:
            level += 1
        if level >= self.k0 or level > tiles.chunk_level:
            return None
        K = tiles.chunk
        v0, v1 = int(x0) // K, (max(int(math.ceil(x1)), int(x0) + 1) - 1) // K
        return level if tiles.affordable(self.layer, (v1 - v0 + 1) * K) else None

    def _tile_cut(self, x0: float, x1: float, a: int, b: int, step: int):
        """The window from fine tiles (the kept level standing in for chunks not yet recomputed, which are asked
        for), or None when the rule says the kept level is the picture."""
        level = self.tile_level(x0, x1, a, b, step)
        if level is None:
            return None
        tiles, B, K = self.tiles, 2 ** level, self.tiles.chunk
        i0, i1 = a >> level, -(-b // B)  # bins of the window
        block = np.empty((i1 - i0, self.units), np.float32)  # (bins, units)
        missing = tiles.fill(block, self.quantity, self.layer, self.reverse, level, i0)
        if missing:  # the kept level stands in for the chunks not held
            mean = self.trace.summary(self.quantity, self.layer, self.reverse, self.k0).mean
            per = K >> level  # bins per chunk
            for m in missing:
                lo, hi = max(m * per, i0), min((m + 1) * per, i1)
                block[lo - i0:hi - i0] = mean[np.minimum((np.arange(lo, hi) << level) >> self.k0, len(mean) - 1)]
        if missing:
            self.ask(level, i0, i1, x0, x1, ("tiles", self.owner, self.quantity, self.layer, self.reverse))
            self.asked = (i0 * B, (i0 + len(block)) * B, step)
        return i0 * B, B, block, not missing

    def ask(self, level: int, i0: int, i1: int, x0: float, x1: float, who, band: bool = False) -> None:
        """Ask for the chunks of the bins i0 .. i1 - 1 of ``level``, the visible [x0, x1) ones first, nearest the
        centre first (those held are skipped by the worker)."""
        B, K = 2 ** level, self.tiles.chunk
        m0, m1 = (i0 * B) // K, (i1 * B - 1) // K
        v0 = max(int(x0) // K, m0)
        v1 = min((max(int(math.ceil(x1)), int(x0) + 1) - 1) // K, m1)
        centre = (x0 + x1) / 2
        order = sorted(range(m0, min(m1, self.tiles.chunks - 1) + 1),
                       key=lambda m: (not v0 <= m <= v1, abs((m + 0.5) * K - centre)))
        self.fetcher.tiles(self.tiles, self.quantity, self.layer, self.reverse, level, order, max(v1 - v0 + 1, 0),
                           who=who, band=band)

    def full(self) -> np.ndarray:
        """(T, units) every value: for tests and exports only, never for drawing."""
        return self.trace.window(self.quantity, self.layer, self.reverse)


TRACE_EXACT = 2048  # visible steps up to which the traces draw exact values (beyond: summary mean and band)
TRACE_POINTS = 1500  # about this many summary blocks across the visible span


def trace_curves(trace, quantity: str, layer: int, reverse: bool, units, x0: float, x1: float, fetcher: Fetcher,
                 who=None):
    """The traces' curves over the visible [x0, x1) and a span either side: (a, b, x (n,), mean (n, k),
    lo (n, k) | None, hi (n, k) | None) for ``units`` (k of them), or None while the window is recomputed.
    Short spans are exact windows; longer ones a kept summary's mean with its min/max as a band."""
    T, span = len(trace), max(x1 - x0, 1.0)
    a, b = max(0, int(x0 - span)), min(T, int(math.ceil(x1 + span)))
    units = list(units)
    exact = min(TRACE_EXACT, getattr(trace, "cache_steps", 4 * TRACE_EXACT) // 4)  # the window fits the cache
    if span <= exact or b - a <= 2 ** int(getattr(trace, "min_summary_level", 0)):
        win = fetcher.window(trace, quantity, layer, reverse, a, b, units, who=who)
        if win is None:
            return None
        return a, b, np.arange(a, b) + 0.5, win, None, None
    level = max(int(getattr(trace, "min_summary_level", 0)), int(math.floor(math.log2(span / TRACE_POINTS))), 0)
    s = trace.summary(quantity, layer, reverse, level)
    B = s.block
    i0, i1 = a // B, -(-b // B)
    x = np.minimum(np.arange(i0, i1) * B + B / 2, T)  # (n,) block centres
    return i0 * B, min(i1 * B, T), x, s.mean[i0:i1][:, units], s.min[i0:i1][:, units], s.max[i0:i1][:, units]


class LazyColumn:
    """One unit of one quantity over the whole text, read window by window through a Fetcher: what the coloured
    text colours. ``column[t0:t1]`` is NaN where the window is still being recomputed (``ready`` follows)."""

    def __init__(self, trace, quantity: str, layer: int, reverse: bool, unit: int, fetcher: Fetcher):
        self.trace, self.quantity, self.layer, self.reverse, self.unit = trace, quantity, layer, reverse, unit
        self.fetcher = fetcher

    def __len__(self) -> int:
        return len(self.trace)

    def __getitem__(self, index):
        if isinstance(index, slice):
            t0, t1, _ = index.indices(len(self))
            win = self.fetcher.window(self.trace, self.quantity, self.layer, self.reverse, t0, max(t1, t0),
                                      [self.unit], who=self)
            return np.full(max(t1 - t0, 0), np.nan, np.float32) if win is None else win[:, 0]
        t = int(index)
        return self[t:t + 1][0]


def inspect_row(trace, fetcher: Fetcher):
    """For the inspector: (quantity, layer, reverse, t) -> (1, units) or None while it is recomputed."""
    def row(quantity, layer, reverse, t):
        return fetcher.window(trace, quantity, layer, reverse, t, t + 1, who="inspector")
    return row


def probs_ready(trace, t: int, fetcher: Fetcher) -> bool:
    """trace.probs[t] is at hand (a lazy trace recomputes it: then it is asked for, and ``ready`` follows)."""
    if not is_lazy(trace) or trace.probs is None or trace.probs_cached(t):
        return True
    fetcher.request(trace, 0, False, t, t + 1, who="probs", probs=True)
    return False
