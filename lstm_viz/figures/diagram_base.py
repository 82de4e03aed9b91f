"""What every cell diagram shares: colours and widths by value, arrows, nodes, boxes, labels, the table of terms.

A diagram is a pyqtgraph GraphicsWidget painted with QPainter (text stays text in SVG and PDF), sized in logical
pixels: ``width`` x (``height`` of the picture + its table). Every arrow's thickness grows with |value| and its
colour is the value's (gates: viridis over [0, 1]; signed values: blue below 0, red above, grey near 0). The
table under the picture gives each gate's pre-activation as the sum of its parts and the terms w * value of
W x + U h that push it most. The numbers are a step of lstm_viz.core.diagram / diagram_cells; nothing here
computes them.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from lstm_viz import look

from . import parts

NEUTRAL = QtGui.QColor("#9a9a9a")
BUS = QtGui.QColor("#555555")
BOX = (64, 34)
PEEP = QtGui.QColor("#8e44ad")  # peephole connections
T, TM1 = "\u209c", "\u209c\u208b\u2081"  # subscripts t and t-1


def signed_colour(value: float, scale: float) -> QtGui.QColor:
    """Grey at 0, towards red (positive) or blue (negative) as |value| reaches ``scale``."""
    a = min(1.0, abs(value) / max(scale, 1e-9))
    end = QtGui.QColor("#c0392b" if value > 0 else "#2c6fbb")
    return QtGui.QColor.fromRgbF(*(NEUTRAL.redF() + a * (end.redF() - NEUTRAL.redF()),
                                   NEUTRAL.greenF() + a * (end.greenF() - NEUTRAL.greenF()),
                                   NEUTRAL.blueF() + a * (end.blueF() - NEUTRAL.blueF())))


def gate_colour(value: float) -> QtGui.QColor:
    c = look.colormap("forget_gate").map(min(max(value, 0.0), 1.0) * 0.92, mode=pg.ColorMap.QCOLOR)
    return c.darker(110)


def fmt(value: float, sign: bool = False) -> str:
    """``value`` to 4 significant digits, or more where 4 would round it to ±1 (a saturated gate or tanh of
    0.99999 reads 0.99999, not 1)."""
    spec = "+" if sign else ""
    for digits in (4, 6, 8):
        text = f"{value:{spec}.{digits}g}"
        if abs(float(text)) != 1.0 or abs(value) == 1.0:
            break
    return text


def width_for(value: float, scale: float) -> float:
    return 1.2 + 5.0 * min(1.0, abs(value) / max(scale, 1e-9))


def term_line(symbol: str, gs, inner: str = "", limit: int = 130) -> str:
    """``symbol: pre = W x + U h + b [+ w c]`` with each part's value, then the largest terms (weight x value),
    as many as fit in ``limit`` characters. ``inner``: the factor written before a scaled hidden part (a GRU's r)."""
    if gs.coupled:
        return f"{symbol}: {gs.pre:+8.3f} = \u2212(pre of f): i = 1 \u2212 f, no weights of its own"
    if gs.scale != 1.0 or gs.bias_hidden:
        hidden = f"{inner or gs.scale}\u00b7({gs.from_hidden:+.3f} {gs.bias_hidden:+.3f})"
        parts_ = f"{gs.from_input:+.3f} {gs.bias:+.3f} + {hidden}"
    else:
        parts_ = f"{gs.from_input:+.3f} {gs.from_hidden:+.3f} {gs.bias:+.3f}"
    if gs.peephole_weight:
        parts_ += f" {gs.peephole:+.3f}"
    line = f"{symbol}: {gs.pre:+8.3f} = {parts_}  "
    for k, t in enumerate(sorted(gs.top_input + gs.top_hidden, key=lambda t: -abs(t.product))[:4]):
        more = f"{',' if k else ''} {t.label} {t.product:+.3f}"
        if len(line) + len(more) > limit:
            break
        line += more
    return line


class DiagramItem(pg.GraphicsWidget):
    """The base of every cell diagram: a fixed-size item, painting helpers and the table of terms."""

    width, height = 880, 470  # the picture, logical pixels (without the table)

    def __init__(self, step, ink: float = 1.0, table_lines: int = 4):
        super().__init__()
        self.step, self.ink = step, ink
        self.font = parts.font(parts.TICK_PX + 1)
        self.small = parts.font(parts.TICK_PX)
        self.bold = parts.font(parts.LABEL_PX + 2, bold=True)
        self.mono = parts.font(parts.TICK_PX, parts.MONO)
        self.table_lines = table_lines
        self.placed: list[tuple[str, str, QtCore.QRectF]] = []  # (kind, text, rect) of the last paint, for tests
        self.table_h = 32 + table_lines * (parts.TICK_PX + 8)  # the header and the lines, with their descents
        size = QtCore.QSizeF(self.width, self.height + self.table_h)
        self.setMinimumSize(size)
        self.setMaximumSize(size)
        self.setPreferredSize(size)

    # -- drawing helpers ----------------------------------------------------------------------------------
    def _pen(self, colour, width: float, dashed: bool = False) -> QtGui.QPen:
        pen = QtGui.QPen(colour, width * self.ink)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
        pen.setJoinStyle(QtCore.Qt.PenJoinStyle.MiterJoin)
        pen.setCosmetic(True)
        if dashed:
            pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        return pen

    def arrow(self, p: QtGui.QPainter, points, colour, width: float, head: bool = True,
              dashed: bool = False) -> None:
        pts = [QtCore.QPointF(*xy) for xy in points]
        p.setPen(self._pen(colour, width, dashed))
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.drawPolyline(pts)
        if head:
            (x0, y0), (x1, y1) = points[-2], points[-1]
            ang = math.atan2(y1 - y0, x1 - x0)
            size = 7 + width
            tip = QtCore.QPointF(x1, y1)
            left = QtCore.QPointF(x1 - size * math.cos(ang - 0.4), y1 - size * math.sin(ang - 0.4))
            right = QtCore.QPointF(x1 - size * math.cos(ang + 0.4), y1 - size * math.sin(ang + 0.4))
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawPolygon(QtGui.QPolygonF([tip, left, right]))

    def label(self, p: QtGui.QPainter, x: float, y: float, text: str, align: str = "left",
              font: QtGui.QFont | None = None, colour: str = parts.INK) -> None:
        """``text`` on a white backing at (x, y) (the baseline's left end, centre or right end)."""
        f = font or self.font
        p.setFont(f)
        fm = QtGui.QFontMetricsF(f)
        w = fm.horizontalAdvance(text)
        x0 = {"left": x, "centre": x - w / 2, "right": x - w}[align]
        rect = QtCore.QRectF(x0 - 2, y - fm.ascent() - 1, w + 4, fm.height() + 2)
        self.placed.append(("label", text, rect))
        p.fillRect(rect, QtGui.QColor(255, 255, 255, 225))
        p.setPen(pg.mkPen(colour))
        p.drawText(QtCore.QPointF(x0, y), text)

    def label_plain(self, p, x, y, text, font) -> None:
        p.setFont(font)
        p.setPen(pg.mkPen(parts.INK))
        w = QtGui.QFontMetricsF(font).horizontalAdvance(text)
        p.drawText(QtCore.QPointF(x - w / 2, y), text)

    def node(self, p: QtGui.QPainter, xy, symbol: str) -> None:
        """A pointwise operation: a small circle with its sign."""
        x, y = xy
        self.placed.append(("shape", symbol, QtCore.QRectF(x - 13, y - 13, 26, 26)))
        p.setPen(self._pen(QtGui.QColor(parts.INK), 1.2))
        p.setBrush(QtGui.QColor("#fff3cd"))
        p.drawEllipse(QtCore.QPointF(x, y), 13, 13)
        self.label_plain(p, x, y + 5, symbol, self.bold)

    def box(self, p: QtGui.QPainter, xy, text: str, fill: str = "#fde2b5", size=BOX, font=None) -> None:
        x, y = xy
        bw, bh = size
        self.placed.append(("shape", text, QtCore.QRectF(x - bw / 2, y - bh / 2, bw, bh)))
        p.setPen(self._pen(QtGui.QColor(parts.INK), 1.2))
        p.setBrush(QtGui.QColor(fill))
        p.drawRoundedRect(QtCore.QRectF(x - bw / 2, y - bh / 2, bw, bh), 5, 5)
        self.label_plain(p, x, y + 5, text, font or self.bold)

    def ellipse(self, p: QtGui.QPainter, xy, text: str) -> None:
        """A pointwise function (tanh of the cell state)."""
        self.placed.append(("shape", text, QtCore.QRectF(xy[0] - 24, xy[1] - 14, 48, 28)))
        p.setPen(self._pen(QtGui.QColor(parts.INK), 1.2))
        p.setBrush(QtGui.QColor("#fde2b5"))
        p.drawEllipse(QtCore.QPointF(*xy), 24, 14)
        self.label_plain(p, xy[0], xy[1] + 5, text, self.font)

    def belt(self, p: QtGui.QPainter, y: float, mul_x: float, add_x: float, state: str, keep: str,
             before: float, kept: float, after: float) -> None:
        """The memory line at height ``y``: ``state``_{t-1} in, "x ``keep``" at ``mul_x``, "+" at ``add_x``,
        ``state``_t out (an LSTM's cell state c with keep = f; a GRU's h with keep = z), each arrow with its value."""
        sc = self.scale
        self.arrow(p, [(30, y), (mul_x - 14, y)], signed_colour(before, sc), width_for(before, sc))
        self.label(p, 34, y - 12, f"{state}{TM1} = {fmt(before, True)}")
        self.arrow(p, [(mul_x + 14, y), (add_x - 14, y)], signed_colour(kept, sc), width_for(kept, sc))
        self.label(p, (mul_x + add_x) / 2, y - 12, f"{keep}\u00b7{state}{TM1} = {fmt(kept, True)}", "centre")
        self.arrow(p, [(add_x + 14, y), (self.width - 20, y)], signed_colour(after, sc), width_for(after, sc))
        self.label(p, self.width - 24, y - 12, f"{state}{T} = {fmt(after, True)}", "right")

    def frame(self, p: QtGui.QPainter, rect: tuple[float, float, float, float]) -> None:
        """The cell: a rounded box behind everything (painted first: starts a new list of placed items)."""
        self.placed = []
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        p.setPen(self._pen(QtGui.QColor("#b0b0b0"), 1.0))
        p.setBrush(QtGui.QColor("#f4f6f8"))
        p.drawRoundedRect(QtCore.QRectF(*rect), 18, 18)

    def gate_input(self, p: QtGui.QPainter, x: float, bus_y: float, box_y: float, gs) -> None:
        """The bus feeding a gate box from below, with the pre-activation under the box."""
        self.arrow(p, [(x, bus_y), (x, box_y + BOX[1] / 2)], BUS, 1.6)
        self.label(p, x, box_y + BOX[1] / 2 + 16, f"{gs.pre:+.3g}", "centre", self.mono, "#555555")

    @property
    def chars(self) -> int:
        """Monospaced characters that fit on a line of the table."""
        return int((self.width - 40) / QtGui.QFontMetricsF(self.mono).horizontalAdvance("0"))

    def overlaps(self) -> list[tuple[str, str]]:
        """Pairs of labels drawn over each other or over a box or node in the last paint (none, we hope)."""
        labels = [(t, r) for k, t, r in self.placed if k == "label"]
        shapes = [(t, r) for k, t, r in self.placed if k == "shape"]
        out = [(a, b) for n, (a, ra) in enumerate(labels) for b, rb in labels[n + 1:] if ra.intersects(rb)]
        return out + [(a, b) for a, ra in labels for b, rb in shapes if ra.intersects(rb)]

    def table(self, p: QtGui.QPainter, header: str, lines: list[str]) -> None:
        """Under the picture: a centred header and one monospaced line per gate."""
        y = self.height + 18
        self.label_plain(p, self.width / 2, y, header, self.font)
        p.setFont(self.mono)
        p.setPen(pg.mkPen(parts.INK))
        fm = QtGui.QFontMetricsF(self.mono)
        for k, line in enumerate(lines):
            base = y + 8 + (k + 1) * (parts.TICK_PX + 8)
            self.placed.append(("table", line, QtCore.QRectF(20, base - fm.ascent(), fm.horizontalAdvance(line),
                                                             fm.height())))
            p.drawText(QtCore.QPointF(20, base), line)

    def outside(self) -> list[str]:
        """Texts of the last paint that stick out of the item (none, we hope)."""
        bounds = QtCore.QRectF(0, 0, self.width, self.height + self.table_h)
        return [t for _, t, r in self.placed if not bounds.contains(r)]
