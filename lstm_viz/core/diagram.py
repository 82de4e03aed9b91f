"""The numbers of colah's LSTM cell diagram for one (timestep, unit, layer, direction): LSTM-specific.

From the model's weights and the trace, for unit j at step t (h_{t-1}, c_{t-1}: the previous step in this
direction's reading order, zero before the first):

    pre_k = W_ih[k, j] . x_t + W_hh[k, j] . h_{t-1} + b_ih[k, j] + b_hh[k, j]      k in i, f, g, o
    i, f, o = sigmoid(pre);  g = tanh(pre)
    c_t = f c_{t-1} + i g;   h_t = o tanh(c_t)   (h_t before the projection W_hr when proj_size is set)

The pre-activations are recomputed for this one step in float64 and checked against the trace's gates, and
c_t = f c_{t-1} + i g and h_t = o tanh(c_t) are checked on the trace's own values: a mismatch (a trace of
another model, other inputs) is an InputError, never a wrong picture. The largest terms w * value of W x + U h
say which inputs and hidden units push each gate most.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .errors import InputError
from .model import LoadedModel
from .stream import window

LSTM_GATES = ("input_gate", "forget_gate", "candidate", "output_gate")  # PyTorch's weight order i, f, g, o
TOP_K = 5
TOLERANCE = 1e-4  # |recomputed - traced| / max(1, |value|) allowed (the trace is float32)


@dataclass(frozen=True)
class Term:
    """One term w * value of a gate's pre-activation."""

    source: str  # "input" (x_t) or "hidden" (h_{t-1})
    index: int  # which component of x_t or h_{t-1}
    label: str  # e.g. "x[3]", "h[17]", "token 'a'", "layer 0 h[5]"
    weight: float
    value: float
    product: float


@dataclass(frozen=True)
class GateStep:
    quantity: str  # "input_gate", "forget_gate", "candidate" or "output_gate"
    pre: float  # the pre-activation, recomputed
    value: float  # the gate's value at t (the trace's)
    bias: float  # b_ih + b_hh
    from_input: float  # W_ih[row] . x_t
    from_hidden: float  # W_hh[row] . h_{t-1}
    top_input: tuple[Term, ...]  # largest |w * x| first
    top_hidden: tuple[Term, ...]  # largest |w * h| first


@dataclass(frozen=True)
class CellStep:
    t: int
    unit: int
    layer: int
    reverse: bool
    token: str
    prev_t: int | None  # the previous step in reading order (t - 1, or t + 1 backward); None at the start
    x_norm: float  # |x_t|
    h_prev_norm: float  # |h_{t-1}| (the whole vector the gates read)
    h_prev: float  # this unit's own output at the previous step, o tanh(c) (0 at the start)
    c_prev: float
    gates: tuple[GateStep, ...]  # i, f, g, o
    kept: float  # f * c_{t-1}
    written: float  # i * g
    c: float  # c_t (the trace's)
    tanh_c: float
    h: float  # o * tanh(c_t): this unit's output (before the projection, when there is one)
    projected: bool  # the model projects h (proj_size): h_t in the trace is W_hr times the outputs
    error: float  # the largest relative difference found between recomputed and traced values

    def gate(self, quantity: str) -> GateStep:
        for g in self.gates:
            if g.quantity == quantity:
                return g
        raise KeyError(quantity)


def _inputs_at(loaded: LoadedModel, trace, t: int, layer: int, inputs) -> tuple[np.ndarray, list[str]]:
    """x_t (in,) float64 of ``layer`` and a label per component."""
    if layer > 0:
        parts = [window(trace, "hidden", layer - 1, d, t, t + 1)[0] for d in trace.directions]
        n = len(parts[0])
        labels = [f"layer {layer - 1} h[{j}]" for j in range(n)]
        if len(parts) == 2:
            labels += [f"layer {layer - 1} backward h[{j}]" for j in range(n)]
        return np.concatenate(parts).astype(np.float64), labels
    mode = loaded.config.input_mode
    if mode != "vectors" and trace.token_ids is not None:
        token_id = int(trace.token_ids[t])
        with torch.no_grad():
            x = loaded.model.inputs(torch.tensor([token_id]))[0].double().numpy()  # (in,)
        if mode == "one_hot":
            names = loaded.vocab.tokens if loaded.vocab is not None else [str(j) for j in range(len(x))]
            return x, [f"token {names[j]!r}" for j in range(len(x))]
        return x, [f"x[{j}]" for j in range(len(x))]
    if inputs is None:
        raise InputError("the cell diagram of layer 0 needs the input vectors this trace was made from")
    x = np.asarray(inputs, dtype=np.float64)
    if x.ndim != 2 or len(x) != len(trace) or x.shape[1] != loaded.config.input_size:
        raise InputError(f"input vectors of shape {x.shape} do not fit a trace of {len(trace)} steps and a model "
                         f"reading {loaded.config.input_size} per step")
    return x[t], [f"x[{j}]" for j in range(x.shape[1])]


