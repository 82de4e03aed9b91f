"""Line plots of the selected units: the cell state c_t, and the hidden state h_t (dashed) on demand; for a cell
without a cell state (GRU, plain RNN) the hidden state h_t, which is then its only state."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .. import style
from .common import FOREGROUND, SELECTED_TIME, ValueGrid, make_plot_widget, vline


def band_item(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, colour) -> QtWidgets.QGraphicsPathItem:
    """The filled band between lo (n,) and hi (n,) over x (n,): one polygon built at once (thousands of fine bins
    in milliseconds, where pg.FillBetweenItem walks the curves' paths)."""
    path = pg.arrayToQPath(np.concatenate([x, x[::-1]]), np.concatenate([lo, hi[::-1]]), connect="finite")
    item = QtWidgets.QGraphicsPathItem(path)
    # painted once per zoom: a pan only moves the cached pixmap (thousands of vertices are not filled per frame)
    item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
    c = pg.mkColor(colour)
    item.setBrush(pg.mkBrush(c.red(), c.green(), c.blue(), 60))
    item.setPen(pg.mkPen(None))
    return item


CACHED_POINTS = 20_000  # curves up to this long (a lazy trace's window) are drawn whole and cached as a picture


class TracesView:
    def __init__(self):
        self.widget = make_plot_widget()
        self.plot = self.widget.getPlotItem()
        self.grid = ValueGrid(self.plot, alpha=0.15)
        self.plot.setLabel("bottom", "timestep", color=FOREGROUND)
        self.plot.setLabel("left", "cell c", color=FOREGROUND)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.disableAutoRange(axis="y")  # fit_y follows the visible stretch, with some give
        self.plot.getViewBox().sigXRangeChanged.connect(lambda *_: self.fit_y())
        self.legend = self.plot.addLegend(offset=(-8, 4), labelTextColor=FOREGROUND, brush=(21, 23, 28, 200))
        self.zero = pg.InfiniteLine(0, angle=0, pen=pg.mkPen((120, 120, 120), width=1))
        self.plot.addItem(self.zero, ignoreBounds=True)
        self.vline, self.tline = vline(), vline(SELECTED_TIME)
        self.plot.addItem(self.vline, ignoreBounds=True)
        self.plot.addItem(self.tline, ignoreBounds=True)
        self.curves: list[pg.PlotDataItem] = []
        self.lines: list[tuple[int, np.ndarray, np.ndarray]] = []  # (unit, x (n,), values (n,)) per curve
        self.bands: list[tuple[np.ndarray, np.ndarray]] = []  # (x (n,), lo or hi (n,)): the bands' edges
        self.windowed = False  # the curves are a window cut for the view (see fit_y)
        self.widget.setMinimumHeight(90)

    def _add(self, curve: pg.PlotDataItem) -> None:
        self.plot.addItem(curve)
        if len(curve.xData) > CACHED_POINTS:  # whole columns: clipped and thinned to the view at every change
            # Set after adding: pyqtgraph asks the view box for its range while the item is being added.
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        else:  # a window cut for this zoom: its path built once, a pan moves the cached picture
            curve.curve.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_curves(self, cell: np.ndarray | None, hidden: np.ndarray | None, units: tuple[int, ...],
                   symbol: str = "c") -> None:
        """cell (T, units) and, when shown, hidden (T, units'); one line per selected unit. ``symbol``: what
        ``cell`` holds, "c" (cell state) or "h" (the hidden state of a cell without a cell state)."""
        if cell is None:
            self.set_window(None, None, None, units, symbol)
            return
        units = tuple(units)
        h = None
        if hidden is not None:
            h = np.stack([hidden[:, u] if u < hidden.shape[1] else np.full(len(hidden), np.nan, np.float32)
                          for u in units], axis=1) if units else np.zeros((len(hidden), 0), np.float32)
        self.set_window(np.arange(cell.shape[0]) + 0.5, cell[:, list(units)], h, units, symbol,
                        shows_hidden=hidden is not None)

    def set_window(self, x: np.ndarray | None, cell: np.ndarray | None, hidden: np.ndarray | None,
                   units: tuple[int, ...], symbol: str = "c", lo: np.ndarray | None = None,
                   hi: np.ndarray | None = None, shows_hidden: bool | None = None, windowed: bool = False) -> None:
        """Curves over the steps ``x`` (n,): cell (n, k) one column per unit of ``units``, hidden (n, k) (NaN
        columns: no such hidden unit) when shown; ``lo``/``hi`` (n, k): a band around each cell curve (the min
        and max of a summary block when a point stands for many steps); ``windowed``: cut for the visible
        stretch and cut again when a pan settles (see ``fit_y``)."""
        self.windowed = windowed
        for c in self.curves:
            self.plot.removeItem(c)
        self.curves = []
        self.lines, self.bands = [], []
        self.legend.clear()
        if cell is None:
            return
        shows_hidden = hidden is not None if shows_hidden is None else shows_hidden
        for k, u in enumerate(units):
            colour = style.unit_colour(k)
            if lo is not None and hi is not None:
                band = band_item(x, lo[:, k], hi[:, k], colour)
                self.plot.addItem(band)
                self.curves.append(band)
                self.bands += [(x, lo[:, k]), (x, hi[:, k])]
            curve = pg.PlotDataItem(x, cell[:, k], pen=pg.mkPen(colour, width=1.6), name=f"{symbol}, unit {u}")
            self._add(curve)
            self.curves.append(curve)
            self.lines.append((int(u), x, cell[:, k]))
            if hidden is not None and not np.isnan(hidden[:, k]).all():
                h = pg.PlotDataItem(x, hidden[:, k], name=f"h, unit {u}",
                                    pen=pg.mkPen(colour, width=1.2, style=QtCore.Qt.PenStyle.DashLine))
                self._add(h)
                self.curves.append(h)
                self.lines.append((int(u), x, hidden[:, k]))
        self.fit_y(force=True)
        # short: the label runs along the left edge of a low panel
        label = "c, h dashed" if shows_hidden else ("cell c" if symbol == "c" else "hidden h")
        self.plot.setLabel("left", label, color=FOREGROUND)

    def visible_extent(self, give: float = 0.0) -> tuple[float, float] | None:
        """The lowest and highest value the curves (and bands) reach in the visible time range (widened by
        ``give`` times its width either side)."""
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        x0, x1 = x0 - give * (x1 - x0), x1 + give * (x1 - x0)
        lo, hi = np.inf, -np.inf
        for x, values in [(x, v) for _, x, v in self.lines] + self.bands:
            a, b = np.searchsorted(x, [x0, x1])
            seen = values[max(a - 1, 0):b + 1]  # one point either side: the line runs to the edge
            if len(seen) and not np.isnan(seen).all():
                lo, hi = min(lo, float(np.nanmin(seen))), max(hi, float(np.nanmax(seen)))
        return (lo, hi) if lo <= hi else None

    def fit_y(self, force: bool = False) -> None:
        """Fit the value axis to the visible stretch with an 8 % margin, only when a curve leaves the range or
        fills less than half of it (or ``force``): panning keeps the axis still (no tick jitter, and no repaint
        of the axis in every frame) while the curves stay in view. A refit while panning takes in half a screen
        either side, so that fine curves with spiky bands do not ask again a few frames later; curves cut for a
        window (``windowed``: a lazy trace's, fitted again when cut after a pan settles) only grow the range."""
        ext = self.visible_extent()
        if ext is None:
            return
        lo, hi = ext
        span = max(hi - lo, 1e-6 * max(abs(lo), abs(hi), 1e-3))
        _, (y0, y1) = self.plot.getViewBox().viewRange()
        if not force and y0 <= lo and hi <= y1 and (self.windowed or (hi - lo) >= 0.5 * (y1 - y0)):
            return
        if not force:
            lo, hi = self.visible_extent(0.5) or ext
            span = max(hi - lo, 1e-6 * max(abs(lo), abs(hi), 1e-3))
        self.plot.setYRange(lo - 0.08 * span, hi + 0.08 * span, padding=0)

    def unit_near(self, t: int, y: float) -> int | None:
        """The unit whose curve passes nearest the value ``y`` at timestep ``t`` (None without curves)."""
        best, unit = np.inf, None
        for u, x, values in self.lines:
            if not len(x) or not x[0] - 1 <= t + 0.5 <= x[-1] + 1:
                continue
            k = min(int(np.searchsorted(x, t + 0.5)), len(x) - 1)
            v = float(values[k])
            if np.isfinite(v) and abs(v - y) < best:
                best, unit = abs(v - y), u
        return unit
