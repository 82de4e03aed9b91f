"""The traces panel's curves for the plot stack: the state of the selected units over the visible stretch.

An in-memory trace gives whole columns (pyqtgraph clips them to the view). A lazy (keyframe) trace gives the
visible stretch and a span either side: exact values when short, a kept summary's mean and min/max band when
long; it is cut again once a pan or zoom settles, and when a window it waited for has been recomputed. At the
zooms where the heatmaps draw fine tiles, the curves are those tiles' bins (views.trace_tiles): the mean line the
bins' means, the band their min and max; every tile job of the shown layer keeps the traces' tiles too
(``Fetcher.stand``), so the chunks a heatmap recomputes serve both; while some are missing the kept summary
stands in and the curves are cut again when ``ready`` brings them.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from .views.lazy import is_lazy, trace_curves
from .views.trace_tiles import tile_curves

SETTLE_MS = 40  # a lazy trace's curves are re-cut this long after the last pan or zoom step


class TraceCurves(QtCore.QObject):
    def __init__(self, state, traces, master, fetcher, parent=None):
        super().__init__(parent)
        self.state, self.traces, self.master, self.fetcher = state, traces, master, fetcher
        self._key = None  # what is drawn: None when nothing is (or a window is awaited)
        self._complete = True  # False: fine tiles were missing (the kept summary stood in); cut again when ready
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(lambda: self.draw(self.state.units))
        master.getViewBox().sigXRangeChanged.connect(lambda *_: self._follow())

    @property
    def waiting(self) -> bool:
        """Nothing drawn yet for the current trace and selection (a window was awaited), or stand-ins drawn for
        fine tiles still being recomputed."""
        return self._key is None or not self._complete

    def forget(self) -> None:
        """A new trace: whatever is drawn is drawn again at the next ``draw``."""
        self._key = None

    def _follow(self) -> None:
        if is_lazy(self.state.trace):
            self._timer.start()

    def draw(self, units) -> None:
        """The cell state c of the selected units (h dashed on demand); h alone for a cell without c."""
        s = self.state
        has_c = s.cell.has_cell_state
        if is_lazy(s.trace):
            if not self._timer.isActive():  # while a pan or zoom goes on, the settle timer draws
                self._draw_lazy(units)
            return
        main = s.values(s.state_quantity)
        hidden = s.values("hidden") if s.show_hidden and has_c else None
        key = (id(main), id(hidden), tuple(units))
        if key == self._key:
            return
        self._key = key
        self.traces.set_curves(main, hidden, units, symbol="c" if has_c else "h")

    def _draw_lazy(self, units) -> None:
        """The curves of the visible stretch only: exact when it is short, else a summary with its band."""
        s, tr = self.state, self.state.trace
        (x0, x1), _ = self.master.getViewBox().viewRange()
        x0, x1 = max(0.0, x0), min(float(len(tr)), x1)
        has_c = s.cell.has_cell_state
        show_h = s.show_hidden and has_c
        key = (id(tr), s.layer, s.reverse, tuple(units), show_h)
        pixels = self.traces.plot.getViewBox().width()
        cache = tr.tile_cache() if hasattr(tr, "tile_cache") and getattr(tr, "min_summary_level", 0) > 0 else None
        if cache is not None:  # every tile job of this layer keeps the traces' tiles too
            self.fetcher.stand("traces", cache, s.layer, s.reverse,
                               (s.state_quantity,) + (("hidden",) if show_h else ()), (s.state_quantity,))
        if self._key is not None and self._key[0] == key and self._complete:
            a, b, span = self._key[1]
            give = 1.01 if cache is not None else 2  # with fine tiles the level follows the zoom: only a pan is free
            if a <= x0 and x1 <= b and 1 / give <= (x1 - x0) / span <= give:
                return
        n_state = tr.units(s.layer, s.state_quantity)
        units = tuple(u for u in units if u < n_state)
        q, nh = s.state_quantity, tr.units(s.layer, "hidden")
        hu = [u for u in units if u < nh]
        complete = True
        cut = tile_curves(tr, q, s.layer, s.reverse, units, x0, x1, pixels, self.fetcher, "traces")
        if cut is not None:
            *cut, level, complete = cut
            hcut = None
            if show_h:
                hcut = tile_curves(tr, "hidden", s.layer, s.reverse, hu, x0, x1, pixels, self.fetcher,
                                   "traces-h", band=False, level=level)
                complete = complete and hcut[-1]
        else:
            cut = trace_curves(tr, q, s.layer, s.reverse, units, x0, x1, self.fetcher, who="traces")
            hcut = None
            if cut is not None and show_h:
                hcut = trace_curves(tr, "hidden", s.layer, s.reverse, hu, x0, x1, self.fetcher, who="traces-h")
                if hcut is None:
                    cut = None
        if cut is None:
            self._key = None  # drawn when the window is ready
            return
        hidden = None
        if hcut is not None:
            hidden = np.full((len(hcut[2]), len(units)), np.nan, np.float32)
            for k, u in enumerate(units):
                if u in hu:
                    hidden[:, k] = hcut[3][:, hu.index(u)]
        a, b, x, mean, lo, hi = cut
        self._key = (key, (a, b, max(x1 - x0, 1.0)))
        self._complete = complete
        self.traces.set_window(x, mean, hidden, units, "c" if has_c else "h", lo, hi,
                               shows_hidden=s.show_hidden and has_c, windowed=True)
