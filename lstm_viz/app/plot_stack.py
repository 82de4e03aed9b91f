"""The time-aligned views stacked in one column: token strip, one heatmap per shown quantity, the traces.

Every x axis is linked to the strip's, so zoom and pan anywhere moves all of them. This widget subscribes to
the AppState and turns mouse gestures into state changes (hover, unit and timestep selection).
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from . import style
from .ordering import unit_order
from .views.heatmap import HeatmapView
from .views.text_strip import TextStripView
from .views.traces import TracesView


class PlotStack(QtWidgets.QWidget):
    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.strip = TextStripView()
        self.heatmaps = {q: HeatmapView(q) for q in style.QUANTITIES}
        self.traces = TracesView()
        self.orders: dict[str, np.ndarray] = {}
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.strip.widget)
        for q in style.QUANTITIES:
            lay.addWidget(self.heatmaps[q], 2)
        lay.addWidget(self.traces.widget, 2)
        master = self.strip.plot
        for h in self.heatmaps.values():
            h.plot.setXLink(master)
            h.hovered.connect(lambda t, row, q=h.quantity: self._heatmap_hover(q, t, row))
            h.clicked.connect(lambda t, row, add, q=h.quantity: self._heatmap_click(q, t, row, add))
        self.traces.plot.setXLink(master)
        for w in (self.strip.widget, self.traces.widget):
            w.scene().sigMouseMoved.connect(lambda pos, w=w: self._time_hover(w, pos))
        self.strip.widget.scene().sigMouseClicked.connect(self._strip_click)
        state.trace_changed.connect(self._trace_changed)
        state.view_changed.connect(self.redraw)
        state.panels_changed.connect(self._panels)
        state.selection_changed.connect(self._selection)
        state.show_hidden_changed.connect(lambda _: self._selection(state.units))
        state.hover_changed.connect(self._hover)
        state.time_selected.connect(self._time_selected)
        self._panels(state.panels)

    # -- state -> views ---------------------------------------------------------------------------------------
    def _trace_changed(self, trace) -> None:
        first = not self.strip.item.tokens
        old_len = len(self.strip.item.tokens)
        self.strip.set_tokens(trace.tokens if trace is not None else ())
        self.redraw(traces=False)
        if trace is not None and (first or old_len != len(trace)):
            self.reset_zoom()
        # The traces follow in a later pass of the event loop: no single pass keeps the GUI busy for long.
        QtCore.QTimer.singleShot(15, self, lambda: self._draw_traces(self.state.units))

    def reset_zoom(self) -> None:
        tr = self.state.trace
        if tr is None:
            return
        # Wide enough to read every token: about 9 pixels each.
        width = max(self.strip.plot.getViewBox().width(), 400.0)
        self.strip.plot.setXRange(0, min(len(tr), int(width / 9)), padding=0)

    def show_whole_text(self) -> None:
        """Every timestep and every unit in view (Ctrl+9)."""
        tr = self.state.trace
        if tr is None:
            return
        self.strip.plot.setXRange(0, len(tr), padding=0)

    def redraw(self, traces: bool = True) -> None:
        s = self.state
        ref = s.values(s.quantity)
        cell = s.values("cell")
        base = ref if ref is not None and cell is not None and ref.shape[1] == cell.shape[1] else cell
        order = unit_order(base, s.order, s.time)
        for q, h in self.heatmaps.items():
            if h.isVisible() or q in s.panels:
                values = s.values(q)
                h.set_data(values, order if values is not None and order is not None
                           and len(order) == values.shape[1] else None)
            self.orders[q] = h.axis.order
        self._selection(s.units, traces)
        self._time_selected(s.time)

    def _panels(self, panels) -> None:
        for q, h in self.heatmaps.items():
            h.setVisible(q in panels)
        self.redraw()

    def _selection(self, units, traces: bool = True) -> None:
        for q, h in self.heatmaps.items():
            order = h.axis.order
            where = {int(u): r for r, u in enumerate(order)}
            rows = [where[u] for u in units if u in where]
            h.set_marks(rows, [style.unit_colour(k) for k, u in enumerate(units) if u in where])
        if traces:
            self._draw_traces(units)

    def _draw_traces(self, units) -> None:
        s = self.state
        hidden = s.values("hidden") if s.show_hidden else None
        self.traces.set_curves(s.values("cell"), hidden, units)

    def _hover(self, t, unit) -> None:
        for h in self.heatmaps.values():
            order = h.axis.order
            row = None
            if unit is not None:
                hits = np.nonzero(order == unit)[0]
                row = int(hits[0]) if len(hits) else None
            h.set_crosshair(t, row)
        for line in (self.strip.vline, self.traces.vline):
            line.setVisible(t is not None)
            if t is not None:
                line.setPos(t + 0.5)

    def _time_selected(self, t) -> None:
        if self.state.trace is None:
            return
        for h in self.heatmaps.values():
            h.set_selected_time(t)
        for line in (self.strip.tline, self.traces.tline):
            line.setPos(t + 0.5)
            line.show()

    # -- gestures -> state ------------------------------------------------------------------------------------
    def _unit_of(self, q, row):
        order = self.heatmaps[q].axis.order
        return int(order[row]) if row is not None and 0 <= row < len(order) else None

    def _heatmap_hover(self, q, t, row) -> None:
        if t is None:
            return
        self.state.set_hover(t, self._unit_of(q, row))

    def _heatmap_click(self, q, t, row, add) -> None:
        unit = self._unit_of(q, row)
        if unit is not None:
            self.state.select_unit(unit, add=add)
            self.state.select_time(t)

    def _time_hover(self, widget, pos) -> None:
        plot = widget.getPlotItem()
        vb = plot.getViewBox()
        if self.state.trace is None or not vb.sceneBoundingRect().contains(pos):
            return
        t = int(vb.mapSceneToView(pos).x())
        if 0 <= t < len(self.state.trace):
            self.state.set_hover(t, self.state.hover[1])

    def _strip_click(self, event) -> None:
        t = self.strip.timestep_at(event.scenePos())
        if t is not None:
            self.state.select_time(t)

    def visible_time_range(self) -> tuple[int, int] | None:
        tr = self.state.trace
        if tr is None:
            return None
        (x0, x1), _ = self.strip.plot.getViewBox().viewRange()
        return max(0, int(x0)), min(len(tr), int(np.ceil(x1)))
