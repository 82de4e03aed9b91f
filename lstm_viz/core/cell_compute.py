"""Computing every quantity of a chunk of time, per cell type (the ``chunk`` functions of lstm_viz.core.cells).

    chunk(single, x, state0, h, out)
        single  a one-layer, one-direction module of the cell's class (its parameters named ``*_l0``)
        x       (K, in) the chunk's inputs, in the direction's own time order
        state0  the state before the chunk: (h0,) or (h0, c0), each (units,)
        h       (K, Hout) the module's own outputs for the chunk, so h_{t-1} is known for every t
        out     quantity -> (K, units) float32 tensor, written in place

Every gate follows from one batched matrix product per chunk; only elementwise recurrences (an LSTM's
c_t = f ⊙ c_{t-1} + i ⊙ g) stay sequential.

PyTorch's equations (weight order as in its weight_ih): LSTM i, f, g, o; GRU r, z, n with
n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) and h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}; RNN h_t = tanh or relu of
(W_ih x + b_ih + W_hh h + b_hh). Peephole and CIFG: see lstm_viz.core.variants.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .cells import CELLS, CellType
from .errors import InputError
from .stack import LayerStack


# -- chunk functions -------------------------------------------------------------------------------------------
def _h_prev(h0: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    return torch.cat([h0[None], h[:-1]])  # (K, Hout): h_{t-1} for every t of the chunk


def _store(dst: torch.Tensor, value: torch.Tensor) -> None:
    dst.copy_(value)  # float64 models: computed at full precision, stored float32


def _activate(act, pre: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """act(pre) into dst (float32); returns the activation at the model's precision."""
    if dst.dtype == pre.dtype:
        act(pre, out=dst)
        return dst
    value = act(pre)
    dst.copy_(value)
    return value


def _cell_recurrence(keep: torch.Tensor, written: torch.Tensor, c0: torch.Tensor, dst: torch.Tensor) -> None:
    """c_t = keep_t ⊙ c_{t-1} + written_t from c0, into dst (K, H). The only sequential part; elementwise."""
    keep_a, written_a, prev = keep.numpy(), written.numpy(), c0.numpy()  # (K, H), (K, H), (H,)
    direct = keep.dtype == dst.dtype  # float32: straight into dst; float64: at full precision, then stored
    c = dst.numpy() if direct else np.empty(keep_a.shape, keep_a.dtype)  # (K, H)
    for t in range(len(c)):
        np.multiply(keep_a[t], prev, out=c[t])
        c[t] += written_a[t]
        prev = c[t]
    if not direct:
        dst.copy_(torch.from_numpy(c))


def _lstm_pre(single, x, h0, h) -> torch.Tensor:
    """W_ih x_t + W_hh h_{t-1} + b for every t of the chunk: (K, G*H), one batched product."""
    if single.bias:
        pre = torch.addmm(single.bias_ih_l0 + single.bias_hh_l0, x, single.weight_ih_l0.T)  # (K, G*H)
    else:
        pre = x @ single.weight_ih_l0.T  # (K, G*H)
    return pre.addmm_(_h_prev(h0, h), single.weight_hh_l0.T)  # + h_{t-1} W_hh^T


def lstm_chunk(single, x, state0, h, out) -> None:
    """nn.LSTM (with or without proj_size): i, f, g, o from one product; c by its elementwise recurrence."""
    h0, c0 = state0
    H = single.hidden_size
    pre = _lstm_pre(single, x, h0, h)  # (K, 4H), PyTorch's order i, f, g, o
    acts = (torch.sigmoid, torch.sigmoid, torch.tanh, torch.sigmoid)
    names = ("input_gate", "forget_gate", "candidate", "output_gate")
    i, f, g, _ = (_activate(act, pre[:, k * H:(k + 1) * H], out[n]) for k, (act, n) in enumerate(zip(acts, names)))
    _cell_recurrence(f, i * g, c0, out["cell"])
    _store(out["hidden"], h)  # after the projection when there is one (what the next layer reads)


def cifg_chunk(single, x, state0, h, out) -> None:
    """Coupled gates: f, g, o from one product, i = 1 − f; c by its elementwise recurrence."""
    h0, c0 = state0
    H = single.hidden_size
    pre = _lstm_pre(single, x, h0, h)  # (K, 3H): f, g, o
    f = _activate(torch.sigmoid, pre[:, :H], out["forget_gate"])
    g = _activate(torch.tanh, pre[:, H:2 * H], out["candidate"])
    _activate(torch.sigmoid, pre[:, 2 * H:], out["output_gate"])
    i = 1.0 - f  # (K, H)
    _store(out["input_gate"], i)
    _cell_recurrence(f, i * g, c0, out["cell"])
    _store(out["hidden"], h)


def peephole_chunk(single, x, state0, h, out) -> None:
    """Peepholes: W x + U h_{t-1} + b from one product; then per step, elementwise, the c-dependent terms."""
    h0, c0 = state0
    H = single.hidden_size
    pre = _lstm_pre(single, x, h0, h)  # (K, 4H): i, f, g, o without the peephole terms
    w_ci, w_cf, w_co = single.weight_ci_l0, single.weight_cf_l0, single.weight_co_l0  # (H,) each
    g = torch.tanh(pre[:, 2 * H:3 * H])  # (K, H)
    i, f, o, c = (torch.empty_like(g) for _ in range(4))  # (K, H) each, the model's precision
    prev = c0
    for t in range(len(g)):  # elementwise only: the matmuls are all in `pre`
        torch.sigmoid(pre[t, :H] + w_ci * prev, out=i[t])
        torch.sigmoid(pre[t, H:2 * H] + w_cf * prev, out=f[t])
        torch.addcmul(i[t] * g[t], f[t], prev, out=c[t])
        torch.sigmoid(pre[t, 3 * H:] + w_co * c[t], out=o[t])
        prev = c[t]
    for name, value in (("input_gate", i), ("forget_gate", f), ("candidate", g), ("output_gate", o),
                        ("cell", c), ("hidden", h)):
        _store(out[name], value)


