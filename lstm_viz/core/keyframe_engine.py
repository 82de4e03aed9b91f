"""The engine of a keyframe trace (lstm_viz.core.keyframes): runs a model's layers and directions over chunks of a
fixed grid of text positions from the recurrent states kept at the grid points, with the very code of the full
trace (the cell's fused forward, then its ``chunk`` function), so a recomputed chunk is the numbers of the pass
bit for bit.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import numpy as np
import torch

from .cell_compute import cell_of, direction_module, units_of, zero_state
from .gates import _forward
from .model import LoadedModel
from .tracing import initial_state


class LRU:
    """The ``size`` values made last, by key (the recomputed chunks a keyframe trace keeps)."""

    def __init__(self, size: int):
        self.size, self.items = size, OrderedDict()

    def get(self, k, make):
        if k in self.items:
            self.items.move_to_end(k)
            return self.items[k]
        v = self.items[k] = make()
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        return v


class Engine:
    """Runs a model's layers and directions over grid chunks from keyframe states (everything in text order)."""

    def __init__(self, loaded: LoadedModel, rows: Callable[[int, int], torch.Tensor], T: int, K: int, state=None):
        rnn = loaded.model.rnn
        self.rnn, self.cell, self.decoder = rnn, cell_of(rnn), loaded.model.decoder
        self.L, self.D = rnn.num_layers, 2 if rnn.bidirectional else 1
        self.backward = bool(loaded.config.reads_backward)
        self.dtype = rnn.weight_ih_l0.dtype
        self.rows, self.T, self.K, self.M = rows, T, K, -(-T // K)
        self.singles = [[direction_module(rnn, layer, bool(d)) for d in range(self.D)] for layer in range(self.L)]
        init = initial_state(rnn, state) if state is not None else None
        self.keyframes = []  # [layer][direction] -> tuple per state part of (M + 1, units) tensors
        for layer in range(self.L):
            per_dir = []
            for d in range(self.D):
                st0 = init[layer][d] if init is not None else zero_state(rnn, self.dtype, layer)
                kf = tuple(torch.zeros(self.M + 1, len(p), dtype=self.dtype) for p in st0)
                for part, p in zip(kf, st0):
                    part[0 if self.ascending(d) else self.M] = p
                per_dir.append(kf)
            self.keyframes.append(per_dir)

    def ascending(self, d: int) -> bool:
        """Direction d reads the text left to right."""
        return (d == 0) != self.backward

    def read_order(self) -> range:
        """Chunk indices in the order the model's forward direction reads them."""
        return range(self.M - 1, -1, -1) if self.backward else range(self.M)

    def order(self, d: int) -> range:
        return range(self.M) if self.ascending(d) else range(self.M - 1, -1, -1)

    def span(self, m: int) -> tuple[int, int]:
        return m * self.K, min((m + 1) * self.K, self.T)

    def run(self, layer: int, d: int, m: int, inp: torch.Tensor, quantities: bool, keep: bool = False):
        """Chunk m of one direction from its keyframe (``keep``: store the state after it as the next one).
        Returns (h (n, Hout) in text order, quantity -> (n, units) float32 in text order, or None)."""
        single, asc = self.singles[layer][d], self.ascending(d)
        kf = self.keyframes[layer][d]
        st = tuple(p[m if asc else m + 1] for p in kf)
        xs = inp if asc else inp.flip(0)  # (n, in), in the direction's reading order
        with torch.no_grad():
            h, st_next = _forward(single, xs, st)  # (n, Hout)
            if keep:
                for part, p in zip(kf, st_next):
                    part[m + 1 if asc else m] = p
            out = None
            if quantities:
                bufs = {q: torch.empty(len(xs), units_of(self.rnn, q, layer)) for q in self.cell.quantities}  # float32
                self.cell.chunk(single, xs, st, h, bufs)
                out = {q: (b if asc else b.flip(0)).numpy() for q, b in bufs.items()}
        return (h if asc else h.flip(0)), out

    def inputs(self, layer: int, m: int) -> torch.Tensor:
        """(n, in) what ``layer`` reads over chunk m, in text order."""
        s, e = self.span(m)
        return self.rows(s, e).to(self.dtype) if layer == 0 else self.outputs(layer - 1, m)

    def outputs(self, layer: int, m: int) -> torch.Tensor:
        """(n, D*Hout) the outputs of ``layer`` over chunk m (every direction), in text order."""
        inp = self.inputs(layer, m)
        return torch.cat([self.run(layer, d, m, inp, False)[0] for d in range(self.D)], dim=1)

    def probs(self, out: torch.Tensor) -> np.ndarray:
        """(n, V) float32: the decoder's distribution from the last layer's outputs (n, D*Hout)."""
        with torch.no_grad():
            return torch.softmax(self.decoder(out), dim=-1).float().numpy()
