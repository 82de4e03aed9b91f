"""The constant error carousel in the app: for the selected units, the product of the forget gates
∏_{k=s+1..t} f_k against s (log y) up to the selected step t — the factor by which the cell state c_s reaches
c_t, the path along which the LSTM's gradient survives. A GRU shows the product of its update gates z
(h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}); a plain RNN has no such gate, and the view says so in one line.

The products are lstm_viz.core.gradients.gate_product's, read through ``trace.window`` over the last SPAN steps
only (a lazy trace recomputes just those), on the Runner (job kind "carousel"); this view only plots them.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .. import style
from .choose import guarded
from .common import BACKGROUND, FOREGROUND

SPAN = 1000  # steps back from t that are plotted
FLOOR = 1e-300  # products below this (underflow on the way to 0) are not drawn on the log axis


def compute(trace, t: int, units: tuple, layer: int, start: int):
    from lstm_viz.core.gradients import gate_product

    return gate_product(trace, t, list(units), layer=layer, start=start)  # (t + 1 − start, U)


def no_gate_reason(cell) -> str | None:
    """One line for a cell with no gate carrying its state (a plain RNN), else None."""
    if "forget_gate" in cell.quantities or "update_gate" in cell.quantities:
        return None
    name = cell.a_title
    return f"{name[0].upper()}{name[1:]} has no gate: nothing keeps the gradient alive"


class CarouselView(QtWidgets.QWidget):
    def __init__(self, state, runner, parent=None):
        super().__init__(parent)
        self.state, self.runner = state, runner
        self.products = None  # (t + 1 − start, U) drawn
        self.start = 0
        self.request = None  # (trace, t, units, layer) drawn or running
        self.drawn = None  # the request ``products`` belong to
        self.shown = False
        self.plot_widget = pg.PlotWidget(background=BACKGROUND)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLogMode(x=False, y=True)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "s (timestep)", color=FOREGROUND)
        self.plot_widget.setMinimumHeight(150)
        self.curves: list[pg.PlotDataItem] = []
        self.title = QtWidgets.QLabel()
        self.title.setWordWrap(True)
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.title)
        lay.addWidget(self.plot_widget, 1)
        lay.addWidget(self.status)
        self.setMinimumHeight(240)  # a short dock scrolls rather than squeezing the lines into the plot
        self.debounce = QtCore.QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(120)
        self.debounce.timeout.connect(self.refresh)
        state.trace_changed.connect(lambda _: self.refresh())
        state.selection_changed.connect(lambda _: self.refresh())
        state.view_changed.connect(self.refresh)
        state.time_selected.connect(lambda _: self.debounce.start())

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(380, 260)

    def set_shown(self, on: bool) -> None:
        self.shown = on
        self.refresh()

    def refresh(self) -> None:
        self.debounce.stop()
        st = self.state
        trace = st.trace
        if trace is None:
            self._clear("analyse a text first")
            return
        reason = no_gate_reason(trace.cell)
        if reason is not None:
            self.request = None
            self._clear(reason)
            return
        t = min(int(st.time), len(trace) - 1)
        units = tuple(int(u) for u in st.units)
        request = (trace, t, units, st.layer)
        if not self.shown or request == self.request:
            return
        self.request = request
        if not units:
            self._clear("select a unit")
            return
        if self.drawn is not None and self.drawn[0] is not trace:
            self._clear("")  # the products of another model or text do not stay while these are computed
        start = max(0, t - SPAN)
        self.status.setText("multiplying the gates…")
        self.runner.start("carousel", compute, (trace, t, units, st.layer, start),
                          returned=guarded(self, lambda p: self._draw(request, start, p)),
                          errored=guarded(self, lambda msg: self._failed(request, msg)))

    def _gate(self) -> str:
        return "forget_gate" if "forget_gate" in self.state.trace.cell.quantities else "update_gate"

    def _failed(self, request, msg: str) -> None:
        if request == self.request:
            self._clear(f"⚠ {msg}")

    def _clear(self, message: str) -> None:
        self.products = self.drawn = None
        for c in self.curves:
            self.plot.removeItem(c)
        self.curves = []
        self.title.setText("")
        self.status.setText(message)

    def _draw(self, request, start: int, products: np.ndarray) -> None:
        if request != self.request:
            return
        trace, t, units, layer = request
        self._clear("")
        self.products, self.start, self.drawn = products, start, request
        s = np.arange(start, t + 1, dtype=float)
        for k, u in enumerate(units):
            y = products[:, k]
            keep = y > FLOOR
            curve = pg.PlotDataItem(s[keep], y[keep], pen=pg.mkPen(style.unit_colour(k), width=1.8),
                                    name=f"unit {u}")
            self.plot.addItem(curve)
            self.curves.append(curve)
        symbol = style.SYMBOL[self._gate()]
        self.plot.setLabel("left", f"∏ {symbol}<sub>k</sub>, k = s+1..t", color=FOREGROUND)
        where = f"layer {layer}, " if trace.num_layers > 1 else ""
        self.title.setText(f"{style.LABELS[self._gate()]} product from s to t = {t:,}, {where}"
                           + ", ".join(f"<span style='color:{style.unit_colour(k)}'>unit {u}</span>"
                                       for k, u in enumerate(units)))
        lines = ["near 1: the state, and its gradient, reach back to s"]
        if start:
            lines.append(f"the last {SPAN:,} steps")
        gone = int(np.sum(products <= FLOOR))
        if gone:
            lines.append(f"{gone} values below {FLOOR:g} not drawn")
        if self.state.reverse:
            lines.append("forward direction")
        self.status.setText("; ".join(lines))