def _top(source: str, weights: np.ndarray, values: np.ndarray, labels: list[str], k: int) -> tuple[Term, ...]:
    prod = weights * values  # (n,)
    order = np.argsort(-np.abs(prod), kind="stable")[:k]
    return tuple(Term(source, int(j), labels[j], float(weights[j]), float(values[j]), float(prod[j]))
                 for j in order if prod[j] != 0)


def _check(name: str, traced: float, recomputed: float, t: int, unit: int) -> float:
    err = abs(traced - recomputed) / max(1.0, abs(traced))
    if not err <= TOLERANCE:
        raise InputError(f"the trace does not match this model at t = {t}, unit {unit}: {name} is {traced:.6g} in "
                         f"the trace but {recomputed:.6g} from the weights")
    return err


def cell_step(loaded: LoadedModel, trace, t: int, unit: int, layer: int = 0, reverse: bool = False,
              top_k: int = TOP_K, inputs=None) -> CellStep:
    """Every number of the cell diagram of ``unit`` at timestep ``t`` (see the module docstring).

    ``inputs``: the (T, input_size) vectors the trace was made from, for a model that reads vectors."""
    cfg = loaded.config
    if getattr(cfg, "cell", "lstm") != "lstm":
        raise InputError(f"the cell diagram draws LSTM cells; this model is a {cfg.cell}")
    if not 0 <= layer < trace.num_layers or trace.num_layers != cfg.num_layers:
        raise InputError(f"layer {layer} does not exist; the model has {cfg.num_layers}")
    if reverse and not (trace.bidirectional and cfg.bidirectional):
        raise InputError("the model has no backward direction")
    if not 0 <= t < len(trace):
        raise InputError(f"timestep {t} does not exist; the text has {len(trace)} (0 to {len(trace) - 1})")
    H = cfg.sizes[layer]  # this layer's units (layers of a LayerStack differ)
    if not 0 <= unit < H:
        raise InputError(f"unit {unit} does not exist; layer {layer} has {H} (0 to {H - 1})")
    rnn = loaded.model.rnn
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    rows = [k * H + unit for k in range(4)]
    w_ih = getattr(rnn, "weight_ih" + sfx).detach()[rows].double().numpy()  # (4, in)
    w_hh = getattr(rnn, "weight_hh" + sfx).detach()[rows].double().numpy()  # (4, Hout)
    bias = np.zeros(4)
    if cfg.bias:
        bias = (getattr(rnn, "bias_ih" + sfx).detach()[rows] + getattr(rnn, "bias_hh" + sfx).detach()[rows]
                ).double().numpy()  # (4,)
    x, x_labels = _inputs_at(loaded, trace, t, layer, inputs)  # (in,)
    if len(x) != w_ih.shape[1]:
        raise InputError(f"layer {layer} reads {w_ih.shape[1]} inputs per step; the trace gives {len(x)}")
    prev = t + 1 if reverse else t - 1
    start = not 0 <= prev < len(trace)

    def at(quantity: str, step: int) -> np.ndarray:
        return window(trace, quantity, layer, reverse, step, step + 1)[0].astype(np.float64)

    h_prev = np.zeros(w_hh.shape[1]) if start else at("hidden", prev)  # (Hout,)
    c_prev = 0.0 if start else float(at("cell", prev)[unit])
    own_prev = 0.0 if start else float(at("output_gate", prev)[unit] * math.tanh(c_prev))
    from_x = w_ih @ x  # (4,)
    from_h = w_hh @ h_prev  # (4,)
    pre = from_x + from_h + bias  # (4,)
    acts = (_sigmoid, _sigmoid, math.tanh, _sigmoid)
    err = 0.0
    gates = []
    h_labels = [f"h[{j}]" for j in range(len(h_prev))]
    for k, q in enumerate(LSTM_GATES):
        value = float(at(q, t)[unit])
        err = max(err, _check(q.replace("_", " "), value, acts[k](pre[k]), t, unit))
        gates.append(GateStep(q, float(pre[k]), value, float(bias[k]), float(from_x[k]), float(from_h[k]),
                              _top("input", w_ih[k], x, x_labels, top_k),
                              _top("hidden", w_hh[k], h_prev, h_labels, top_k)))
    i, f, g, o = (gs.value for gs in gates)
    c = float(at("cell", t)[unit])
    err = max(err, _check("c_t = f c_{t-1} + i g", c, f * c_prev + i * g, t, unit))
    h = o * math.tanh(c)
    projected = bool(cfg.proj_size)
    if not projected:
        err = max(err, _check("h_t = o tanh(c_t)", float(at("hidden", t)[unit]), h, t, unit))
    return CellStep(t, unit, layer, reverse, trace.tokens[t], None if start else prev, float(np.linalg.norm(x)),
                    float(np.linalg.norm(h_prev)), own_prev, c_prev, tuple(gates), f * c_prev, i * g, c,
                    math.tanh(c), h, projected, err)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
