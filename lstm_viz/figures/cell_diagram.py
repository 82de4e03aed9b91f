"""colah's LSTM cell diagram ("Understanding LSTM Networks", 2015), drawn by us with the model's own numbers;
and the cell diagram of every cell type (``diagram_item``, ``cell_diagram_figure``).

The cell state runs across the top as a conveyor belt, touched only by ``f * c_{t-1}`` and ``+ i * g``;
h_{t-1} and x_t come in at the bottom and feed the four gate layers; c_t leaves on the right, and h_t =
o * tanh(c_t) at the bottom right. Every arrow carries its real value for the chosen (timestep, unit) (see
lstm_viz.figures.diagram_base for colours and widths). Under the picture, each gate's pre-activation and the
terms of W x + U h that push it most. A peephole LSTM's diagonal weights are drawn as dashed lines from the belt
into the gates, each with its term w * c; a coupled-gate LSTM (CIFG) has no input gate layer: i is drawn as
"1 - f", branching off the forget gate. GRU and plain RNN: lstm_viz.figures.cell_diagram_gru.
"""
from __future__ import annotations

from PySide6 import QtGui

from lstm_viz.core.cells import cell_type
from lstm_viz.core.errors import InputError
from lstm_viz.core.vocab import display_token

from . import parts
from .diagram_base import (BOX, BUS, PEEP, TM1, DiagramItem, T, fmt, gate_colour, signed_colour,  # noqa: F401
                           term_line, width_for)

W, H = DiagramItem.width, DiagramItem.height
BELT_Y, BUS_Y, BOX_Y = 90, 370, 270  # the cell state's line, the h_{t-1}/x_t bus, the gate boxes' centre
GATE_X = {"forget_gate": 300, "input_gate": 400, "candidate": 480, "output_gate": 580}
MUL_F, ADD, MUL_IG = (300, BELT_Y), (480, BELT_Y), (480, 180)
TANH, MUL_O = (730, 180), (730, BOX_Y)
SYMBOLS = {"input_gate": "i", "forget_gate": "f", "candidate": "g", "output_gate": "o"}
PEEP_Y = 232  # the peephole lines' level, between the gate boxes and the i x g node
TERM_LINES = 4  # one per gate


