"""Building blocks of the exported figures: a gate/state heatmap, unit traces, a colour bar, a title.

Everything is sized in logical pixels (1/96 inch) with pixel-sized fonts, so a figure scales to any
resolution unchanged. Pens are cosmetic (pyqtgraph's default, widths in device pixels), so each part takes
``ink``: the number of device pixels per logical pixel of the target, by which every pen width is multiplied.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from lstm_viz import look
from lstm_viz.core.vocab import display_token

FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
TITLE_PX, LABEL_PX, TICK_PX = 17, 13, 11
INK = "#222222"
LEFT_AXIS = 58  # fixed width of every left axis, so that stacked panels line up
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")  # line colours of the traces (Tableau 10)
MAX_LABEL_CHARS = 10


def font(px: int, family: str = FONT, bold: bool = False) -> QtGui.QFont:
    f = QtGui.QFont(family)
    f.setPixelSize(px)
    f.setBold(bold)
    return f


def pen(ink: float, color=INK, width: float = 1.0) -> QtGui.QPen:
    return pg.mkPen(color, width=width * ink)


def text_width(text: str, f: QtGui.QFont) -> float:
    return QtGui.QFontMetricsF(f).horizontalAdvance(text)


def token_label(token: str) -> str:
    s = display_token(token)
    return s if len(s) <= MAX_LABEL_CHARS else s[:MAX_LABEL_CHARS - 1] + "\u2026"


def nice_step(n_items: int, room: float, item_px: float) -> int:
    """The smallest step in 1, 2, 5, 10, 20, 50 ... that keeps ``n_items`` labels of ``item_px`` apart in
    ``room`` pixels."""
    fits = max(1, int(room // max(item_px, 1.0)))
    step, k = 1, 0
    while n_items / step > fits:
        step = (1, 2, 5)[(k + 1) % 3] * 10 ** ((k + 1) // 3)
        k += 1
    return step


def token_ticks(tokens, start: int, end: int, plot_px: float) -> tuple[list, int]:
    """Bottom-axis ticks: the token of every ``step``-th timestep (at the middle of its cell), and the step."""
    f = font(TICK_PX, MONO)
    labels = [token_label(tokens[t]) for t in range(start, end)]
    widest = max(text_width(s, f) for s in labels) + 6
    step = nice_step(end - start, plot_px, widest)
    first = -(-start // step) * step
    ticks = [(t + 0.5, labels[t - start]) for t in range(first, end, step)]
    return ticks, step


def step_px(tokens, start: int, end: int) -> float:
    """Room per timestep that labels every token when the figure can be that wide: 12 px for characters,
    more for words."""
    f = font(TICK_PX, MONO)
    widest = max(text_width(token_label(tokens[t]), f) for t in range(start, end))
    return float(np.clip(widest + 8, 12, 80))


def unit_ticks(units, plot_px: float) -> list:
    """Left-axis ticks of a heatmap: unit numbers at the middle of their rows, thinned to fit."""
    step = nice_step(len(units), plot_px, TICK_PX + 3)
    return [(k + 0.5, str(u)) for k, u in enumerate(units) if k % step == 0]


def style_axis(axis: pg.AxisItem, ink: float, label: str | None = None, mono: bool = False,
               values: bool = True) -> None:
    axis.setPen(pen(ink))
    axis.enableAutoSIPrefix(False)  # values as they are, never "(x0.001)"
    axis.setTextPen(pg.mkPen(INK))
    axis.setStyle(tickFont=font(TICK_PX, MONO if mono else FONT), tickLength=4, tickTextOffset=3,
                  showValues=values, autoExpandTextSpace=True)
    if label:
        axis.setLabel(label, **{"font-size": f"{LABEL_PX}px", "color": INK, "font-family": FONT})


def base_plot(ink: float) -> pg.PlotItem:
    """A still plot: no buttons, no menu, no mouse, no padding, a frame of four axes."""
    p = pg.PlotItem()
    p.hideButtons()
    p.setMenuEnabled(False)
    p.setMouseEnabled(x=False, y=False)
    p.getViewBox().setDefaultPadding(0.0)
    p.showAxes(True, showValues=(True, False, False, True))
    for name in ("top", "right"):
        style_axis(p.getAxis(name), ink, values=False)
        p.getAxis(name).setTicks([])
    left = p.getAxis("left")
    left.setWidth(LEFT_AXIS)
    return p


def x_axis_label(start: int, end: int, step: int) -> str:
    every = "" if step == 1 else f", every {step}{'nd' if step == 2 else 'th'} labelled"
    span = f"{start}" if end - start == 1 else f"{start}\u2013{end - 1}"
    return f"token (t = {span}{every})"


def heatmap(data: np.ndarray, quantity: str, units, tokens, start: int, end: int, plot_px: tuple[float, float],
            ink: float, show_x_label: bool = True) -> tuple[pg.PlotItem, pg.ImageItem]:
    """One quantity as an image: time to the right, selected units downwards (first unit on top).

    data: (T', U) values of the selected units and timesteps."""
    lo, hi = look.levels(quantity, data)
    p = base_plot(ink)
    p.invertY(True)
    # Upsample by whole cells so vector viewers that smooth images still show sharp cells.
    T, U = data.shape
    kx = int(np.clip(math.ceil(600 / T), 1, 8))
    ky = int(np.clip(math.ceil(300 / U), 1, 8))
    image = np.repeat(np.repeat(data.T, ky, axis=0), kx, axis=1)  # (U*ky, T*kx), row-major
    img = pg.ImageItem(axisOrder="row-major")
    img.setImage(image, levels=(lo, hi), autoLevels=False)
    img.setColorMap(look.colormap(quantity))
    img.setRect(QtCore.QRectF(start, 0, T, U))
    p.addItem(img)
    p.setXRange(start, end, padding=0)
    p.setYRange(0, U, padding=0)
    ticks, step = token_ticks(tokens, start, end, plot_px[0])
    style_axis(p.getAxis("bottom"), ink, x_axis_label(start, end, step) if show_x_label else None, mono=True)
    p.getAxis("bottom").setTicks([ticks])
    style_axis(p.getAxis("left"), ink, "unit")
    p.getAxis("left").setTicks([unit_ticks(units, plot_px[1])])
    return p, img


def colour_bar(quantity: str, data: np.ndarray | None, ink: float, horizontal: bool = False,
               label: str | None = None) -> pg.ColorBarItem:
    """A still colour bar with the quantity's colormap and levels (sequential [0, 1] for gates, symmetric
    around 0 for signed quantities)."""
    lo, hi = look.levels(quantity, data)
    bar = pg.ColorBarItem(values=(lo, hi), colorMap=look.colormap(quantity), interactive=False, width=14,
                          orientation="horizontal" if horizontal else "vertical", colorMapMenu=False)
    bar.setMenuEnabled(False)
    for name in ("left", "right", "top", "bottom"):
        style_axis(bar.getAxis(name), ink, values=bar.getAxis(name) is bar.axis)
    if not horizontal:
        bar.axis.setWidth(48)
        bar.setMaximumWidth(90)
    if label:
        bar.axis.setLabel(label, **{"font-size": f"{LABEL_PX}px", "color": INK, "font-family": FONT})
    return bar


class Legend(pg.GraphicsWidget):
    """A still legend: a short line of each colour and its label, top-aligned, of a fixed size."""

    def __init__(self, entries: list[tuple[str, str]], ink: float):
        super().__init__()
        self.entries, self.ink = entries, ink
        self.font = font(TICK_PX + 1)
        self.row = TICK_PX + 9
        w = 34 + max(text_width(label, self.font) for _, label in entries)
        h = self.row * len(entries) + 8
        self.setMinimumSize(w, h)
        self.setMaximumSize(w, h)
        self.setPreferredSize(w, h)

    def paint(self, p: QtGui.QPainter, *args):
        p.setFont(self.font)
        for k, (colour, label) in enumerate(self.entries):
            y = 4 + k * self.row + self.row / 2
            p.setPen(pen(self.ink, colour, 2.0))
            p.drawLine(QtCore.QPointF(6, y), QtCore.QPointF(26, y))
            p.setPen(pg.mkPen(INK))
            p.drawText(QtCore.QPointF(32, y + TICK_PX * 0.38), label)


def traces(data: np.ndarray, quantity: str, units, tokens, start: int, end: int, plot_px: float,
           ink: float) -> tuple[pg.PlotItem, Legend]:
    """The selected units' values over time, one line each, and a legend (to place beside the plot).

    data: (T', U)."""
    p = base_plot(ink)
    x = np.arange(start, end) + 0.5  # middle of each timestep's cell, as in the heatmaps
    entries = []
    for k, u in enumerate(units):
        colour = PALETTE[k % len(PALETTE)]
        dots = {"symbol": "o", "symbolSize": 6 * ink, "symbolBrush": colour, "symbolPen": None} if len(x) < 2 else {}
        item = pg.PlotDataItem(x, data[:, k], pen=pen(ink, colour, 1.6), antialias=True, **dots)
        p.addItem(item)
        entries.append((colour, f"unit {u}"))
    if look.is_gate(quantity):
        lo, hi = 0.0, 1.0
    else:
        m = float(np.nanmax(np.abs(data))) if data.size else 1.0
        lo, hi = -max(m, 1e-6) * 1.05, max(m, 1e-6) * 1.05
        zero = pg.InfiniteLine(0, angle=0, pen=pen(ink, "#999999", 0.8))
        p.addItem(zero)
    p.setXRange(start, end, padding=0)
    p.setYRange(lo, hi, padding=0.02 if look.is_gate(quantity) else 0)
    ticks, step = token_ticks(tokens, start, end, plot_px)
    style_axis(p.getAxis("bottom"), ink, x_axis_label(start, end, step), mono=True)
    p.getAxis("bottom").setTicks([ticks])
    style_axis(p.getAxis("left"), ink, look.LABELS[quantity])
    return p, Legend(entries, ink)


def title_item(text: str, px: int = TITLE_PX) -> pg.LabelItem:
    return pg.LabelItem(text, size=f"{px}px", bold=True, color=INK, justify="center")
