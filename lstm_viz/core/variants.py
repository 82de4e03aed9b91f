"""LSTM variants torch has no fused module for: peephole connections and coupled input and forget gates.

Both are multi-layer, optionally bidirectional modules with nn.LSTM's calling convention
(``y, (h_n, c_n) = module(x, (h_0, c_0))``, x (T, B, in) or unbatched (T, in), time first) and nn.LSTM's
parameter names per layer and direction (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}``, ``_reverse``), so checkpoints, training and extraction treat them like torch's own.
They run step by step in Python: used for training and as the reference the extraction reproduces.

Peephole LSTM (Gers & Schmidhuber 2000): the input and forget gates also see c_{t-1}, the output gate sees c_t,
each through a diagonal weight (``weight_ci``, ``weight_cf``, ``weight_co``, each (H,))::

    i = σ(W_ii x + W_hi h + b_i + w_ci ⊙ c_{t-1})      f = σ(W_if x + W_hf h + b_f + w_cf ⊙ c_{t-1})
    g = tanh(W_ig x + W_hg h + b_g)                     c_t = f ⊙ c_{t-1} + i ⊙ g
    o = σ(W_io x + W_ho h + b_o + w_co ⊙ c_t)           h_t = o ⊙ tanh(c_t)

Coupled input and forget gates (CIFG, as in colah's "Understanding LSTM Networks"): no separate input gate,
what is forgotten is replaced, i = 1 − f. Weights in the order f, g, o (nn.LSTM's without i), (3H, ·).
"""
from __future__ import annotations

import math

import torch
from torch import nn


class LoopLSTM(nn.Module):
    """nn.LSTM's interface for a variant computed one timestep at a time (see the module docstring)."""

    peephole = False
    coupled = False

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0, dtype=None):
        super().__init__()
        if proj_size:
            raise ValueError(f"{type(self).__name__} has no projection (proj_size must be 0)")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.dropout, self.bidirectional, self.proj_size = bias, float(dropout), bidirectional, 0
        D, H = (2 if bidirectional else 1), hidden_size
        G = (3 if self.coupled else 4) * H
        for layer in range(num_layers):
            n_in = input_size if layer == 0 else D * H
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = {"weight_ih": (G, n_in), "weight_hh": (G, H)}
                if bias:
                    shapes.update(bias_ih=(G,), bias_hh=(G,))
                if self.peephole:
                    shapes.update(weight_ci=(H,), weight_cf=(H,), weight_co=(H,))
                for name, shape in shapes.items():
                    self.register_parameter(name + sfx, nn.Parameter(torch.empty(shape, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(-1/√H, 1/√H) for every weight, as torch's own recurrent modules."""
        r = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-r, r)

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias}, "
                f"bidirectional={self.bidirectional}")

    def _direction(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, sfx: str, reverse: bool):
        """One layer, one direction: x (T, B, in), h and c (B, H) -> y (T, B, H), h_n, c_n."""
        H = self.hidden_size
        p = {n: getattr(self, n + sfx, None) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                                          "weight_ci", "weight_cf", "weight_co")}
        gx = x @ p["weight_ih"].T  # (T, B, G)
        if self.bias:
            gx = gx + (p["bias_ih"] + p["bias_hh"])
        out = []
        steps = range(len(x) - 1, -1, -1) if reverse else range(len(x))
        for t in steps:
            pre = gx[t] + h @ p["weight_hh"].T  # (B, G)
            if self.coupled:  # f, g, o
                f = torch.sigmoid(pre[:, :H])
                i = 1.0 - f
                g, po = torch.tanh(pre[:, H:2 * H]), pre[:, 2 * H:]
            else:  # i, f, g, o
                pi, pf = pre[:, :H], pre[:, H:2 * H]
                if self.peephole:
                    pi, pf = pi + p["weight_ci"] * c, pf + p["weight_cf"] * c
                i, f, g, po = torch.sigmoid(pi), torch.sigmoid(pf), torch.tanh(pre[:, 2 * H:3 * H]), pre[:, 3 * H:]
            c = f * c + i * g  # (B, H)
            if self.peephole:
                po = po + p["weight_co"] * c
            h = torch.sigmoid(po) * torch.tanh(c)  # (B, H)
            out.append(h)
        if reverse:
            out.reverse()
        return torch.stack(out), h, c  # (T, B, H), (B, H), (B, H)

    def forward(self, x: torch.Tensor, state=None):
        unbatched = x.dim() == 2
        if unbatched:
            x = x[:, None]  # (T, 1, in)
        D, H = (2 if self.bidirectional else 1), self.hidden_size
        if state is None:
            h0 = x.new_zeros(self.num_layers * D, x.shape[1], H)
            c0 = torch.zeros_like(h0)
        else:
            h0, c0 = state
            if unbatched:
                h0, c0 = h0[:, None], c0[:, None]  # (L*D, 1, H)
        hs, cs = [], []
        for layer in range(self.num_layers):
            ys = []
            for d in range(D):
                k = layer * D + d
                y, h, c = self._direction(x, h0[k], c0[k], f"_l{layer}" + ("_reverse" if d else ""), bool(d))
                ys.append(y)
                hs.append(h)
                cs.append(c)
            x = torch.cat(ys, dim=2)  # (T, B, D*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = nn.functional.dropout(x, self.dropout, training=True)
        h_n, c_n = torch.stack(hs), torch.stack(cs)  # (L*D, B, H)
        if unbatched:
            return x[:, 0], (h_n[:, 0], c_n[:, 0])
        return x, (h_n, c_n)


class PeepholeLSTM(LoopLSTM):
    """LSTM with peephole connections (Gers & Schmidhuber 2000)."""

    peephole = True


class CIFGLSTM(LoopLSTM):
    """LSTM with coupled input and forget gates: i = 1 − f."""

    coupled = True