class CellDiagram(DiagramItem):
    """The LSTM, peephole LSTM or CIFG cell of a lstm_viz.core.diagram.CellStep."""

    def __init__(self, step, ink: float = 1.0):
        super().__init__(step, ink, TERM_LINES)
        s = step
        self.scale = max(1.0, abs(s.c_prev), abs(s.c), abs(s.kept))  # signed values on the belt

    def paint(self, p: QtGui.QPainter, *args):
        s = self.step
        g = {gs.quantity: gs for gs in s.gates}
        f, i, gg, o = (g[q] for q in ("forget_gate", "input_gate", "candidate", "output_gate"))
        coupled, peephole = i.coupled, s.cell == "peephole"
        self.frame(p, (150, 40, 600, 370))
        sc = self.scale
        # the conveyor belt: c_{t-1} -> x f -> + i g -> c_t
        self.belt(p, BELT_Y, MUL_F[0], ADD[0], "c", "f", s.c_prev, s.kept, s.c)
        # h_{t-1} along the bottom, x_t from below: together they feed every gate
        self.arrow(p, [(30, BUS_Y), (GATE_X["output_gate"], BUS_Y)], BUS, 2.0, head=False)
        self.label(p, 34, BUS_Y + 20, f"h{TM1}: |h| = {s.h_prev_norm:.3g}, unit {s.unit}: {fmt(s.h_prev, True)}")
        self.arrow(p, [(200, H - 12), (200, BUS_Y)], BUS, 2.0, head=False)
        self.label(p, 210, H - 18, f"x{T} = {display_token(s.token)!r}, |x| = {s.x_norm:.3g}")
        for q, gs in g.items():
            if gs.coupled:
                continue
            self.gate_input(p, GATE_X[q], BUS_Y, BOX_Y, gs)
            self.box(p, (GATE_X[q], BOX_Y), "tanh" if q == "candidate" else "\u03c3")
        if peephole:
            self._peepholes(p, f, i, o)
        # gate outputs
        self.arrow(p, [(GATE_X["forget_gate"], BOX_Y - BOX[1] / 2), (MUL_F[0], MUL_F[1] + 14)],
                   gate_colour(f.value), width_for(f.value, 1))
        self.label(p, MUL_F[0] + 8, 150, f"f = {fmt(f.value)}")
        xi = GATE_X["input_gate"]
        if coupled:  # i = 1 - f: a branch off the forget gate's output
            self.arrow(p, [(MUL_F[0], PEEP_Y), (xi - 26, PEEP_Y)], gate_colour(f.value), width_for(f.value, 1))
            self.box(p, (xi, PEEP_Y), "1 \u2212 f", "#e8e0f0", (52, 26), self.font)
            self.arrow(p, [(xi, PEEP_Y - 13), (xi, MUL_IG[1]), (MUL_IG[0] - 14, MUL_IG[1])],
                       gate_colour(i.value), width_for(i.value, 1))
            self.label(p, xi, BOX_Y + 2, f"i = {fmt(i.value)}", "centre")  # where i's own layer would be
        else:
            self.arrow(p, [(xi, BOX_Y - BOX[1] / 2), (xi, MUL_IG[1]), (MUL_IG[0] - 14, MUL_IG[1])],
                       gate_colour(i.value), width_for(i.value, 1))
            self.label(p, xi - 8, MUL_IG[1] + 24, f"i = {fmt(i.value)}", "right")
        self.arrow(p, [(GATE_X["candidate"], BOX_Y - BOX[1] / 2), (MUL_IG[0], MUL_IG[1] + 14)],
                   signed_colour(gg.value, 1), width_for(gg.value, 1))
        self.label(p, GATE_X["candidate"] + 8, 215, f"g = {fmt(gg.value, True)}")
        self.arrow(p, [(MUL_IG[0], MUL_IG[1] - 14), (ADD[0], ADD[1] + 14)], signed_colour(s.written, 1),
                   width_for(s.written, 1))
        self.label(p, ADD[0] + 8, 140, f"i\u00b7g = {fmt(s.written, True)}")
        # c_t -> tanh -> x o -> h_t
        self.arrow(p, [(TANH[0], BELT_Y), (TANH[0], TANH[1] - 14)], signed_colour(s.c, sc), width_for(s.c, sc))
        self.arrow(p, [(TANH[0], TANH[1] + 14), (MUL_O[0], MUL_O[1] - 14)], signed_colour(s.tanh_c, 1),
                   width_for(s.tanh_c, 1))
        self.label(p, TANH[0] + 8, 215, f"tanh c{T} = {fmt(s.tanh_c, True)}")
        xo = GATE_X["output_gate"]
        self.arrow(p, [(xo + BOX[0] / 2, BOX_Y), (MUL_O[0] - 14, MUL_O[1])], gate_colour(o.value),
                   width_for(o.value, 1))
        self.label(p, xo + BOX[0] / 2 + 6, BOX_Y + 20, f"o = {fmt(o.value)}")
        self.arrow(p, [(MUL_O[0], MUL_O[1] + 14), (MUL_O[0], BUS_Y), (W - 20, BUS_Y)], signed_colour(s.h, 1),
                   width_for(s.h, 1))
        self.label(p, W - 24, BUS_Y + 20, f"h{T} = {fmt(s.h, True)}" + (" (before W_hr)" if s.projected else ""),
                   "right")
        for xy, sign in ((MUL_F, "\u00d7"), (ADD, "+"), (MUL_IG, "\u00d7"), (MUL_O, "\u00d7")):
            self.node(p, xy, sign)
        self.ellipse(p, TANH, "tanh")
        self._terms(p, g)

    def _peepholes(self, p: QtGui.QPainter, f, i, o) -> None:
        """Dashed lines from the belt into i and f (c_{t-1}) and into o (c_t), each with its term w * c."""
        tap, fx, ix = 215, GATE_X["forget_gate"] - 14, GATE_X["input_gate"] - 14
        top = BOX_Y - BOX[1] / 2
        self.arrow(p, [(tap, BELT_Y), (tap, PEEP_Y), (ix, PEEP_Y), (ix, top)], PEEP, 1.3, dashed=True)
        self.arrow(p, [(fx, PEEP_Y), (fx, top)], PEEP, 1.3, dashed=True)
        self.label(p, tap + 6, 196, f"w\u00b7c{TM1}", font=self.small, colour=PEEP.name())
        self.label(p, fx - 4, top - 6, f"{f.peephole:+.3g}", "right", self.mono, PEEP.name())
        self.label(p, ix - 4, top - 6, f"{i.peephole:+.3g}", "right", self.mono, PEEP.name())
        ox, otap = GATE_X["output_gate"] + 14, 650
        self.arrow(p, [(otap, BELT_Y), (otap, PEEP_Y), (ox, PEEP_Y), (ox, top)], PEEP, 1.3, dashed=True)
        self.label(p, ox + 4, top - 6, f"{o.peephole:+.3g}", "left", self.mono, PEEP.name())
        self.label(p, otap + 6, 150, f"w\u00b7c{T}", font=self.small, colour=PEEP.name())

    def _terms(self, p: QtGui.QPainter, g) -> None:
        """Each gate: pre = W x + U h + b (+ w c), and its largest terms."""
        peep = " + w\u00b7c" if self.step.cell == "peephole" else ""
        header = (f"pre-activation = W x{T} + U h{TM1} + b{peep}, and the terms that push it most "
                  "(weight \u00d7 value)")
        order = ("forget_gate", "input_gate", "candidate", "output_gate")
        self.table(p, header, [term_line(SYMBOLS[q], g[q], limit=self.chars) for q in order])


