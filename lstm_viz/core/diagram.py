"""The numbers of the cell diagram for one (timestep, unit, layer, direction), for every cell type.

``cell_step(loaded, trace, t, unit, layer, reverse)`` returns the numbers of the model's own cell: a CellStep for
the LSTM, the peephole LSTM and the coupled-gate LSTM (here), a GRUStep or RNNStep for the GRU and the plain RNN
(lstm_viz.core.diagram_cells). For unit j at step t (h_{t-1}, c_{t-1}: the previous step in this direction's
reading order, zero before the first):

    pre_k = W_ih[k, j] . x_t + W_hh[k, j] . h_{t-1} + b_ih[k, j] + b_hh[k, j]      k in i, f, g, o
    i, f, o = sigmoid(pre);  g = tanh(pre)
    c_t = f c_{t-1} + i g;   h_t = o tanh(c_t)   (h_t before the projection W_hr when proj_size is set)

Peephole LSTM: i and f add w_ci c_{t-1}, w_cf c_{t-1}; o adds w_co c_t (each gate's ``peephole`` term).
Coupled gates (CIFG): no weights of its own for i: i = 1 - f = sigmoid(-pre_f) (its GateStep is ``coupled``).

Every gate's pre-activation is recomputed for this one step in float64 from the weights and the trace's
previous state and checked against the trace's gate, and the state update (c_t = f c_{t-1} + i g, h_t) on the
trace's own values: a mismatch (a trace of another model, other inputs) is an InputError, never a wrong picture.
The largest terms w * value of W x + U h say which inputs and hidden units push each gate most. The trace is
read only through ``trace.window`` at t and at the previous step, so a lazy trace serves it.
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
    """One gate (or the single layer of a plain RNN) of one unit at one step.

    pre = from_input + bias + scale * (from_hidden + bias_hidden) + peephole; value = activation(pre)."""

    quantity: str  # "input_gate", "forget_gate", ..., "reset_gate", "new_gate", "hidden" (a plain RNN)
    pre: float  # the pre-activation, recomputed
    value: float  # the gate's value at t (the trace's)
    bias: float  # b_ih + b_hh (a GRU's new gate: b_in only)
    from_input: float  # W_ih[row] . x_t
    from_hidden: float  # W_hh[row] . h_{t-1}
    top_input: tuple[Term, ...]  # largest |w * x| first
    top_hidden: tuple[Term, ...]  # largest |w * h| first
    activation: str = "sigmoid"  # "sigmoid", "tanh" or "relu"
    scale: float = 1.0  # the factor on the hidden part: a GRU's new gate multiplies it by r
    bias_hidden: float = 0.0  # the bias inside that factor (a GRU's b_hn)
    peephole: float = 0.0  # a peephole LSTM's w_c * c term
    peephole_weight: float = 0.0  # its diagonal weight w_c
    coupled: bool = False  # a CIFG's input gate: 1 - f, i.e. pre = -pre_f, no weights of its own

    @property
    def recomputed(self) -> float:
        """The pre-activation from its parts (equals ``pre``)."""
        return self.from_input + self.bias + self.scale * (self.from_hidden + self.bias_hidden) + self.peephole


class StepBase:
    """What every cell type's step shares: its gates by name and where it is."""

    gates: tuple[GateStep, ...]
    layer: int
    reverse: bool

    def gate(self, quantity: str) -> GateStep:
        for g in self.gates:
            if g.quantity == quantity:
                return g
        raise KeyError(quantity)

    @property
    def where(self) -> str:
        return f"layer {self.layer}{', backward' if self.reverse else ''}"


@dataclass(frozen=True)
class CellStep(StepBase):
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
    cell: str = "lstm"  # "lstm", "peephole" or "cifg"


