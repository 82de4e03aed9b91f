"""How every quantity of every cell type looks, for the app's views and the exported figures alike: its label,
its symbol, its colour map and colour range.

Everything is derived from the cell table in lstm_viz.core.cells (which does not import torch), so a GRU's
reset gate r gets the same treatment as the LSTM's forget gate f: gates live in [0, 1] and use a sequential
colour map; every other quantity is signed and uses a diverging colour map centred on 0, with the fixed range
[-1, 1] for the tanh-bounded ones (candidate g, new gate n) and a symmetric percentile range for the states.
Importing it imports neither torch nor Qt (the command line writes CSV with it).
"""
from __future__ import annotations

import numpy as np

from lstm_viz.core.cells import ALL_QUANTITIES, CELLS, CellType, cell_type
from lstm_viz.core.errors import InputError

GATES = tuple(dict.fromkeys(q for c in CELLS.values() for q in c.gates))  # in [0, 1] in every cell that has them
BOUNDED = tuple(dict.fromkeys(q for c in CELLS.values() for q in c.bounded))  # tanh: in [-1, 1]
SYMBOL = {q: s for c in CELLS.values() for q, s in c.symbols.items()}
_NAMES = {"cell": "cell state", "hidden": "hidden state"}
LABELS = {q: f"{_NAMES.get(q, q.replace('_', ' '))} {SYMBOL[q]}" for q in ALL_QUANTITIES}  # "reset gate r"
SHORT = {q.removesuffix("_gate"): q for q in ALL_QUANTITIES}  # "forget" -> "forget_gate", "cell" -> "cell"

SEQUENTIAL = "viridis"
DIVERGING = "CET-D1A"  # blue - white - red, perceptually uniform

CLIP_PERCENTILE = 99.0  # signed quantities: the colour range covers this percentile of |value|
EXACT_VALUES = 1_000_000  # up to this many values the percentile is exact
_SAMPLE_VALUES = 400_000  # beyond: whole rows (every unit) spread evenly over the text, about this many values


def quantity_name(name: str) -> str:
    """The full name of a quantity from its full or short name ("forget", "reset_gate"); one-line InputError
    for a name no cell type produces."""
    full = SHORT.get(name, name)
    if full not in ALL_QUANTITIES:
        raise InputError(f"unknown quantity {name!r}; one of {', '.join(ALL_QUANTITIES)}")
    return full


def short_label(quantity: str) -> str:
    """Short enough for the side of a low panel: "forget f", "reset r", "cell c"."""
    return f"{LABELS[quantity].split()[0]} {SYMBOL[quantity]}"


def state_quantity(cell: "str | CellType") -> str:
    """The state a cell carries from step to step, drawn as its traces: the cell state c when it has one
    (LSTM), else the hidden state h (GRU, plain RNN)."""
    return "cell" if cell_type(cell).has_cell_state else "hidden"


def default_panels(cell: "str | CellType") -> tuple[str, ...]:
    """The heatmaps shown first for a cell: its gates, or its hidden state when it has no gates."""
    c = cell_type(cell)
    return c.gates or ("hidden",)


def is_gate(quantity: str) -> bool:
    return quantity in GATES


def colormap(quantity: str):
    """The quantity's pyqtgraph ColorMap (pyqtgraph is imported here: the rest of this module needs no Qt)."""
    import pyqtgraph as pg

    return pg.colormap.get(SEQUENTIAL if is_gate(quantity) else DIVERGING)


def levels(quantity: str, data: np.ndarray | None = None) -> tuple[float, float]:
    """Colour range: [0, 1] for gates and [-1, 1] for tanh-bounded quantities (candidate, new gate). States
    use [-m, m] with m the 99th percentile of |value| (at least 1e-6): a few units with huge cell values would
    otherwise wash every other unit out to white. Values beyond m are drawn in the end colours; the inspector,
    traces and exported data always give the exact values.

    data: (T, units). Exact up to EXACT_VALUES values; beyond, computed on whole rows spread evenly over time,
    so every unit is sampled (a stride over the flattened array would line up with the unit count and see
    only some units) and a 200,000 x 512 trace costs milliseconds."""
    if is_gate(quantity):
        return 0.0, 1.0
    if quantity in BOUNDED or data is None or data.size == 0:
        return -1.0, 1.0
    data = np.asarray(data)
    if data.ndim == 2 and data.size > EXACT_VALUES:
        rows = max(1, _SAMPLE_VALUES // max(data.shape[1], 1))
        data = data[np.linspace(0, data.shape[0] - 1, rows).round().astype(np.intp)]  # (rows, units)
    flat = np.abs(data.astype(np.float32, copy=False)).ravel()
    flat = flat[np.isfinite(flat)]
    m = float(np.percentile(flat, CLIP_PERCENTILE)) if flat.size else 1.0
    return -max(m, 1e-6), max(m, 1e-6)


def title(model_name: str, quantity: str, layer: int, reverse: bool) -> str:
    return f"{model_name}: {LABELS[quantity]}, layer {layer}{', backward' if reverse else ''}"
