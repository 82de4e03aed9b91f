"""The traces' curves at a medium zoom on a keyframe trace, from the same fine tiles as the heatmaps.

Where a heatmap draws bins of 2**floor(log2 step) steps from lstm_viz.core.tiles (views.lazy.HeatmapSource), the
traces draw the selected units' bins at the same level from the same tile cache: the mean line is the bins'
means and the band their exact min and max (band tiles, kept for the traces' state quantity). The level is the
heatmaps' rule (``HeatmapSource.tile_level``) at the traces' own pixels, or the level the heatmaps last asked
for on this layer and direction when it is within one of it (the panels are not exactly as wide), so the tiles
a heatmap asked for are the ones drawn. A heatmap's bins are at most a pixel wide (2**level <= steps per pixel);
a line needs no more than one point a pixel, so the curves merge each pair of bins into one of 2**(level + 1)
steps, exactly (weighted means, min of mins, max of maxes): half the points to paint in every frame of a pan, at
the screen's resolution. Chunks not yet recomputed show the finest kept summary (its mean and its
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
    docstring) merged in pairs (n bins of 2**(level + 1) steps from a), or None when fine tiles are not what this zoom draws (exact windows or the kept summary are).
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
    a = a >> (level + 1) << (level + 1)  # whole pairs of bins
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
    mean, ext = pairs(mean, ext, np.minimum(B, T - np.arange(i0, i1) * B))
    x = np.minimum(np.arange(i0 // 2, -(-i1 // 2)) * 2 * B + B, T)  # (n / 2,) centres of the merged bins
    lo, hi = (None, None) if ext is None else (ext[0], ext[1])
    return i0 * B, min(i1 * B, T), x, mean, lo, hi, level, not missing


def pairs(mean: np.ndarray, ext: np.ndarray | None, steps: np.ndarray):
    """Bins (n, k) of ``steps`` (n,) steps each -> their pairs (ceil(n / 2), k): weighted means summed in
    float64, and of ``ext`` (2, n, k) the min of the mins and the max of the maxes."""
    idx = np.arange(0, len(mean), 2)
    total = np.add.reduceat(mean.astype(np.float64) * steps[:, None], idx, axis=0)  # (n / 2, k)
    merged = (total / np.add.reduceat(steps, idx)[:, None]).astype(np.float32)
    if ext is None:
        return merged, None
    return merged, np.stack([np.minimum.reduceat(ext[0], idx, axis=0), np.maximum.reduceat(ext[1], idx, axis=0)])
