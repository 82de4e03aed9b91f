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


def levels(quantity: str, data: np.ndarray | None = None) -> tuple[float, float]:
    """Colour range: [0, 1] for gates, [-m, m] for signed quantities (m = max |value|, at least 1e-6;
    the candidate is tanh-bounded so it uses [-1, 1])."""
    if is_gate(quantity):
        return 0.0, 1.0
    if quantity == "candidate" or data is None or data.size == 0:
        return -1.0, 1.0
    m = float(np.nanmax(np.abs(data)))
    return -max(m, 1e-6), max(m, 1e-6)


def title(model_name: str, quantity: str, layer: int, reverse: bool) -> str:
    return f"{model_name}: {LABELS[quantity]}, layer {layer}{', backward' if reverse else ''}"
