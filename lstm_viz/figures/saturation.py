"""The gate saturation figure (Karpathy et al. 2015): one scatter per gate, one dot per unit.

x: the fraction of timesteps the unit's gate is left-saturated (< 0.1), y: right-saturated (> 0.9). Columns are
the gates, rows the layers and directions. The dashed diagonal x + y = 1 bounds what is possible: a dot on it is
saturated all the time. The numbers come from lstm_viz.core.saturation; the units of ``spec.units`` (in
``spec.layer`` / ``spec.reverse``) are drawn larger, in red, with their numbers.
"""
from __future__ import annotations

import pyqtgraph as pg

from lstm_viz import look
from lstm_viz.core.saturation import gate_saturation

from . import parts

PANEL = 230  # logical pixels of each square plot
DOT = "#1f77b4"
CHOSEN = "#d62728"


def _panel(sat, chosen: tuple[int, ...], ink: float) -> pg.PlotItem:
    p = parts.base_plot(ink)
    p.getAxis("left").setWidth(parts.LEFT_AXIS)
    diagonal = pg.PlotDataItem([0, 1], [1, 0], pen=pg.mkPen("#bbbbbb", width=ink))
    p.addItem(diagonal)
    dots = pg.ScatterPlotItem(sat.left, sat.right, size=6 * ink, pen=None, brush=pg.mkBrush(DOT + "99"),
                              antialias=True)
    p.addItem(dots)
    for u in chosen:
        if 0 <= u < len(sat.left):
            p.addItem(pg.ScatterPlotItem([sat.left[u]], [sat.right[u]], size=10 * ink,
                                         pen=pg.mkPen("#ffffff", width=ink), brush=pg.mkBrush(CHOSEN)))
            label = pg.TextItem(str(u), color=CHOSEN, anchor=(-0.15, 0.9))
            label.setFont(parts.font(parts.TICK_PX, bold=True))
            label.setPos(float(sat.left[u]), float(sat.right[u]))
            p.addItem(label)
    p.setXRange(0, 1, padding=0.03)
    p.setYRange(0, 1, padding=0.03)
    parts.style_axis(p.getAxis("bottom"), ink, f"fraction &lt; {sat.low:g} (left-saturated)")
    parts.style_axis(p.getAxis("left"), ink, f"fraction &gt; {sat.high:g} (right-saturated)")
    ticks = [[(v, f"{v:g}") for v in (0, 0.2, 0.4, 0.6, 0.8, 1.0)]]
    p.getAxis("bottom").setTicks(ticks)
    p.getAxis("left").setTicks(ticks)
    where = f"layer {sat.layer}{', backward' if sat.reverse else ''}"
    p.setTitle(f"{look.LABELS.get(sat.quantity, sat.quantity)}, {where}", size=f"{parts.LABEL_PX}px",
               color=parts.INK, bold=True)
    size = (PANEL + parts.LEFT_AXIS + 12, PANEL + 84)  # the square plot, its axes and its title
    p.setMinimumSize(*size)
    p.setMaximumSize(*size)
    return p


def saturation_figure(trace, spec, ink: float):
    """The Figure of ``spec`` (view "saturation") over ``spec.time_range`` (default: the whole text)."""
    from .compose import _finish, _new_widget  # compose dispatches here: imported late

    start, end = spec.time_range or (None, None)
    t0 = 0 if start is None else start
    t1 = len(trace) if end is None else end
    result = gate_saturation(trace, t0=t0, t1=t1)
    gates = list(dict.fromkeys(s.quantity for s in result))
    rows = list(dict.fromkeys((s.layer, s.reverse) for s in result))
    w = _new_widget()
    span = "" if (t0, t1) == (0, len(trace)) else f", t = {t0}\u2013{t1 - 1}"
    title = spec.title if spec.title is not None else \
        f"{trace.model_name or 'LSTM'}: gate saturation over {t1 - t0} timesteps{span}"
    w.addItem(parts.title_item(title), 0, 0, 1, len(gates))
    for s in result:
        r, c = rows.index((s.layer, s.reverse)), gates.index(s.quantity)
        chosen = tuple(spec.units or ()) if (s.layer, s.reverse) == (spec.layer, spec.reverse) else ()
        w.addItem(_panel(s, chosen, ink), 1 + r, c)
    width = len(gates) * (PANEL + parts.LEFT_AXIS + 20) + 40
    height = len(rows) * (PANEL + 92) + 60
    return _finish(w, width, height, title)
