"""The time-aligned views stacked in one column: token strip, one heatmap per quantity of the trace's cell (an
LSTM's i, f, g, o, c, h; a GRU's r, z, n, h; a plain RNN's h; the shown ones visible), the traces.

The heatmaps are rebuilt when a trace of a cell with other quantities arrives. Every x axis is linked to the strip's, so zoom and pan anywhere moves all of them. This widget subscribes to
the AppState and turns mouse gestures into state changes (hover, unit and timestep selection).
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from . import style
from .ordering import unit_order
from .views.common import OnePerPass, transform_at_once
from .views.binned import SYNC_VALUES, Background, TimeBins
from .views.heatmap import HeatmapView
from .stack_traces import TraceCurves
from .views.lazy import Fetcher, HeatmapSource, LazyColumn, is_lazy
from .views.text_strip import TextStripView
from .views.traces import TracesView


class PlotStack(QtWidgets.QWidget):
    time_range_changed = QtCore.Signal(int, int)  # the visible [start, end) of the text, as the plots show it

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.strip = TextStripView()
        self.heatmaps: dict[str, HeatmapView] = {}
        self.traces = TracesView()
        self.orders: dict[str, np.ndarray] = {}
        self.background = Background(self)  # pyramids and orderings of long traces, off the GUI thread
        self.fetcher = Fetcher(self)  # windows of lazy traces, recomputed off the GUI thread
        self.passes = OnePerPass(self)  # the heatmaps re-cut one per pass of the event loop after a zoom
        self._waiting = False  # something drawn from a stand-in waits for the fetcher
        self._tokens: tuple[str, ...] = ()  # the tokens of the trace shown
        self._levels: dict[int, tuple[float, float]] = {}  # id(values) -> colour range, for this trace
        self._arrays: list[np.ndarray] = []  # the arrays keyed by id() above, kept alive
        self._order = None  # the row order now drawn
        self._stale: set[str] = set()  # hidden heatmaps not redrawn since the view changed
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.strip.widget)
        lay.addWidget(self.traces.widget, 2)
        self._layout = lay
        master = self.strip.plot
        self._build_heatmaps(state.quantities)
        self.traces.plot.setXLink(master)
        for vb in (master.getViewBox(), self.traces.plot.getViewBox()):
            transform_at_once(vb)
        for w in (self.strip.widget, self.traces.widget):
            w.scene().sigMouseMoved.connect(lambda pos, w=w: self._time_hover(w, pos))
            w.viewport().installEventFilter(self)
        self.strip.widget.scene().sigMouseClicked.connect(self._strip_click)
        master.getViewBox().sigXRangeChanged.connect(lambda *_: self._emit_time_range())
        self.curves = TraceCurves(state, self.traces, self.strip.plot, self.fetcher, self)
        self.background.ready.connect(self._background_ready)
        self.fetcher.ready.connect(self._fetched)
        state.cell_changed.connect(lambda cell: self._build_heatmaps(cell.quantities))
        state.trace_changed.connect(self._trace_changed)
        state.view_changed.connect(self.redraw)
        state.panels_changed.connect(self._panels)
        state.selection_changed.connect(self._selection_changed)
        state.show_hidden_changed.connect(lambda _: self.curves.draw(state.units))
        state.hover_changed.connect(self._hover)
        state.time_selected.connect(self._time_selected)
        self._panels(state.panels)

    def _build_heatmaps(self, quantities) -> None:
        """One heatmap per quantity, between the strip and the traces (the old ones go)."""
        if tuple(self.heatmaps) == tuple(quantities):
            return
        for h in self.heatmaps.values():
            self.passes.discard(h)
            h.plot.setXLink(None)  # no link left from a live axis to a deleted one
            h.vb.setYLink(None)
            self._layout.removeWidget(h)
            h.hide()
            h.deleteLater()
        self.heatmaps, self.orders, self._order = {}, {}, None
        self._stale = set()
        master = self.strip.plot
        for k, q in enumerate(quantities):
            h = HeatmapView(q, passes=self.passes)
            self.heatmaps[q] = h
            self._layout.insertWidget(1 + k, h, 2)
            h.plot.setXLink(master)
            transform_at_once(h.vb)
            h.vb.setXRange(*master.getViewBox().viewRange()[0], padding=0)  # before any layout maps the link
            h.hovered.connect(lambda t, row, q=q: self._heatmap_hover(q, t, row))
            h.clicked.connect(lambda t, row, add, q=q: self._heatmap_click(q, t, row, add))
            h.setVisible(q in self.state.panels)
            self._stale.add(q)

    # -- state -> views ---------------------------------------------------------------------------------------
    def _trace_changed(self, trace) -> None:
        old = self._tokens
        first = not old
        # the same text, or the whole text after its first part was shown: the zoom and position stay
        continues = trace is not None and len(trace) >= len(old) and tuple(trace.tokens[:len(old)]) == tuple(old)
        self._tokens = tuple(trace.tokens) if trace is not None else ()
        self.background.clear()
        self._levels, self._arrays = {}, []
        self.curves.forget()
        self.state.set_hover(None, None)  # a hovered cell of the old trace means nothing in the new one
        self.strip.set_tokens(trace.tokens if trace is not None else ())
        if trace is not None and (first or not continues):
            self.reset_zoom()  # first: the heatmaps then cut their windows once, at the new zoom
        self.redraw(traces=False)
        # The traces follow in a later pass of the event loop: no single pass keeps the GUI busy for long.
        QtCore.QTimer.singleShot(15, self, lambda: self.curves.draw(self.state.units))

    def reset_zoom(self) -> None:
        """Readable tokens from the start of the text, every unit in view (Ctrl+0)."""
        tr = self.state.trace
        if tr is None:
            return
        # Wide enough to read every token: about 9 pixels each.
        width = max(self.strip.plot.getViewBox().width(), 400.0)
        self.strip.plot.setXRange(0, min(len(tr), int(width / 9)), padding=0)
        self._all_units()

    def show_whole_text(self) -> None:
        """Every timestep and every unit in view (Ctrl+9)."""
        tr = self.state.trace
        if tr is None:
            return
        self.strip.plot.setXRange(0, len(tr), padding=0)
        self._all_units()

    def _all_units(self) -> None:
        for h in self.heatmaps.values():
            h.vb.setYRange(0, max(h.shape[0], 1), padding=0)

    def _level(self, q: str, values: np.ndarray | None) -> tuple[float, float]:
        """The colour range: fixed for gates and tanh-bounded quantities; for states the percentile of the
        array, or for a lazy trace of the rows it kept spread over the text."""
        if style.is_gate(q) or q in style.BOUNDED:
            return style.levels(q)
        if values is None:
            s = self.state
            k = (q, s.layer, s.reverse)
            if k not in self._levels:
                self._levels[k] = style.levels(q, s.trace.sample_rows(q, s.layer, s.reverse))
            return self._levels[k]
        if id(values) not in self._levels:
            self._levels[id(values)] = style.levels(q, values)
            self._arrays.append(values)
        return self._levels[id(values)]

    def _bins(self, values: np.ndarray):
        """Pyramid provider for long arrays (None for short ones: their windows are cheap to average)."""
        if values.size <= SYNC_VALUES:
            return None
        return lambda v: self.background.get("bins", v, lambda a: TimeBins(a).build())

    def _lazy_order(self):
        """The row order from what a lazy trace keeps: its statistics, or one recomputed step (activation)."""
        s, tr = self.state, self.state.trace
        q = self._order_quantity()
        n = tr.units(s.layer, q)
        if s.order == "activation":
            t = min(max(s.time, 0), len(tr) - 1)
            row = self.fetcher.window(tr, q, s.layer, s.reverse, t, t + 1, who="order")
            if row is None:
                self._waiting = True
                old = self._order
                return old if old is not None and len(old) == n else np.arange(n)
            return np.argsort(-row[0], kind="stable")
        return np.arange(n)

    def _order_quantity(self) -> str:
        """What the rows are ordered by: the focus quantity, or the cell's state when the focus has another
        number of units (a projected hidden state)."""
        s, tr = self.state, self.state.trace
        same = tr.units(s.layer, s.quantity) == tr.units(s.layer, s.state_quantity)
        return s.quantity if same else s.state_quantity

    def _row_order(self, base: np.ndarray | None):
        """The unit order of the rows; None for no data. Variance and mean orders come from the trace's kept
        statistics (tasks.with_stats made an in-memory trace's on the worker; else long arrays get them from the
        background, and the rows keep their order until then)."""
        s = self.state
        tr = s.trace
        if tr is not None and s.order in ("variance", "mean"):
            k = (self._order_quantity(), s.layer, s.reverse)
            if tr.stats_at_hand(*k) or base is None or base.size <= SYNC_VALUES:
                st = tr.stats(*k)
            else:  # a long in-memory trace that did not come through the worker: its statistics in the background
                st = self.background.get("stats", base, lambda a, tr=tr, k=k: tr.stats(*k))
                if st is None:
                    old = self._order
                    return old if old is not None and len(old) == base.shape[1] else np.arange(base.shape[1])
            return np.argsort(-np.nan_to_num(st.var if s.order == "variance" else st.mean), kind="stable")
        if is_lazy(s.trace):
            return self._lazy_order()
        if base is None:
            return None
        return unit_order(base, s.order, s.time)

    def _order_base(self) -> np.ndarray | None:
        """What the rows are ordered by: the focus quantity, or the cell's state when the focus has another
        number of units (a projected hidden state)."""
        s = self.state
        if s.trace is None or is_lazy(s.trace):
            return None
        return s.values(self._order_quantity())

    def redraw(self, traces: bool = True, only: set[str] | None = None) -> None:
        """Draw the shown heatmaps (``only``: just these) in the current order, the marks and the traces."""
        s = self.state
        self._waiting = False
        order = self._row_order(self._order_base())
        self._order = order
        lazy = is_lazy(s.trace)
        for q, h in self.heatmaps.items():
            if only is not None and q not in only:
                continue
            if h.isVisible() or q in s.panels:
                values = None if lazy else s.values(q)
                if lazy:
                    n = s.trace.units(s.layer, q)
                    h.set_source(HeatmapSource(s.trace, q, s.layer, s.reverse, self.fetcher),
                                 order if order is not None and len(order) == n else None, self._level(q, None))
                elif values is None:
                    h.set_data(None, None)
                else:
                    h.set_data(values, order if order is not None and len(order) == values.shape[1] else None,
                               self._level(q, values), self._bins(values))
                self._stale.discard(q)
            else:
                self._stale.add(q)
            self.orders[q] = h.axis.order
        if lazy:  # every tile job keeps the tiles of every heatmap shown: they re-cut in turn (self.passes)
            shown = tuple(q for q, h in self.heatmaps.items() if h.isVisible() or q in s.panels)
            self.fetcher.stand("heatmaps", s.trace.tile_cache(), s.layer, s.reverse, shown)
        self._link_unit_axes()
        self._marks(s.units)
        if traces:
            self.curves.draw(s.units)
        self._time_selected(s.time)

    def _fetched(self) -> None:
        """A window of a lazy trace was recomputed: redraw what stood in for it."""
        if self._waiting and self.state.order == "activation":
            self.redraw(traces=False)
        for h in self.heatmaps.values():
            if h.isVisible():
                h.refresh_if_sampled()
        if self.curves.waiting:
            self.curves.draw(self.state.units)

    def _background_ready(self) -> None:
        """A pyramid or an ordering came back from the worker: draw with it."""
        s = self.state
        if s.order in ("variance", "mean"):
            order = self._row_order(self._order_base())
            if order is not None and (self._order is None or not np.array_equal(order, self._order)):
                self.redraw(traces=False)
                return
        for h in self.heatmaps.values():
            if h.isVisible():
                h.refresh_if_sampled()

    def _link_unit_axes(self) -> None:
        """Rows line up: the unit axes of heatmaps with the same number of units move together."""
        first: dict[int, HeatmapView] = {}
        for h in self.heatmaps.values():
            n = h.shape[0]
            leader = first.setdefault(n, h)
            target = None if leader is h else leader.vb
            if h.vb.linkedView(1) is not target:
                h.vb.setYLink(target)
                if target is not None:
                    h.vb.setYRange(*target.viewRange()[1], padding=0)

    def _panels(self, panels) -> None:
        for q, h in self.heatmaps.items():
            h.setVisible(q in panels)
        stale = {q for q in panels if q in self.heatmaps and (q in self._stale or self.heatmaps[q].shape[1] == 0)}
        if stale:
            self.redraw(traces=False, only=stale)
        else:
            self._link_unit_axes()

    def _selection_changed(self, units) -> None:
        self._marks(units)
        self.curves.draw(units)
        self._show_primary_row(units)

    def _marks(self, units) -> None:
        for q, h in self.heatmaps.items():
            order = h.axis.order
            where = {int(u): r for r, u in enumerate(order)}
            rows = [where[u] for u in units if u in where]
            h.set_marks(rows, [style.unit_colour(k) for k, u in enumerate(units) if u in where])

    def _show_primary_row(self, units) -> None:
        """Scroll the unit axis of every heatmap (when zoomed in) so the primary unit's row is in view."""
        if not units:
            return
        for h in self.heatmaps.values():
            hits = np.nonzero(h.axis.order == units[0])[0]
            if not len(hits):
                continue
            row = int(hits[0])
            y0, y1 = sorted(h.vb.viewRange()[1])
            if y0 <= row and row + 1 <= y1:
                continue
            span = y1 - y0
            top = min(max(row + 0.5 - span / 2, 0.0), max(h.shape[0] - span, 0.0))
            h.vb.setYRange(top, top + span, padding=0)

    def focus_column(self):
        """(values, colour range) of the primary unit of the focus quantity, for the coloured text: the array's
        column (T,), or for a lazy trace a LazyColumn read window by window and the range of its kept rows."""
        s = self.state
        u = s.units[0]
        if is_lazy(s.trace):
            rows = s.trace.sample_rows(s.quantity, s.layer, s.reverse)[:, u]
            return (LazyColumn(s.trace, s.quantity, s.layer, s.reverse, u, self.fetcher),
                    style.levels(s.quantity, rows))
        column = s.values(s.quantity)[:, u]
        return column, style.levels(s.quantity, column)

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
        """Over a cell: that (t, unit); anywhere else (axis, colour bar, outside): no hover, so the inspector
        shows the selected (t, unit)."""
        if t is None:
            self.state.set_hover(None, None)
        else:
            self.state.set_hover(t, self._unit_of(q, row))

    def _heatmap_click(self, q, t, row, add) -> None:
        unit = self._unit_of(q, row)
        if unit is not None:
            self.state.select_unit(unit, add=add)
            self.state.select_time(t)

    def _time_hover(self, widget, pos) -> None:
        """Over the strip: that timestep (the unit is the primary selected one); over the traces: that timestep
        and the traced unit whose curve is nearest the cursor. Elsewhere: no hover."""
        vb = widget.getPlotItem().getViewBox()
        tr = self.state.trace
        if tr is None or not vb.sceneBoundingRect().contains(pos):
            self.state.set_hover(None, None)
            return
        p = vb.mapSceneToView(pos)
        t = int(p.x())
        if not 0 <= t < len(tr):
            self.state.set_hover(None, None)
            return
        unit = self.traces.unit_near(t, p.y()) if widget is self.traces.widget else None
        self.state.set_hover(t, unit)

    def eventFilter(self, obj, event) -> bool:
        """The mouse left the strip or the traces: no hover."""
        if event.type() == QtCore.QEvent.Type.Leave:
            self.state.set_hover(None, None)
        return False

    def _strip_click(self, event) -> None:
        t = self.strip.timestep_at(event.scenePos())
        if t is not None:
            self.state.select_time(t)

    def _emit_time_range(self) -> None:
        r = self.visible_time_range()
        if r is not None:
            self.time_range_changed.emit(*r)

    def visible_time_range(self) -> tuple[int, int] | None:
        tr = self.state.trace
        if tr is None:
            return None
        (x0, x1), _ = self.strip.plot.getViewBox().viewRange()
        return max(0, int(x0)), min(len(tr), int(np.ceil(x1)))
