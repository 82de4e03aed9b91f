"""Drawing from a trace that does not hold its arrays (a keyframe trace of a long text): windows are recomputed
off the GUI thread and drawn when ready; zoomed out, the kept summaries are drawn at once.

``Fetcher.window(trace, q, layer, reverse, t0, t1, units)`` returns the window when it can be read at once (an
in-memory trace, a file, or chunks already recomputed), else None: a worker thread recomputes it and ``ready``
fires on the GUI thread when it is cached. Requests from one ``who`` replace that requester's older ones not
started yet, so a fast pan does not queue stale work.

``HeatmapSource`` cuts (columns, units) images for a heatmap: at one step per column (zoomed in) from exact
windows, coarser from the kept summary level whose blocks fit in a column (drawn at their true width). While an
exact window is being recomputed, the finest kept level stands in.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6 import QtCore

from . import binned

EXACT_SPAN = 8192  # steps: exact windows up to this long are recomputed for the heatmaps (a few chunks)


def is_lazy(trace) -> bool:
    """The trace recomputes its windows (reading one may take a while): read it through a Fetcher."""
    return trace is not None and hasattr(trace, "cached")


class Fetcher(QtCore.QObject):
    """Windows of lazy traces, recomputed one at a time on a worker thread (see the module docstring)."""

    ready = QtCore.Signal()
    _computed = QtCore.Signal(object)  # emitted on the worker thread, delivered on the GUI thread

    def __init__(self, parent=None):
        super().__init__(parent)
        self._computed.connect(self._finished, QtCore.Qt.ConnectionType.QueuedConnection)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm_viz-windows")
        self._pending: dict[tuple, object] = {}  # (id(trace), layer, reverse, t0, t1) -> future
        self._by_who: dict[object, list[tuple]] = {}

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

    def busy(self) -> bool:
        return bool(self._pending)

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
        self._pool.shutdown(wait=False, cancel_futures=True)


class HeatmapSource:
    """One (quantity, layer, direction) of a trace, cut into heatmap images through a Fetcher."""

    def __init__(self, trace, quantity: str, layer: int, reverse: bool, fetcher: Fetcher):
        self.trace, self.quantity, self.layer, self.reverse, self.fetcher = trace, quantity, layer, reverse, fetcher
        self.T = len(trace)
        self.units = trace.units(layer, quantity)
        self.k0 = int(getattr(trace, "min_summary_level", 0))

    def _summary_cut(self, level: int, a: int, b: int):
        B = 2 ** level
        s = self.trace.summary(self.quantity, self.layer, self.reverse, level)
        B = s.block  # a level above the top is the top one
        a = a // B * B
        return a, B, s.mean[a // B: -(-b // B)]

    def cut(self, x0: float, x1: float, step: int):
        """(first step, steps per column, block (columns, units) in unit order, complete) for the visible
        [x0, x1) at about ``step`` steps per column; complete False: a better image follows ``ready``."""
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
        a2, width, block = self._summary_cut(self.k0, a, b)
        return a2, width, block, b - a > min(EXACT_SPAN, getattr(self.trace, "cache_steps", EXACT_SPAN) // 2)

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