def diagram_item(step, ink: float = 1.0) -> DiagramItem:
    """The diagram of ``step``'s cell type: LSTM family, GRU or plain RNN."""
    if step.cell in ("gru", "rnn"):
        from .cell_diagram_gru import GRUDiagram, RNNDiagram

        return (GRUDiagram if step.cell == "gru" else RNNDiagram)(step, ink)
    return CellDiagram(step, ink)


def headline(step) -> str:
    """One line for a title: where, and the state the step ends in."""
    state = f"c = {fmt(step.c, True)}, h = {fmt(step.h, True)}" if hasattr(step, "c") else f"h = {fmt(step.h, True)}"
    return (f"{cell_type(step.cell).title}, unit {step.unit}, {step.where}, t = {step.t} "
            f"({display_token(step.token)!r}): {state}")


def cell_diagram_figure(trace, spec, ink: float):
    """The Figure of ``spec`` (view "cell-diagram"): ``spec.diagram`` holds the numbers."""
    from .compose import _finish, _new_widget  # compose dispatches here: imported late

    step = spec.diagram
    if step is None:
        raise InputError("the cell diagram needs the model's numbers for one step and unit "
                         "(lstm_viz.core.diagram.cell_step)")
    w = _new_widget()
    cell = cell_type(step.cell)
    title = spec.title if spec.title is not None else (
        f"{trace.model_name or cell.title}: {cell.title} cell, {step.where}, unit {step.unit}, t = {step.t} "
        f"({display_token(step.token)!r})")
    w.addItem(parts.title_item(title), 0, 0)
    diagram = diagram_item(step, ink)
    w.addItem(diagram, 1, 0)
    return _finish(w, diagram.width + 40, diagram.height + diagram.table_h + 70, title)
