"""The cell diagrams of a GRU and of a plain RNN, drawn like colah's LSTM picture with the model's own numbers.

GRU (PyTorch's nn.GRU): h_{t-1} runs across the top, the GRU's only memory (it has no separate cell state);
the update gate z keeps ``z * h_{t-1}`` of it and the new gate n writes ``(1 - z) * n``: h_t = (1 - z) n + z h_{t-1}.
The reset gate r scales the new gate's hidden part, n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
Plain RNN (nn.RNN): one path, h_t = tanh or relu(W x + U h_{t-1} + b). Numbers: GRUStep / RNNStep of
lstm_viz.core.diagram_cells; colours, widths and the table of terms: lstm_viz.figures.diagram_base.
"""
from __future__ import annotations

from PySide6 import QtGui

from lstm_viz.core.vocab import display_token

from .diagram_base import BOX, BUS, TM1, DiagramItem, T, fmt, gate_colour, signed_colour, term_line, width_for

TOP_Y, BUS_Y, BOX_Y = 90, 370, 270  # h's line across the top, the h_{t-1}/x_t bus, the gate boxes' centre
X_Z, X_R, X_MUL_R, X_N = 290, 400, 540, 700  # z, r, r x (W_hn h + b_hn), n
ONE_MINUS = (450, 180)  # the "1 - z" box
MUL_Z, ADD, MUL_N, MUL_R = (X_Z, TOP_Y), (X_N, TOP_Y), (X_N, 180), (X_MUL_R, BOX_Y)
TAP_X = 90  # where h_{t-1} turns down to feed the gates


class GRUDiagram(DiagramItem):
    """The GRU cell of a lstm_viz.core.diagram_cells.GRUStep."""

    def __init__(self, step, ink: float = 1.0):
        super().__init__(step, ink, 5)
        self.scale = max(1.0, abs(step.h_prev), abs(step.h))

    def paint(self, p: QtGui.QPainter, *args):
        s = self.step
        r, z, n = (s.gate(q) for q in ("reset_gate", "update_gate", "new_gate"))
        H = self.height
        self.frame(p, (150, 40, 660, 370))
        # h across the top: h_{t-1} -> x z -> + (1 - z) n -> h_t
        self.belt(p, TOP_Y, MUL_Z[0], ADD[0], "h", "z", s.h_prev, s.kept, s.h)
        self.label(p, 160, 60, "no separate cell state: h is the memory; z near 1 keeps it", font=self.small,
                   colour="#555555")
        # h_{t-1} also turns down to feed the gates, with x_t from below
        self.arrow(p, [(TAP_X, TOP_Y), (TAP_X, BUS_Y), (X_N, BUS_Y)], BUS, 2.0, head=False)
        self.label(p, 34, BUS_Y + 20, f"h{TM1}: |h| = {s.h_prev_norm:.3g}")
        self.arrow(p, [(200, H - 12), (200, BUS_Y)], BUS, 2.0, head=False)
        self.label(p, 210, H - 18, f"x{T} = {display_token(s.token)!r}, |x| = {s.x_norm:.3g}")
        for x, gs, text in ((X_Z, z, "\u03c3"), (X_R, r, "\u03c3"), (X_N, n, "tanh")):
            self.gate_input(p, x, BUS_Y, BOX_Y, gs)
            self.box(p, (x, BOX_Y), text)
        # z keeps h_{t-1}; 1 - z lets n in
        self.arrow(p, [(X_Z, BOX_Y - BOX[1] / 2), (MUL_Z[0], MUL_Z[1] + 14)], gate_colour(z.value),
                   width_for(z.value, 1))
        self.label(p, X_Z + 8, 150, f"z = {fmt(z.value)}")
        one_minus = 1.0 - z.value
        self.arrow(p, [(X_Z, ONE_MINUS[1]), (ONE_MINUS[0] - 26, ONE_MINUS[1])], gate_colour(z.value),
                   width_for(z.value, 1))
        self.box(p, ONE_MINUS, "1 \u2212 z", "#e8e0f0", (52, 26), self.font)
        self.arrow(p, [(ONE_MINUS[0] + 26, ONE_MINUS[1]), (MUL_N[0] - 14, MUL_N[1])], gate_colour(one_minus),
                   width_for(one_minus, 1))
        self.label(p, (ONE_MINUS[0] + MUL_N[0]) / 2, ONE_MINUS[1] - 10, f"1 \u2212 z = {fmt(one_minus)}", "centre")
        # r scales the new gate's hidden part
        hidden = n.from_hidden + n.bias_hidden  # W_hn h_{t-1} + b_hn
        self.arrow(p, [(X_R + BOX[0] / 2, BOX_Y), (MUL_R[0] - 14, BOX_Y)], gate_colour(r.value),
                   width_for(r.value, 1))
        self.label(p, X_R + BOX[0] / 2 + 4, BOX_Y - 10, f"r = {fmt(r.value)}")
        self.arrow(p, [(X_MUL_R, BUS_Y), (X_MUL_R, BOX_Y + 14)], signed_colour(hidden, 1), width_for(hidden, 1))
        self.label(p, X_MUL_R + 6, 332, f"W\u2095\u2099h + b\u2095\u2099 = {hidden:+.3g}", font=self.small)
        self.arrow(p, [(MUL_R[0] + 14, BOX_Y), (X_N - BOX[0] / 2, BOX_Y)], signed_colour(r.value * hidden, 1),
                   width_for(r.value * hidden, 1))
        self.label(p, MUL_R[0] + 18, BOX_Y - 8, f"r\u00b7(\u2026) = {r.value * hidden:+.3g}", font=self.small)
        # n -> x (1 - z) -> + onto h
        self.arrow(p, [(X_N, BOX_Y - BOX[1] / 2), (MUL_N[0], MUL_N[1] + 14)], signed_colour(n.value, 1),
                   width_for(n.value, 1))
        self.label(p, X_N + 8, 225, f"n = {fmt(n.value, True)}")
        self.arrow(p, [(MUL_N[0], MUL_N[1] - 14), (ADD[0], ADD[1] + 14)], signed_colour(s.written, 1),
                   width_for(s.written, 1))
        self.label(p, ADD[0] + 8, 140, f"(1 \u2212 z)\u00b7n = {fmt(s.written, True)}")
        for xy, sign in ((MUL_Z, "\u00d7"), (ADD, "+"), (MUL_N, "\u00d7"), (MUL_R, "\u00d7")):
            self.node(p, xy, sign)
        self.table(p, f"r, z: W x{T} + U h{TM1} + b;  n: W x{T} + b\u1d62\u2099 + r\u00b7(U h{TM1} + b\u2095\u2099); "
                   "and the terms that push each most (weight \u00d7 value)",
                   [term_line("r", r, limit=self.chars), term_line("z", z, limit=self.chars),
                    term_line("n", n, "r", self.chars),
                    f"h: {s.h:+8.3f} = (1 \u2212 z)\u00b7n + z\u00b7h{TM1} = {s.written:+.3f} {s.kept:+.3f}"])