# -- shared by every cell type -------------------------------------------------------------------------------
@dataclass
class Place:
    """The checked (t, unit, layer, direction) and what the cell reads there: x_t, h_{t-1}, the weights."""

    loaded: LoadedModel
    trace: object
    t: int
    unit: int
    layer: int
    reverse: bool
    H: int  # this layer's units
    prev: int | None  # the previous step in this direction's reading order; None at the first
    x: np.ndarray  # (in,) float64
    x_labels: list[str]
    h_prev: np.ndarray  # (Hout,) float64: zeros at the first step

    def at(self, quantity: str, step: int) -> np.ndarray:
        """(units,) float64 of ``quantity`` at ``step`` (one window of one step)."""
        return window(self.trace, quantity, self.layer, self.reverse, step, step + 1)[0].astype(np.float64)

    def param(self, name: str) -> torch.Tensor:
        """This layer's and direction's ``name`` ("weight_ih", "bias_hh", "weight_ci", ...)."""
        return getattr(self.loaded.model.rnn, f"{name}_l{self.layer}" + ("_reverse" if self.reverse else "")).detach()

    def rows(self, name: str, gates: int) -> np.ndarray:
        """The rows of ``unit`` in each of ``gates`` stacked blocks of ``name``: (gates, ...) float64."""
        return self.param(name)[[k * self.H + self.unit for k in range(gates)]].double().numpy()

    def biases(self, gates: int) -> tuple[np.ndarray, np.ndarray]:
        """(b_ih rows, b_hh rows), zeros without biases: (gates,) each."""
        if not self.loaded.config.bias:
            return np.zeros(gates), np.zeros(gates)
        return self.rows("bias_ih", gates), self.rows("bias_hh", gates)

    @property
    def h_labels(self) -> list[str]:
        return [f"h[{j}]" for j in range(len(self.h_prev))]

    def check(self, name: str, traced: float, recomputed: float) -> float:
        return _check(name, traced, recomputed, self.t, self.unit)


def place(loaded: LoadedModel, trace, t: int, unit: int, layer: int, reverse: bool, inputs=None) -> Place:
    """Check the request against the model and the trace (one line each) and read x_t and h_{t-1}."""
    cfg = loaded.config
    if trace.cell.name != cfg.cell:
        raise InputError(f"the trace is of {trace.cell.a_title} but the model is {cell_type_title(cfg.cell)}")
    if not 0 <= layer < trace.num_layers or trace.num_layers != cfg.num_layers:
        raise InputError(f"layer {layer} does not exist; the model has {cfg.num_layers}")
    if reverse and not (trace.bidirectional and cfg.bidirectional):
        raise InputError("the model has no backward direction")
    if not 0 <= t < len(trace):
        raise InputError(f"timestep {t} does not exist; the text has {len(trace)} (0 to {len(trace) - 1})")
    H = cfg.sizes[layer]  # this layer's units (layers of a LayerStack differ)
    if not 0 <= unit < H:
        raise InputError(f"unit {unit} does not exist; layer {layer} has {H} (0 to {H - 1})")
    ascending = reverse == bool(getattr(trace, "reads_backward", False))  # this direction reads left to right
    prev = t - 1 if ascending else t + 1
    if not 0 <= prev < len(trace):
        prev = None
        if (getattr(trace, "metadata", None) or {}).get("initial_state") == "given":
            raise InputError(f"step {t} is the first this direction reads, and the trace was made from a given "
                             "initial state it does not keep: the cell diagram can show every other step")
    x, x_labels = _inputs_at(loaded, trace, t, layer, inputs)  # (in,)
    p = Place(loaded, trace, t, unit, layer, reverse, H, prev, x, x_labels, np.zeros(0))
    n_in = p.param("weight_ih").shape[1]
    if len(x) != n_in:
        raise InputError(f"layer {layer} reads {n_in} inputs per step; the trace gives {len(x)}")
    n_hidden = p.param("weight_hh").shape[1]
    p.h_prev = np.zeros(n_hidden) if prev is None else p.at("hidden", prev)  # (Hout,)
    return p


def cell_type_title(name: str) -> str:
    from .cells import cell_type

    return cell_type(name).a_title


def gate_step(p: Place, quantity: str, activation: str, w_ih: np.ndarray, w_hh: np.ndarray, bias: float,
              traced: float, top_k: int, *, scale: float = 1.0, bias_hidden: float = 0.0, peephole: float = 0.0,
              peephole_weight: float = 0.0) -> tuple[GateStep, float]:
    """One gate from its weight rows (in,), (Hout,), checked against the trace's ``traced`` value; with the
    relative error found."""
    from_x, from_h = float(w_ih @ p.x), float(w_hh @ p.h_prev)
    pre = from_x + bias + scale * (from_h + bias_hidden) + peephole
    err = p.check(quantity.replace("_", " "), traced, ACTIVATIONS[activation](pre))
    return GateStep(quantity, pre, traced, bias, from_x, from_h, _top("input", w_ih, p.x, p.x_labels, top_k),
                    _top("hidden", w_hh, p.h_prev, p.h_labels, top_k), activation, scale, bias_hidden, peephole,
                    peephole_weight), err


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


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


