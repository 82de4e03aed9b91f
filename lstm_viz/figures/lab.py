"""The long-range lab's figure: recall of the key against the gap, and the gradient norm against the distance.

Left: the share of unseen ``long-copy`` lines whose key each cell type recalls, per gap (log x), with chance
(1 / number of keys) dashed. Right: mean ‖∂ log p(key) / ∂ x_s‖ against t − s on log-log axes, one curve per
cell type (zeros, where the gradient underflowed, are left out), the key's distance marked. The numbers come
from lstm_viz.core.lab; ``export_lab_figure`` paints them through the same exporters as every figure.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from lstm_viz.core.corpora import LONG_COPY_KEYS

from . import parts

PLOT = (380, 300)  # logical pixels of each plot
COLOURS = {"rnn": "#d62728", "gru": "#2ca02c", "lstm": "#1f77b4", "peephole": "#9467bd", "cifg": "#ff7f0e"}


def _log_ticks(lo: float, hi: float) -> list:
    """Ticks at the powers of ten from 10**lo to 10**hi (positions in log10 units)."""
    first, last = math.floor(lo), math.ceil(hi)
    step = max(1, math.ceil((last - first) / 8))
    return [(k, f"1e{k}" if k not in (0, 1, 2) else f"{10 ** k:g}") for k in range(first, last + 1, step)]


def _plot(ink: float) -> pg.PlotItem:
    p = parts.base_plot(ink)
    p.getViewBox().setDefaultPadding(0.04)
    size = (PLOT[0] + parts.LEFT_AXIS + 10, PLOT[1] + 60)
    p.setMinimumSize(*size)
    p.setMaximumSize(*size)
    return p


def _recall_plot(result, ink: float) -> pg.PlotItem:
    p = _plot(ink)
    x = np.log10(np.asarray(result.gaps, dtype=float))
    chance = 1.0 / len(LONG_COPY_KEYS)
    p.addItem(pg.InfiniteLine(chance, angle=0, pen=pg.mkPen("#999999", width=ink, style=pg.QtCore.Qt.PenStyle.DashLine)))
    for cell in result.cells:
        colour = COLOURS.get(cell, parts.INK)
        p.addItem(pg.PlotDataItem(x, result.recall[cell], pen=parts.pen(ink, colour, 2.0), symbol="o",
                                  symbolSize=7 * ink, symbolBrush=colour, symbolPen=None, antialias=True))
    p.setXRange(float(x.min()), float(x.max()))
    p.setYRange(0, 1)
    parts.style_axis(p.getAxis("bottom"), ink, "gap (filler characters between the key and its repeat)")
    parts.style_axis(p.getAxis("left"), ink, "recall of the key")
    p.getAxis("bottom").setTicks([[(float(v), str(g)) for v, g in zip(x, result.gaps)]])
    p.getAxis("left").setTicks([[(v, f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1.0)]])
    p.setTitle(f"recall against the gap (chance {chance:g}, dashed)", size=f"{parts.LABEL_PX}px", color=parts.INK,
               bold=True)
    return p


def _gradient_plot(result, ink: float) -> pg.PlotItem:
    p = _plot(ink)
    d = result.distance[1:].astype(float)  # distance 0 has no place on a log axis
    lows, highs = [], []
    for cell in result.cells:
        g = result.grad_norm[cell][1:]
        keep = g > 0
        if not keep.any():
            continue
        y = np.log10(g[keep])
        lows.append(y.min())
        highs.append(y.max())
        p.addItem(pg.PlotDataItem(np.log10(d[keep]), y, pen=parts.pen(ink, COLOURS.get(cell, parts.INK), 2.0),
                                  antialias=True))
    key = math.log10(result.key_distance)
    p.addItem(pg.InfiniteLine(key, angle=90, pen=pg.mkPen("#999999", width=ink, style=pg.QtCore.Qt.PenStyle.DashLine)))
    lo, hi = (min(lows), max(highs)) if lows else (-1.0, 0.0)
    p.setXRange(0, key)
    p.setYRange(lo, hi)
    parts.style_axis(p.getAxis("bottom"), ink, "distance t \u2212 s (characters back from the \u201c=\u201d)")
    parts.style_axis(p.getAxis("left"), ink, "\u2016\u2202 log p(key) / \u2202x\u209b\u2016")
    p.getAxis("bottom").setTicks([_log_ticks(0, key)])
    p.getAxis("left").setTicks([_log_ticks(lo, hi)])
    p.setTitle(f"gradient against the distance (gap {max(result.gaps)}; key dashed)", size=f"{parts.LABEL_PX}px",
               color=parts.INK, bold=True)
    return p


def lab_figure(result, ink: float = 1.0, title: str | None = None):
    """The Figure of a lstm_viz.core.lab.LabResult (see the module docstring)."""
    from .compose import _finish, _new_widget  # the same layout helpers as every figure

    c = result.config
    w = _new_widget()
    title = title if title is not None else (
        f"Long-range lab: {', '.join(result.cells)} of {c.hidden_size} units, {c.steps} steps, seed {c.seed}"
        + (" (cancelled)" if result.cancelled else ""))
    w.addItem(parts.title_item(title), 0, 0, 1, 2)
    legend = "&nbsp;&nbsp;&nbsp;".join(
        f"<span style='color:{COLOURS.get(cell, parts.INK)}'>\u2014\u2014 {cell}</span>" for cell in result.cells)
    w.addItem(pg.LabelItem(legend, size=f"{parts.LABEL_PX}px", color=parts.INK), 1, 0, 1, 2)
    w.addItem(_recall_plot(result, ink), 2, 0)
    w.addItem(_gradient_plot(result, ink), 2, 1)
    width = 2 * (PLOT[0] + parts.LEFT_AXIS + 24) + 40
    height = PLOT[1] + 60 + 90
    return _finish(w, width, height, title)


def export_lab_figure(result, path, *, dpi: float = 200, scale: float | None = None) -> None:
    """Paint the lab's figure into ``path`` (.png, .svg or .pdf)."""
    from .render import write_figure

    write_figure(lambda ink: lab_figure(result, ink), path, dpi=dpi, scale=scale)
