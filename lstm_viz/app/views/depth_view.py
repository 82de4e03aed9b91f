"""All layers and both directions at once: one heatmap of the focus quantity per (layer, direction), stacked
with the main plots' time axis, so a user sees where in the depth a feature appears (LSTMVis users asked for it).

Rows are labelled "layer 0", "layer 1 ←" (← the backward direction). Each row keeps its own units (layers of a
LayerStack differ in size; with proj_size the hidden state has fewer units) and its own colour range
(lstm_viz.look.levels of that row), and orders its units by the same rule as the main plots (the state's
order), computed on the row's own numbers: a variance order taken from another layer would mean nothing here.
The row of the layer and direction the main view shows is marked and outlines the selected units.

The numbers come through the trace interface: an in-memory trace's rows are its arrays; a lazy (keyframe) trace's
rows are drawn as the main heatmaps draw it, from windows recomputed off the GUI thread and the kept summaries
(views.lazy.HeatmapSource), with colour ranges from the rows it kept spread over the text.

It costs nothing while hidden: no row is built, read or drawn until the dock is first shown, and the rows are
rebuilt on show when the trace's layers or directions changed meanwhile. Nothing slow runs on the GUI thread:
variance and mean orders come from the statistics a trace keeps (a keyframe trace's, or an in-memory trace's
``unit_stats``), else are computed by the Background worker, the row keeping its order until they arrive (as the
main heatmaps do); a lazy trace's activation order reads its step through the Fetcher.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from .. import style
from .binned import SYNC_VALUES, Background, TimeBins, order_key
from .choose import select_units
from .common import FOREGROUND
from .heatmap import HeatmapView
from .lazy import Fetcher, HeatmapSource, is_lazy

CURRENT = "#ffd24f"  # the label of the row the main view shows
ROW_HEIGHT = 90  # pixels each row asks for (it may get less in a low dock)


def row_values(trace, quantity: str, layer: int, reverse: bool) -> np.ndarray:
    """(T, units) of one row of an in-memory trace: ``quantity`` in ``layer`` and direction ``reverse``."""
    return trace.get(quantity, layer, reverse)


def keeps_stats(trace, quantity: str, layer: int, reverse: bool) -> bool:
    """The trace has this row's unit statistics at hand (reading them costs nothing): a lazy trace kept them
    from its pass; an in-memory trace when it was given them (``unit_stats``)."""
    if is_lazy(trace):
        return True
    from lstm_viz.core.trace import key  # not at import: the window shows before torch is imported

    return key(quantity, layer, reverse) in getattr(trace, "unit_stats", {})


def row_order(trace, quantity: str, layer: int, reverse: bool, mode: str, t: int) -> np.ndarray:
    """The row's unit order by the main plots' rule (``mode``: index, variance, mean, activation at ``t``),
    read through the trace interface: its streaming statistics, or one timestep's window. Slow for the
    statistics of an in-memory trace that does not keep them (see keeps_stats)."""
    n = trace.units(layer, quantity)
    if mode == "index" or n == 0 or len(trace) == 0:
        return np.arange(n)
    if mode in ("variance", "mean"):
        stats = trace.stats(quantity, layer, reverse)
        key = np.nan_to_num(stats.var if mode == "variance" else stats.mean)
    else:
        t = min(max(int(t), 0), len(trace) - 1)
        key = np.nan_to_num(trace.window(quantity, layer, reverse, t, t + 1)[0].astype(np.float64))
    return np.argsort(-key, kind="stable")


def row_label(layer: int, reverse: bool, bidirectional: bool) -> str:
    """"layer 0" (one direction), "layer 0 →" and "layer 0 ←" (both)."""
    return f"layer {layer}" + ((" ←" if reverse else " →") if bidirectional else "")


class DepthView(QtWidgets.QWidget):
    """Subscribes to the AppState; writes the hover, the layer, direction and unit chosen by a click."""

    export_requested = QtCore.Signal()
    inspect = QtCore.Signal(int, bool, int, object)  # layer, reverse, t, unit under the mouse in another row

    def __init__(self, state, master=None, parent=None, fetcher: Fetcher | None = None):
        super().__init__(parent)
        self.state = state
        self.master = master  # the main token strip's PlotItem: every row's time axis follows it
        self.rows: dict[tuple[int, bool], HeatmapView] = {}
        self.shown = False  # on screen (set by its dock); nothing is read or drawn while hidden
        self._drawn: dict[tuple[int, bool], tuple] = {}  # row -> (trace id, quantity, order, time) it shows
        self._keys: list[tuple[int, bool]] = []  # the rows of the trace's layout (built, or being built)
        self._to_build: list[tuple[int, bool]] = []  # rows not built yet: one per pass of the event loop
        self._build_timer = QtCore.QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(self._build_next)
        self._hover_row = None  # (layer, reverse) of the row under the mouse
        self._syncing = False  # the rows are being moved to the main strip's time range
        self._cache: dict[tuple, object] = {}  # ("order"|"levels", ...) -> result, for the trace shown
        self._arrays: list = []  # arrays keyed by id() in the cache, kept alive while it holds them
        self.background = Background(self)  # time pyramids of long rows, off the GUI thread
        # windows and fine tiles of a lazy trace, recomputed off the GUI thread: the main plots' Fetcher when
        # given, so a chunk both show is recomputed once, by one worker
        self.fetcher = fetcher if fetcher is not None else Fetcher(self)
        self.title = QtWidgets.QLabel()
        self.title.setWordWrap(True)
        self.export_button = QtWidgets.QPushButton("Export…")
        self.export_button.setToolTip("PNG, SVG or PDF of every layer and direction, over the visible time range")
        self.export_button.clicked.connect(self.export_requested)
        head = QtWidgets.QHBoxLayout()
        head.setContentsMargins(4, 2, 4, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.export_button)
        rows = QtWidgets.QWidget()
        self.body = QtWidgets.QVBoxLayout(rows)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(1)
        scroll = QtWidgets.QScrollArea()  # a deep model's rows scroll rather than squeeze the plots
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(rows)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(scroll, 1)
        self.background.ready.connect(self._background_ready)
        self.fetcher.ready.connect(self._background_ready)
        if master is not None:
            master.getViewBox().sigXRangeChanged.connect(lambda *_: self._follow_master())
        state.trace_changed.connect(self._trace_changed)
        state.view_changed.connect(self.refresh)
        state.time_selected.connect(self._time_selected)
        state.selection_changed.connect(lambda _: self._marks())
        state.hover_changed.connect(self._hover)
        self._trace_changed(state.trace)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(800, 2 * ROW_HEIGHT + 30)

    # -- state -> view --------------------------------------------------------------------------------------
    def set_shown(self, on: bool) -> None:
        """Whether the view is on screen (its dock is open): rows are built and drawn only then."""
        self.shown = on
        if on:
            self._lay_out(self.state.trace)
        self._follow_master()
        self.refresh()

    # The time axis is the main strip's: the rows show exactly its range, and zooming or panning a row moves
    # the strip (and so every plot). Not pyqtgraph's setXLink, which lines views up by screen pixels: a row
    # wider than the plots would ask for time beyond the text, be clamped, and push a narrower range back.
    def _follow_master(self) -> None:
        if self.master is None or not self.shown or self._syncing:
            return
        x0, x1 = self.master.getViewBox().viewRange()[0]
        self._syncing = True
        try:
            for h in self.rows.values():
                h.vb.setXRange(x0, x1, padding=0)
        finally:
            self._syncing = False

    def _row_range(self, vb, x_range) -> None:
        if self.master is not None and self.shown and not self._syncing:
            self.master.setXRange(*x_range, padding=0)

    @property
    def building(self) -> bool:
        """Rows of the trace's layout are still being built (one per pass of the event loop)."""
        return bool(self._to_build)

    def _trace_changed(self, trace) -> None:
        self._cache, self._arrays, self._drawn = {}, [], {}
        self.background.clear()
        if not self.shown:  # nothing built or computed: on show. Rows built before let go of the old arrays.
            for h in self.rows.values():
                h.set_data(None, None)
            self._title()
            return
        self._lay_out(trace)
        self.refresh()

    def _lay_out(self, trace) -> None:
        """One row per (layer, direction) of ``trace``: when they differ from the rows there, the old rows go
        and the new ones are built one per pass of the event loop (a row costs tens of milliseconds)."""
        keys = [] if trace is None else [(l, r) for l in range(trace.num_layers) for r in trace.directions]
        if keys != self._keys:
            for h in self.rows.values():
                h.vb.sigXRangeChanged.disconnect(self._row_range)
                self.body.removeWidget(h)
                h.hide()
                h.deleteLater()
            self.rows, self._drawn, self._keys = {}, {}, keys
            self._to_build = list(keys)
        if self._to_build:
            self._build_timer.start()

    def _build_next(self) -> None:
        """Build the next row of the layout and draw it."""
        trace = self.state.trace
        if not self.shown or not self._to_build or trace is None:
            return
        layer, reverse = self._to_build.pop(0)
        h = HeatmapView(self.state.quantity)
        h.axis.setLabel(row_label(layer, reverse, trace.bidirectional), color=FOREGROUND)
        h.setMinimumHeight(40)
        h.vb.sigXRangeChanged.connect(self._row_range)
        h.hovered.connect(lambda t, row, k=(layer, reverse): self._row_hover(k, t, row))
        h.clicked.connect(lambda t, row, add, k=(layer, reverse): self._row_click(k, t, row, add))
        self.body.addWidget(h, 1)
        h.show()  # a child added to a widget already on screen is hidden until shown
        self.rows[(layer, reverse)] = h
        self._follow_master()  # the new row starts on the plots' time range
        self.refresh()
        if self._to_build:
            self._build_timer.start()

    def _quantity(self) -> str:
        return self.state.quantity  # the state falls back to h for a cell without the asked quantity

    def refresh(self) -> None:
        """Draw every row of the focus quantity, in the state's order (when shown and not drawn already)."""
        s = self.state
        trace = s.trace
        self._title()
        if trace is None or not self.shown:
            self._marks()
            return
        q = self._quantity()
        key = self._key()
        for k, h in self.rows.items():
            if self._drawn.get(k) != key and self._draw_row(trace, q, *k, h, key[2:]):
                self._drawn[k] = key  # else drawn again when what it waits for arrives
        self._marks()
        self._time_selected(s.time)

    def _key(self) -> tuple:
        """What the rows are to show: (trace id, quantity, order, time for the activation order)."""
        s = self.state
        return id(s.trace), self._quantity(), s.order, s.time if s.order == "activation" else None

    def _draw_row(self, trace, q: str, layer: int, reverse: bool, h: HeatmapView, how: tuple) -> bool:
        """Draw one row; False while its order or colour range is computed off the GUI thread (meanwhile it
        keeps the order it has; without its colour range it is not drawn at all: no picture in wrong colours)."""
        if h.quantity != q:
            self._recolour(h, q)
        lazy = is_lazy(trace)
        values = None if lazy else row_values(trace, q, layer, reverse)
        order = self._order(trace, q, layer, reverse, values, how)
        ready = order is not None
        if order is None:
            n = trace.units(layer, q)
            order = h.axis.order if len(h.axis.order) == n else np.arange(n)
        if lazy:
            levels = self._cached(("levels", q, layer, reverse),
                                  lambda: style.levels(q, trace.sample_rows(q, layer, reverse)))
            h.set_source(HeatmapSource(trace, q, layer, reverse, self.fetcher, owner="depth"), order, levels)
            return ready
        levels = self._levels(q, layer, reverse, values)
        if levels is None:
            if h.values is not values:
                h.set_data(None, None)  # not another trace's or quantity's picture meanwhile
            return False
        h.set_data(values, order, levels, self._bins(values))
        return ready

    def _levels(self, q: str, layer: int, reverse: bool, values: np.ndarray):
        """The row's colour range, or None while a long row's is computed off the GUI thread."""
        k = ("levels", q, layer, reverse)
        if k not in self._cache:
            if style.is_gate(q) or q in style.BOUNDED:
                got = style.levels(q)
            else:
                got = self.background.get(f"levels {q}", values, lambda a, q=q: style.levels(q, a),
                                          sync=values.size <= SYNC_VALUES)
            if got is None:
                return None
            self._cache[k] = got
        return self._cache[k]

    def _cached(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def _order(self, trace, q: str, layer: int, reverse: bool, values, how: tuple):
        """The row's unit order (``how``: the state's order and its time), or None while it is computed off
        the GUI thread. ``values``: the row's array of an in-memory trace (None for a lazy one)."""
        k = ("order", q, layer, reverse, *how)
        if k in self._cache:
            return self._cache[k]
        mode, t = how[0], self.state.time
        if mode in ("variance", "mean") and not keeps_stats(trace, q, layer, reverse):
            stat = self.background.get(mode, values, lambda a, m=mode: order_key(a, m),
                                       sync=values.size <= SYNC_VALUES)
            if stat is None:
                return None
            order = np.argsort(-stat, kind="stable")
        elif mode == "activation" and is_lazy(trace) and len(trace):
            t = min(max(int(t), 0), len(trace) - 1)
            row = self.fetcher.window(trace, q, layer, reverse, t, t + 1, who=("depth order", layer, reverse))
            if row is None:
                return None
            order = np.argsort(-np.nan_to_num(row[0].astype(np.float64)), kind="stable")
        else:
            order = row_order(trace, q, layer, reverse, mode, t)
        self._cache[k] = order
        return order

    def _bins(self, values: np.ndarray):
        """Pyramid provider for long rows, as the main heatmaps have (None for short ones)."""
        if values.size <= SYNC_VALUES:
            return None
        self._arrays.append(values)
        return lambda v: self.background.get("bins", v, lambda a: TimeBins(a).build())

    def _background_ready(self) -> None:
        """A pyramid, an order or a lazy window arrived: draw with it."""
        key = self._key()
        if self.shown and self.state.trace is not None and any(self._drawn.get(k) != key for k in self.rows):
            self.refresh()  # orders or colour ranges were on their way
        for h in self.rows.values():
            h.refresh_if_sampled()

    @staticmethod
    def _recolour(h: HeatmapView, q: str) -> None:
        """A row of another quantity: its colour map and colour bar follow."""
        h.quantity = q
        h.image.setLookupTable(style.colormap(q).getLookupTable(nPts=256))
        h.bar.setColorMap(style.colormap(q))

    def _title(self) -> None:
        s, trace = self.state, self.state.trace
        if trace is None:
            self.title.setText("analyse a text first")
            return
        n = trace.num_layers * len(trace.directions)
        label = style.LABELS[self._quantity()]
        if n == 1:
            text = f"{label}: this model has 1 layer and one direction, the same as its heatmap above"
        else:
            layers = f"{trace.num_layers} layer{'s' if trace.num_layers > 1 else ''}"
            both = ", both directions (→ forward, ← backward)" if trace.bidirectional else ""
            text = f"{label} of all {layers}{both}; click a row to show its layer"
        self.title.setText(text)
        for (layer, reverse), h in self.rows.items():
            current = (layer, reverse) == (s.layer, s.reverse)
            h.axis.setLabel(row_label(layer, reverse, trace.bidirectional) + (" ▸" if current else ""),
                            color=CURRENT if current else FOREGROUND)

    def _marks(self) -> None:
        """The selected units outlined in the row the main view shows (the selection is of that layer)."""
        s = self.state
        for k, h in self.rows.items():
            if k != (s.layer, s.reverse) or not len(h.axis.order):
                h.set_marks([], [])
                continue
            where = {int(u): r for r, u in enumerate(h.axis.order)}
            units = [u for u in s.units if u in where]
            h.set_marks([where[u] for u in units], [style.unit_colour(s.units.index(u)) for u in units])

    def _time_selected(self, t: int) -> None:
        if self.state.trace is not None and self.shown:
            for h in self.rows.values():
                h.set_selected_time(t)

    def _hover(self, t, unit) -> None:
        """The crosshair: the time line in every row; the unit's line in the row under the mouse, or in the
        main view's row."""
        s = self.state
        if not self.shown:
            return
        here = self._hover_row or (s.layer, s.reverse)
        for k, h in self.rows.items():
            row = None
            if unit is not None and k == here:
                hits = np.nonzero(h.axis.order == unit)[0]
                row = int(hits[0]) if len(hits) else None
            h.set_crosshair(t, row)

    # -- gestures -> state ----------------------------------------------------------------------------------
    def unit_at(self, key, row) -> int | None:
        order = self.rows[key].axis.order
        return int(order[row]) if row is not None and 0 <= row < len(order) else None

    def _row_hover(self, key, t, row) -> None:
        """Over a cell: the hover is that (t, unit); a row of another layer or direction than the main view's
        shows its own cell in the inspector (``inspect``), since the state's hover names no layer."""
        s = self.state
        if t is None:
            self._hover_row = None
            s.set_hover(None, None)
            return
        unit = self.unit_at(key, row)
        self._hover_row = key
        if key == (s.layer, s.reverse):
            s.set_hover(t, unit)
        else:
            s.set_hover(t, None)
            self._hover(t, unit)
            self.inspect.emit(key[0], key[1], t, unit)

    def _row_click(self, key, t, row, add) -> None:
        """A click selects that unit, and shows its layer and direction in the main view."""
        unit = self.unit_at(key, row)
        if unit is None:
            return
        layer, reverse = key
        add = add and (layer, reverse) == (self.state.layer, self.state.reverse)
        select_units(self.state, layer, reverse, [unit], add=add)
        self.state.select_time(t)
