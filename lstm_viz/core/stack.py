"""A stack of one-layer recurrent modules whose layers differ in size (e.g. awd-lstm-lm's 400 -> 1150 -> 400).

torch's multi-layer modules give every layer one hidden size. ``LayerStack`` holds one one-layer module of the
cell type per layer (``layers.{k}``), each of its own size; layer k reads layer k-1's output (both directions
concatenated when bidirectional). For reading its weights it answers to torch's multi-layer names too:
``stack.weight_ih_l2`` is ``stack.layers[2].weight_ih_l0`` (and ``_reverse`` likewise), so code that reads one
layer and direction of an nn.LSTM reads a stack the same way. Its state is a list with one entry per layer,
each that layer's own state ((h, c) or h), as awd-lstm-lm keeps it.
"""
from __future__ import annotations

import re

import torch
from torch import nn

from .cells import cell_type

_LAYER_NAME = re.compile(r"^(?P<part>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr|weight_c[ifo])_l(?P<layer>\d+)"
                         r"(?P<rev>_reverse)?$")


class LayerStack(nn.Module):
    def __init__(self, cell: str, input_size: int, sizes: tuple[int, ...], bias: bool = True, dropout: float = 0.0,
                 bidirectional: bool = False, nonlinearity: str = "tanh", dtype=None):
        super().__init__()
        c = cell_type(cell)
        D = 2 if bidirectional else 1
        self.cell, self.input_size, self.sizes = c.name, input_size, tuple(int(s) for s in sizes)
        self.num_layers, self.bias, self.bidirectional, self.dropout = len(self.sizes), bias, bidirectional, dropout
        self.nonlinearity = nonlinearity
        ins = (input_size,) + tuple(D * s for s in self.sizes[:-1])  # what each layer reads
        self.layers = nn.ModuleList(c.build(i, s, bias=bias, bidirectional=bidirectional, nonlinearity=nonlinearity,
                                            dtype=dtype) for i, s in zip(ins, self.sizes))

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            m = _LAYER_NAME.match(name)
            if m is None or int(m["layer"]) >= len(self.sizes):
                raise
            return getattr(self.layers[int(m["layer"])], f"{m['part']}_l0{m['rev'] or ''}")

    def forward(self, x: torch.Tensor, state=None):
        """x (T, B, in) -> (y (T, B, D*sizes[-1]), [state of each layer]); ``state`` the same list, or None."""
        states = []
        for k, layer in enumerate(self.layers):
            x, st = layer(x, None if state is None else state[k])  # (T, B, D*sizes[k])
            states.append(st)
            if self.dropout and self.training and k < self.num_layers - 1:
                x = nn.functional.dropout(x, self.dropout, training=True)
        return x, states

    def extra_repr(self) -> str:
        return f"{self.cell}, {self.input_size} -> {' -> '.join(map(str, self.sizes))}"
