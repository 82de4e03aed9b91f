"""colah's LSTM cell diagram ("Understanding LSTM Networks", 2015), drawn by us with the model's own numbers.

The cell state runs across the top as a conveyor belt, touched only by ``f * c_{t-1}`` and ``+ i * g``;
h_{t-1} and x_t come in at the bottom and feed the four gate layers; c_t leaves on the right, and h_t =
o * tanh(c_t) at the bottom right. Every arrow carries its real value for the chosen (timestep, unit): its
thickness grows with |value| and its colour is the value's (gates: viridis over [0, 1]; signed values: blue
below 0, red above, grey near 0). Under the picture, each gate's pre-activation and the terms of W x + U h
that push it most. LSTM-specific: the numbers are a lstm_viz.core.diagram.CellStep, checked against the trace.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from lstm_viz import look
from lstm_viz.core.errors import InputError
from lstm_viz.core.vocab import display_token

from . import parts

W, H = 880, 470  # the picture, logical pixels
BELT_Y, BUS_Y, BOX_Y = 90, 370, 270  # the cell state's line, the h_{t-1}/x_t bus, the gate boxes' centre
GATE_X = {"forget_gate": 300, "input_gate": 400, "candidate": 480, "output_gate": 580}
MUL_F, ADD, MUL_IG = (300, BELT_Y), (480, BELT_Y), (480, 180)
TANH, MUL_O = (710, 180), (710, BOX_Y)
BOX = (64, 34)
SYMBOLS = {"input_gate": "i", "forget_gate": "f", "candidate": "g", "output_gate": "o"}
TERM_LINES = 4  # one per gate
NEUTRAL = QtGui.QColor("#9a9a9a")


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


def width_for(value: float, scale: float) -> float:
    return 1.2 + 5.0 * min(1.0, abs(value) / max(scale, 1e-9))


class CellDiagram(pg.GraphicsWidget):
    """The picture and the table of terms, painted with QPainter (text stays text in SVG and PDF)."""

    def __init__(self, step, ink: float = 1.0):
        super().__init__()
        self.step, self.ink = step, ink
        self.font = parts.font(parts.TICK_PX + 1)
        self.bold = parts.font(parts.LABEL_PX + 2, bold=True)
        self.mono = parts.font(parts.TICK_PX, parts.MONO)
        self.table_h = 24 + TERM_LINES * (parts.TICK_PX + 8)
        size = QtCore.QSizeF(W, H + self.table_h)
        self.setMinimumSize(size)
        self.setMaximumSize(size)
        self.setPreferredSize(size)
        s = step
        self.scale = max(1.0, abs(s.c_prev), abs(s.c), abs(s.kept))  # signed values on the belt

    # -- drawing helpers ----------------------------------------------------------------------------------
    def _pen(self, colour, width: float) -> QtGui.QPen:
        pen = QtGui.QPen(colour, width * self.ink)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
        pen.setJoinStyle(QtCore.Qt.PenJoinStyle.MiterJoin)
        pen.setCosmetic(True)
        return pen

    def arrow(self, p: QtGui.QPainter, points, colour, width: float, head: bool = True) -> None:
        pts = [QtCore.QPointF(*xy) for xy in points]
        p.setPen(self._pen(colour, width))
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
        p.fillRect(QtCore.QRectF(x0 - 2, y - fm.ascent() - 1, w + 4, fm.height() + 2), QtGui.QColor(255, 255, 255, 225))
        p.setPen(pg.mkPen(colour))
        p.drawText(QtCore.QPointF(x0, y), text)

    def node(self, p: QtGui.QPainter, xy, symbol: str) -> None:
        """A pointwise operation: a small circle with its sign."""
        x, y = xy
        p.setPen(self._pen(QtGui.QColor(parts.INK), 1.2))
        p.setBrush(QtGui.QColor("#fff3cd"))
        p.drawEllipse(QtCore.QPointF(x, y), 13, 13)
        self.label_plain(p, x, y + 5, symbol, self.bold)

    def label_plain(self, p, x, y, text, font) -> None:
        p.setFont(font)
        p.setPen(pg.mkPen(parts.INK))
        w = QtGui.QFontMetricsF(font).horizontalAdvance(text)
        p.drawText(QtCore.QPointF(x - w / 2, y), text)

    def box(self, p: QtGui.QPainter, xy, text: str, fill: str = "#fde2b5") -> None:
        x, y = xy
        bw, bh = BOX
        p.setPen(self._pen(QtGui.QColor(parts.INK), 1.2))
        p.setBrush(QtGui.QColor(fill))
        p.drawRoundedRect(QtCore.QRectF(x - bw / 2, y - bh / 2, bw, bh), 5, 5)
        self.label_plain(p, x, y + 5, text, self.bold)

    # -- the picture --------------------------------------------------------------------------------------
    def paint(self, p: QtGui.QPainter, *args):
        s = self.step
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        g = {gs.quantity: gs for gs in s.gates}
        f, i, gg, o = (g[q] for q in ("forget_gate", "input_gate", "candidate", "output_gate"))
        # the cell: a rounded box behind everything
        p.setPen(self._pen(QtGui.QColor("#b0b0b0"), 1.0))
        p.setBrush(QtGui.QColor("#f4f6f8"))
        p.drawRoundedRect(QtCore.QRectF(150, 40, 600, 370), 18, 18)
        sc = self.scale
        # the conveyor belt: c_{t-1} -> x f -> + i g -> c_t
        self.arrow(p, [(30, BELT_Y), (MUL_F[0] - 14, BELT_Y)], signed_colour(s.c_prev, sc), width_for(s.c_prev, sc))
        self.label(p, 34, BELT_Y - 12, f"c\u209c\u208b\u2081 = {s.c_prev:+.4g}")
        self.arrow(p, [(MUL_F[0] + 14, BELT_Y), (ADD[0] - 14, BELT_Y)], signed_colour(s.kept, sc),
                   width_for(s.kept, sc))
        self.label(p, (MUL_F[0] + ADD[0]) / 2, BELT_Y - 12, f"f\u00b7c\u209c\u208b\u2081 = {s.kept:+.4g}", "centre")
        self.arrow(p, [(ADD[0] + 14, BELT_Y), (W - 20, BELT_Y)], signed_colour(s.c, sc), width_for(s.c, sc))
        self.label(p, W - 24, BELT_Y - 12, f"c\u209c = {s.c:+.4g}", "right")
        # h_{t-1} along the bottom, x_t from below: together they feed every gate
        bus = QtGui.QColor("#555555")
        self.arrow(p, [(30, BUS_Y), (GATE_X["output_gate"], BUS_Y)], bus, 2.0, head=False)
        self.label(p, 34, BUS_Y + 20, f"h\u209c\u208b\u2081: |h| = {s.h_prev_norm:.3g}, unit {s.unit}: "
                   f"{s.h_prev:+.4g}")
        self.arrow(p, [(200, H - 12), (200, BUS_Y)], bus, 2.0, head=False)
        self.label(p, 210, H - 18, f"x\u209c = {display_token(s.token)!r}, |x| = {s.x_norm:.3g}")
        for q, gs in g.items():
            x = GATE_X[q]
            self.arrow(p, [(x, BUS_Y), (x, BOX_Y + BOX[1] / 2)], bus, 1.6)
            self.label(p, x, BOX_Y + BOX[1] / 2 + 16, f"{gs.pre:+.3g}", "centre", self.mono, "#555555")
            self.box(p, (x, BOX_Y), ("tanh" if q == "candidate" else "\u03c3"))
        # gate outputs
        self.arrow(p, [(GATE_X["forget_gate"], BOX_Y - BOX[1] / 2), (MUL_F[0], MUL_F[1] + 14)],
                   gate_colour(f.value), width_for(f.value, 1))
        self.label(p, MUL_F[0] + 8, 180, f"f = {f.value:.4g}")
        xi = GATE_X["input_gate"]
        self.arrow(p, [(xi, BOX_Y - BOX[1] / 2), (xi, MUL_IG[1]), (MUL_IG[0] - 14, MUL_IG[1])],
                   gate_colour(i.value), width_for(i.value, 1))
        self.label(p, xi - 8, MUL_IG[1] + 40, f"i = {i.value:.4g}", "right")
        self.arrow(p, [(GATE_X["candidate"], BOX_Y - BOX[1] / 2), (MUL_IG[0], MUL_IG[1] + 14)],
                   signed_colour(gg.value, 1), width_for(gg.value, 1))
        self.label(p, GATE_X["candidate"] + 8, 228, f"g = {gg.value:+.4g}")
        self.arrow(p, [(MUL_IG[0], MUL_IG[1] - 14), (ADD[0], ADD[1] + 14)], signed_colour(s.written, 1),
                   width_for(s.written, 1))
        self.label(p, ADD[0] + 8, 140, f"i\u00b7g = {s.written:+.4g}")
        # c_t -> tanh -> x o -> h_t
        self.arrow(p, [(TANH[0], BELT_Y), (TANH[0], TANH[1] - 14)], signed_colour(s.c, sc), width_for(s.c, sc))
        self.arrow(p, [(TANH[0], TANH[1] + 14), (MUL_O[0], MUL_O[1] - 14)], signed_colour(s.tanh_c, 1),
                   width_for(s.tanh_c, 1))
        self.label(p, TANH[0] + 8, 228, f"tanh c\u209c = {s.tanh_c:+.4g}")
        xo = GATE_X["output_gate"]
        self.arrow(p, [(xo + BOX[0] / 2, BOX_Y), (MUL_O[0] - 14, MUL_O[1])], gate_colour(o.value),
                   width_for(o.value, 1))
        self.label(p, xo + BOX[0] / 2 + 6, BOX_Y - 10, f"o = {o.value:.4g}")
        self.arrow(p, [(MUL_O[0], MUL_O[1] + 14), (MUL_O[0], BUS_Y), (W - 20, BUS_Y)], signed_colour(s.h, 1),
                   width_for(s.h, 1))
        self.label(p, W - 24, BUS_Y + 20, f"h\u209c = {s.h:+.4g}" + (" (before W_hr)" if s.projected else ""),
                   "right")
        self.node(p, MUL_F, "\u00d7")
        self.node(p, ADD, "+")
        self.node(p, MUL_IG, "\u00d7")
        self.node(p, MUL_O, "\u00d7")
        p.setPen(self._pen(QtGui.QColor(parts.INK), 1.2))
        p.setBrush(QtGui.QColor("#fde2b5"))
        p.drawEllipse(QtCore.QPointF(*TANH), 24, 14)
        self.label_plain(p, TANH[0], TANH[1] + 5, "tanh", self.font)
        self._terms(p, g)

    def _terms(self, p: QtGui.QPainter, g) -> None:
        """Each gate: pre = W x + U h + b, and its largest terms."""
        y = H + 18
        self.label_plain(p, W / 2, y, "pre-activation = W x\u209c + U h\u209c\u208b\u2081 + b, and the terms that "
                         "push it most (weight \u00d7 value)", self.font)
        for k, q in enumerate(("forget_gate", "input_gate", "candidate", "output_gate")):
            gs = g[q]
            terms = sorted(gs.top_input + gs.top_hidden, key=lambda t: -abs(t.product))[:4]
            shown = ", ".join(f"{t.label} {t.product:+.3f}" for t in terms)
            line = (f"{SYMBOLS[q]}: {gs.pre:+8.3f} = {gs.from_input:+.3f} + {gs.from_hidden:+.3f} + "
                    f"{gs.bias:+.3f}   {shown}")
            p.setFont(self.mono)
            p.setPen(pg.mkPen(parts.INK))
            p.drawText(QtCore.QPointF(20, y + 8 + (k + 1) * (parts.TICK_PX + 8)), line)


def cell_diagram_figure(trace, spec, ink: float):
    """The Figure of ``spec`` (view "cell-diagram"): ``spec.diagram`` holds the numbers."""
    from .compose import _finish, _new_widget  # compose dispatches here: imported late

    step = spec.diagram
    if step is None:
        raise InputError("the cell diagram needs the model's numbers for one step and unit "
                         "(lstm_viz.core.diagram.cell_step)")
    w = _new_widget()
    where = f"layer {step.layer}{', backward' if step.reverse else ''}"
    title = spec.title if spec.title is not None else (
        f"{trace.model_name or 'LSTM'}: LSTM cell, {where}, unit {step.unit}, t = {step.t} "
        f"({display_token(step.token)!r})")
    w.addItem(parts.title_item(title), 0, 0)
    diagram = CellDiagram(step, ink)
    w.addItem(diagram, 1, 0)
    return _finish(w, W + 40, H + diagram.table_h + 70, title)
