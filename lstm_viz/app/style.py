"""Colours and labels shared by the on-screen views and the exported figures.

Gates live in [0, 1] and use a sequential colormap; candidate, cell and hidden are signed and use a diverging
colormap centred on 0 with a symmetric range.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

# The same names as lstm_viz.core.gates (a test checks it); spelled out here so that drawing the first window
# does not wait for torch, which lstm_viz.core.gates imports.
GATES = ("input_gate", "forget_gate", "candidate", "output_gate")
QUANTITIES = (*GATES, "cell", "hidden")

LABELS = {
    "input_gate": "input gate i",
    "forget_gate": "forget gate f",
    "candidate": "candidate g",
    "output_gate": "output gate o",
    "cell": "cell state c",
    "hidden": "hidden state h",
}
SHORT = {"forget": "forget_gate", "input": "input_gate", "output": "output_gate",
         "candidate": "candidate", "cell": "cell", "hidden": "hidden"}

SEQUENTIAL = "viridis"
DIVERGING = "CET-D1A"  # blue - white - red, perceptually uniform


SYMBOL = {"input_gate": "i", "forget_gate": "f", "candidate": "g", "output_gate": "o", "cell": "c", "hidden": "h"}
# Distinct colours for the selected units' traces (Tableau 10), readable on the dark background.
UNIT_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                "#9c755f", "#bab0ac")


def unit_colour(k: int) -> str:
    """The colour of the k-th selected unit (cycles after ten)."""
    return UNIT_COLOURS[k % len(UNIT_COLOURS)]


def is_gate(quantity: str) -> bool:
    return quantity in ("input_gate", "forget_gate", "output_gate")


def colormap(quantity: str) -> pg.ColorMap:
    return pg.colormap.get(SEQUENTIAL if is_gate(quantity) else DIVERGING)


CLIP_PERCENTILE = 99.0  # signed quantities: the colour range covers this percentile of |value|
EXACT_VALUES = 1_000_000  # up to this many values the percentile is exact
_SAMPLE_VALUES = 400_000  # beyond: whole rows (every unit) spread evenly over the text, about this many values


def levels(quantity: str, data: np.ndarray | None = None) -> tuple[float, float]:
    """Colour range: [0, 1] for gates and [-1, 1] for the tanh-bounded candidate. Cell and hidden states use
    [-m, m] with m the 99th percentile of |value| (at least 1e-6): a few units with huge cell values would
    otherwise wash every other unit out to white. Values beyond m are drawn in the end colours; the inspector,
    traces and exported data always give the exact values.

    data: (T, units). Exact up to EXACT_VALUES values; beyond, computed on whole rows spread evenly over time,
    so every unit is sampled (a stride over the flattened array would line up with the unit count and see
    only some units) and a 200,000 x 512 trace costs milliseconds."""
    if is_gate(quantity):
        return 0.0, 1.0
    if quantity == "candidate" or data is None or data.size == 0:
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