class RNNDiagram(DiagramItem):
    """The plain RNN cell of a lstm_viz.core.diagram_cells.RNNStep: one path, no gates."""

    height = 330

    def __init__(self, step, ink: float = 1.0):
        super().__init__(step, ink, 2)

    def paint(self, p: QtGui.QPainter, *args):
        s = self.step
        (g,) = s.gates
        W, H = self.width, self.height
        top, bus, box, x = 80, 240, 160, 440  # h_t's line, the node adding W x + U h + b, the box, the path
        self.frame(p, (150, 40, 560, 250))
        self.label(p, 160, 60, "one path, no gates: h is rewritten at every step", font=self.small, colour="#555555")
        scale = max(1.0, abs(g.from_input), abs(g.from_hidden), abs(g.pre))
        self.arrow(p, [(30, bus), (x - 14, bus)], signed_colour(g.from_hidden, scale), width_for(g.from_hidden, scale))
        self.label(p, 34, bus + 20, f"h{TM1}: |h| = {s.h_prev_norm:.3g}, unit {s.unit}: {fmt(s.h_prev, True)}")
        self.label(p, 300, bus - 10, f"U h{TM1} = {fmt(g.from_hidden, True)}", "centre")
        self.arrow(p, [(x, H - 12), (x, bus + 14)], signed_colour(g.from_input, scale), width_for(g.from_input, scale))
        self.label(p, x + 8, H - 18, f"x{T} = {display_token(s.token)!r}, |x| = {s.x_norm:.3g}")
        self.label(p, x + 8, bus + 40, f"W x{T} = {fmt(g.from_input, True)}")
        self.label(p, x + 20, bus + 5, f"+ b = {fmt(g.bias, True)}")
        self.arrow(p, [(x, bus - 14), (x, box + BOX[1] / 2)], signed_colour(g.pre, scale), width_for(g.pre, scale))
        self.label(p, x + 8, 205, f"pre = {fmt(g.pre, True)}")
        self.box(p, (x, box), s.nonlinearity)
        self.arrow(p, [(x, box - BOX[1] / 2), (x, top), (W - 20, top)], signed_colour(s.h, 1), width_for(s.h, 1))
        self.label(p, W - 24, top - 12, f"h{T} = {fmt(s.h, True)}", "right")
        self.label(p, W - 24, top + 20, f"(the next step's h{TM1})", "right", self.small, "#555555")
        self.node(p, (x, bus), "+")
        self.table(p, f"pre-activation = W x{T} + U h{TM1} + b, and the terms that push it most (weight \u00d7 value)",
                   [term_line("h", g, limit=self.chars)])
