"""Drawing from a trace that does not hold its arrays (a keyframe trace of a long text): windows are recomputed
off the GUI thread and drawn when ready; zoomed out, the kept summaries are drawn at once.

``Fetcher.window(trace, q, layer, reverse, t0, t1, units)`` returns the window when it can be read at once (an
in-memory trace, a file, or chunks already recomputed), else None: a worker thread recomputes it and ``ready``
fires on the GUI thread when it is cached. Requests from one ``who`` replace that requester's older ones not
started yet, so a fast pan does not queue stale work.

``HeatmapSource`` cuts (columns, units) images for a heatmap: at one step per column (zoomed in) from exact
windows, coarser from the kept summary level whose blocks fit in a column (drawn at their true width). Between
the two (a medium zoom on a long text, bins finer than the finest kept level) from fine tiles
(lstm_viz.core.tiles): ``Fetcher.tiles`` recomputes the chunks of the window on a second worker thread, the
visible ones first, and keeps their bins in the trace's bounded tile cache, so a pan recomputes only new chunks.
Fine tiles are asked for only when the visible chunks cost at most ``tiles.WORK_BUDGET`` seconds to recompute
(``TileCache.affordable``) and one window of them fits in a share of the cache; otherwise the kept level is the
picture. While an exact window or a fine tile is being recomputed, the finest kept level stands in.

A view may also ask once for what every tile job of a layer and direction keeps (``Fetcher.stand``: the traces
want their state's means and min/max bands): a job started later by a heatmap then keeps them too, so the
traces, which cut after a pan settles, find their tiles computed in the same pass over each chunk.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6 import QtCore

from . import binned

EXACT_SPAN = 8192  # steps: exact windows up to this long are recomputed for the heatmaps (a few chunks)
TILE_SHARE = 8  # one heatmap's window of fine tiles takes at most this fraction of the tile cache (1 / TILE_SHARE)


def is_lazy(trace) -> bool:
    """The trace recomputes its windows (reading one may take a while): read it through a Fetcher."""
    return trace is not None and hasattr(trace, "cached")


class _TileJob:
    """One request for fine tiles: chunks in the order wanted (the ``first`` visible ones first), for the
    quantities of every view that joined it."""

    def __init__(self, key: tuple, cache, layer: int, reverse: bool, level: int, chunks: tuple, first: int):
        self.key, self.cache, self.layer, self.reverse, self.level = key, cache, layer, reverse, level
        self.chunks, self.first = chunks, first
        self.quantities: tuple[str, ...] = ()  # replaced whole when a view joins (read by the worker)
        self.bands: tuple[str, ...] = ()  # quantities whose min/max band tiles are kept too (likewise)
        self.whos: set = set()
        self.cancelled = False
        self.future = None

    def run(self, partial) -> None:
        """On the worker thread: compute; ``partial()`` once when the visible chunks are all held."""
        told = [self.first == 0]

        def progress(_done):
            if not told[0] and not self.cache.missing(self.quantities, self.layer, self.reverse, self.level,
                                                      self.chunks[:self.first], self.bands):
                told[0] = True
                partial()

        self.cache.work(self.layer, self.reverse, self.level, self.chunks, lambda: self.quantities,
                        lambda: self.cancelled, progress=progress, bands=lambda: self.bands)

    def want(self, quantities, bands) -> None:
        """Keep these too (a view joined)."""
        self.quantities = self.quantities + tuple(q for q in quantities if q not in self.quantities)
        self.bands = self.bands + tuple(q for q in bands if q not in self.bands)


class Fetcher(QtCore.QObject):
    """Windows of lazy traces, recomputed one at a time on a worker thread, and fine tiles on a second one (see
    the module docstring)."""

    ready = QtCore.Signal()
    _computed = QtCore.Signal(object)  # emitted on the worker thread, delivered on the GUI thread
    _tiles_computed = QtCore.Signal(object, bool)  # (job, final): from the tile worker to the GUI thread

    def __init__(self, parent=None):
        super().__init__(parent)
        self._computed.connect(self._finished, QtCore.Qt.ConnectionType.QueuedConnection)
        self._tiles_computed.connect(self._tiles_finished, QtCore.Qt.ConnectionType.QueuedConnection)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm_viz-windows")
        self._tile_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm_viz-tiles")
        self._pending: dict[tuple, object] = {}  # (id(trace), layer, reverse, t0, t1) -> future
        self._by_who: dict[object, list[tuple]] = {}
        self._tile_jobs: dict[tuple, _TileJob] = {}  # jobs not finished, by key
        self._tile_who: dict[object, tuple] = {}  # requester -> the key of its job
        self._standing: dict[object, tuple] = {}  # who -> ((id(cache), layer, reverse), quantities, bands)
        self._levels: dict[tuple, int] = {}  # (id(cache), layer, reverse) -> the level last asked for
        self._closed = False

    def window(self, trace, quantity: str, layer: int, reverse: bool, t0: int, t1: int, units=None,
               who: object = None):
        if not is_lazy(trace) or trace.cached(layer, reverse, t0, t1):
            return trace.window(quantity, layer, reverse, t0, t1, units)
        self.request(trace, layer, reverse, t0, t1, who)
        return None

    def request(self, trace, layer: int, reverse: bool, t0: int, t1: int, who: object = None,
                probs: bool = False) -> None:
        key = (id(trace), layer, bool(reverse), int(t0), int(t1), probs)
        if key in self._pending:
            return
        if who is not None:
            for old in self._by_who.pop(who, []):
                fut = self._pending.get(old)
                if fut is not None and fut.cancel():
                    self._pending.pop(old, None)
            self._by_who[who] = [key]
        q = trace.quantities[0]

        def work():
            if probs:
                trace.probs[t0]
            else:
                trace.window(q, layer, reverse, t0, t1)

        fut = self._pool.submit(work)
        self._pending[key] = fut
        fut.add_done_callback(lambda f, key=key: self._done(key, f))

    def stand(self, who: object, cache, layer: int, reverse: bool, quantities=(), bands=()) -> None:
        """From now on every tile job of (cache, layer, reverse) also keeps the tiles of ``quantities`` and the
        band tiles of ``bands`` (replacing ``who``'s earlier wish); a job already under way takes them at its
        next chunk."""
        where = (id(cache), int(layer), bool(reverse))
        self._standing[who] = (where, tuple(quantities), tuple(bands))
        for job in self._tile_jobs.values():
            if job.key[:3] == where:
                job.want(quantities, bands)

    def level_asked(self, cache, layer: int, reverse: bool) -> int | None:
        """The tile level last asked for on (cache, layer, reverse), None before any."""
        return self._levels.get((id(cache), int(layer), bool(reverse)))

    def tiles(self, cache, quantity: str, layer: int, reverse: bool, level: int, chunks, first: int,
              who: object, band: bool = False) -> None:
        """Recompute the fine tiles of ``chunks`` (in this order; the ``first`` are visible) for ``quantity`` at
        ``level`` (lstm_viz.core.tiles); ``ready`` fires when the visible ones are held and when all are (or the
        job's time is up). Views asking for the same chunks share one job; a ``who``'s new request leaves its old
        job, which is cancelled (at its next chunk) when no one else waits for it. ``band``: keep the bins' min
        and max of ``quantity`` too."""
        if self._closed:  # a view refreshing while the window closes
            return
        key = (id(cache), int(layer), bool(reverse), level, tuple(chunks))
        self._levels[key[:3]] = level
        if key not in self._tile_jobs:  # a job under way for these chunks and more (a wider window) serves too
            want = set(key[4])
            key = next((k for k, j in self._tile_jobs.items() if k[:4] == key[:4] and want <= set(j.chunks)), key)
        old = self._tile_who.get(who)
        if old is not None and old != key:
            job = self._tile_jobs.get(old)
            if job is not None:
                job.whos.discard(who)
                if not job.whos:
                    job.cancelled = True
                    if job.future is not None:
                        job.future.cancel()
                    del self._tile_jobs[old]
        job = self._tile_jobs.get(key)
        if job is None:
            job = _TileJob(key, cache, layer, bool(reverse), level, tuple(chunks), first)
            self._tile_jobs[key] = job
            job.quantities = (quantity,)
            for where, qs, bs in self._standing.values():
                if where == key[:3]:
                    job.want(qs, bs)
            # started in the next pass of the event loop: the other heatmaps (each cuts in its own pass, all
            # queued by the same range change) join first, so a chunk is recomputed once for all of them
            QtCore.QTimer.singleShot(0, self, lambda job=job: self._start(job))
        job.want((quantity,), (quantity,) if band else ())
        job.whos.add(who)
        self._tile_who[who] = key

    def _start(self, job: _TileJob) -> None:
        if job.cancelled or self._closed:
            return
        job.future = self._tile_pool.submit(job.run, lambda: self._tile_emit(job, False))
        job.future.add_done_callback(lambda f: self._tile_emit(job, True))

    def _tile_emit(self, job: _TileJob, final: bool) -> None:
        """On the tile worker: tell the GUI thread (not for a cancelled job: no one waits for it)."""
        if job.cancelled:
            return
        try:
            self._tiles_computed.emit(job, final)
        except RuntimeError:  # the views are gone
            pass

    def _tiles_finished(self, job: _TileJob, final: bool) -> None:
        if self._tile_jobs.get(job.key) is not job or job.cancelled:  # replaced or cancelled since
            return
        if final:
            del self._tile_jobs[job.key]
        self.ready.emit()

    def busy(self) -> bool:
        return bool(self._pending) or bool(self._tile_jobs)

    def _done(self, key, fut) -> None:
        """On the worker thread: the chunks are in the trace's cache now; tell the GUI thread."""
        if fut.cancelled():
            return
        try:
            self._computed.emit(key)
        except RuntimeError:  # the views are gone
            pass

    def _finished(self, key) -> None:
        self._pending.pop(key, None)
        self.ready.emit()

    def shutdown(self) -> None:
        self._closed = True
        for job in self._tile_jobs.values():
            job.cancelled = True
        self._tile_jobs.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._tile_pool.shutdown(wait=False, cancel_futures=True)


class HeatmapSource:
    """One (quantity, layer, direction) of a trace, cut into heatmap images through a Fetcher."""

    def __init__(self, trace, quantity: str, layer: int, reverse: bool, fetcher: Fetcher):
        self.trace, self.quantity, self.layer, self.reverse, self.fetcher = trace, quantity, layer, reverse, fetcher
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
            self.ask(level, i0, i1, x0, x1, ("tiles", self.quantity, self.layer, self.reverse))
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