def gru_chunk(single, x, state0, h, out) -> None:
    """nn.GRU: r, z, n from two batched products (input and hidden parts kept apart for r ⊙ (W_hn h + b_hn))."""
    (h0,) = state0
    H = single.hidden_size
    gi = x @ single.weight_ih_l0.T  # (K, 3H): W_ir x, W_iz x, W_in x
    gh = _h_prev(h0, h) @ single.weight_hh_l0.T  # (K, 3H): W_hr h, W_hz h, W_hn h
    if single.bias:
        gi += single.bias_ih_l0
        gh += single.bias_hh_l0
    r = _activate(torch.sigmoid, gi[:, :H] + gh[:, :H], out["reset_gate"])
    _activate(torch.sigmoid, gi[:, H:2 * H] + gh[:, H:2 * H], out["update_gate"])
    _activate(torch.tanh, torch.addcmul(gi[:, 2 * H:], r, gh[:, 2 * H:]), out["new_gate"])
    _store(out["hidden"], h)


def rnn_chunk(single, x, state0, h, out) -> None:
    """nn.RNN: its only quantity is h_t, which the fused forward already gave."""
    _store(out["hidden"], h)



# -- modules of any cell type ------------------------------------------------------------------------------------
def cell_of(rnn: nn.Module) -> CellType:
    """The cell type of a recurrent module (torch's or ours, or a LayerStack of them)."""
    if isinstance(rnn, LayerStack):
        return cell_of(rnn.layers[0])
    for c in CELLS.values():
        if type(rnn) is c.module:
            return c
    for c in CELLS.values():
        if isinstance(rnn, c.module):
            return c
    raise InputError(f"lstm_viz cannot explain a {type(rnn).__name__}; it reads {', '.join(CELLS)} modules")


def layer_module(rnn: nn.Module, layer: int | None) -> tuple[nn.Module, int]:
    """(the module holding ``layer``, the layer's index in it): (rnn, layer), or a LayerStack's own layer.
    ``layer`` None means "any layer, they are all alike": true of torch's modules, an error for a LayerStack."""
    if isinstance(rnn, LayerStack):
        if layer is None:
            raise TypeError("the layers of a LayerStack differ in size: say which layer")
        return rnn.layers[layer], 0
    return rnn, layer or 0


def direction_module(rnn: nn.Module, layer: int, reverse: bool) -> nn.Module:
    """A one-layer, one-direction module of ``rnn``'s class, holding the weights of ``layer``/``reverse``."""
    rnn, layer = layer_module(rnn, layer)
    cell = cell_of(rnn)
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih = getattr(rnn, "weight_ih" + sfx)
    single = cell.build(w_ih.shape[1], rnn.hidden_size, bias=rnn.bias, proj_size=getattr(rnn, "proj_size", 0),
                        nonlinearity=getattr(rnn, "nonlinearity", "tanh"), dtype=w_ih.dtype)
    names = [n[:-len("_l0")] for n, _ in single.named_parameters()]
    single.load_state_dict({f"{n}_l0": getattr(rnn, n + sfx) for n in names})
    return single.eval()


def zero_state(rnn: nn.Module, dtype=None, layer: int | None = None) -> tuple[torch.Tensor, ...]:
    """The zero state of one direction of ``layer``: (h0,) or (h0, c0), each (units,)."""
    rnn, _ = layer_module(rnn, layer)
    cell = cell_of(rnn)
    dtype = dtype or rnn.weight_ih_l0.dtype
    h = torch.zeros(getattr(rnn, "proj_size", 0) or rnn.hidden_size, dtype=dtype)
    return (h, torch.zeros(rnn.hidden_size, dtype=dtype)) if cell.has_cell_state else (h,)


def units_of(rnn: nn.Module, quantity: str, layer: int | None = None) -> int:
    """Columns of ``quantity`` in ``layer``: the output size for ``hidden`` (after a projection), else its
    hidden_size."""
    rnn, _ = layer_module(rnn, layer)
    return (getattr(rnn, "proj_size", 0) or rnn.hidden_size) if quantity == "hidden" else rnn.hidden_size


def compute_chunk(rnn_or_single: nn.Module, x: torch.Tensor, state0, h: torch.Tensor) -> dict[str, np.ndarray]:
    """Every quantity of one chunk as fresh float32 arrays: ``cell.chunk`` with its own output buffers.

    ``rnn_or_single`` must be a one-layer, one-direction module (see direction_module)."""
    cell = cell_of(rnn_or_single)
    out = {q: torch.empty(len(x), units_of(rnn_or_single, q)) for q in cell.quantities}  # (K, units) float32
    with torch.no_grad():
        cell.chunk(rnn_or_single, x, tuple(state0), h, out)
    return {q: t.numpy() for q, t in out.items()}
