"""Whole figures from a Trace and a FigureSpec: a heatmap, the traces, the coloured text, or the dashboard.

``build_figure`` lays the parts out in a pyqtgraph GraphicsLayoutWidget that is never shown; render.py paints
its scene into PNG, SVG or PDF. The figure's size (logical pixels, 96 per inch) follows the data: about
12 px per timestep and per unit, within sensible bounds, so short texts get readable cells and long ones a
figure that still fits a page.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from lstm_viz import look
from lstm_viz.core.cells import ALL_QUANTITIES
from lstm_viz.core.errors import InputError
from lstm_viz.core.export_data import Selection, validate_selection
from lstm_viz.core.trace import Trace

from . import parts
from .text_item import ColouredText

# A heatmap of one quantity, by its short name ("forget", "reset") or its full name ("forget_gate"), of any cell
HEATMAP_VIEWS = {**look.SHORT, **{q: q for q in ALL_QUANTITIES}}
VIEWS = (*HEATMAP_VIEWS, "traces", "text", "dashboard", "saturation", "cell-diagram", "depth")
TRACE_UNITS = 5  # units drawn by "traces" and "text" when none are chosen: the ones that vary most
TEXT_UNITS = 1
MAX_TEXT_UNITS = 8


@dataclass(frozen=True)
class FigureSpec:
    view: str  # one of VIEWS
    layer: int = 0
    reverse: bool = False  # the backward direction of a bidirectional LSTM
    units: tuple[int, ...] | None = None  # None: all units (heatmaps), the most varying ones (traces, text)
    time_range: tuple[int, int] | None = None  # (start, end): start inclusive, end exclusive; None: all
    # what "traces", "text" and the dashboard's text strip show (a quantity's full or short name); None: the
    # cell's state, c when it has one, else h
    quantity: str | None = None
    title: str | None = None  # None: model name, quantity, layer and direction
    diagram: object | None = None  # "cell-diagram": its numbers, a lstm_viz.core.diagram.CellStep
    order: tuple[int, ...] | None = None  # heatmap rows top to bottom (the app's on-screen order); None: by number
    # "depth": each (layer, direction) row's unit order, one per row (figures.depth.depth_rows); None: by number
    orders: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self):
        if self.view not in VIEWS:
            raise InputError(f"unknown view {self.view!r}; one of {', '.join(VIEWS)}")
        if self.quantity is not None:  # accept the CLI's short names too
            object.__setattr__(self, "quantity", look.quantity_name(self.quantity))
        if self.units is not None:
            object.__setattr__(self, "units", tuple(int(u) for u in self.units))
        if self.order is not None:
            object.__setattr__(self, "order", tuple(int(u) for u in self.order))
        if self.orders is not None:
            object.__setattr__(self, "orders", tuple(tuple(int(u) for u in o) for o in self.orders))

    @property
    def shown_quantity(self) -> str | None:
        """The quantity a single-panel view draws (None: the cell's state)."""
        return HEATMAP_VIEWS.get(self.view, self.quantity)

    def quantity_of(self, trace: Trace) -> str:
        """The quantity a single-panel view draws for ``trace``, checked against its cell type (a GRU has no
        forget gate: a one-line InputError naming what it has)."""
        q = self.shown_quantity
        return look.state_quantity(trace.cell) if q is None else trace.cell.check(q)


@dataclass(eq=False)
class Figure:
    """A laid-out figure, ready to paint. ``widget`` owns the scene; keep it alive while rendering."""

    widget: pg.GraphicsLayoutWidget
    width: float  # logical pixels
    height: float
    title: str = ""

    @property
    def scene(self):
        return self.widget.scene()

    def close(self) -> None:
        self.widget.clear()
        self.widget.close()
        self.widget.deleteLater()


def most_varying(data: np.ndarray, n: int) -> tuple[int, ...]:
    """Indices of the ``n`` columns of ``data`` (T, U) with the largest standard deviation, in unit order."""
    std = np.nan_to_num(data.std(axis=0))
    return tuple(sorted(int(u) for u in np.argsort(-std, kind="stable")[:n]))


def _selection(trace: Trace, spec: FigureSpec, quantity: str, default_n: int | None) -> Selection:
    sel = validate_selection(trace, quantity, spec.layer, spec.reverse, spec.units, spec.time_range)
    if spec.units is None and default_n is not None:
        data = trace.window(quantity, spec.layer, spec.reverse, sel.start, sel.end)  # (T', U)
        sel = Selection(most_varying(data, default_n), sel.start, sel.end)
    return sel


def _rows(spec: FigureSpec, sel: Selection) -> Selection:
    """The heatmap rows: the selected units in ``spec.order`` (units it does not name follow by number)."""
    if spec.order is None:
        return sel
    chosen = set(sel.units)
    first = [u for u in dict.fromkeys(spec.order) if u in chosen]
    rest = sorted(chosen - set(first))
    return Selection(tuple(first + rest), sel.start, sel.end)


def _values(trace: Trace, spec: FigureSpec, quantity: str, sel: Selection) -> np.ndarray:
    return trace.window(quantity, spec.layer, spec.reverse, sel.start, sel.end, list(sel.units))  # (T', U)


def _title(trace: Trace, spec: FigureSpec, quantity: str | None, extra: str = "") -> str:
    if spec.title is not None:
        return spec.title
    name = trace.model_name or trace.cell.title
    if quantity is None:
        return f"{name}: layer {spec.layer}{', backward' if spec.reverse else ''}{extra}"
    return look.title(name, quantity, spec.layer, spec.reverse) + extra


def _units_text(units) -> str:
    shown = ", ".join(str(u) for u in units[:8]) + (", \u2026" if len(units) > 8 else "")
    return f", unit{'s' if len(units) > 1 else ''} {shown}"


def _plot_width(trace: Trace, sel: Selection, lo: float = 420, hi: float = 1100) -> float:
    return float(np.clip((sel.end - sel.start) * parts.step_px(trace.tokens, sel.start, sel.end), lo, hi))


def _new_widget() -> pg.GraphicsLayoutWidget:
    w = pg.GraphicsLayoutWidget()
    w.setBackground("w")
    lay = w.ci
    lay.setContentsMargins(14, 10, 14, 10)
    lay.setSpacing(6)
    lay.layout.setColumnStretchFactor(0, 1)  # the plots take the room; colour bars and legends keep theirs
    return w


def build_figure(trace: Trace, spec: FigureSpec, ink: float = 1.0) -> Figure:
    """Lay out the figure ``spec`` asks for. ``ink``: device pixels per logical pixel of the target (pen
    widths are multiplied by it). Raises InputError when the selection does not fit the trace."""
    if spec.view in HEATMAP_VIEWS:
        return _heatmap_figure(trace, spec, ink)
    if spec.view == "traces":
        return _traces_figure(trace, spec, ink)
    if spec.view == "text":
        return _text_figure(trace, spec, ink)
    if spec.view == "saturation":
        from .saturation import saturation_figure

        return saturation_figure(trace, spec, ink)
    if spec.view == "cell-diagram":
        from .cell_diagram import cell_diagram_figure

        return cell_diagram_figure(trace, spec, ink)
    if spec.view == "depth":
        from .depth import depth_figure

        return depth_figure(trace, spec, ink)
    return _dashboard(trace, spec, ink)


def _finish(w: pg.GraphicsLayoutWidget, width: float, height: float, title: str) -> Figure:
    lay = w.ci
    height = max(height, lay.minimumHeight())
    w.resize(int(round(width)), int(round(height)))
    lay.setGeometry(QtCore.QRectF(0, 0, width, height))
    for _ in range(4):  # nested layouts (each PlotItem has one) settle through posted layout requests
        lay.layout.activate()
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
    w.setSceneRect(QtCore.QRectF(0, 0, width, height))
    return Figure(w, width, height, title)


def _heatmap_figure(trace: Trace, spec: FigureSpec, ink: float) -> Figure:
    q = spec.quantity_of(trace)
    sel = _rows(spec, _selection(trace, spec, q, None))
    data = _values(trace, spec, q, sel)
    pw = _plot_width(trace, sel)
    ph = float(np.clip(len(sel.units) * 12, 140, 620))
    w = _new_widget()
    units = "" if spec.units is None else _units_text(sel.units)
    title = _title(trace, spec, q, units)
    w.addItem(parts.title_item(title), 0, 0, 1, 2)
    plot, _ = parts.heatmap(data, q, sel.units, trace.tokens, sel.start, sel.end, (pw, ph), ink)
    w.addItem(plot, 1, 0)
    w.addItem(parts.colour_bar(q, data, ink), 1, 1)
    return _finish(w, pw + parts.LEFT_AXIS + 130, ph + 110, title)


def _traces_figure(trace: Trace, spec: FigureSpec, ink: float) -> Figure:
    q = spec.quantity_of(trace)
    sel = _selection(trace, spec, q, TRACE_UNITS)
    data = _values(trace, spec, q, sel)
    pw = _plot_width(trace, sel)
    w = _new_widget()
    title = _title(trace, spec, q, _units_text(sel.units))
    w.addItem(parts.title_item(title), 0, 0, 1, 2)
    plot, legend = parts.traces(data, q, sel.units, trace.tokens, sel.start, sel.end, pw, ink)
    w.addItem(plot, 1, 0)
    w.addItem(legend, 1, 1)
    w.ci.layout.setAlignment(legend, QtCore.Qt.AlignmentFlag.AlignTop)
    return _finish(w, pw + parts.LEFT_AXIS + 150, 380, title)


def _text_block(trace: Trace, spec: FigureSpec, q: str, sel: Selection, ink: float, columns: int,
                max_lines: int | None = None, caption: str = "", centre: bool = True) -> ColouredText:
    data = _values(trace, spec, q, sel)
    word = any(len(t) > 1 for t in trace.tokens[sel.times] if t not in ("<eos>", "<unk>"))
    return ColouredText(trace.tokens[sel.times], data, sel.units, look.colormap(q), look.levels(q, data),
                        word_level=word, columns=columns, max_lines=max_lines, ink=ink, caption=caption,
                        centre=centre)


def _text_figure(trace: Trace, spec: FigureSpec, ink: float) -> Figure:
    q = spec.quantity_of(trace)
    sel = _selection(trace, spec, q, TEXT_UNITS)
    if len(sel.units) > MAX_TEXT_UNITS:
        raise InputError(f"the text view colours the text for at most {MAX_TEXT_UNITS} units; "
                         f"{len(sel.units)} were selected")
    data = _values(trace, spec, q, sel)
    w = _new_widget()
    title = _title(trace, spec, q, _units_text(sel.units))
    w.addItem(parts.title_item(title), 0, 0)
    block = _text_block(trace, spec, q, sel, ink, columns=80)
    w.addItem(block, 1, 0)
    bar = parts.colour_bar(q, data, ink, horizontal=True, label=look.LABELS[q])
    bar.setMaximumWidth(360)
    w.addItem(bar, 2, 0)
    w.ci.layout.setAlignment(bar, QtCore.Qt.AlignmentFlag.AlignHCenter)
    width = max(block.preferredWidth() + 40, 520)
    return _finish(w, width, block.preferredHeight() + 120, title)


def _dashboard(trace: Trace, spec: FigureSpec, ink: float) -> Figure:
    """Text strip, the cell's gates (an LSTM's i, f, o; a GRU's r, z), its state (c, or h when it has no cell
    state) and the traces of the most varying units, time-aligned."""
    state = look.state_quantity(trace.cell)
    panels = (*trace.cell.gates, state)
    q = spec.quantity_of(trace)
    sel = validate_selection(trace, state, spec.layer, spec.reverse, spec.units, spec.time_range)
    pw = _plot_width(trace, sel, 520, 1100)
    ph = float(np.clip(len(sel.units) * 5, 90, 200))
    w = _new_widget()
    title = _title(trace, spec, None)
    w.addItem(parts.title_item(title), 0, 0, 1, 2)
    text_sel = _selection(trace, spec, q, TEXT_UNITS)
    strip = _text_block(trace, spec, q, Selection(text_sel.units[:1], sel.start, sel.end), ink,
                        columns=int((pw + parts.LEFT_AXIS) // 8.6), max_lines=6,
                        caption=f" \u2014 {look.LABELS[q]}", centre=False)
    w.addItem(strip, 1, 0, 1, 2)
    row, plots = 2, []
    rows = _rows(spec, sel)
    for quantity in panels:
        data = _values(trace, spec, quantity, rows)
        plot, _ = parts.heatmap(data, quantity, rows.units, trace.tokens, sel.start, sel.end, (pw, ph), ink,
                                show_x_label=False)
        plot.setTitle(look.LABELS[quantity], size=f"{parts.LABEL_PX}px", color=parts.INK, bold=True)
        w.addItem(plot, row, 0)
        w.addItem(parts.colour_bar(quantity, data, ink), row, 1)
        plots.append(plot)
        row += 1
    tsel = _selection(trace, spec, q, TRACE_UNITS)
    tsel = Selection(tsel.units[:len(parts.PALETTE)], sel.start, sel.end)
    plot, legend = parts.traces(_values(trace, spec, q, tsel), q, tsel.units, trace.tokens, sel.start, sel.end,
                                pw, ink)
    w.addItem(plot, row, 0)
    w.addItem(legend, row, 1)
    w.ci.layout.setAlignment(legend, QtCore.Qt.AlignmentFlag.AlignTop)
    for p in plots:
        p.setXLink(plot)
    height = 60 + strip.preferredHeight() + len(panels) * (ph + 50) + 280
    return _finish(w, pw + parts.LEFT_AXIS + 140, height, title)
