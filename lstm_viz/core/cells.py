"""The cell types lstm_viz explains, as data in one place: LSTM, GRU, plain RNN, peephole LSTM, coupled-gate LSTM.

For each: its name, the quantities it produces per timestep and unit (in drawing order), which of them are gates
in [0, 1], its recurrent state, the module that runs it (torch's fused nn.LSTM / nn.GRU / nn.RNN where one
exists, else ours in lstm_viz.core.variants) and one function that turns a chunk of time into all its quantities
(lstm_viz.core.cell_compute: ``chunk(single, x, state0, h, out)``, from the inputs, h_{t-1} for every t and the
state at the chunk's start). Views, figures, export and search read ``quantities`` and ``gates`` from here
rather than naming "forget_gate" themselves. Compare the table torch keeps in torch/nn/modules/rnn.py
(gate_size per mode).

Importing this module does not import torch (the app draws its first window before torch is loaded): the
module and the chunk function are named here and imported when first used.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .errors import InputError

LSTM_QUANTITIES = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")
LSTM_GATES = ("input_gate", "forget_gate", "output_gate")


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


# -- the table ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CellType:
    name: str  # as in ModelConfig.cell, checkpoints, trace files and ``--cell``
    title: str  # for people: "LSTM", "GRU", ...
    quantities: tuple[str, ...]  # per timestep and unit, in drawing order; NPZ keys are f"{q}_l{layer}"
    gates: tuple[str, ...]  # the quantities that are gates, in [0, 1]
    bounded: tuple[str, ...]  # other quantities always in [-1, 1] (a tanh)
    state: tuple[str, ...]  # the recurrent state: ("h", "c") or ("h",)
    module_path: str  # the multi-layer module that runs it, e.g. "torch.nn.LSTM"
    chunk_path: str  # its chunk function in lstm_viz.core.cell_compute
    symbols: Mapping[str, str] = field(default_factory=dict)  # quantity -> its letter in the equations
    fused: bool = True  # module is one of torch's fused recurrent modules

    @property
    def module(self) -> type:
        """The module class (imports torch)."""
        return _resolve(self.module_path)

    @property
    def chunk(self) -> Callable:
        """``chunk(single, x, state0, h, out)``: every quantity of a chunk (see lstm_viz.core.cell_compute)."""
        return _resolve(self.chunk_path)

    @property
    def a_title(self) -> str:
        """The title with its article, for messages: "an LSTM", "a GRU"."""
        return ("an " if self.title[0] in "AEFHILMNORSX" else "a ") + self.title

    @property
    def has_cell_state(self) -> bool:
        return "c" in self.state

    def is_gate(self, quantity: str) -> bool:
        return quantity in self.gates

    def check(self, quantity: str) -> str:
        """``quantity`` if this cell produces it, else a one-line InputError naming what it does produce."""
        if quantity not in self.quantities:
            extra = " (it has no separate cell state)" if quantity == "cell" else ""
            raise InputError(f"{self.a_title} has no {quantity!r}{extra}; it has {', '.join(self.quantities)}")
        return quantity

    def build(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
              dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0, nonlinearity: str = "tanh",
              dtype=None):
        """A fresh multi-layer module of this cell type (torch's initialisation)."""
        kwargs = dict(num_layers=num_layers, bias=bias, dropout=dropout, bidirectional=bidirectional, dtype=dtype)
        if proj_size:
            if self.name != "lstm":
                raise InputError(f"a projection (proj_size) exists only for the plain LSTM, not {self.a_title}")
            kwargs["proj_size"] = proj_size
        if self.name == "rnn":
            if nonlinearity not in ("tanh", "relu"):
                raise InputError(f"an RNN's nonlinearity is tanh or relu, not {nonlinearity!r}")
            kwargs["nonlinearity"] = nonlinearity
        return self.module(input_size, hidden_size, **kwargs)


_C, _V = "lstm_viz.core.cell_compute.", "lstm_viz.core.variants."
_LSTM_SYMBOLS = {"input_gate": "i", "forget_gate": "f", "candidate": "g", "output_gate": "o", "cell": "c",
                 "hidden": "h"}

CELLS: dict[str, CellType] = {c.name: c for c in (
    CellType("lstm", "LSTM", LSTM_QUANTITIES, LSTM_GATES, ("candidate",), ("h", "c"),
             "torch.nn.LSTM", _C + "lstm_chunk", _LSTM_SYMBOLS),
    CellType("gru", "GRU", ("reset_gate", "update_gate", "new_gate", "hidden"), ("reset_gate", "update_gate"),
             ("new_gate",), ("h",), "torch.nn.GRU", _C + "gru_chunk",
             {"reset_gate": "r", "update_gate": "z", "new_gate": "n", "hidden": "h"}),
    CellType("rnn", "plain RNN", ("hidden",), (), (), ("h",), "torch.nn.RNN", _C + "rnn_chunk", {"hidden": "h"}),
    CellType("peephole", "peephole LSTM", LSTM_QUANTITIES, LSTM_GATES, ("candidate",), ("h", "c"),
             _V + "PeepholeLSTM", _C + "peephole_chunk", _LSTM_SYMBOLS, fused=False),
    CellType("cifg", "coupled-gate LSTM (CIFG)", LSTM_QUANTITIES, LSTM_GATES, ("candidate",), ("h", "c"),
             _V + "CIFGLSTM", _C + "cifg_chunk", _LSTM_SYMBOLS, fused=False),
)}

ALL_QUANTITIES = tuple(dict.fromkeys(q for c in CELLS.values() for q in c.quantities))


def cell_type(cell: "str | CellType") -> CellType:
    """The CellType named ``cell`` (a CellType passes through); a one-line InputError for an unknown name."""
    if isinstance(cell, CellType):
        return cell
    try:
        return CELLS[str(cell).lower()]
    except KeyError:
        raise InputError(f"unknown cell type {cell!r}; one of {', '.join(CELLS)}") from None


