"""Gate saturation (Karpathy et al. 2015) in the app: one scatter per gate, layer and direction; x = the fraction
of timesteps a unit's gate is below 0.1, y = above 0.9; one dot per unit.

The fractions come from lstm_viz.core.saturation on the Runner (only while the view is on screen; a long text's
keyframe pass counted them already, lstm_viz.core.unit_sums). Clicking a dot
selects its unit (and layer, direction); the selected units of the layer shown are drawn larger, in their
selection colours.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .. import style
from .choose import guarded, select_units
from .common import BACKGROUND, FOREGROUND

DOT = (120, 170, 230, 150)


def saturation(trace):
    from lstm_viz.core.saturation import gate_saturation

    return gate_saturation(trace)


class SaturationView(QtWidgets.QWidget):
    def __init__(self, state, runner, parent=None):
        super().__init__(parent)
        self.state, self.runner = state, runner
        self.result: list = []
        self.plots: dict[tuple, pg.PlotItem] = {}  # (quantity, layer, reverse) -> plot
        self.dots: dict[tuple, pg.ScatterPlotItem] = {}
        self.marks: dict[tuple, pg.ScatterPlotItem] = {}
        self._for = None  # the trace the plots show
        self.shown = False  # on screen (set by its dock); nothing is counted while hidden
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.status)
        state.trace_changed.connect(lambda _: self.refresh())
        state.selection_changed.connect(lambda _: self._mark())
        state.view_changed.connect(self._mark)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(380, 400)

    def set_shown(self, on: bool) -> None:
        """Whether the view is on screen (its dock's tab is current): work is done only then."""
        self.shown = on
        self.refresh()

    def refresh(self) -> None:
        """Count the saturation of the current trace (when shown and not done already)."""
        trace = self.state.trace
        if trace is None:
            self._draw(None, [])
            self.status.setText("analyse a text first")
            return
        if trace is self._for or not self.shown:
            return
        self.status.setText("counting saturated timesteps…")
        self.runner.start("saturation", saturation, (trace,),
                          returned=guarded(self, lambda r: self._draw(trace, r)),
                          errored=guarded(self, lambda msg: self._failed(trace, msg)))

    def _failed(self, trace, msg: str) -> None:
        """No plots of an older trace stay beside the reason this one has none."""
        if trace is self.state.trace:
            self._draw(trace, [])
            self.status.setText(f"⚠ {msg}")

    def _draw(self, trace, result) -> None:
        if trace is not self.state.trace:
            return
        self._for, self.result = trace, result
        layout = [(s.quantity, s.layer, s.reverse) for s in result]
        if layout == list(self.plots):
            # The same gates, layers and directions: new dots in the plots already built (building the plots
            # costs far more than the counting).
            for s in result:
                self.dots[(s.quantity, s.layer, s.reverse)].setData(s.left, s.right, data=np.arange(len(s.left)))
        else:
            self._build(result)
        n = len(trace) if trace is not None else 0
        self.status.setText(f"one dot per unit, over {n:,} timesteps; the dashed line: saturated all the time. "
                            "Top left of the forget gate: units that remember for long." if result else "")
        self._mark()

    def _build(self, result) -> None:
        self.graphics.clear()
        self.plots, self.dots, self.marks = {}, {}, {}
        gates = list(dict.fromkeys(s.quantity for s in result))
        rows = list(dict.fromkeys((s.layer, s.reverse) for s in result))
        for s in result:
            key = (s.quantity, s.layer, s.reverse)
            # one row per gate, the layers and directions side by side: fits a tall, narrow dock
            p = self.graphics.addPlot(row=gates.index(s.quantity), col=rows.index((s.layer, s.reverse)))
            where = f"layer {s.layer}{', backward' if s.reverse else ''}"
            p.setTitle(f"{style.LABELS.get(s.quantity, s.quantity)}, {where}", color=FOREGROUND, size="9pt")
            p.setLabel("bottom", f"fraction &lt; {s.low:g}", color=FOREGROUND)
            p.setLabel("left", f"fraction &gt; {s.high:g}", color=FOREGROUND)
            p.disableAutoRange()
            p.setXRange(0, 1, padding=0.04)
            p.setYRange(0, 1, padding=0.04)
            p.setMouseEnabled(False, False)
            p.setMinimumSize(120, 110)
            p.hideButtons()
            p.setMenuEnabled(False)
            p.addItem(pg.PlotDataItem([0, 1], [1, 0], pen=pg.mkPen((110, 110, 110), style=QtCore.Qt.PenStyle.DashLine)))
            units = np.arange(len(s.left))
            dots = pg.ScatterPlotItem(s.left, s.right, data=units, size=7, pen=None, brush=pg.mkBrush(*DOT),
                                      hoverable=True, tip=lambda x, y, data: f"unit {data}: {x:.2f} < low, "
                                      f"{y:.2f} > high")
            dots.sigClicked.connect(lambda item, points, ev, key=key: self._clicked(key, points))
            marks = pg.ScatterPlotItem(size=13, pen=pg.mkPen("w", width=1.5))
            marks.setZValue(5)
            p.addItem(dots)
            p.addItem(marks)
            self.plots[key], self.dots[key], self.marks[key] = p, dots, marks

    def _mark(self) -> None:
        st = self.state
        for (q, layer, reverse), marks in self.marks.items():
            sat = next(s for s in self.result if (s.quantity, s.layer, s.reverse) == (q, layer, reverse))
            units = [u for u in st.units if u < len(sat.left)] if (layer, reverse) == (st.layer, st.reverse) else []
            marks.setData([sat.left[u] for u in units], [sat.right[u] for u in units],
                          brush=[pg.mkBrush(style.unit_colour(k)) for k in range(len(units))])

    def _clicked(self, key, points) -> None:
        if len(points):
            _, layer, reverse = key
            select_units(self.state, layer, reverse, [int(points[0].data())])

    def dot_position(self, quantity: str, layer: int, reverse: bool, unit: int) -> QtCore.QPoint:
        """Where unit's dot is, in the graphics view's viewport (tests click there)."""
        sat = next(s for s in self.result if (s.quantity, s.layer, s.reverse) == (quantity, layer, reverse))
        vb = self.plots[(quantity, layer, reverse)].getViewBox()
        scene = vb.mapViewToScene(QtCore.QPointF(float(sat.left[unit]), float(sat.right[unit])))
        return self.graphics.mapFromScene(scene)