ACTIVATIONS = {"sigmoid": _sigmoid, "tanh": math.tanh, "relu": lambda z: max(z, 0.0)}


# -- the LSTM family -----------------------------------------------------------------------------------------
def cell_step(loaded: LoadedModel, trace, t: int, unit: int, layer: int = 0, reverse: bool = False,
              top_k: int = TOP_K, inputs=None):
    """Every number of the cell diagram of ``unit`` at timestep ``t`` (see the module docstring): a CellStep,
    or for a GRU / plain RNN a GRUStep / RNNStep (lstm_viz.core.diagram_cells).

    ``inputs``: the (T, input_size) vectors the trace was made from, for a model that reads vectors."""
    cell = getattr(loaded.config, "cell", "lstm")
    p = place(loaded, trace, t, unit, layer, reverse, inputs)
    if cell in ("gru", "rnn"):
        from .diagram_cells import gru_step, rnn_step

        return (gru_step if cell == "gru" else rnn_step)(p, top_k)
    return _lstm_step(p, cell, top_k)


def _lstm_step(p: Place, cell: str, top_k: int) -> CellStep:
    coupled, peep = cell == "cifg", cell == "peephole"
    G = 3 if coupled else 4  # weight blocks: i, f, g, o (CIFG: f, g, o)
    w_ih, w_hh = p.rows("weight_ih", G), p.rows("weight_hh", G)  # (G, in), (G, Hout)
    b_ih, b_hh = p.biases(G)
    bias = b_ih + b_hh  # (G,)
    start = p.prev is None
    c_prev = 0.0 if start else float(p.at("cell", p.prev)[p.unit])
    own_prev = 0.0 if start else float(p.at("output_gate", p.prev)[p.unit] * math.tanh(c_prev))
    projected = bool(p.loaded.config.proj_size)  # then the trace's h_t is W_hr times the outputs, not this unit's
    traced = {q: float(p.at(q, p.t)[p.unit]) for q in (*LSTM_GATES, "cell", *(() if projected else ("hidden",)))}
    c = traced["cell"]
    w_c = {q: float(p.param(n)[p.unit]) for q, n in (("input_gate", "weight_ci"), ("forget_gate", "weight_cf"),
                                                      ("output_gate", "weight_co"))} if peep else {}
    peeks = {"input_gate": c_prev, "forget_gate": c_prev, "output_gate": c}  # what each peephole sees
    blocks = ("forget_gate", "candidate", "output_gate") if coupled else LSTM_GATES
    err, steps = 0.0, {}
    for k, q in enumerate(blocks):
        extra = dict(peephole=w_c[q] * peeks[q], peephole_weight=w_c[q]) if q in w_c else {}
        steps[q], e = gate_step(p, q, "tanh" if q == "candidate" else "sigmoid", w_ih[k], w_hh[k], float(bias[k]),
                                traced[q], top_k, **extra)
        err = max(err, e)
    if coupled:  # i = 1 - f = sigmoid(-pre_f): the forget gate's numbers, negated
        f = steps["forget_gate"]
        err = max(err, p.check("input gate = 1 - f", traced["input_gate"], 1.0 - f.value))
        steps["input_gate"] = GateStep("input_gate", -f.pre, traced["input_gate"], -f.bias, -f.from_input,
                                       -f.from_hidden, (), (), coupled=True)
    gates = tuple(steps[q] for q in LSTM_GATES)
    i, f, g, o = (gs.value for gs in gates)
    err = max(err, p.check("c_t = f c_{t-1} + i g", c, f * c_prev + i * g))
    h = o * math.tanh(c)
    if not projected:
        err = max(err, p.check("h_t = o tanh(c_t)", traced["hidden"], h))
    return CellStep(p.t, p.unit, p.layer, p.reverse, p.trace.tokens[p.t], p.prev, float(np.linalg.norm(p.x)),
                    float(np.linalg.norm(p.h_prev)), own_prev, c_prev, gates, f * c_prev, i * g, c, math.tanh(c), h,
                    projected, err, cell)
