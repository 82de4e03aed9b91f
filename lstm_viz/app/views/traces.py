"""Line plots of the selected units: the cell state c_t, and the hidden state h_t (dashed) on demand; for a cell
without a cell state (GRU, plain RNN) the hidden state h_t, which is then its only state."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from .. import style
from .common import FOREGROUND, SELECTED_TIME, make_plot_widget, vline


class TracesView:
    def __init__(self):
        self.widget = make_plot_widget()
        self.plot = self.widget.getPlotItem()
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self.plot.setLabel("bottom", "timestep", color=FOREGROUND)
        self.plot.setLabel("left", "cell c", color=FOREGROUND)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.getViewBox().setDefaultPadding(0.08)  # the y range fits the curves with a margin
        self.legend = self.plot.addLegend(offset=(-8, 4), labelTextColor=FOREGROUND, brush=(21, 23, 28, 200))
        self.zero = pg.InfiniteLine(0, angle=0, pen=pg.mkPen((120, 120, 120), width=1))
        self.plot.addItem(self.zero, ignoreBounds=True)
        self.vline, self.tline = vline(), vline(SELECTED_TIME)
        self.plot.addItem(self.vline, ignoreBounds=True)
        self.plot.addItem(self.tline, ignoreBounds=True)
        self.curves: list[pg.PlotDataItem] = []
        self.lines: list[tuple[int, np.ndarray]] = []  # (unit, (T,) values) of every curve drawn
        self.widget.setMinimumHeight(90)

    def _add(self, curve: pg.PlotDataItem) -> None:
        self.plot.addItem(curve)
        # Set after adding: pyqtgraph asks the view box for its range while the item is being added.
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)

    def set_curves(self, cell: np.ndarray | None, hidden: np.ndarray | None, units: tuple[int, ...],
                   symbol: str = "c") -> None:
        """cell (T, units) and, when shown, hidden (T, units'); one line per selected unit. ``symbol``: what
        ``cell`` holds, "c" (cell state) or "h" (the hidden state of a cell without a cell state)."""
        for c in self.curves:
            self.plot.removeItem(c)
        self.curves = []
        self.lines = []
        self.legend.clear()
        if cell is None:
            return
        x = np.arange(cell.shape[0]) + 0.5
        for k, u in enumerate(units):
            colour = style.unit_colour(k)
            curve = pg.PlotDataItem(x, cell[:, u], pen=pg.mkPen(colour, width=1.6), name=f"{symbol}, unit {u}")
            self._add(curve)
            self.curves.append(curve)
            self.lines.append((int(u), cell[:, u]))
            if hidden is not None and u < hidden.shape[1]:
                h = pg.PlotDataItem(x, hidden[:, u], name=f"h, unit {u}",
                                    pen=pg.mkPen(colour, width=1.2, style=QtCore.Qt.PenStyle.DashLine))
                self._add(h)
                self.curves.append(h)
                self.lines.append((int(u), hidden[:, u]))
        self.plot.enableAutoRange(axis="y")
        self.plot.setAutoVisible(y=True)  # fit the y range to the visible stretch of time
        # short: the label runs along the left edge of a low panel
        label = "c, h dashed" if hidden is not None else ("cell c" if symbol == "c" else "hidden h")
        self.plot.setLabel("left", label, color=FOREGROUND)

    def unit_near(self, t: int, y: float) -> int | None:
        """The unit whose curve passes nearest the value ``y`` at timestep ``t`` (None without curves)."""
        best, unit = np.inf, None
        for u, values in self.lines:
            if 0 <= t < len(values) and abs(float(values[t]) - y) < best:
                best, unit = abs(float(values[t]) - y), u
        return unit
