"""The traces' curves at a medium zoom on a keyframe trace, from the same fine tiles as the heatmaps.

Where a heatmap draws bins of 2**floor(log2 step) steps from lstm_viz.core.tiles (views.lazy.HeatmapSource), the
traces draw the selected units' bins at the same level from the same tile cache: the mean line is the bins'
means and the band their exact min and max (band tiles, kept for the traces' state quantity). The level is the
heatmaps' rule (``HeatmapSource.tile_level``) at the traces' own pixels, or the level the heatmaps last asked
for on this layer and direction when it is within one of it (the panels are not exactly as wide), so the tiles
a heatmap asked for are the ones drawn. Chunks not yet recomputed show the finest kept summary (its mean and its
coarser min/max band) until ``ready``; the cut then says it is incomplete and is cut again.
"""
from __future__ import annotations

import math

import numpy as np

from . import lazy
from .lazy import Fetcher, HeatmapSource


def tile_curves(trace, quantity: str, layer: int, reverse: bool, units, x0: float, x1: float, pixels: float,
                fetcher: Fetcher, who, band: bool = True, level: int | None = None):
    """(a, b, x (n,), mean (n, k), lo (n, k) | None, hi (n, k) | None, level, complete) for ``units`` over the
    visible [x0, x1) and a span either side, from fine tiles of ``level`` (default: the rule in the module
    docstring), or None when fine tiles are not what this zoom draws (exact windows or the kept summary are).
    ``band``: lo and hi are the bins' min and max (else None)."""
    src = HeatmapSource(trace, quantity, layer, reverse, fetcher)
    cache = src.tiles
    if cache is None:
        return None
    T, span = len(trace), max(x1 - x0, 1.0)
    if level is None and span <= min(lazy.TRACE_EXACT, getattr(trace, "cache_steps", 4 * lazy.TRACE_EXACT) // 4):
        return None  # short: exact windows (lazy.trace_curves)
    a, b = max(0, int(x0 - span)), min(T, int(math.ceil(x1 + span)))
    if level is None:
        level = src.tile_level(x0, x1, a, b, max(1, int(span / max(pixels, 1.0))))
        if level is None:
            return None
        asked = fetcher.level_asked(cache, layer, reverse)
        if asked is not None and abs(asked - level) <= 1 and asked < src.k0 and asked <= cache.chunk_level:
            level = asked
    units = list(units)
    B = 1 << level
    i0, i1 = a >> level, -(-b // B)  # the window's bins
    n, k = i1 - i0, len(units)
    mean = np.empty((n, k), np.float32)  # (bins, k)
    missing = set(cache.fill(mean, quantity, layer, reverse, level, i0, units))
    ext = None
    if band:
        ext = np.empty((2, n, k), np.float32)  # (min | max, bins, k)
        missing |= set(cache.fill_band(ext, quantity, layer, reverse, level, i0, units))
    if missing:  # the finest kept level stands in for the chunks not held
        kept = trace.summary(quantity, layer, reverse, src.k0)
        per = cache.chunk >> level  # bins per chunk
        for m in sorted(missing):
            lo, hi = max(m * per, i0), min((m + 1) * per, i1)
            rows = np.minimum((np.arange(lo, hi) << level) >> src.k0, len(kept.mean) - 1)
            mean[lo - i0:hi - i0] = kept.mean[rows][:, units]
            if ext is not None:
                ext[0, lo - i0:hi - i0] = kept.min[rows][:, units]
                ext[1, lo - i0:hi - i0] = kept.max[rows][:, units]
        src.ask(level, i0, i1, x0, x1, who, band)
    x = np.minimum(np.arange(i0, i1) * B + B / 2, T)  # (n,) bin centres
    lo, hi = (None, None) if ext is None else (ext[0], ext[1])
    return i0 * B, min(i1 * B, T), x, mean, lo, hi, level, not missing
