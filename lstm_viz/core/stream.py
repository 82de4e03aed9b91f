"""Reading a trace window by window: the one place the statistics (search, saturation) touch its arrays.

Every statistic over a trace walks time in windows of ``CHUNK`` timesteps through ``window`` below and never
holds a whole (T, units) array of its own, so a trace that keeps its arrays on disk or recomputes them
(``trace.window``) serves them unchanged: only ``window`` needs to change.

Quantity names are never spelled out here: they come from the trace's cell type (lstm_viz.core.cells), gates
included (LSTM: input_gate, forget_gate, output_gate; GRU: reset_gate, update_gate).
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from .errors import InputError

CHUNK = 4096  # timesteps per window: 4096 x 512 units x 4 bytes = 8 MB


def window(trace, quantity: str, layer: int, reverse: bool, t0: int, t1: int, units=None) -> np.ndarray:
    """(t1 - t0, units) values of one quantity over timesteps [t0, t1); ``units``: a list of unit indices."""
    return trace.window(quantity, layer, reverse, t0, t1, units)  # (t1 - t0, U): every TraceBase has it


def spans(t0: int, t1: int, chunk: int | None = None) -> Iterator[tuple[int, int]]:
    """The windows [s, e) of ``chunk`` (default CHUNK) timesteps that cover [t0, t1)."""
    chunk = chunk or CHUNK
    for s in range(t0, t1, chunk):
        yield s, min(s + chunk, t1)


def quantities(trace) -> tuple[str, ...]:
    """The quantities the trace holds, in its cell type's order."""
    return tuple(trace.quantities)


def gate_quantities(trace) -> tuple[str, ...]:
    """The trace's gates (values in [0, 1]) as its cell type lists them (a GRU's new_gate is a tanh, not a gate)."""
    return tuple(trace.cell.gates)


def num_units(trace, quantity: str, layer: int = 0, reverse: bool = False) -> int:
    return window(trace, quantity, layer, reverse, 0, 1).shape[1]


def check_quantity(trace, quantity: str) -> str:
    have = quantities(trace)
    if quantity not in have:
        raise InputError(f"unknown quantity {quantity!r}; this trace has {', '.join(have)}")
    return quantity


def targets(trace, layers: Sequence[int] | int | None = None, directions: Sequence[bool] | bool | None = None
            ) -> list[tuple[int, bool]]:
    """(layer, reverse) pairs to search: ``None`` means every layer / every direction the trace has."""
    if layers is None:
        layers = range(trace.num_layers)
    elif isinstance(layers, (int, np.integer)):
        layers = [int(layers)]
    if directions is None:
        directions = trace.directions
    elif isinstance(directions, (bool, np.bool_)):
        directions = [bool(directions)]
    out = []
    for layer in layers:
        if not 0 <= layer < trace.num_layers:
            raise InputError(f"layer {layer} does not exist; the model has {trace.num_layers}")
        for reverse in directions:
            if reverse and not trace.bidirectional:
                raise InputError("the model has no backward direction")
            out.append((int(layer), bool(reverse)))
    return out


def time_range(trace, t0: int = 0, t1: int | None = None) -> tuple[int, int]:
    T = len(trace)
    t1 = T if t1 is None else t1
    if not 0 <= t0 < t1 <= T:
        raise InputError(f"timesteps {t0}:{t1} do not lie in the text's 0:{T}")
    return t0, t1
