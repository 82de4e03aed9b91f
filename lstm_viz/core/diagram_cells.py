"""The numbers of the cell diagram of a GRU and of a plain RNN (the LSTM family: lstm_viz.core.diagram).

GRU (PyTorch's nn.GRU, weight order r, z, n), for unit j at step t::

    r = sigmoid(W_ir x + b_ir + W_hr h_{t-1} + b_hr)        reset gate
    z = sigmoid(W_iz x + b_iz + W_hz h_{t-1} + b_hz)        update gate
    n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn))      new gate
    h_t = (1 - z) * n + z * h_{t-1}

A GRU has no separate cell state: h is its memory, and z near 1 keeps it. Plain RNN (nn.RNN)::

    h_t = tanh or relu(W_ih x + b_ih + W_hh h_{t-1} + b_hh)

Built on lstm_viz.core.diagram.place (the checks, x_t and h_{t-1}); every gate is recomputed in float64 and
checked against the trace, and so is h_t from the gates' own values.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .diagram import GateStep, Place, StepBase, gate_step

GRU_GATES = ("reset_gate", "update_gate", "new_gate")  # PyTorch's weight order r, z, n


@dataclass(frozen=True)
class GRUStep(StepBase):
    t: int
    unit: int
    layer: int
    reverse: bool
    token: str
    prev_t: int | None  # the previous step in reading order; None at the start
    x_norm: float  # |x_t|
    h_prev_norm: float  # |h_{t-1}|
    h_prev: float  # this unit's h_{t-1} (0 at the start)
    gates: tuple[GateStep, ...]  # r, z, n; n's hidden part is scaled by r (its ``scale``)
    kept: float  # z * h_{t-1}: what stays of the old state
    written: float  # (1 - z) * n: what the new gate writes
    h: float  # h_t (the trace's)
    error: float  # the largest relative difference found between recomputed and traced values
    cell: str = "gru"


@dataclass(frozen=True)
class RNNStep(StepBase):
    t: int
    unit: int
    layer: int
    reverse: bool
    token: str
    prev_t: int | None
    x_norm: float
    h_prev_norm: float
    h_prev: float  # this unit's h_{t-1} (0 at the start)
    gates: tuple[GateStep, ...]  # one: quantity "hidden", activation tanh or relu, value h_t
    h: float  # h_t (the trace's)
    error: float
    nonlinearity: str = "tanh"
    cell: str = "rnn"


def _own_prev(p: Place) -> float:
    return 0.0 if p.prev is None else float(p.h_prev[p.unit])


def gru_step(p: Place, top_k: int) -> GRUStep:
    w_ih, w_hh = p.rows("weight_ih", 3), p.rows("weight_hh", 3)  # (3, in), (3, H)
    b_ih, b_hh = p.biases(3)  # (3,) each
    traced = {q: float(p.at(q, p.t)[p.unit]) for q in (*GRU_GATES, "hidden")}
    r, e_r = gate_step(p, "reset_gate", "sigmoid", w_ih[0], w_hh[0], float(b_ih[0] + b_hh[0]), traced["reset_gate"],
                       top_k)
    z, e_z = gate_step(p, "update_gate", "sigmoid", w_ih[1], w_hh[1], float(b_ih[1] + b_hh[1]),
                       traced["update_gate"], top_k)
    n, e_n = gate_step(p, "new_gate", "tanh", w_ih[2], w_hh[2], float(b_ih[2]), traced["new_gate"], top_k,
                       scale=r.value, bias_hidden=float(b_hh[2]))
    h_prev = _own_prev(p)
    kept, written = z.value * h_prev, (1.0 - z.value) * n.value
    e_h = p.check("h_t = (1 - z) n + z h_{t-1}", traced["hidden"], written + kept)
    return GRUStep(p.t, p.unit, p.layer, p.reverse, p.trace.tokens[p.t], p.prev, float(np.linalg.norm(p.x)),
                   float(np.linalg.norm(p.h_prev)), h_prev, (r, z, n), kept, written, traced["hidden"],
                   max(e_r, e_z, e_n, e_h))


def rnn_step(p: Place, top_k: int) -> RNNStep:
    w_ih, w_hh = p.rows("weight_ih", 1), p.rows("weight_hh", 1)  # (1, in), (1, H)
    b_ih, b_hh = p.biases(1)
    nonlinearity = str(getattr(p.loaded.model.rnn, "nonlinearity", p.loaded.config.nonlinearity))
    h = float(p.at("hidden", p.t)[p.unit])
    g, err = gate_step(p, "hidden", nonlinearity, w_ih[0], w_hh[0], float(b_ih[0] + b_hh[0]), h, top_k)
    return RNNStep(p.t, p.unit, p.layer, p.reverse, p.trace.tokens[p.t], p.prev, float(np.linalg.norm(p.x)),
                   float(np.linalg.norm(p.h_prev)), _own_prev(p), (g,), h, err, nonlinearity)
